"""Audio peaks for drawing a waveform: min/max per bucket (mono mix, int16), cached by fingerprint.

- :func:`waveform_peaks` computes every bucket exactly. Long files are cut into segments decoded on
  parallel threads (PyAV releases the GIL while decoding), and the samples are reduced straight from
  the decoder's float planes (no resampler), so it is at least as fast as FFmpeg's CLI decoding to mono.
- :func:`coarse_peaks` is the picture for the first second: it decodes only every n-th audio packet
  (about 4,000 of them; in long files two packets after each of 2,000 seeks) and spreads each one's
  min/max over the packets it stands for. The window shows it at once and replaces it with the exact
  peaks when they arrive.

Worker thread; never touches Qt.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

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


#: Files longer than this (seconds) are decoded in parallel segments.
SEGMENT_MIN_SECONDS = 120.0
#: Packets the coarse pass decodes (spread over the whole file).
COARSE_PACKETS = 4000
#: Places the coarse pass seeks to in long files (one seek and two packets each: ~0.1 ms a place).
SEEK_PROBES = 2000
_BATCH = 1 << 16  # samples reduced at once


def waveform_peaks(path: str | os.PathLike[str], *, buckets_per_second: int = 100,
                   cache: BytesCache | None = None, threads: int = 2,
                   pause: Callable[[], None] | None = None) -> Peaks:
    """Min/max of the mono mix per bucket over the whole file; cached as ``wave:{fp}:{bps}``.

    Corrupt audio packets are skipped. Raises NoAudioStreamError when there is no audio. ``threads``
    segments are decoded at once for long files; ``pause()`` is called between packets (a background
    job waits there while playback is active). Worker thread; never touches Qt.
    """
    p = Path(path)
    key = f"wave:{fingerprint(p)}:{buckets_per_second}"
    blob = cache_get(cache, key)
    if blob is not None:
        try:
            return Peaks.from_bytes(blob)
        except (ValueError, struct.error):
            pass
    peaks = _compute(p, buckets_per_second, threads, pause)
    cache_set(cache, key, peaks.to_bytes(), WAVEFORM_TTL)
    return peaks


def cached_peaks(path: str | os.PathLike[str], *, buckets_per_second: int = 100,
                 cache: BytesCache | None = None) -> Peaks | None:
    """The exact peaks if the cache has them (never decodes). Worker thread."""
    blob = cache_get(cache, f"wave:{fingerprint(Path(path))}:{buckets_per_second}")
    if blob is None:
        return None
    try:
        return Peaks.from_bytes(blob)
    except (ValueError, struct.error):
        return None


def coarse_peaks(path: str | os.PathLike[str], *, buckets_per_second: int = 100,
                 packets: int = COARSE_PACKETS, seek: bool | None = None) -> Peaks:
    """Approximate peaks fast: one audio packet in n decoded (after the packet before it, so that the
    decoder's overlap is right), its min/max standing for the n packets from it on (n chosen so that
    about ``packets`` are used). Same bucket size and count as :func:`waveform_peaks` (give or take the
    last one). Long files (whose demuxing would read every packet, pictures too) are probed by seeking
    to :data:`SEEK_PROBES` places instead (``seek`` forces either way). Raises NoAudioStreamError when there
    is no audio. Worker thread."""
    p = Path(path)
    with open_input(p) as container:
        stream = _audio_stream(container, p)
        rate = stream.codec_context.sample_rate or 48000
        per_bucket = max(1, rate // buckets_per_second)
        tb = stream.time_base or Fraction(1, rate)
        duration = _duration(container, stream)
        frame_size = stream.codec_context.frame_size or 1024
        total = max(1, int(duration * rate / frame_size)) if duration else 0
        every = max(1, total // max(1, packets)) if total else 1
        starts: list[int] = []
        probes: list[np.ndarray] = []
        first_pts: int | None = None
        end_sample = 0
        if seek is None:
            seek = total > 4 * SEEK_PROBES  # long files: seeking beats reading every packet (and picture)
        if seek and duration:
            first_pts = _first_sample_pts(container, stream)
            if first_pts is not None:
                end_sample = int(duration * rate)
                _probe_by_seeking(container, stream, first_pts, duration, rate, starts, probes)
        try:
            for n, packet in enumerate([] if starts else container.demux(stream)):
                primer = every > 1 and (n + 1) % every == 0  # decoded to prime the next probe, not used
                if primer and packet.size:
                    try:
                        stream.decode(packet)
                    except av.error.FFmpegError:
                        pass
                    continue
                if packet.size == 0 or (n % every and first_pts is not None):
                    if packet.pts is not None and packet.duration:
                        end_sample = max(end_sample, int((packet.pts + packet.duration - (first_pts or 0))
                                                         * tb * rate))
                    continue
                try:
                    frames = stream.decode(packet)
                except av.error.FFmpegError:
                    continue
                for frame in frames:
                    mono = _mono(frame)
                    if mono.size == 0:
                        continue
                    if first_pts is None and frame.pts is not None:
                        first_pts = frame.pts
                    pts = frame.pts if frame.pts is not None else packet.pts
                    s0 = int((pts - (first_pts or 0)) * tb * rate) if pts is not None else end_sample
                    if s0 < 0:
                        mono, s0 = mono[-s0:], 0
                    if mono.size:
                        starts.append(s0)
                        probes.append(mono)
                    end_sample = max(end_sample, s0 + mono.size)
        except av.error.FFmpegError as exc:
            if not starts:
                raise describe_av_error(p, exc) from exc
    count = -(-end_sample // per_bucket) if end_sample else 0
    if not starts or count == 0:
        return Peaks(buckets_per_second, 0, b"")
    lo = np.full(count, np.inf, np.float32)
    hi = np.full(count, -np.inf, np.float32)
    for s0, mono in zip(starts, probes, strict=True):
        # the probe's own samples, bucket by bucket
        first = (-s0) % per_bucket
        cuts = np.arange(first, mono.size, per_bucket)
        cuts = np.concatenate([[0], cuts]) if first else cuts
        cuts = cuts[cuts < mono.size]
        buckets = (s0 + cuts) // per_bucket
        keep = buckets < count
        if not keep.any():
            continue
        mins = np.minimum.reduceat(mono, cuts)[keep]
        maxs = np.maximum.reduceat(mono, cuts)[keep]
        b = buckets[keep]
        lo[b] = np.minimum(lo[b], mins)
        hi[b] = np.maximum(hi[b], maxs)
    # buckets no probe touched take the values of the last probed bucket before them
    touched = np.isfinite(lo)
    last = np.maximum.accumulate(np.where(touched, np.arange(count), -1))
    first_touched = int(np.argmax(touched))
    last = np.where(last < 0, first_touched, last)
    return Peaks(buckets_per_second, count, _pack(lo[last], hi[last]))


def _probe_by_seeking(container: Any, stream: Any, first_pts: int, duration: float, rate: int,
                      starts: list[int], probes: list[np.ndarray]) -> None:
    """Decode two packets after each of :data:`SEEK_PROBES` evenly spaced seeks; keep the second's samples."""
    tb = stream.time_base or Fraction(1, rate)
    for k in range(SEEK_PROBES):
        at = first_pts + int(Fraction(duration * k / SEEK_PROBES).limit_denominator(1000) / tb)
        try:
            container.seek(at, stream=stream, backward=True)
            stream.codec_context.flush_buffers()
            used = 0
            for packet in container.demux(stream):
                if packet.size == 0:
                    break
                frames = stream.decode(packet)
                used += 1
                if used == 1 and k:  # the first packet primes the decoder's overlap
                    continue
                for frame in frames:
                    if frame.pts is None:
                        continue
                    mono = _mono(frame)
                    s0 = int((frame.pts - first_pts) * tb * rate)
                    if s0 < 0:
                        mono, s0 = mono[-s0:], 0
                    if mono.size:
                        starts.append(s0)
                        probes.append(mono)
                if frames:
                    break
        except av.error.FFmpegError:
            continue


