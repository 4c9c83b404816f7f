"""The viewer's side of the compositor: frames with titles, fades, dissolves or picture-in-picture.

:func:`composite_image` draws ``editor.model.layers.layers_at`` with ``editor.media.compose.compose_frame``
(the function the export uses) on a canvas of the timeline's picture size fitted into the viewer, reading
each clip's exact frame through the preview engine's readers (``FrameReader.read`` at the size the
compositor asks for). Decode thread of the preview engine only.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage

from editor.media.compose import compose_frame
from editor.media.frames import fit_size
from editor.media.still import ReaderSource
from editor.model.layers import Layer, canvas_size
from editor.model.timeline import Timeline

__all__ = ["composite_image", "array_to_qimage", "ReaderSource"]


def array_to_qimage(pixels: np.ndarray) -> QImage:
    """A (h, w, 4) BGRA array copied into a QImage (RGB32) that owns its memory. Any thread."""
    h, w = pixels.shape[:2]
    image = QImage(w, h, QImage.Format.Format_RGB32)
    stride = image.bytesPerLine()
    dst = np.frombuffer(image.bits(), np.uint8, count=stride * h).reshape(h, stride)
    dst[:, : w * 4] = pixels.reshape(h, w * 4)
    return image


def preview_canvas(timeline: Timeline, fit: tuple[int, int]) -> tuple[int, int]:
    """The canvas the viewer composes on: the timeline's picture size fitted into ``fit``. Any thread."""
    return fit_size(canvas_size(timeline), fit)


def composite_image(timeline: Timeline, layers: tuple[Layer, ...], fit: tuple[int, int],
                    source: ReaderSource) -> QImage:
    """The composed picture of ``layers`` for the viewer. Decode thread."""
    return array_to_qimage(compose_frame(layers, preview_canvas(timeline, fit), source))
