"""Frame-exact reading: the decoded picture at a frame index or a time, with a cache around the playhead.

``FrameReader`` seeks to the keyframe before the wanted frame and decodes forward; the frames decoded
near the target are kept (already scaled and converted) in a bounded cache so that stepping one frame
back or forth and scrubbing do not go back to the keyframe each time. While decoding towards a distant
target, frames that nothing references (``skip_frame = NONREF``) are not decoded at all.

Pictures come out as RGB24, RGBA or BGRA with width, height, stride and a buffer that Qt can wrap in a
QImage without another copy. Worker thread; never touches Qt. One reader is used by one thread at a
time (calls are serialized by a lock).
"""

from __future__ import annotations

import bisect
import os
import threading
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import av
import numpy as np

from editor.media.errors import (
    CorruptMediaError,
    MediaError,
    NoVideoStreamError,
    PositionOutOfRangeError,
    describe_av_error,
)
from editor.media.frame_cache import FrameCache
from editor.media.origin import FrameIndex, SeekPoint, packets_from, scan_video, video_stream
from editor.media.probe import open_input

PIXEL_FORMATS = ("rgb24", "rgba", "bgra")
_BYTES_PER_PIXEL = {"rgb24": 3, "rgba": 4, "bgra": 4}
#: Frames before the target that are fully decoded and cached (so stepping back is instant).
BACK_WINDOW = 12
_MAX_BAD_PACKETS = 64

Position = int | Fraction


@dataclass(frozen=True, eq=False)
class Picture:
    """A decoded, converted picture: ``height`` rows of ``stride`` bytes in ``data`` (``format`` pixels).

    ``data`` is a read-only buffer kept alive by this object; wrap it as
    ``QImage(data, width, height, stride, QImage.Format_RGB888)`` (rgb24) or ``Format_RGBA8888``/
    ``Format_ARGB32`` (rgba / bgra on little-endian) without copying. Any thread.
    """

    width: int
    height: int
    stride: int
    format: str
    data: memoryview = field(repr=False)
    index: int  # frame index in presentation order (0-based)
    time: Fraction  # presentation time, seconds from the first frame
    duration: Fraction
    _owner: Any = field(default=None, repr=False)

    @property
    def nbytes(self) -> int:
        """Any thread."""
        return self.stride * self.height

    def to_ndarray(self) -> np.ndarray:
        """A (height, width, channels) uint8 view of the pixels (no copy). Any thread."""
        bpp = _BYTES_PER_PIXEL[self.format]
        arr = np.frombuffer(self.data, np.uint8, count=self.stride * self.height)
        arr = arr.reshape(self.height, self.stride)[:, : self.width * bpp]
        return arr.reshape(self.height, self.width, bpp)


