"""One frame as a picture file: the frame of a timeline at its full size, composed as the export composes it
(``editor.model.layers.layers_at`` drawn by ``editor.media.compose.compose_frame``), or one frame of a file;
written as PNG without a partial file left behind. Worker thread; never touches Qt.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from editor.media.compose import compose_frame
from editor.media.errors import MediaError
from editor.media.frames import FrameReader
from editor.model.layers import canvas_size, layers_at
from editor.model.timeline import Clip, Timeline

__all__ = ["ReaderSource", "timeline_still", "write_png"]


class ReaderSource:
    """``editor.media.compose.PictureSource`` over FrameReaders: ``reader(path)`` gives the reader of a file
    (the preview engine's, or a still's own). With ``offline``, a file that cannot be read is reported there
    and drawn black; without it, its MediaError is raised. The reading thread of whoever owns the readers."""

    def __init__(self, reader: Callable[[str], FrameReader],
                 offline: Callable[[str, MediaError], None] | None = None) -> None:
        self._reader, self._offline = reader, offline

    def display_size(self, clip: Clip) -> tuple[int, int]:
        try:
            return self._reader(clip.media.path).display_size
        except MediaError as exc:
            if self._offline is None:
                raise
            self._offline(clip.media.path, exc)
            return (clip.media.width or 16, clip.media.height or 9)

    def picture(self, clip: Clip, seconds: Fraction, size: tuple[int, int]) -> np.ndarray:
        try:
            reader = self._reader(clip.media.path)
            at = min(seconds, max(Fraction(0), reader.duration - Fraction(1, 1000)))
            return reader.read(reader.resolve(at), size=size, back_window=0).to_ndarray()
        except MediaError as exc:
            if self._offline is None:
                raise
            self._offline(clip.media.path, exc)
            return np.zeros((size[1], size[0], 4), np.uint8)


def timeline_still(timeline: Timeline, frame: int, *, subtitles: bool = False) -> np.ndarray:
    """Timeline frame ``frame`` as a (h, w, 4) BGRA array at the timeline's picture size: what an export
    shows there (black where nothing is). MediaError (one line) when a file cannot be read. Worker thread."""
    readers: dict[str, FrameReader] = {}

    def reader(path: str) -> FrameReader:
        if path not in readers:
            readers[path] = FrameReader(path, pixel_format="bgra", cache_bytes=0)
        return readers[path]

    try:
        return compose_frame(layers_at(timeline, frame, subtitles=subtitles), canvas_size(timeline),
                             ReaderSource(reader))
    finally:
        for r in readers.values():
            r.close()


def write_png(pixels: np.ndarray, out: str | os.PathLike[str], pixel_format: str = "bgra") -> None:
    """Write an (h, w, 3 or 4) array (``rgb24`` or ``bgra``) as an opaque PNG at ``out``, atomically (a
    partial file beside it, renamed at the end). MediaError (one line) when the folder cannot be written.
    Any thread."""
    target = Path(out)
    if not target.parent.is_dir():
        raise MediaError(f"{target}: the folder {target.parent} does not exist")
    rgb = pixels[:, :, 2::-1] if pixel_format == "bgra" else pixels
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
    ctx = av.CodecContext.create("png", "w")
    ctx.width, ctx.height, ctx.pix_fmt = frame.width, frame.height, "rgb24"
    ctx.time_base = Fraction(1, 25)
    frame.pts = 0
    data = b"".join(bytes(p) for p in ctx.encode(frame)) + b"".join(bytes(p) for p in ctx.encode(None))
    tmp = target.with_name(f".{target.name}.partial")
    try:
        tmp.write_bytes(data)
        tmp.replace(target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise MediaError(f"{target}: cannot write ({exc.strerror})") from None
