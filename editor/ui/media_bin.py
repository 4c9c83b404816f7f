"""The media bin: one tile per source file (thumbnail, name, duration, resolution, offline badge).

A ``QListView`` in icon mode over a small list model; a delegate paints the tiles. Files dropped on the bin
are reported with ``files_dropped``; double-click or Enter reports ``media_activated``.
Qt main thread only.
"""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QRectF,
    QSize,
    Qt,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDropEvent,
    QFontMetrics,
    QImage,
    QKeyEvent,
    QPainter,
    QPixmap,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from editor.model.time import format_timecode
from editor.model.timeline import MediaRef
from editor.ui import theme
from editor.ui.dnd import local_paths

__all__ = ["MediaBin", "MediaListModel", "FINGERPRINT_ROLE", "PLACEHOLDER"]

FINGERPRINT_ROLE = int(Qt.ItemDataRole.UserRole) + 1
MEDIA_ROLE = int(Qt.ItemDataRole.UserRole) + 2
PLACEHOLDER = "Import media with Ctrl+I or drop files here"
TILE = QSize(176, 150)
THUMB_H = 96

_Index = QModelIndex | QPersistentModelIndex


def describe(media: MediaRef) -> tuple[str, str, str]:
    """(file name, duration as timecode, "WxH" or "audio") for a bin entry. Pure."""
    name = os.path.basename(media.path) or media.path
    dur = format_timecode(media.duration, media.rate)
    if media.has_video and media.width and media.height:
        res = f"{media.width}x{media.height}"
    else:
        res = "audio" if media.has_audio and not media.has_video else "video"
    return name, dur, res


