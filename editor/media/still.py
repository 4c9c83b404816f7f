"""One frame as a picture file: the frame of a timeline at its full size, composed as the export composes it
(``editor.model.layers.layers_at`` drawn by ``editor.media.compose.compose_frame``), or one frame of a file;
written as PNG without a partial file left behind. Worker thread; never touches Qt.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from editor.media.compose import compose_frame
from editor.media.errors import MediaError
from editor.media.frames import FrameReader
from editor.model.layers import canvas_size, layers_at
from editor.model.timeline import Clip, Timeline

__all__ = ["timeline_still", "write_png"]


class _Readers:
    """``editor.media.compose.PictureSource`` over one BGRA reader per file, exact frames, no cache."""

    def __init__(self) -> None:
        self.readers: dict[str, FrameReader] = {}

    def _reader(self, path: str) -> FrameReader:
        reader = self.readers.get(path)
        if reader is None:
            reader = self.readers[path] = FrameReader(path, pixel_format="bgra", cache_bytes=0)
        return reader

    def display_size(self, clip: Clip) -> tuple[int, int]:
        return self._reader(clip.media.path).display_size

    def picture(self, clip: Clip, seconds: Fraction, size: tuple[int, int]) -> np.ndarray:
        reader = self._reader(clip.media.path)
        at = min(seconds, max(Fraction(0), reader.duration - Fraction(1, 1000)))
        return reader.read(reader.resolve(at), size=size, back_window=0).to_ndarray()

    def close(self) -> None:
        for reader in self.readers.values():
            reader.close()


def timeline_still(timeline: Timeline, frame: int, *, subtitles: bool = False) -> np.ndarray:
    """Timeline frame ``frame`` as a (h, w, 4) BGRA array at the timeline's picture size: what an export
    shows there (black where nothing is). MediaError (one line) when a file cannot be read. Worker thread."""
    source = _Readers()
    try:
        return compose_frame(layers_at(timeline, frame, subtitles=subtitles), canvas_size(timeline), source)
    finally:
        source.close()


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
