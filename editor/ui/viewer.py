"""The viewer: the current frame letterboxed, a timecode overlay, an audio level meter, a message overlay and a
"dropping frames" mark while playback cannot keep up.

It paints the QImage it is given as it is (no conversion per paint); smooth scaling only while paused.
Qt main thread only.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QImage, QLinearGradient, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

from editor.ui import theme

__all__ = ["ViewerWidget"]

METER_W = 22
MIN_DB = -60.0
PEAK_HOLD_S = 1.5


class ViewerWidget(QWidget):
    """Shows one frame, its position and the audio level. Qt main thread only."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setMinimumSize(160, 90)
        self._frame: QImage | None = None
        self._playing = False
        self._frame_no: int | None = None
        self._timecode = ""
        self._levels = [MIN_DB, MIN_DB]
        self._peaks = [MIN_DB, MIN_DB]
        self._peak_at = [0.0, 0.0]
        self._message = ""
        self._dropping = False
        self._show_meter = True
        self._font = theme.mono_font(10.0)
        self._msg_font = theme.ui_font(11.0, bold=True)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(640, 360)

    def set_frame(self, image: QImage | None) -> None:
        """Show ``image`` (kept as given; None or a null image shows black)."""
        self._frame = image if image is not None and not image.isNull() else None
        self.update()

    def frame(self) -> QImage | None:
        """The image being shown, or None."""
        return self._frame

    def set_playing(self, playing: bool) -> None:
        """While playing, frames are scaled fast; when paused, smoothly."""
        if playing != self._playing:
            self._playing = playing
            self.update()

    def set_position(self, frame: int, timecode: str) -> None:
        """Set the overlay text: timecode and frame number."""
        self._frame_no, self._timecode = frame, timecode
        self.update(self._overlay_rect())

    def set_audio_level(self, left_db: float, right_db: float) -> None:
        """Set the meter (dB, -60..0); peaks are held for 1.5 s."""
        now = time.monotonic()
        for ch, db in enumerate((left_db, right_db)):
            db = max(MIN_DB, min(0.0, float(db)))
            self._levels[ch] = db
            if db >= self._peaks[ch] or now - self._peak_at[ch] > PEAK_HOLD_S:
                self._peaks[ch], self._peak_at[ch] = db, now
        self.update(self._meter_rect())

    def set_meter_visible(self, visible: bool) -> None:
        """Show or hide the audio meter (hide it for media without sound)."""
        self._show_meter = visible
        self.update()

    def set_dropping(self, dropping: bool) -> None:
        """Show (True) or hide the "dropping frames" mark: playback cannot keep up and is degraded."""
        if dropping != self._dropping:
            self._dropping = dropping
            self.update()

    def dropping(self) -> bool:
        """True while the "dropping frames" mark is shown."""
        return self._dropping

    def show_message(self, text: str) -> None:
        """Show a message over the picture (empty text hides it), e.g. "Media offline: /path/file.mp4"."""
        self._message = text
        self.update()

    def clear_message(self) -> None:
        """Hide the message overlay."""
        self.show_message("")

    def message(self) -> str:
        """The message being shown ("" when none)."""
        return self._message

    # --- geometry ----------------------------------------------------------------------------------------

    def _meter_rect(self) -> QRect:
        return QRect(self.width() - METER_W, 0, METER_W, self.height()) if self._show_meter else QRect()

    def _picture_area(self) -> QRect:
        return QRect(0, 0, self.width() - (METER_W if self._show_meter else 0), self.height())

    def _overlay_rect(self) -> QRect:
        area = self._picture_area()
        return QRect(area.left(), area.bottom() - 30, area.width(), 31)

    def image_rect(self) -> QRectF:
        """Where the frame is drawn: the largest rectangle of its aspect ratio centred in the picture area."""
        area = self._picture_area()
        if self._frame is None:
            return QRectF(area)
        iw, ih = self._frame.width(), self._frame.height()
        scale = min(area.width() / iw, area.height() / ih)
        w, h = iw * scale, ih * scale
        return QRectF(area.left() + (area.width() - w) / 2, area.top() + (area.height() - h) / 2, w, h)

    # --- painting ----------------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        area = self._picture_area()
        p.fillRect(area, Qt.GlobalColor.black)
        if self._frame is not None:
            if not self._playing:
                p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            p.drawImage(self.image_rect(), self._frame)
        if self._message:
            self._paint_message(p, area)
        if self._timecode or self._frame_no is not None:
            self._paint_overlay(p)
        if self._dropping:
            self._paint_dropping(p, area)
        if self._show_meter:
            self._paint_meter(p)
        p.end()

    def _paint_message(self, p: QPainter, area: QRect) -> None:
        p.setFont(self._msg_font)
        fm = QFontMetrics(self._msg_font)
        width = min(area.width() - 40, fm.horizontalAdvance(self._message) + 32)
        text = fm.elidedText(self._message, Qt.TextElideMode.ElideMiddle, max(10, width - 32))
        box = QRectF(area.center().x() - width / 2, area.center().y() - 22, width, 44)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(20, 20, 24, 215))
        p.drawRoundedRect(box, 6, 6)
        p.setPen(theme.TEXT)
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_overlay(self, p: QPainter) -> None:
        r = self._overlay_rect()
        p.setFont(self._font)
        fm = QFontMetrics(self._font)
        text = self._timecode
        if self._frame_no is not None:
            text = f"{text}   #{self._frame_no}" if text else f"#{self._frame_no}"
        tw = fm.horizontalAdvance(text) + 16
        box = QRectF(r.center().x() - tw / 2, r.top() + 4, tw, 22)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(0, 0, 0, 160))
        p.drawRoundedRect(box, 4, 4)
        p.setPen(theme.TEXT)
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_dropping(self, p: QPainter, area: QRect) -> None:
        p.setFont(self._font)
        fm = QFontMetrics(self._font)
        text = "dropping frames"
        box = QRectF(area.left() + 8, area.top() + 8, fm.horizontalAdvance(text) + 14, 20)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(190, 40, 40, 200))
        p.drawRoundedRect(box, 4, 4)
        p.setPen(theme.TEXT)
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_meter(self, p: QPainter) -> None:
        r = self._meter_rect()
        p.fillRect(r, theme.PANEL)
        top, bottom = r.top() + 6, r.bottom() - 6
        span = bottom - top
        grad = QLinearGradient(0, bottom, 0, top)
        grad.setColorAt(0.0, QColor("#2fbf71"))
        grad.setColorAt(0.7, QColor("#e8d44d"))
        grad.setColorAt(1.0, QColor("#ef4444"))
        bar_w = (METER_W - 8) // 2
        for ch in range(2):
            x = r.left() + 3 + ch * (bar_w + 2)
            p.fillRect(QRect(x, top, bar_w, span), QColor("#121316"))
            frac = (self._levels[ch] - MIN_DB) / -MIN_DB
            h = int(span * frac)
            if h > 0:
                p.fillRect(QRect(x, bottom - h, bar_w, h), grad)
            for db in (-6, -12, -24, -48):  # scale marks
                mark_y = bottom - int(span * (db - MIN_DB) / -MIN_DB)
                p.fillRect(QRect(x, mark_y, bar_w, 1), QColor(0, 0, 0, 140))
            peak = (self._peaks[ch] - MIN_DB) / -MIN_DB
            if peak > 0:
                y = bottom - int(span * peak)
                p.fillRect(QRect(x, y, bar_w, 2), QColor("#ffffff"))