class MediaListModel(QAbstractListModel):
    """The bin's rows: MediaRefs with their thumbnails and offline flags. Qt main thread only."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._media: list[MediaRef] = []
        self._thumbs: dict[str, QPixmap] = {}
        self._offline: set[str] = set()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._media)

    def data(self, index: _Index, role: int = int(Qt.ItemDataRole.DisplayRole)) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._media):
            return None
        m = self._media[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return describe(m)[0]
        if role == Qt.ItemDataRole.ToolTipRole:
            return m.path + ("\n(offline)" if m.fingerprint in self._offline else "")
        if role == FINGERPRINT_ROLE:
            return m.fingerprint
        if role == MEDIA_ROLE:
            return m
        if role == Qt.ItemDataRole.DecorationRole:
            return self._thumbs.get(m.fingerprint)
        if role == Qt.ItemDataRole.UserRole:
            return m.fingerprint in self._offline
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsDragEnabled if index.isValid() else base

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return ["text/uri-list"]

    def mimeData(self, indexes: Any) -> QMimeData:  # noqa: N802
        """The dragged entries as file URLs: the timeline takes them as a drop (at the drop position)."""
        data = QMimeData()
        data.setUrls([QUrl.fromLocalFile(self._media[i.row()].path) for i in indexes
                      if i.isValid() and 0 <= i.row() < len(self._media)])
        return data

    def set_media(self, media: list[MediaRef] | tuple[MediaRef, ...]) -> bool:
        """Replace the rows; False (and no reset) when nothing changed."""
        new = list(media)
        if new == self._media:
            return False
        self.beginResetModel()
        self._media = new
        self.endResetModel()
        return True

    def row_of(self, fingerprint: str) -> int:
        """Row of a fingerprint, -1 when absent."""
        return next((i for i, m in enumerate(self._media) if m.fingerprint == fingerprint), -1)

    def media(self) -> list[MediaRef]:
        return list(self._media)

    def _changed(self, fingerprint: str) -> None:
        for row, m in enumerate(self._media):
            if m.fingerprint == fingerprint:
                ix = self.index(row)
                self.dataChanged.emit(ix, ix)

    def set_thumbnail(self, fingerprint: str, image: QImage) -> None:
        self._thumbs[fingerprint] = QPixmap.fromImage(
            image.scaled(TILE.width() - 12, THUMB_H, Qt.AspectRatioMode.KeepAspectRatio,
                         Qt.TransformationMode.SmoothTransformation))
        self._changed(fingerprint)

    def set_offline(self, fingerprint: str, offline: bool) -> None:
        if offline:
            self._offline.add(fingerprint)
        else:
            self._offline.discard(fingerprint)
        self._changed(fingerprint)

    def is_offline(self, fingerprint: str) -> bool:
        return fingerprint in self._offline


class _TileDelegate(QStyledItemDelegate):
    """Paints one bin tile. Qt main thread only."""

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:  # noqa: N802
        return TILE

    def paint(self, p: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        m: MediaRef | None = index.data(MEDIA_ROLE)
        if m is None:
            return
        name, dur, res = describe(m)
        r = QRect(option.rect).adjusted(4, 4, -4, -4)  # type: ignore[attr-defined]
        selected = bool(option.state & QStyle.StateFlag.State_Selected)  # type: ignore[attr-defined]
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(theme.ACCENT if selected else theme.GRID)
        p.setBrush(QColor("#2a3140") if selected else theme.PANEL)
        p.drawRoundedRect(QRectF(r).adjusted(0.5, 0.5, -0.5, -0.5), 5, 5)
        thumb_r = QRect(r.left() + 4, r.top() + 4, r.width() - 8, THUMB_H)
        p.fillRect(thumb_r, QColor("#0d0e10"))
        pm: QPixmap | None = index.data(Qt.ItemDataRole.DecorationRole)
        if pm is not None and not pm.isNull():
            x = thumb_r.left() + (thumb_r.width() - pm.width()) // 2
            y = thumb_r.top() + (thumb_r.height() - pm.height()) // 2
            p.drawPixmap(x, y, pm)
        else:
            p.setPen(theme.TEXT_DIM)
            p.setFont(theme.ui_font(18, bold=True))
            p.drawText(thumb_r, Qt.AlignmentFlag.AlignCenter, "♪" if res == "audio" else "▶")
        font = theme.ui_font(8.5, bold=True)
        p.setFont(font)
        p.setPen(theme.TEXT)
        text_r = QRect(r.left() + 6, thumb_r.bottom() + 4, r.width() - 12, 16)
        p.drawText(text_r, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   QFontMetrics(font).elidedText(name, Qt.TextElideMode.ElideMiddle, text_r.width()))
        p.setFont(theme.mono_font(7.5))
        p.setPen(theme.TEXT_DIM)
        info_r = QRect(text_r.left(), text_r.bottom() + 1, text_r.width(), 14)
        p.drawText(info_r, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, dur)
        p.drawText(info_r, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, res)
        if index.data(Qt.ItemDataRole.UserRole):
            badge = QRect(thumb_r.left() + 4, thumb_r.top() + 4, 52, 16)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(theme.OFFLINE)
            p.drawRoundedRect(QRectF(badge), 3, 3)
            p.setPen(QColor("#ffffff"))
            p.setFont(theme.ui_font(7.5, bold=True))
            p.drawText(badge, Qt.AlignmentFlag.AlignCenter, "OFFLINE")
        p.restore()


class _BinView(QListView):
    """Icon-mode list that paints a placeholder when empty and reports Enter. Qt main thread only."""

    enter_pressed = Signal(QModelIndex)

    def paintEvent(self, event: Any) -> None:  # noqa: N802
        super().paintEvent(event)
        model = self.model()
        if model is not None and model.rowCount() == 0:
            p = QPainter(self.viewport())
            p.setPen(theme.TEXT_DIM)
            p.setFont(theme.ui_font(10))
            p.drawText(self.viewport().rect().adjusted(12, 12, -12, -12),
                       Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, PLACEHOLDER)
            p.end()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.enter_pressed.emit(self.currentIndex())
            event.accept()
            return
        super().keyPressEvent(event)


class MediaBin(QWidget):
    """The project's media files as tiles. Qt main thread only.

    Signals: ``files_dropped(paths)``, ``media_activated(fingerprint)``.
    """

    files_dropped = Signal(list)
    media_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self._model = MediaListModel(self)
        view = _BinView(self)
        view.setViewMode(QListView.ViewMode.IconMode)
        view.setMovement(QListView.Movement.Static)
        view.setResizeMode(QListView.ResizeMode.Adjust)
        view.setUniformItemSizes(True)
        view.setGridSize(QSize(TILE.width() + 6, TILE.height() + 6))
        view.setSpacing(0)
        view.setWordWrap(False)
        view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)  # Shift/Ctrl: several files
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.setDragEnabled(True)  # to the timeline
        view.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        view.setAcceptDrops(False)
        view.viewport().setAcceptDrops(False)
        view.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        view.setItemDelegate(_TileDelegate(view))
        view.setModel(self._model)
        view.doubleClicked.connect(self._activate)
        view.enter_pressed.connect(self._activate)
        self._view = view
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(view)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(380, 320)

    def view(self) -> QListView:
        """The list view (for tests and the window's context menus)."""
        return self._view

    def set_media(self, media: list[MediaRef] | tuple[MediaRef, ...]) -> None:
        """Show these files (in order). Cheap when unchanged (the window calls it on every edit); the
        selected file stays selected. Thumbnails and offline flags set earlier are kept."""
        current = self.selected_fingerprint()
        if self._model.set_media(media) and current is not None:
            row = self._model.row_of(current)
            if row >= 0:
                self._view.setCurrentIndex(self._model.index(row))
        self._view.viewport().update()

    def media(self) -> list[MediaRef]:
        """The files shown."""
        return self._model.media()

    def set_thumbnail(self, fingerprint: str, image: QImage) -> None:
        """Set the tile picture of a file."""
        if not image.isNull():
            self._model.set_thumbnail(fingerprint, image)

    def set_offline(self, fingerprint: str, offline: bool) -> None:
        """Mark a file as missing on disk (an OFFLINE badge) or found again."""
        self._model.set_offline(fingerprint, offline)

    def is_offline(self, fingerprint: str) -> bool:
        """Whether a file is marked offline."""
        return self._model.is_offline(fingerprint)

    def selected_fingerprint(self) -> str | None:
        """Fingerprint of the selected tile, or None."""
        ix = self._view.currentIndex()
        return ix.data(FINGERPRINT_ROLE) if ix.isValid() else None

    def selected_media(self) -> list[MediaRef]:
        """The selected files, in the bin's order (the current one when nothing is selected)."""
        media = self._model.media()
        rows = sorted({ix.row() for ix in self._view.selectionModel().selectedIndexes()})
        if not rows and self._view.currentIndex().isValid():
            rows = [self._view.currentIndex().row()]
        return [media[r] for r in rows if 0 <= r < len(media)]

    def _activate(self, index: QModelIndex) -> None:
        fp = index.data(FINGERPRINT_ROLE)
        if fp:
            self.media_activated.emit(fp)

    _paths = staticmethod(local_paths)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if self._paths(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: Any) -> None:  # noqa: N802
        if self._paths(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        paths = self._paths(event)
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.files_dropped.emit(paths)
