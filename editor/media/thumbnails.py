"""Filmstrip thumbnails as JPEG bytes, cached by file fingerprint.

Fast path (``exact=False``): each thumbnail is the keyframe at or before its time. The keyframe packet
is sent alone and the decoder flushed (``decode(None)``), so no later packets are read; each distinct
keyframe is decoded once. Exact path: one forward pass with a FrameReader.

Worker thread; never touches Qt.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from editor.media.cache import THUMBNAIL_TTL, BytesCache, cache_get, cache_set
from editor.media.errors import CorruptMediaError, MediaError, NoVideoStreamError, describe_av_error
from editor.media.frames import FrameReader, fit_size
from editor.media.origin import FrameIndex, SeekPoint, packets_from, scan_video, video_stream
from editor.media.probe import open_input, probe

JPEG_QUALITY = 4  # mjpeg qscale: 2 (best) … 31 (worst)


@dataclass(frozen=True)
class Thumbnail:
    """One filmstrip picture: the time it stands for (seconds) and its JPEG bytes."""

    time: Fraction
    jpeg: bytes
    width: int
    height: int


class JpegEncoder:
    """Encodes VideoFrames of one size to JPEG bytes with FFmpeg's mjpeg encoder. Worker thread."""

    def __init__(self, width: int, height: int, quality: int = JPEG_QUALITY) -> None:
        self.width, self.height = width, height
        self._ctx = av.CodecContext.create("mjpeg", "w")
        self._ctx.width, self._ctx.height = width, height
        self._ctx.pix_fmt = "yuvj420p"
        self._ctx.time_base = Fraction(1, 25)
        self._ctx.options = {"qmin": str(quality), "qmax": str(quality)}
        self._n = 0

    def encode(self, frame: av.VideoFrame) -> bytes:
        """JPEG bytes of ``frame`` scaled to this encoder's size. Worker thread."""
        if (frame.width, frame.height, frame.format.name) != (self.width, self.height, "yuvj420p"):
            frame = frame.reformat(width=self.width, height=self.height, format="yuvj420p",
                                   dst_color_range="JPEG")
        frame.color_range = 2  # full range, as JPEG wants
        frame.pts = self._n
        frame.time_base = self._ctx.time_base
        self._n += 1
        return b"".join(bytes(p) for p in self._ctx.encode(frame))