def fit_size(source: tuple[int, int], box: tuple[int, int] | None) -> tuple[int, int]:
    """The largest even size with the aspect ratio of ``source`` that fits in ``box``. Any thread."""
    sw, sh = source
    if box is None:
        return sw, sh
    bw, bh = box
    scale = min(bw / sw, bh / sh)
    w = max(2, int(sw * scale) // 2 * 2)
    h = max(2, int(sh * scale) // 2 * 2)
    return min(w, bw), min(h, bh)


def convert_frame(frame: av.VideoFrame, size: tuple[int, int], pixel_format: str, rotation: int,
                  index: int, time: Fraction, duration: Fraction, threads: int = 2,
                  interpolation: str | None = None) -> Picture:
    """Scale + convert ``frame`` in one reformat call and apply display ``rotation``. Worker thread.

    ``size`` is the output (display-oriented) size; ``interpolation`` overrides the scaler (default AREA).
    """
    turns = (rotation // 90) % 4
    w, h = size
    coded = (h, w) if turns % 2 else (w, h)
    # AREA: good quality for downscaling and cheaper than the default bilinear at these ratios.
    scaling = coded[0] < frame.width or coded[1] < frame.height
    out = frame.reformat(width=coded[0], height=coded[1], format=pixel_format, threads=threads,
                         interpolation=(interpolation or "AREA") if scaling else None)
    plane = out.planes[0]
    if turns:
        bpp = _BYTES_PER_PIXEL[pixel_format]
        buf: Any = plane
        arr = np.frombuffer(buf, np.uint8).reshape(coded[1], plane.line_size)[:, : coded[0] * bpp]
        rotated: Any = np.ascontiguousarray(np.rot90(arr.reshape(coded[1], coded[0], bpp), k=turns))
        return Picture(w, h, w * bpp, pixel_format, memoryview(rotated).cast("B"), index, time, duration,
                       rotated)
    return Picture(w, h, plane.line_size, pixel_format, memoryview(plane).cast("B"), index, time, duration,
                   out)


class FrameReader:
    """Exact decoded frames of one file's video, by frame index or by time in seconds.

    ``fit`` bounds the output size (aspect kept, rotation applied); ``pixel_format`` is one of rgb24,
    rgba, bgra; ``cache_bytes`` bounds the memory of the decoded-frame cache, or ``cache`` (a view on a
    shared :class:`~editor.media.frame_cache.FrameBudget`) replaces it. ``thread_count`` sets the decoder's
    threads (0: FFmpeg's choice); ``codec_options`` are FFmpeg decoder options (e.g. ``skip_loop_filter``).
    Worker thread; never touches Qt. Raises NoVideoStreamError for audio-only files.
    """

    def __init__(self, path: str | os.PathLike[str], *, fit: tuple[int, int] | None = None,
                 pixel_format: str = "rgb24", cache_bytes: int = 192 * 1024 * 1024,
                 threads: bool = True, cache: FrameCache | None = None, thread_count: int = 0,
                 codec_options: dict[str, str] | None = None) -> None:
        if pixel_format not in PIXEL_FORMATS:
            raise ValueError(f"pixel_format must be one of {PIXEL_FORMATS}")
        self.path = Path(path)
        self.pixel_format = pixel_format
        self._lock = threading.RLock()
        self._cache = cache if cache is not None else FrameCache(cache_bytes)
        self._container = open_input(self.path)
        try:
            stream = video_stream(self._container)
            if stream is None:
                raise NoVideoStreamError(f"{self.path}: has no video stream (audio only?)", self.path)
            self._stream = stream
            if threads:
                self._stream.thread_type = "AUTO"
                if thread_count:
                    self._stream.codec_context.thread_count = thread_count
            if codec_options:
                self._stream.codec_context.options = dict(codec_options)
            self._table: FrameIndex = scan_video(self._container, stream)
            if len(self._table) == 0:
                raise CorruptMediaError(f"{self.path}: the video stream holds no frames", self.path)
            self.rotation = self._probe_rotation()
        except BaseException:
            self._container.close()
            raise
        cc = self._stream.codec_context
        if not cc.width or not cc.height:
            self._container.close()
            raise CorruptMediaError(f"{self.path}: the video cannot be decoded (no picture size in the stream)",
                                    self.path)
        self.coded_size = (cc.width, cc.height)
        self.display_size = (cc.height, cc.width) if self.rotation % 180 == 90 else (cc.width, cc.height)
        self.output_size = fit_size(self.display_size, fit)
        self._next_index: int | None = None  # index the decoder will output next (None: must seek)
        self._pending: list[av.VideoFrame] = []
        self._demux: Any = None
        self.decoded_frames = 0  # statistics, for tests and the bench
        #: what the decoder skips outside seeks: "DEFAULT" (nothing) or "NONREF" (frames nothing refers to;
        #: a player that cannot keep up sets it, and read() then returns the next frame decoded)
        self.skip_frame_default: Literal["DEFAULT", "NONREF"] = "DEFAULT"
        #: the scaler for pictures from now on (None: AREA, the best for stills; a player behind sets a faster one)
        self.interpolation: str | None = None

    # -- facts -------------------------------------------------------------------------------------
    @property
    def frame_count(self) -> int:
        """Number of video frames. Any thread."""
        return len(self._table)

    @property
    def duration(self) -> Fraction:
        """Length of the video in seconds. Any thread."""
        return self._table.duration

    @property
    def index(self) -> FrameIndex:
        """The frame table (timestamps, keyframes, origin) this reader works from. Any thread."""
        return self._table

    @property
    def frame_rate(self) -> Fraction:
        """Average frame rate. Any thread."""
        rate = self._stream.average_rate or self._stream.guessed_rate
        return Fraction(rate) if rate else Fraction(len(self._table)) / max(self.duration, Fraction(1, 1000))

    def time_of(self, index: int) -> Fraction:
        """Presentation time (seconds from the first frame) of frame ``index``. Any thread."""
        return self._table.time_of(index)

    def index_at(self, seconds: Fraction) -> int:
        """Index of the frame shown at ``seconds``; raises PositionOutOfRangeError outside. Any thread."""
        seconds = Fraction(seconds)
        if seconds < 0 or seconds >= self.duration:
            raise PositionOutOfRangeError(
                f"{self.path}: time {float(seconds):.3f} s is outside the video "
                f"(0–{float(self.duration):.3f} s)",
                self.path)
        return max(0, self._table.index_at(seconds))

    def keyframe_indices(self) -> list[int]:
        """Indices of the keyframes (random-access points). Any thread."""
        return self._table.keyframe_indices()

    def resolve(self, position: Position) -> int:
        """Frame index for a frame index (int) or a time in seconds (Fraction/float). Any thread."""
        if isinstance(position, bool):
            raise TypeError("position must be a frame index or seconds")
        if isinstance(position, int):
            if not 0 <= position < len(self._table):
                raise PositionOutOfRangeError(
                    f"{self.path}: frame {position} is outside the video (0–{len(self._table) - 1})",
                    self.path)
            return position
        return self.index_at(Fraction(position))

    # -- reading -----------------------------------------------------------------------------------
    def read(self, position: Position, *, size: tuple[int, int] | None = None,
             back_window: int = BACK_WINDOW) -> Picture:
        """The picture shown at ``position`` (frame index, or seconds as Fraction), exactly.

        ``size`` overrides the output size for this call (display orientation). Worker thread.
        """
        with self._lock:
            index = self.resolve(position)
            out = size or self.output_size
            key = (index, out[0], out[1], self.pixel_format)
            hit = self._cache.get(key)
            if hit is not None:
                return hit
            return self._decode_to(index, out, back_window)

    def cached(self, position: Position, size: tuple[int, int] | None = None) -> Picture | None:
        """The picture at ``position`` if it is in the cache, else None (never decodes). Any thread."""
        with self._lock:
            index = self.resolve(position)
            out = size or self.output_size
            return self._cache.peek((index, out[0], out[1], self.pixel_format))

    def iter_from(self, position: Position, *, size: tuple[int, int] | None = None,
                  every: int = 1):
        """Yield the pictures from ``position`` onwards in order (for playback/export).

        With ``every`` > 1 only every n-th frame is converted (the others are decoded only).
        Worker thread.
        """
        index = self.resolve(position)
        out = size or self.output_size
        first = self.read(index, size=out)
        yield first
        n = index + 1
        while n < len(self._table):
            with self._lock:
                if (n - index) % every == 0:
                    pic = self._cache.get((n, out[0], out[1], self.pixel_format))
                    if pic is None:
                        pic = self._decode_to(n, out, 0, remember=False)
                    yield pic
                else:
                    self._skip_to(n)
            n += 1

    def read_keyframe_before(self, position: Position, *, size: tuple[int, int] | None = None) -> Picture:
        """The keyframe at or before ``position``, fast (one packet decoded): a scrubbing preview to
        show at once while the exact frame is read. ``Picture.index`` says which frame it is.
        Worker thread.
        """
        with self._lock:
            index = self.resolve(position)
            out = size or self.output_size
            key = self._table.keyframe_before(index)
            key_index = self._table.frame_at_pts(key.pts)
            if key_index is None:  # a pre-roll keyframe an edit list hides: no preview, the exact frame
                return self._decode_to(index, out, 0)
            hit = self._cache.get((key_index, out[0], out[1], self.pixel_format))
            if hit is not None:
                return hit
            self._next_index, self._demux, self._pending = None, None, []
            try:
                for packet in packets_from(self._container, self._stream, key, self._table.order):
                    frames = self._stream.decode(packet) + self._stream.decode(None)
                    i = self._frame_index(frames[0]) if frames else None
                    if i is not None:
                        pic = self._convert(frames[0], i, out)
                        self._remember((i, out[0], out[1], self.pixel_format), pic)
                        return pic
                    break
            except av.error.FFmpegError:
                pass
            finally:
                self._stream.codec_context.flush_buffers()
            return self._decode_to(index, out, 0)

    def clear_cache(self) -> None:
        """Forget the decoded pictures (e.g. when memory is short). Any thread."""
        self._cache.clear()

    def advance_to(self, position: Position) -> None:
        """Decode up to (not including) ``position`` without converting, if it is ahead in this GOP or
        beyond; used by playback to drop late frames cheaply. Worker thread."""
        with self._lock:
            self._skip_to(self.resolve(position))

    def close(self) -> None:
        """Release the file and the cache. Any thread."""
        with self._lock:
            self._cache.clear()
            self._container.close()

    def __enter__(self) -> FrameReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ---------------------------------------------------------------------------------
    def _probe_rotation(self) -> int:
        # The display matrix travels on decoded frames (FFmpeg attaches stream side data to them).
        rotation = 0
        try:
            key = self._table.keyframes[0]
            for packet in packets_from(self._container, self._stream, key, self._table.order):
                frames = self._stream.decode(packet)
                if frames:
                    rotation = int(round(frames[0].rotation)) % 360
                    break
            else:
                frames = self._stream.decode(None)
                if frames:
                    rotation = int(round(frames[0].rotation)) % 360
        except av.error.FFmpegError:
            pass
        finally:
            self._stream.codec_context.flush_buffers()
        self._next_index = None
        return rotation

    def _remember(self, key: tuple[int, int, int, str], pic: Picture) -> None:
        if key not in self._cache:
            self._cache.put(key, pic, pic.nbytes)

    def _start_at(self, key: SeekPoint) -> None:
        """Position the decoder at keyframe ``key``: the next frame out is the first of its GOP."""
        self._stream.codec_context.flush_buffers()
        self._demux = packets_from(self._container, self._stream, key, self._table.order)
        self._pending = []
        self._next_index = self._first_index_from(key)

    def _first_index_from(self, key: SeekPoint) -> int:
        return bisect.bisect_left(self._table.pts, key.pts)

    def _seek_for(self, index: int) -> None:
        self._start_at(self._table.keyframe_before(index))

    def _next_frame(self, skip_before_pts: int | None) -> av.VideoFrame | None:
        """Decode the next frame in presentation order; None at the end of the stream."""
        bad = 0
        while not self._pending:
            if self._demux is None:
                return None
            try:
                packet = next(self._demux)
            except StopIteration:
                self._demux = None
                return None
            except (av.error.FFmpegError, OSError) as exc:
                # A demux or seek error mid-file (truncated): drain what the decoder holds, then stop.
                self._demux = None
                try:
                    self._pending.extend(self._stream.decode(None))
                except av.error.FFmpegError:
                    pass
                if not self._pending:
                    raise describe_av_error(self.path, exc) from exc
                break
            cc = self._stream.codec_context
            if packet.size == 0:  # end of stream: flush
                try:
                    self._pending.extend(self._stream.decode(None))
                except av.error.FFmpegError:
                    pass
                self._demux = None
                continue
            skip = skip_before_pts is not None and packet.pts is not None and packet.pts < skip_before_pts
            cc.skip_frame = "NONREF" if skip else self.skip_frame_default
            try:
                self._pending.extend(self._stream.decode(packet))
                bad = 0
            except av.error.FFmpegError:
                bad += 1  # a corrupt packet: skip it, the decoder recovers at the next keyframe
                if bad > _MAX_BAD_PACKETS:
                    raise CorruptMediaError(f"{self.path}: too many unreadable video packets",
                                            self.path) from None
        frame = self._pending.pop(0)
        self.decoded_frames += 1
        return frame

    def _frame_index(self, frame: av.VideoFrame) -> int | None:
        """The frame of the file this decoded frame is; None for one that is not (pre-roll, leading)."""
        return self._table.frame_at_pts(frame.pts)

    def _position_decoder(self, index: int) -> None:
        """Seek unless continuing forward from the decoder's position is no more work."""
        nxt = self._next_index
        alive = self._demux is not None or bool(self._pending)
        if nxt is not None and alive and nxt <= index:
            if self._first_index_from(self._table.keyframe_before(index)) <= nxt:
                return  # the target is in the GOP being decoded (or reachable without a new keyframe)
        self._seek_for(index)

    def _skip_to(self, index: int) -> None:
        self._position_decoder(index)
        while self._next_index is not None and self._next_index < index:
            frame = self._next_frame(self._table.pts[index])
            if frame is None:
                self._next_index = None
                return
            i = self._frame_index(frame)
            if i is not None:
                self._next_index = i + 1

    def _decode_to(self, index: int, out: tuple[int, int], back_window: int,
                   remember: bool = True) -> Picture:
        self._position_decoder(index)
        window_start = max(0, index - back_window)
        skip_pts = self._table.pts[window_start] if window_start > (self._next_index or 0) else None
        attempts = 0
        while True:
            try:
                frame = self._next_frame(skip_pts)
            except MediaError:
                self._next_index = None
                raise
            if frame is None:
                self._next_index = None
                attempts += 1
                if attempts > 1:
                    raise CorruptMediaError(
                        f"{self.path}: frame {index} could not be decoded (damaged file?)", self.path)
                # Open-GOP leading frames or a damaged GOP: start again from the keyframe before.
                self._seek_earlier(index)
                continue
            i = self._frame_index(frame)
            if i is None:
                continue
            self._next_index = i + 1
            if i < window_start:
                continue
            if i > index and attempts == 0:
                # The target was skipped (a damaged GOP?): try once from the keyframe before.
                attempts += 1
                self._seek_earlier(index)
                continue
            if i > index:
                # The target never came out (undecodable): return the closest frame after it.
                pic = self._convert(frame, i, out)
                if remember:
                    self._remember((i, out[0], out[1], self.pixel_format), pic)
                return pic
            pic = self._convert(frame, i, out)
            if remember or i == index:
                self._remember((i, out[0], out[1], self.pixel_format), pic)
            if i == index:
                return pic

    def _seek_earlier(self, index: int) -> None:
        key = self._table.keyframe_before(index)
        keys = self._table.keyframes
        k = keys.index(key)
        self._start_at(keys[max(0, k - 1)])

    def _convert(self, frame: av.VideoFrame, index: int, out: tuple[int, int]) -> Picture:
        return convert_frame(frame, out, self.pixel_format, self.rotation, index,
                             self._table.time_of(index), self._table.duration_of(index),
                             interpolation=self.interpolation)