def _first_sample_pts(container: Any, stream: Any) -> int | None:
    """The pts of the first decoded sample (decoders drop priming samples: not the first packet's)."""
    try:
        for n, packet in enumerate(container.demux(stream)):
            for frame in stream.decode(packet) if packet.size else stream.decode(None):
                if frame.pts is not None:
                    return int(frame.pts)
            if n > 64:
                break
    except av.error.FFmpegError:
        pass
    return None


def _audio_stream(container: Any, p: Path) -> Any:
    if not container.streams.audio:
        raise NoAudioStreamError(f"{p}: has no audio stream, so no waveform", p)
    return container.streams.audio[0]


def _duration(container: Any, stream: Any) -> float:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return float(container.duration / av.time_base) if container.duration else 0.0


def _mono(frame: av.AudioFrame) -> np.ndarray:
    """The frame's samples as float32 mono in -1..1 (the mean of its channels)."""
    return _to_mono(_planes(frame))


def _planes(frame: av.AudioFrame) -> np.ndarray:
    """The frame's samples as a (channels, n) array in the decoder's sample type (no copy for planar)."""
    arr = frame.to_ndarray()
    if not frame.format.is_planar:
        channels = len(frame.layout.channels) or 1
        arr = arr.reshape(-1, channels).T
    return arr


