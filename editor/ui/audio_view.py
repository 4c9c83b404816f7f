"""An audio-only stretch of the timeline shown in the viewer: the sound's waveform around the playhead
instead of a blank picture.

A transparent child of the viewer (like the subtitle overlay). When no video track shows a picture at
the playhead and an audio clip sounds there, it draws that clip's peaks (the timeline's own, from
``TimelineView._waves``) for five seconds either side, the playhead in the middle. Qt main thread only.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import numpy as np
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from editor.model.layers import layers_at
from editor.model.timeline import Clip, Timeline, source_factor
from editor.ui.viewer_overlay import ViewerOverlay

__all__ = ["AudioView", "audio_clip_at"]

SPAN_SECONDS = 5.0
WAVE = QColor("#4fb3a9")


def audio_clip_at(timeline: Timeline, frame: int) -> tuple[Clip, Fraction] | None:
    """The top-most audio clip sounding at ``frame`` when no picture is there, and its source time.
    Pure; any thread."""
    if layers_at(timeline, frame):
        return None
    for track in reversed(timeline.tracks):
        if track.kind != "audio":
            continue
        i = track.index_at(frame)
        if i is None or type(track.items[i]) is not Clip:
            continue
        clip = track.items[i]
        n, d = source_factor(clip.media.rate, clip.speed, timeline.rate)
        src = clip.source_in + Fraction((frame - track.starts()[i]) * n, d)
        return clip, src / clip.media.rate  # type: ignore[union-attr]
    return None


class AudioView(ViewerOverlay):
    """Draws the waveform of the audio-only clip at the playhead over the viewer (``show_at``)."""

    def __init__(self, viewer: QWidget, peaks: Callable[[str], tuple[np.ndarray, float] | None]) -> None:
        super().__init__(viewer)
        self.setObjectName("audio_view")
        self._peaks = peaks
        self.shown: tuple[str, float] | None = None  # fingerprint and source seconds drawn

    def show_at(self, timeline: Timeline | None, frame: int) -> None:
        found = audio_clip_at(timeline, frame) if timeline is not None else None
        shown = (found[0].media.fingerprint, float(found[1])) if found is not None else None
        if shown != self.shown:
            self.shown = shown
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        if self.shown is None:
            return
        wave = self._peaks(self.shown[0])
        if wave is None:
            return
        peaks, bps = wave
        r = self.rect().adjusted(12, 40, -40, -40)
        if r.width() < 10 or r.height() < 10 or not len(peaks):
            return
        p = QPainter(self)
        mid = r.center().y()
        half = r.height() / 2
        centre = self.shown[1] * bps
        per_px = 2 * SPAN_SECONDS * bps / r.width()
        p.setPen(QPen(WAVE, 1))
        scale = half / 32768.0
        for x in range(r.width()):
            a = int(centre + (x - r.width() / 2) * per_px)
            b = max(a + 1, int(centre + (x + 1 - r.width() / 2) * per_px))
            if b <= 0 or a >= len(peaks):
                continue
            chunk = peaks[max(0, a):min(len(peaks), b)]
            lo, hi = int(chunk[:, 0].min()), int(chunk[:, 1].max())
            p.drawLine(QPointF(r.left() + x, mid - hi * scale), QPointF(r.left() + x, mid - lo * scale))
        p.setPen(QPen(QColor(255, 255, 255, 200), 1))
        p.drawLine(QPointF(r.center().x(), r.top()), QPointF(r.center().x(), r.bottom()))
        p.end()
