"""Marks drawn on a timeline item for its look: fade ramps, a dissolve's bow tie, a "T" for titles'
text and a badge for picture-in-picture / opacity. Qt main thread only (paints on the view's painter)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QBrush, QColor, QPainter, QPen, QPolygonF

from editor.model.picture import DEFAULT_LOOK, Look

__all__ = ["paint_look_marks", "TITLE_FILL"]

TITLE_FILL = QColor(120, 70, 150)
_RAMP = QColor(0, 0, 0, 110)
_LINE = QColor(255, 255, 255, 200)


def paint_look_marks(p: QPainter, look: Look, start: int, duration: int, fx: Callable[[float], float],
                     top: float, height: float) -> None:
    """Fade ramps (dark triangles from the item's corners), a dissolve (crossed lines over the cut) and an
    opacity / position / scale badge."""
    if look is DEFAULT_LOOK:
        return
    bottom = top + height
    p.save()
    p.setPen(QPen(_LINE, 1))
    p.setBrush(QBrush(_RAMP))
    if look.fade_in:
        xa, xb = fx(start), fx(start + look.fade_in)
        p.drawPolygon(QPolygonF([QPointF(xa, top), QPointF(xb, top), QPointF(xa, bottom)]))
    if look.fade_out:
        xa, xb = fx(start + duration - look.fade_out), fx(start + duration)
        p.drawPolygon(QPolygonF([QPointF(xa, top), QPointF(xb, top), QPointF(xb, bottom)]))
    if look.dissolve:
        xa, xb = fx(start - look.dissolve // 2), fx(start + look.dissolve - look.dissolve // 2)
        p.drawLine(QPointF(xa, top), QPointF(xb, bottom))
        p.drawLine(QPointF(xa, bottom), QPointF(xb, top))
    if look.opacity != 1 or look.scale != 1 or look.x or look.y:
        badge = QRectF(fx(start + duration) - 18, bottom - 14, 14, 12)
        p.setBrush(QBrush(QColor(30, 30, 30, 180)))
        p.drawRect(badge)
        p.drawRect(badge.adjusted(6, 5, -1, -1))  # a small picture inside the picture
    p.restore()
