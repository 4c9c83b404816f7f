"""Subtitle cues drawn over the viewer's picture, with the rasteriser the burn-in uses.

A transparent child of the viewer (it takes no mouse or keys) that draws the cue under the frame shown,
rendered by ``editor.media.compose.subtitle_pixels`` at the size the picture is shown at: what the viewer
shows is what ``--burn-subtitles`` writes into the file. Qt main thread only.
"""

from __future__ import annotations

from PySide6.QtGui import QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

from editor.media.compose import subtitle_pixels
from editor.model.layers import cue_text_at
from editor.model.timeline import Timeline
from editor.ui.viewer_overlay import ViewerOverlay

__all__ = ["SubtitleOverlay"]


class SubtitleOverlay(ViewerOverlay):
    """Shows the cue at a frame over a viewer (``show_at``); ``enabled`` toggles it."""

    def __init__(self, viewer: QWidget) -> None:
        super().__init__(viewer)
        self.setObjectName("subtitle_overlay")
        self.enabled = True
        self.text = ""
        self._cache: tuple[tuple[str, int, int], QImage, int, int] | None = None

    def show_at(self, timeline: Timeline | None, frame: int) -> None:
        text = cue_text_at(timeline, frame) if timeline is not None and self.enabled else ""
        if text != self.text:
            self.text = text
            self.update()

    def set_enabled(self, enabled: bool) -> None:
        self.enabled = enabled
        if not enabled:
            self.text = ""
        self.update()

    def image(self) -> tuple[QImage, int, int] | None:
        """The cue's picture and its top-left corner in the viewer (None when no cue is shown)."""
        if not self.text:
            return None
        rect = self.viewer.image_rect()  # type: ignore[attr-defined]
        w, h = max(2, round(rect.width())), max(2, round(rect.height()))
        key = (self.text, w, h)
        if self._cache is None or self._cache[0] != key:
            pixels, x0, y0 = subtitle_pixels(self.text, (w, h))
            ph, pw = pixels.shape[:2]
            img = QImage(pixels.tobytes(), pw, ph, pw * 4, QImage.Format.Format_ARGB32).copy()
            self._cache = (key, img, x0, y0)
        _, img, x0, y0 = self._cache
        return img, round(rect.left()) + x0, round(rect.top()) + y0

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        shown = self.image()
        if shown is None:
            return
        p = QPainter(self)
        p.drawImage(shown[1], shown[2], shown[0])
        p.end()