def _rotate(frame: av.VideoFrame, rotation: int) -> av.VideoFrame:
    turns = (rotation // 90) % 4
    if not turns:
        return frame
    import numpy as np

    rgb = frame.to_ndarray(format="rgb24")
    return av.VideoFrame.from_ndarray(np.ascontiguousarray(np.rot90(rgb, k=turns), dtype=np.uint8),
                                      format="rgb24")


def thumbnail_times(duration: Fraction, count: int) -> list[Fraction]:
    """The times a filmstrip of ``count`` pictures stands for: the middle of each equal slice. Any thread."""
    return [duration * (2 * i + 1) / (2 * count) for i in range(count)]


def _key(fp: str, t: Fraction, size: tuple[int, int], exact: bool) -> str:
    return f"thumb:{fp}:{float(t):.3f}{'' if exact else 'k'}:{size[0]}x{size[1]}"


def filmstrip(path: str | os.PathLike[str], count: int, size: tuple[int, int], *, exact: bool = False,
              cache: BytesCache | None = None) -> list[Thumbnail]:
    """``count`` thumbnails spread over the file, each fitting in ``size`` (aspect kept, rotation applied).

    Served from ``cache`` when every picture is there (the file is not even opened). Worker thread.
    """
    strip = _filmstrip(path, count, size, exact, cache, decode=True)
    assert strip is not None
    return strip


def cached_filmstrip(path: str | os.PathLike[str], count: int, size: tuple[int, int], *, exact: bool = False,
                     cache: BytesCache | None = None) -> list[Thumbnail] | None:
    """The :func:`filmstrip` the cache holds whole, else None (nothing is decoded). Worker thread."""
    return _filmstrip(path, count, size, exact, cache, decode=False)


def _filmstrip(path: str | os.PathLike[str], count: int, size: tuple[int, int], exact: bool,
               cache: BytesCache | None, *, decode: bool) -> list[Thumbnail] | None:
    if count <= 0:
        return []
    p = Path(path)
    info = probe(p, cache=cache)
    if info.video is None:
        raise NoVideoStreamError(f"{p}: has no video stream, so no thumbnails", p)
    if not info.video.width or not info.video.height:
        raise CorruptMediaError(f"{p}: the video cannot be decoded (no picture size in the stream)", p)
    out_size = fit_size(info.video.display_size, size)
    duration = info.duration or Fraction(0)
    times = thumbnail_times(duration, count)
    keys = [_key(info.fingerprint, t, size, exact) for t in times]
    found = [cache_get(cache, k) for k in keys]
    missing = [i for i, v in enumerate(found) if v is None]
    if missing and not decode:
        return None
    if missing:
        fresh = (_exact_thumbnails if exact else _keyframe_thumbnails)(
            p, [times[i] for i in missing], out_size, info.video.rotation)
        for i, data in zip(missing, fresh, strict=True):
            found[i] = data
            cache_set(cache, keys[i], data, THUMBNAIL_TTL)
    return [Thumbnail(t, data or b"", *out_size) for t, data in zip(times, found, strict=True)]


def _decode_key(container: av.container.InputContainer, index: FrameIndex, key: SeekPoint) -> av.VideoFrame | None:
    """The first frame of the file decoding from ``key`` gives: the keyframe alone (its packet, then a flush),
    or, for a pre-roll keyframe an edit list hides, the first frame after it that is a frame of the file."""
    stream = index.stream
    try:
        packets = packets_from(container, stream, key, index.order)
        first = next(packets, None)
        if first is None:
            return None
        frames = stream.decode(first) + stream.decode(None)
        frame = next((f for f in frames if index.frame_at_pts(f.pts) is not None), None)
        if frame is not None:
            return frame
        stream.codec_context.flush_buffers()
        for packet in packets_from(container, stream, key, index.order):
            for f in stream.decode(packet):
                if index.frame_at_pts(f.pts) is not None:
                    return f
        return next((f for f in stream.decode(None) if index.frame_at_pts(f.pts) is not None), None)
    except av.error.FFmpegError:
        return None  # a damaged keyframe
    finally:
        stream.codec_context.flush_buffers()


def _keyframe_thumbnails(path: Path, times: list[Fraction], size: tuple[int, int],
                         rotation: int) -> list[bytes]:
    encoder = JpegEncoder(*size)
    results: list[bytes] = []
    decoded: dict[int, bytes] = {}
    with open_input(path) as container:
        try:
            stream = video_stream(container)
            if stream is None:
                raise NoVideoStreamError(f"{path}: has no video stream, so no thumbnails", path)
            index = scan_video(container, stream)
            if len(index) == 0:
                raise CorruptMediaError(f"{path}: the video stream holds no frames", path)
            keys = index.keyframes
            for t in times:
                k = max(0, min(index.index_at(t), len(index) - 1))
                first = keys.index(index.keyframe_before(k))
                data = b""
                # the keyframe before the time; if it is damaged, the next ones
                for key in keys[first:first + 4]:
                    if key.pts in decoded:
                        data = decoded[key.pts]
                        break
                    frame = _decode_key(container, index, key)
                    if frame is not None:
                        data = encoder.encode(_rotate(frame, rotation))
                        decoded[key.pts] = data
                        break
                if not data:
                    raise CorruptMediaError(f"{path}: no picture could be decoded near {float(t):.3f} s", path)
                results.append(data)
        except MediaError:
            raise
        except av.error.FFmpegError as exc:
            raise describe_av_error(path, exc) from exc
    return results


def _exact_thumbnails(path: Path, times: list[Fraction], size: tuple[int, int],
                      rotation: int) -> list[bytes]:
    encoder = JpegEncoder(*size)
    results = []
    with FrameReader(path, fit=size, pixel_format="rgb24", cache_bytes=8 * 1024 * 1024) as reader:
        for t in times:
            index = reader.index_at(min(t, reader.duration - Fraction(1, 1000)))
            pic = reader.read(index, back_window=0)
            frame = av.VideoFrame.from_ndarray(pic.to_ndarray(), format="rgb24")
            data = encoder.encode(frame)
            if not data:
                raise CorruptMediaError(f"{path}: frame {index} could not be encoded as JPEG", path)
            results.append(data)
    return results
