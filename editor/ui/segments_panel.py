"""The Segments panel (a dock beside the timeline) and the keys that edit segments, LosslessCut style.

Each in/out pair becomes a segment (B); the list shows them in export order, with their range, name,
colour and whether they are enabled. Every key is an action of the registry (rebindable, in the cheat
sheet); every change is a model edit through the controller, so it is saved, undoable and synced like any
other. Qt main thread only.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from editor.model.navigate import duration
from editor.model.time import nominal_fps
from editor.model.timeline import MARKER_COLORS, Segment, Timeline
from editor.ui import theme


def _clock(frame: int, timeline: Timeline) -> str:
    fps = nominal_fps(timeline.rate) if timeline.rate else 25
    secs, ff = divmod(frame, fps)
    m, s = divmod(secs, 60)
    return f"{m:02d}:{s:02d}.{ff:02d}"


def _swatch(color: str) -> QIcon:
    """A small square of the segment's colour (named colours such as blue are unreadable as text on the dark
    theme)."""
    pix = QPixmap(12, 12)
    pix.fill(QColor(color))
    return QIcon(pix)


class SegmentsPanel(QWidget):
    """The list of segments; the selected row is the segment the keys act on. Qt main thread."""

    def __init__(self, controller: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.list = QListWidget()
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the window keeps the keys
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)  # drag a row to reorder
        # after the drop has finished with its rows (the edit rebuilds the list)
        self.list.model().rowsMoved.connect(lambda *_a: QTimer.singleShot(0, self._dragged))
        self.list.itemClicked.connect(lambda item: self.select(item.data(Qt.ItemDataRole.UserRole)))
        self.summary = QLabel("No segments: set in (I) and out (O), then B")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.summary)
        self._selected_id: int | None = None

    # ---- state -> view ---------------------------------------------------------------------------
    def set_timeline(self, timeline: Timeline | None) -> None:
        """Show the timeline's segments, keeping the selection on the same segment. Qt main thread."""
        segs = timeline.segments if timeline is not None else ()
        self.list.clear()
        for n, g in enumerate(segs, start=1):
            text = (f"{n}. {_clock(g.start, timeline)}–{_clock(g.end, timeline)}  {g.name or '(no name)'}"  # type: ignore[arg-type]
                    + ("" if g.enabled else "  [off]"))
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, g.id)
            item.setIcon(_swatch(g.color if g.enabled else "gray"))  # the colour beside readable text
            item.setForeground(QBrush(theme.TEXT if g.enabled else theme.TEXT_DIM))
            self.list.addItem(item)
        ids = [g.id for g in segs]
        if self._selected_id not in ids:
            self._selected_id = ids[-1] if ids else None
        if self._selected_id is not None:
            self.list.setCurrentRow(ids.index(self._selected_id))
        kept = [g for g in segs if g.enabled]
        total = sum(g.end - g.start for g in kept)
        self.summary.setText(f"{len(segs)} segments, {len(kept)} enabled, {total} frames kept" if segs
                             else "No segments: set in (I) and out (O), then B")

    def selected(self) -> Segment | None:
        """The segment the keys act on. Qt main thread."""
        tl = self.controller.timeline
        if tl is None:
            return None
        return next((g for g in tl.segments if g.id == self._selected_id), None)

    def select(self, segment_id: int | None) -> None:
        self._selected_id = segment_id
        self.set_timeline(self.controller.timeline)

    # ---- keys ------------------------------------------------------------------------------------
    def handlers(self) -> dict[str, Any]:
        """Action name -> slot, for the window's action registry. Qt main thread."""
        return {"segment_add": self.add_from_in_out, "segment_prev": lambda: self._select_step(-1),
                "segment_next": lambda: self._select_step(1), "segment_up": lambda: self._move(-1),
                "segment_down": lambda: self._move(1), "segment_toggle": self.toggle,
                "segment_rename": self.rename, "segment_color": self.cycle_color,
                "segment_go_start": lambda: self._jump(True), "segment_go_end": lambda: self._jump(False),
                "segment_split": self.split, "segment_merge": self.merge_next, "segment_invert": self.invert,
                "segment_delete": self.delete}

    def _need(self) -> Segment | None:
        seg = self.selected()
        if seg is None:
            self.controller.message.emit("No segment selected: set in (I) and out (O), then B")
        return seg

    def add_from_in_out(self) -> None:
        tl = self.controller.timeline
        if tl is None or tl.in_point is None or tl.out_point is None:
            self.controller.message.emit("Set an in point (I) and an out point (O) first, then B")
            return
        next_id = tl.next_id
        if self.controller.edit("add_segment", start=tl.in_point, end=tl.out_point):
            self.select(next_id)

    def _select_step(self, step: int) -> None:
        tl = self.controller.timeline
        if tl is None or not tl.segments:
            return
        ids = [g.id for g in tl.segments]
        i = ids.index(self._selected_id) if self._selected_id in ids else 0
        self.select(ids[max(0, min(len(ids) - 1, i + step))])

    def _move(self, step: int) -> None:
        seg = self._need()
        if seg is None:
            return
        ids = [g.id for g in self.controller.timeline.segments]
        self.controller.edit("move_segment", segment_id=seg.id, index=ids.index(seg.id) + step)
        self.select(seg.id)

    def _dragged(self) -> None:
        """A row was dragged to another place: the same move as an edit (saved, undoable, synced)."""
        tl = self.controller.timeline
        if tl is None:
            return
        before = [g.id for g in tl.segments]
        after = [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]
        moved = next((x for x in before if [i for i in before if i != x] == [i for i in after if i != x]
                      and before.index(x) != after.index(x)), None) if sorted(before) == sorted(after) else None
        if moved is None:
            self.set_timeline(tl)  # not one row moved (or the list is stale): show the timeline's order again
            return
        self.controller.edit("move_segment", segment_id=moved, index=after.index(moved))
        self.select(moved)

    def toggle(self) -> None:
        seg = self._need()
        if seg is not None:
            self.controller.edit("enable_segment", segment_id=seg.id, enabled=not seg.enabled)
            self.select(seg.id)

    def rename(self) -> None:
        seg = self._need()
        if seg is None:
            return
        name, ok = QInputDialog.getText(self.window(), "Segment name", "Name:", text=seg.name)
        if ok:
            self.controller.edit("rename_segment", segment_id=seg.id, label=name)
            self.select(seg.id)

    def cycle_color(self) -> None:
        seg = self._need()
        if seg is not None:
            i = MARKER_COLORS.index(seg.color) if seg.color in MARKER_COLORS else -1
            self.controller.edit("color_segment", segment_id=seg.id, color=MARKER_COLORS[(i + 1) % len(MARKER_COLORS)])
            self.select(seg.id)

    def _jump(self, start: bool) -> None:
        seg = self._need()
        if seg is not None:
            self.controller.set_playhead(seg.start if start else max(seg.start, seg.end - 1))

    def split(self) -> None:
        seg = self._need()
        if seg is not None:
            self.controller.edit("split_segment", segment_id=seg.id, frame=self.controller.playhead)
            self.select(seg.id)

    def merge_next(self) -> None:
        seg = self._need()
        if seg is None:
            return
        segs = self.controller.timeline.segments
        ids = [g.id for g in segs]
        i = ids.index(seg.id)
        if i + 1 >= len(ids):
            self.controller.message.emit("No segment after this one to merge with")
            return
        self.controller.edit("merge_segments", segment_id=seg.id, other_id=ids[i + 1])
        self.select(seg.id)

    def invert(self) -> None:
        tl = self.controller.timeline
        if tl is not None and self.controller.edit("invert_segments", length=duration(tl)):
            self.select(None)

    def delete(self) -> None:
        seg = self._need()
        if seg is not None:
            self.controller.edit("remove_segment", segment_id=seg.id)
            self.select(None)
