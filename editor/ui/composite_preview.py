"""The viewer's side of the compositor: frames with titles, fades, dissolves or picture-in-picture.

:func:`composite_image` draws ``editor.model.layers.layers_at`` with ``editor.media.compose.compose_frame``
(the function the export uses) on a canvas of the timeline's picture size fitted into the viewer, reading
each clip's exact frame through the preview engine's readers (``FrameReader.read`` at the size the
compositor asks for). Decode thread of the preview engine only.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import numpy as np
from PySide6.QtGui import QImage

from editor.media.compose import compose_frame
from editor.media.errors import MediaError
from editor.media.frames import FrameReader, fit_size
from editor.model.layers import Layer, canvas_size
from editor.model.timeline import Clip, Timeline

__all__ = ["composite_image", "array_to_qimage", "ReaderSource"]


def array_to_qimage(pixels: np.ndarray) -> QImage:
    """A (h, w, 4) BGRA array copied into a QImage (RGB32) that owns its memory. Any thread."""
    h, w = pixels.shape[:2]
    image = QImage(w, h, QImage.Format.Format_RGB32)
    stride = image.bytesPerLine()
    dst = np.frombuffer(image.bits(), np.uint8, count=stride * h).reshape(h, stride)
    dst[:, : w * 4] = pixels.reshape(h, w * 4)
    return image


class ReaderSource:
    """``editor.media.compose.PictureSource`` over the preview engine's readers. Decode thread."""

    def __init__(self, reader: Callable[[str], FrameReader], offline: Callable[[str, MediaError], None]) -> None:
        self._reader, self._offline = reader, offline

    def display_size(self, clip: Clip) -> tuple[int, int]:
        try:
            return self._reader(clip.media.path).display_size
        except MediaError as exc:
            self._offline(clip.media.path, exc)
            return (clip.media.width or 16, clip.media.height or 9)

    def picture(self, clip: Clip, seconds: Fraction, size: tuple[int, int]) -> np.ndarray:
        try:
            reader = self._reader(clip.media.path)
            at = min(seconds, max(Fraction(0), reader.duration - Fraction(1, 1000)))
            return reader.read(reader.resolve(at), size=size, back_window=0).to_ndarray()
        except MediaError as exc:
            self._offline(clip.media.path, exc)
            return np.zeros((size[1], size[0], 4), np.uint8)


def preview_canvas(timeline: Timeline, fit: tuple[int, int]) -> tuple[int, int]:
    """The canvas the viewer composes on: the timeline's picture size fitted into ``fit``. Any thread."""
    return fit_size(canvas_size(timeline), fit)


def composite_image(timeline: Timeline, layers: tuple[Layer, ...], fit: tuple[int, int],
                    source: ReaderSource) -> QImage:
    """The composed picture of ``layers`` for the viewer. Decode thread."""
    return array_to_qimage(compose_frame(layers, preview_canvas(timeline, fit), source))
