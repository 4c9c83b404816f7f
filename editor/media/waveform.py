"""Audio peaks for drawing a waveform: min/max per bucket (mono mix, int16), cached by fingerprint.

Worker thread; never touches Qt.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from editor.media.cache import WAVEFORM_TTL, BytesCache, cache_get, cache_set
from editor.media.errors import MediaError, NoAudioStreamError, describe_av_error
from editor.media.origin import time_origin
from editor.media.probe import fingerprint, open_input

_HEADER = struct.Struct("<4sII")  # magic, buckets per second, bucket count
_MAGIC = b"CLW1"


@dataclass(frozen=True)
class Peaks:
    """``count`` buckets of ``1/buckets_per_second`` s; ``data`` is int16 little-endian min,max pairs."""

    buckets_per_second: int
    count: int
    data: bytes

    def as_array(self) -> np.ndarray:
        """(count, 2) int16 array of [min, max]. Any thread."""
        return np.frombuffer(self.data, "<i2").reshape(self.count, 2)

    @property
    def bucket_duration(self) -> Fraction:
        """Seconds per bucket. Any thread."""
        return Fraction(1, self.buckets_per_second)

    def to_bytes(self) -> bytes:
        """Bytes for the cache. Any thread."""
        return _HEADER.pack(_MAGIC, self.buckets_per_second, self.count) + self.data

    @classmethod
    def from_bytes(cls, blob: bytes) -> Peaks:
        """Inverse of ``to_bytes``; raises ValueError on other bytes. Any thread."""
        magic, bps, count = _HEADER.unpack_from(blob)
        if magic != _MAGIC or len(blob) != _HEADER.size + 4 * count:
            raise ValueError("not a peaks blob")
        return cls(bps, count, bytes(blob[_HEADER.size:]))


def waveform_peaks(path: str | os.PathLike[str], *, buckets_per_second: int = 100,
                   cache: BytesCache | None = None) -> Peaks:
    """Min/max of the mono mix per bucket over the whole file; cached as ``wave:{fp}:{bps}``. Bucket 0 starts at
    the file's time origin (its video frame 0, ``editor.media.origin``), so the peaks line up with the pictures.

    Corrupt audio packets are skipped. Raises NoAudioStreamError when there is no audio.
    Worker thread; never touches Qt.
    """
    p = Path(path)
    key = f"wave:{fingerprint(p)}:{buckets_per_second}"
    blob = cache_get(cache, key)
    if blob is not None:
        try:
            return Peaks.from_bytes(blob)
        except (ValueError, struct.error):
            pass
    peaks = _compute(p, buckets_per_second)
    cache_set(cache, key, peaks.to_bytes(), WAVEFORM_TTL)
    return peaks


def _compute(p: Path, bps: int) -> Peaks:
    with open_input(p) as container:
        if not container.streams.audio:
            raise NoAudioStreamError(f"{p}: has no audio stream, so no waveform", p)
        stream = container.streams.audio[0]
        origin = time_origin(container)
        lead: int | None = None  # samples to drop (> 0) or silence to add (< 0) so bucket 0 is the origin
        rate = stream.codec_context.sample_rate or 48000
        resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
        per_bucket = max(1, rate // bps)
        carry = np.zeros(0, np.int16)
        mins: list[np.ndarray] = []
        maxs: list[np.ndarray] = []

        def consume(samples: np.ndarray) -> None:
            nonlocal carry, lead
            if lead:
                if lead > 0:
                    cut = min(lead, samples.size)
                    samples, lead = samples[cut:], lead - cut
                else:
                    samples, lead = np.concatenate([np.zeros(-lead, np.int16), samples]), 0
            buf = np.concatenate([carry, samples]) if carry.size else samples
            n = buf.size // per_bucket * per_bucket
            if n:
                blocks = buf[:n].reshape(-1, per_bucket)
                mins.append(blocks.min(axis=1))
                maxs.append(blocks.max(axis=1))
            carry = buf[n:].copy()

        try:
            for packet in container.demux(stream):
                try:
                    frames = stream.decode(packet) if packet.size else stream.decode(None)
                except av.error.FFmpegError:
                    continue  # a corrupt packet: skip it
                for frame in frames:
                    if lead is None and frame.pts is not None:
                        tb = frame.time_base or Fraction(1, frame.sample_rate)
                        lead = origin.sample_offset(frame.pts, tb, frame.sample_rate, Fraction(0))
                    for out in resampler.resample(frame):
                        consume(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                consume(out.to_ndarray().reshape(-1))
        except MediaError:
            raise
        except av.error.FFmpegError as exc:
            if not mins:
                raise describe_av_error(p, exc) from exc
        if carry.size:
            mins.append(carry.min(keepdims=True))
            maxs.append(carry.max(keepdims=True))
    lo = np.concatenate(mins) if mins else np.zeros(0, np.int16)
    hi = np.concatenate(maxs) if maxs else np.zeros(0, np.int16)
    data = np.stack([lo, hi], axis=1).astype("<i2").tobytes()
    return Peaks(bps, int(lo.size), data)