def _to_mono(arr: np.ndarray) -> np.ndarray:
    """(channels, n) samples of any type → float32 mono in -1..1."""
    if arr.dtype == np.int16:
        arr = arr.astype(np.float32) * (1 / 32768)
    elif arr.dtype == np.int32:
        arr = arr.astype(np.float32) * (1 / 2147483648)
    elif arr.dtype == np.uint8:
        arr = (arr.astype(np.float32) - 128) * (1 / 128)
    return arr[0] if arr.shape[0] == 1 else arr.mean(axis=0, dtype=np.float32)


def _pack(lo: np.ndarray, hi: np.ndarray) -> bytes:
    lo16 = np.clip(np.round(lo * 32767), -32768, 32767).astype("<i2")
    hi16 = np.clip(np.round(hi * 32767), -32768, 32767).astype("<i2")
    return np.stack([lo16, hi16], axis=1).tobytes()


def _compute(p: Path, bps: int, threads: int, pause: Callable[[], None] | None) -> Peaks:
    with open_input(p) as container:
        stream = _audio_stream(container, p)
        rate = stream.codec_context.sample_rate or 48000
        duration = _duration(container, stream)
        tb = stream.time_base or Fraction(1, rate)
        first_pts = _first_sample_pts(container, stream)
        if container.streams.video and first_pts is not None:
            # Bucket 0 starts at the file's time origin (its video frame 0), so the peaks line up with the
            # pictures: sound before it is cut, a late start of the sound is measured from it.
            first_pts = time_origin(container).pts_at(Fraction(0), tb)
    per_bucket = max(1, rate // bps)
    parts = max(1, int(threads)) if duration >= SEGMENT_MIN_SECONDS and first_pts is not None else 1
    if parts == 1:
        lo, hi = _segment(p, rate, per_bucket, tb, first_pts, 0, None, pause)
    else:
        seconds_per_bucket = per_bucket / rate
        total_buckets = int(duration / seconds_per_bucket) + 1
        edges: list[int | None] = [total_buckets * k // parts for k in range(parts)] + [None]
        with ThreadPoolExecutor(max_workers=parts, thread_name_prefix="cutline-peaks") as pool:
            results = list(pool.map(lambda k: _segment(p, rate, per_bucket, tb, first_pts, edges[k] or 0, edges[k + 1],
                                                       pause), range(parts)))
        lo = np.concatenate([r[0] for r in results])
        hi = np.concatenate([r[1] for r in results])
    return Peaks(bps, int(lo.size), _pack(lo, hi))


def _segment(p: Path, rate: int, per_bucket: int, tb: Fraction, first_pts: int | None, first_bucket: int,
             end_bucket: int | None, pause: Callable[[], None] | None) -> tuple[np.ndarray, np.ndarray]:
    """Peaks of buckets ``first_bucket``..``end_bucket`` (None: to the end). Worker thread."""
    base = first_bucket * per_bucket  # first sample of the segment
    stop = None if end_bucket is None else end_bucket * per_bucket
    mins: list[np.ndarray] = []
    maxs: list[np.ndarray] = []
    pending: list[np.ndarray] = []
    pending_n = 0
    carry = np.zeros(0, np.float32)
    position: int | None = None  # sample index (from the origin) of the next sample, once known
    done = False

    def reduce(final: bool) -> None:
        nonlocal carry, pending, pending_n
        if pending:
            fresh = _to_mono(np.concatenate(pending, axis=1) if len(pending) > 1 else pending[0])
            buf = np.concatenate([carry, fresh]) if carry.size else fresh
        else:
            buf = carry
        pending, pending_n = [], 0
        n = buf.size if final else buf.size // per_bucket * per_bucket
        whole = n // per_bucket * per_bucket
        if whole:
            blocks = buf[:whole].reshape(-1, per_bucket)
            mins.append(blocks.min(axis=1))
            maxs.append(blocks.max(axis=1))
        if final and buf.size > whole:
            mins.append(buf[whole:].min(keepdims=True))
            maxs.append(buf[whole:].max(keepdims=True))
            carry = np.zeros(0, np.float32)
        else:
            carry = buf[whole:].copy()

    with open_input(p) as container:
        stream = container.streams.audio[0]
        if first_bucket and first_pts is not None:
            target = first_pts + int(Fraction(base, rate) / tb)
            container.seek(max(0, target), stream=stream, backward=True)
        try:
            for packet in container.demux(stream):
                if pause is not None:
                    pause()
                try:
                    frames = stream.decode(packet) if packet.size else stream.decode(None)
                except av.error.FFmpegError:
                    continue  # a corrupt packet: skip it
                for frame in frames:
                    mono = _planes(frame)
                    if position is None:
                        start = int((frame.pts - (first_pts or 0)) * tb * rate) if frame.pts is not None else base
                        cut = base - start
                        if cut >= mono.shape[1]:
                            continue
                        if cut < 0:  # the sound starts after the segment's (or the origin's) time: silence first
                            mono = np.concatenate([np.zeros((mono.shape[0], -cut), mono.dtype), mono], axis=1)
                        else:
                            mono = mono[:, cut:]
                        position = base
                    if stop is not None and position + mono.shape[1] >= stop:
                        mono = mono[:, : max(0, stop - position)]
                        done = True
                    position += mono.shape[1]
                    pending.append(mono)
                    pending_n += mono.shape[1]
                    if pending_n >= _BATCH:
                        reduce(False)
                    if done:
                        break
                if done:
                    break
        except MediaError:
            raise
        except av.error.FFmpegError as exc:
            if not mins and not pending:
                raise describe_av_error(p, exc) from exc
    reduce(stop is None)
    lo = np.concatenate(mins) if mins else np.zeros(0, np.float32)
    hi = np.concatenate(maxs) if maxs else np.zeros(0, np.float32)
    if end_bucket is not None:
        want = end_bucket - first_bucket
        if lo.size < want:  # a short segment (damaged middle): pad with silence
            lo = np.concatenate([lo, np.zeros(want - lo.size, np.float32)])
            hi = np.concatenate([hi, np.zeros(want - hi.size, np.float32)])
        lo, hi = lo[:want], hi[:want]
    return lo, hi
