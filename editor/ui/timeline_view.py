"""The timeline: a custom-painted view of tracks, clips, markers, in/out and the playhead.

It paints the immutable ``Timeline`` it is given and turns mouse gestures into requests (seek, select, move,
files dropped); the main window turns those into model edits and hands back a new timeline. Only the items
that are on screen are painted (found with ``bisect`` on ``track.starts()``), so a 10,000-clip timeline
scrolls as smoothly as a short one. The widget takes no keyboard focus: the window's shortcuts get every key.

Qt main thread only.
"""

from __future__ import annotations

import bisect
import math
import os
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QContextMenuEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QFontMetrics,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QPolygonF,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QApplication, QScrollBar, QWidget

from editor.model.navigate import duration as timeline_duration
from editor.model.navigate import edit_points, keyframe_points
from editor.model.picture import Title
from editor.model.time import format_timecode, nominal_fps
from editor.model.timeline import Clip, Gap, SubtitleCue, Timeline, Track, source_factor
from editor.ui import theme
from editor.ui.dnd import local_paths
from editor.ui.look_marks import TITLE_FILL, paint_look_marks
from editor.ui.timeline_mouse import EdgeDrag, edge_under, edit_for, fade_under

__all__ = ["TimelineView"]

HEADER_W = 64
RULER_H = 32
ROW_H = {"video": 72, "audio": 54, "subtitle": 30}
SNAP_PX = 8.0
KEY_SNAP_MIN_GAP = 10  # frames: keyframes closer than this on average (all-intra media) are no snap points
MIN_PPF = 1e-4
MAX_PPF = 64.0
ZOOM_STEP = 1.5
NAME_H = 15  # height of the name strip at the top of a clip


@dataclass(slots=True)
class _Drag:
    """A clip being pressed or dragged."""

    track: int
    clip_id: int
    kind: str
    start: int
    length: int
    press_x: float
    press_y: float
    active: bool = False
    new_track: int = -1
    new_start: int = 0
    slip: bool = False  # Alt+drag: the clip stays, its source slides under it


def db_scale(peaks: np.ndarray) -> np.ndarray:
    """Int16 peak magnitudes as 0..1 heights on a -60..0 dBFS scale. Any thread."""
    mag = np.maximum(np.abs(peaks.astype(np.float64)), 1.0) / 32768.0
    return np.clip((20 * np.log10(mag) + 60.0) / 60.0, 0.0, 1.0)


def clip_badges(clip: Clip) -> str:
    """What a clip's label adds: speed, reverse, gain, mute ("  2× ◀ −6 dB muted")."""
    out = []
    if clip.speed != 1:
        out.append(f"{float(clip.speed):g}×")
    if clip.reverse:
        out.append("◀")
    if clip.gain_db:
        out.append(f"{clip.gain_db:+g} dB")
    if clip.muted:
        out.append("muted")
    return ("  " + " ".join(out)) if out else ""


class TimelineView(QWidget):
    """Tracks, clips, markers, in/out range and playhead of one timeline. Qt main thread only.

    Signals: ``seek_requested(frame)``, ``selection_changed(track_index, clip_id)`` (-1, -1 for none),
    ``move_requested(track_index, clip_id, new_track_index, new_start_frame)``,
    ``files_dropped(paths, frame)``.
    """

    seek_requested = Signal(int)
    selection_changed = Signal(int, int)
    move_requested = Signal(int, int, int, int)
    files_dropped = Signal(list, int)
    item_activated = Signal(int, int)  # track index, item id: an item double-clicked (edit a cue or title)
    edit_requested = Signal(str, dict)  # a model edit by name (an edge trim, a roll)
    context_requested = Signal(int, int, object)  # track (-1: none), clip id (-1: none), global QPoint

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setAcceptDrops(True)
        self.setMouseTracking(False)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMinimumSize(240, RULER_H + 60)
        self._tl: Timeline | None = None
        self._rows: list[int] = []  # track indices, top to bottom
        self._row_top: list[int] = []  # content y of each row (below the ruler)
        self._content_h = 0
        self._ppf = 4.0
        self._left = 0.0  # frame at the left edge of the track area
        self._top = 0  # vertical scroll in pixels
        self._playhead = 0
        self._sel = (-1, -1)
        self._thumbs: dict[str, tuple[list[int], dict[int, QImage]]] = {}
        self._scaled: dict[tuple[str, int, int], QPixmap] = {}
        self._waves: dict[str, tuple[np.ndarray, float]] = {}
        self._keyframes: dict[str, list[int]] = {}  # each file's keyframe frame numbers, by fingerprint
        self._key_points: tuple[Timeline, int, list[int]] | None = None  # (timeline, keyframes version, points)
        self._key_version = 0
        self._paint_spans: list[tuple[float, float]] = []  # x ranges of the paint event being handled
        self._snaps: list[int] | None = None
        self._drag: _Drag | None = None
        self._edge: EdgeDrag | None = None
        self._more: set[int] = set()  # clip ids added with Shift+click (beside the selected one)
        self._box: tuple[float, float, float, float] | None = None  # Ctrl+drag on empty space: x0, y0, x1, y1
        self._scrubbing = False
        self._last_seek: int | None = None
        self._drop_x: float | None = None
        self._syncing = False
        self.follow_playhead = True
        self._font = theme.ui_font(8.5)
        self._font_bold = theme.ui_font(8.5, bold=True)
        self._mono = theme.mono_font(8.0)
        self._hbar = QScrollBar(Qt.Orientation.Horizontal, self)
        self._vbar = QScrollBar(Qt.Orientation.Vertical, self)
        for bar in (self._hbar, self._vbar):
            bar.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._hbar.valueChanged.connect(self._on_hbar)
        self._vbar.valueChanged.connect(self._on_vbar)
        self._vbar.hide()

    # --- public API --------------------------------------------------------------------------------------

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        return QSize(900, 260)

    def set_timeline(self, timeline: Timeline | None) -> None:
        """Show ``timeline`` (the whole immutable object; cheap, nothing is precomputed per item).

        Qt main thread only.
        """
        old = self._tl
        self._tl = timeline
        self._snaps = None
        kinds = [t.kind for t in timeline.tracks] if timeline is not None else None
        if old is None or kinds != [t.kind for t in old.tracks]:
            self._layout_rows()
        self._sync_scrollbars()
        self.update()

    def timeline(self) -> Timeline | None:
        """The timeline being shown."""
        return self._tl

    def set_playhead(self, frame: int) -> None:
        """Move the playhead; scrolls to keep it in view when it leaves the view (``follow_playhead``)."""
        frame = max(0, int(frame))
        if frame == self._playhead:
            return
        old_x = self._fx(self._playhead)
        self._playhead = frame
        x = self._fx(frame)
        left, right = HEADER_W, self._track_right()
        if self.follow_playhead and self._drag is None and not self._scrubbing and not left <= x <= right - 4:
            self._left = max(0.0, frame - 0.1 * self._view_frames())
            self._sync_scrollbars()
            self.update()
            return
        self._sync_scrollbars()
        h = self.height()
        self.update(QRect(int(old_x) - 8, 0, 17, h))
        self.update(QRect(int(x) - 8, 0, 17, h))
        self.update(QRect(0, 0, HEADER_W, RULER_H))  # the timecode in the corner

    def playhead(self) -> int:
        """The playhead frame."""
        return self._playhead

    def set_selection(self, track_index: int, clip_id: int) -> None:
        """Highlight a clip or cue (-1, -1 for none). Does not emit ``selection_changed``."""
        if (track_index, clip_id) != self._sel:
            self._sel = (track_index, clip_id)
            self.update()

    def selection(self) -> tuple[int, int]:
        """(track_index, clip_id) of the selected item, (-1, -1) when none."""
        return self._sel

    def selected_ids(self) -> list[int]:
        """Every selected clip or cue id: the selected one and those added with Shift+click (still there)."""
        ids = ([self._sel[1]] if self._sel[1] >= 0 else []) + sorted(self._more - {self._sel[1]})
        tl = self._tl
        if tl is None:
            return []
        present = {it.id for tr in tl.tracks for it in tr.items if type(it) is not Gap}  # type: ignore[union-attr]
        return [i for i in ids if i in present]

    def pixels_per_frame(self) -> float:
        """Current zoom in pixels per timeline frame."""
        return self._ppf

    def left_frame(self) -> float:
        """Frame at the left edge of the track area (the horizontal scroll position)."""
        return self._left

    def frame_at(self, x: float) -> int:
        """Timeline frame under widget x (not snapped, not clamped to the timeline end)."""
        return max(0, math.floor(self._left + (x - HEADER_W) / self._ppf))

    def x_for_frame(self, frame: float) -> float:
        """Widget x of the left edge of ``frame``."""
        return self._fx(frame)

    def row_rect(self, track_index: int) -> QRect:
        """Widget rectangle of a track's row (empty when the track is not shown)."""
        if track_index not in self._rows:
            return QRect()
        r = self._rows.index(track_index)
        return QRect(0, RULER_H + self._row_top[r] - self._top, self._track_right(), self._row_h(track_index))

    def set_thumbnails(self, fingerprint: str, images: dict[int, QImage]) -> None:
        """Add filmstrip thumbnails of a media file, keyed by source frame (merged with earlier ones)."""
        keys, table = self._thumbs.get(fingerprint, ([], {}))
        table = {**table, **{int(k): v for k, v in images.items() if not v.isNull()}}
        self._thumbs[fingerprint] = (sorted(table), table)
        self._scaled = {k: v for k, v in self._scaled.items() if k[0] != fingerprint}
        self.update()

    def set_keyframes(self, fingerprint: str, keys: list[int]) -> None:
        """The keyframe frame numbers of a media file (ticked under the ruler where its clips show them)."""
        self._keyframes[fingerprint] = sorted(keys)
        self._key_version += 1
        self._snaps = None  # keyframes are snap points too
        self.update()

    def knows_keyframes(self, fingerprint: str) -> bool:
        return fingerprint in self._keyframes

    def keyframe_points(self) -> list[int]:
        """Timeline frames where a clip shows a keyframe of its file (of the files whose keyframes are known);
        kept until the timeline or the keyframes change. Qt thread."""
        tl = self._tl
        if tl is None:
            return []
        got = self._key_points
        if got is None or got[0] is not tl or got[1] != self._key_version:  # the object, not its id: an id
            got = (tl, self._key_version, keyframe_points(tl, self._keyframes))  # is reused once it is freed
            self._key_points = got
        return got[2]

    def set_waveform(self, fingerprint: str, peaks: np.ndarray, buckets_per_second: float) -> None:
        """Set the audio peaks of a media file: int16 array (n, 2) of min/max per bucket."""
        arr = np.asarray(peaks, dtype=np.int16).reshape(-1, 2)
        self._waves[fingerprint] = (arr, float(buckets_per_second))
        self.update()

    def forget_media(self, fingerprint: str) -> None:
        """Drop the thumbnails and waveform held for a media file."""
        self._thumbs.pop(fingerprint, None)
        self._waves.pop(fingerprint, None)
        self._scaled = {k: v for k, v in self._scaled.items() if k[0] != fingerprint}
        self.update()

    def set_view(self, pixels_per_frame: float, left_frame: float = 0.0) -> None:
        """Set the zoom and the frame at the left edge directly (restoring a saved view, tests)."""
        self._ppf = min(MAX_PPF, max(MIN_PPF, float(pixels_per_frame)))
        self._left = max(0.0, float(left_frame))
        self._sync_scrollbars()
        self.update()

    def is_dragging(self) -> bool:
        """True while a clip is being dragged (a ghost is shown)."""
        return self._drag is not None and self._drag.active

    def zoom_in(self) -> None:
        """Zoom in around the playhead."""
        self._zoom_to(self._ppf * ZOOM_STEP)

    def zoom_out(self) -> None:
        """Zoom out around the playhead."""
        self._zoom_to(self._ppf / ZOOM_STEP)

    def zoom_fit(self) -> None:
        """Zoom so that the whole timeline (and the playhead) fits the view."""
        total = max(self._duration(), self._playhead + 1, 1)
        width = max(1.0, self._track_right() - HEADER_W - 16)
        self._ppf = min(MAX_PPF, max(MIN_PPF, width / total))
        self._left = 0.0
        self._sync_scrollbars()
        self.update()

    # --- geometry ----------------------------------------------------------------------------------------

    def _row_h(self, track_index: int) -> int:
        assert self._tl is not None
        return ROW_H.get(self._tl.tracks[track_index].kind, 40)

    def _layout_rows(self) -> None:
        tl = self._tl
        self._rows, self._row_top = [], []
        if tl is None:
            self._content_h = 0
            return
        kinds = [t.kind for t in tl.tracks]
        order = [i for i in reversed(range(len(kinds))) if kinds[i] == "video"]
        order += [i for i, k in enumerate(kinds) if k == "audio"]
        order += [i for i, k in enumerate(kinds) if k not in ("video", "audio")]
        y = 0
        for ti in order:
            self._rows.append(ti)
            self._row_top.append(y)
            y += ROW_H.get(kinds[ti], 40)
        self._content_h = y

    def _track_right(self) -> int:
        return self.width() - (self._vbar.width() if self._vbar.isVisible() else 0)

    def _rows_bottom(self) -> int:
        return self.height() - self._hbar.height()

    def _view_frames(self) -> float:
        return max(1.0, (self._track_right() - HEADER_W) / self._ppf)

    def _fx(self, frame: float) -> float:
        return HEADER_W + (frame - self._left) * self._ppf

    def _duration(self) -> int:
        return timeline_duration(self._tl) if self._tl is not None else 0

    def _row_at(self, y: float) -> int | None:
        """Row index (into ``self._rows``) under widget y, or None."""
        cy = y - RULER_H + self._top
        if y < RULER_H or cy < 0 or cy >= self._content_h or y >= self._rows_bottom():
            return None
        r = bisect.bisect_right(self._row_top, cy) - 1
        return r if r >= 0 else None

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        self._sync_scrollbars()
        super().resizeEvent(event)

    def _sync_scrollbars(self) -> None:
        hb, vb = self._hbar, self._vbar
        hh = hb.sizeHint().height()
        vw = vb.sizeHint().width()
        rows_h = self.height() - hh - RULER_H
        need_v = self._content_h > rows_h
        vb.setVisible(need_v)
        right = self.width() - (vw if need_v else 0)
        hb.setGeometry(HEADER_W, self.height() - hh, max(0, right - HEADER_W), hh)
        vb.setGeometry(self.width() - vw, RULER_H, vw, max(0, rows_h))
        self._top = max(0, min(self._top, self._content_h - rows_h)) if need_v else 0
        view_w = max(1, right - HEADER_W)
        total = max(self._duration(), self._playhead) * self._ppf + view_w * 0.5
        hmax = int(min(2**31 - 1, max(0.0, total - view_w, self._left * self._ppf)))
        self._syncing = True
        try:
            hb.setRange(0, hmax)
            hb.setPageStep(view_w)
            hb.setSingleStep(max(1, view_w // 20))
            hb.setValue(int(round(self._left * self._ppf)))
            vb.setRange(0, max(0, self._content_h - rows_h))
            vb.setPageStep(max(1, rows_h))
            vb.setSingleStep(20)
            vb.setValue(self._top)
        finally:
            self._syncing = False

    def _on_hbar(self, value: int) -> None:
        if not self._syncing:
            self._left = value / self._ppf
            self.update()

    def _on_vbar(self, value: int) -> None:
        if not self._syncing:
            self._top = value
            self.update()

    def _zoom_to(self, ppf: float) -> None:
        ppf = min(MAX_PPF, max(MIN_PPF, ppf))
        x = self._fx(self._playhead)
        right = self._track_right()
        anchor = x if HEADER_W <= x <= right else HEADER_W + (right - HEADER_W) / 2
        self._ppf = ppf
        self._left = max(0.0, self._playhead - (anchor - HEADER_W) / ppf)
        self._sync_scrollbars()
        self.update()

    # --- snapping ----------------------------------------------------------------------------------------

    def _snap_points(self) -> list[int]:
        if self._snaps is None:
            pts: set[int] = set()
            if self._tl is not None:
                pts.update(edit_points(self._tl))
                pts.update(m.frame for m in self._tl.markers)
                pts.update(p for p in (self._tl.in_point, self._tl.out_point) if p is not None)
                keys = self.keyframe_points()
                if len(keys) > 1 and (keys[-1] - keys[0]) / (len(keys) - 1) >= KEY_SNAP_MIN_GAP:
                    pts.update(keys)  # where a copy cut is exact; not for (nearly) all-intra media
            self._snaps = sorted(pts)
        return self._snaps

    def _nearest(self, frame: float, extra: tuple[int, ...] = (),
                 exclude: tuple[int, ...] = ()) -> int | None:
        """The snap point nearest to ``frame`` within SNAP_PX, or None."""
        pts = self._snap_points()
        limit = SNAP_PX / self._ppf
        cands: list[int] = [p for p in extra if p not in exclude]
        k = bisect.bisect_left(pts, frame)
        for j in (k - 2, k - 1, k, k + 1):
            if 0 <= j < len(pts) and pts[j] not in exclude:
                cands.append(pts[j])
        best = min(cands, key=lambda p: abs(p - frame), default=None)
        return best if best is not None and abs(best - frame) <= limit else None

    def _snapped_frame(self, x: float, snap: bool) -> int:
        raw = self._left + (x - HEADER_W) / self._ppf
        if snap:
            hit = self._nearest(raw)
            if hit is not None:
                return hit
        return max(0, math.floor(raw))

    # --- mouse -------------------------------------------------------------------------------------------

    def _hit(self, x: float, y: float) -> tuple[int, int, int, int] | None:
        """(track_index, item_index, start, end) of the clip or cue under (x, y), or None."""
        r = self._row_at(y)
        if r is None or self._tl is None or x < HEADER_W:
            return None
        ti = self._rows[r]
        tr = self._tl.tracks[ti]
        i = tr.index_at(math.floor(self._left + (x - HEADER_W) / self._ppf))
        if i is None or type(tr.items[i]) is Gap:
            return None
        s = tr.starts()
        return ti, i, s[i], s[i + 1]

    def _seek(self, frame: int) -> None:
        if frame != self._last_seek:
            self._last_seek = frame
            self.seek_requested.emit(frame)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        hit = self._hit(event.position().x(), event.position().y()) if self._tl is not None else None
        if hit is None or event.button() != Qt.MouseButton.LeftButton:
            return super().mouseDoubleClickEvent(event)
        self._drag = None
        item = self._tl.tracks[hit[0]].items[hit[1]]  # type: ignore[union-attr]
        self.item_activated.emit(hit[0], item.id)  # type: ignore[union-attr]

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton or self._tl is None:
            return super().mousePressEvent(event)
        pos = event.position()
        if pos.x() < HEADER_W or pos.y() >= self._rows_bottom():
            return
        snap = not event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        self._last_seek = None
        hit = self._hit(pos.x(), pos.y())
        if hit is not None and type(self._tl.tracks[hit[0]].items[hit[1]]) in (SubtitleCue, Title):
            ti, i, start, end = hit
            item = self._tl.tracks[ti].items[i]
            edge = edge_under(pos.x(), self._fx(start), self._fx(end))
            if edge is not None:  # a cue's or title's edge: retimed (no source to trim)
                self._edge = EdgeDrag(ti, item.id, edge, start if edge == "in" else end,  # type: ignore[union-attr]
                                      "cue" if type(item) is SubtitleCue else "title", clip_start=start, clip_end=end)
                if (ti, item.id) != self._sel:  # type: ignore[union-attr]
                    self._sel = (ti, item.id)  # type: ignore[union-attr]
                    self.selection_changed.emit(*self._sel)
                self.update()
                return
        if hit is not None and type(self._tl.tracks[hit[0]].items[hit[1]]) is Clip:
            ti, i, start, end = hit
            it = self._tl.tracks[ti].items[i]
            assert type(it) is Clip
            edge = None
            if self._tl.tracks[ti].kind == "audio":
                top = self.row_rect(ti).top() + 2
                fade = fade_under(pos.x(), pos.y(), top, self._fx(start), self._fx(end),
                                  self._fx(start + it.fade_in), self._fx(end - it.fade_out))
                if fade is not None:
                    self._edge = EdgeDrag(ti, it.id, fade, start + it.fade_in if fade == "fade_in"
                                          else end - it.fade_out, "fade", clip_start=start, clip_end=end)
                    self._sel = (ti, it.id)
                    self.selection_changed.emit(*self._sel)
                    return
            if edge is None:
                edge = edge_under(pos.x(), self._fx(start), self._fx(end))
            if edge is not None:
                mods = event.modifiers()
                mode = ("roll" if mods & Qt.KeyboardModifier.AltModifier else
                        "ripple" if mods & Qt.KeyboardModifier.ControlModifier else "trim")
                item = self._tl.tracks[ti].items[i]
                self._edge = EdgeDrag(ti, item.id, edge, start if edge == "in" else end, mode)  # type: ignore[union-attr]
                if (ti, item.id) != self._sel:  # type: ignore[union-attr]
                    self._sel = (ti, item.id)  # type: ignore[union-attr]
                    self.selection_changed.emit(*self._sel)
                self.update()
                return
        if hit is not None and event.modifiers() & Qt.KeyboardModifier.ShiftModifier and self._sel[1] >= 0:
            item_id = self._tl.tracks[hit[0]].items[hit[1]].id  # type: ignore[union-attr]
            if item_id != self._sel[1]:  # Shift+click: add to (or take from) the selection
                self._more ^= {item_id}
                self.update()
                return
        if hit is not None:
            ti, i, start, end = hit
            item = self._tl.tracks[ti].items[i]
            sel = (ti, item.id)  # type: ignore[union-attr]
            if item.id not in self._more and sel != self._sel:  # type: ignore[union-attr]
                self._more = set()  # a click on a clip outside the selection starts a new one
            elif item.id in self._more:  # type: ignore[union-attr]
                self._more = (self._more - {item.id}) | ({self._sel[1]} if self._sel[1] >= 0 else set())  # type: ignore[union-attr]
            if sel != self._sel:
                self._sel = sel
                self.selection_changed.emit(*sel)
            self._drag = _Drag(ti, item.id, self._tl.tracks[ti].kind, start, end - start,  # type: ignore[union-attr]
                               pos.x(), pos.y(), new_track=ti, new_start=start,
                               slip=bool(event.modifiers() & Qt.KeyboardModifier.AltModifier))
        else:
            self._more = set()
            if pos.y() >= RULER_H and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
                self._box = (pos.x(), pos.y(), pos.x(), pos.y())  # box select
                return
            if pos.y() >= RULER_H and self._sel != (-1, -1):
                self._sel = (-1, -1)
                self.selection_changed.emit(-1, -1)
            self._scrubbing = True
        self._seek(self._snapped_frame(pos.x(), snap))
        self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = event.position()
        snap = not event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        if self._scrubbing:
            self._seek(self._snapped_frame(pos.x(), snap))
            return
        if self._box is not None:
            self._box = (self._box[0], self._box[1], pos.x(), pos.y())
            self.update()
            return
        if self._edge is not None:
            e = self._edge
            raw = self._left + (pos.x() - HEADER_W) / self._ppf
            hit_frame = self._nearest(raw, extra=(self._playhead,), exclude=(e.frame,)) if snap else None
            frame = hit_frame if hit_frame is not None else max(0, round(raw))
            if frame != e.frame or e.moved:
                e.moved = e.moved or frame != e.frame
                e.frame = frame
                self._drop_x = self._fx(frame)
                self.update()
            return
        d = self._drag
        if d is None:
            return
        if not d.active:
            dist = abs(pos.x() - d.press_x) + abs(pos.y() - d.press_y)
            if dist < QApplication.startDragDistance():
                return
            d.active = True
        start = d.start + round((pos.x() - d.press_x) / self._ppf)
        if snap:
            own = (d.start, d.start + d.length)
            best: tuple[float, int] | None = None
            for edge in (start, start + d.length):
                hit = self._nearest(edge, extra=(self._playhead,), exclude=own)
                if hit is not None and (best is None or abs(hit - edge) < best[0]):
                    best = (abs(hit - edge), start + hit - edge)
            if best is not None:
                start = best[1]
        d.new_start = max(0, start)
        r = self._row_at(pos.y())
        if r is not None and self._tl is not None and self._tl.tracks[self._rows[r]].kind == d.kind:
            d.new_track = self._rows[r]
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mouseReleaseEvent(event)
        box, self._box = self._box, None
        if box is not None:
            self._select_box(box)
            self.update()
            return
        edge, self._edge = self._edge, None
        if edge is not None:
            self._drop_x = None
            request = edit_for(edge, edge.clip_start, edge.clip_end)
            if request is not None:
                self.edit_requested.emit(*request)
            self.update()
            return
        d, self._drag = self._drag, None
        self._scrubbing = False
        if d is not None and d.active and d.slip and self._tl is not None:
            item = self._tl.tracks[d.track].items[self._tl.tracks[d.track].index_of(d.clip_id) or 0]
            if type(item) is Clip:
                n, q = source_factor(item.media.rate, item.speed, self._tl.rate)
                moved = round((event.position().x() - d.press_x) / self._ppf)
                if moved:  # content follows the mouse: dragging right shows earlier source
                    self.edit_requested.emit("slip_clip", {"clip_id": d.clip_id, "frames": -(moved * n // q)})
        elif d is not None and d.active and (d.new_track, d.new_start) != (d.track, d.start):
            self.move_requested.emit(d.track, d.clip_id, d.new_track, d.new_start)
        self.update()

    def _select_box(self, box: tuple[float, float, float, float]) -> None:
        """Select every clip or cue the box touches (the first one becomes the selected clip)."""
        tl = self._tl
        if tl is None:
            return
        x0, x1 = sorted((box[0], box[2]))
        y0, y1 = sorted((box[1], box[3]))
        f0, f1 = self.frame_at(x0), self.frame_at(x1) + 1
        found: list[tuple[int, int]] = []
        for r, ti in enumerate(self._rows):
            top = RULER_H + self._row_top[r] - self._top
            if top + self._row_h(ti) < y0 or top > y1:
                continue
            tr = tl.tracks[ti]
            s = tr.starts()
            for i, it in enumerate(tr.items):
                if type(it) is not Gap and s[i] < f1 and s[i + 1] > f0:
                    found.append((ti, it.id))  # type: ignore[union-attr]
        self._more = {cid for _, cid in found[1:]}
        sel = found[0] if found else (-1, -1)
        self._sel = sel
        self.selection_changed.emit(*sel)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802
        """Right click: a clip's menu (it is selected first), a track's menu (on its header or an empty
        spot of its row), or nothing."""
        pos = event.pos()
        r = self._row_at(pos.y())
        track = self._rows[r] if r is not None else -1
        hit = self._hit(pos.x(), pos.y())
        clip_id = -1
        if hit is not None and self._tl is not None:
            clip_id = self._tl.tracks[hit[0]].items[hit[1]].id  # type: ignore[union-attr]
            if (hit[0], clip_id) != self._sel:
                self._sel = (hit[0], clip_id)
                self.selection_changed.emit(*self._sel)
                self.update()
        elif track >= 0:
            self._sel = (track, -1)
            self.selection_changed.emit(track, -1)
        self.context_requested.emit(track, clip_id, event.globalPos())

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        mods = event.modifiers()
        delta = event.angleDelta()
        dy, dx = delta.y(), delta.x()
        if mods & Qt.KeyboardModifier.ControlModifier:
            if dy:
                self._zoom_to(self._ppf * (ZOOM_STEP ** (dy / 120)))
            event.accept()
            return
        if mods & Qt.KeyboardModifier.AltModifier and self._vbar.isVisible():
            self._vbar.setValue(self._vbar.value() - (dy or dx) // 2)
            event.accept()
            return
        pixels = event.pixelDelta()
        step = pixels.x() or pixels.y() if not pixels.isNull() else (dx or dy) / 120 * 80
        self._hbar.setValue(int(self._hbar.value() - step))
        event.accept()

    # --- drops -------------------------------------------------------------------------------------------

    _paths = staticmethod(local_paths)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if self._paths(event):
            event.acceptProposedAction()
            self._drop_x = event.position().x()
            self.update()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        if self._paths(event):
            event.acceptProposedAction()
            self._drop_x = event.position().x()
            self.update()

    def dragLeaveEvent(self, event: object) -> None:  # noqa: N802
        self._drop_x = None
        self.update()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        paths = self._paths(event)
        self._drop_x = None
        self.update()
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        snap = not event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        self.files_dropped.emit(paths, self._snapped_frame(max(HEADER_W, event.position().x()), snap))

    # --- painting ----------------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        # the columns to repaint: a moving playhead repaints two thin strips, not every waveform column
        self._paint_spans = [(r.left(), r.right() + 1) for r in event.region()]
        p = QPainter(self)
        w, bottom = self._track_right(), self._rows_bottom()
        p.fillRect(self.rect(), theme.BASE)
        tl = self._tl
        if tl is not None:
            p.save()
            p.setClipRect(QRect(HEADER_W, RULER_H, w - HEADER_W, bottom - RULER_H))
            self._paint_rows(p, tl, w, bottom)
            self._paint_range_and_markers(p, tl, RULER_H, bottom)
            self._paint_ghost(p, tl)
            if self._box is not None:
                b = self._box
                p.setPen(QPen(theme.SELECTION, 1, Qt.PenStyle.DashLine))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawRect(QRectF(min(b[0], b[2]), min(b[1], b[3]), abs(b[2] - b[0]), abs(b[3] - b[1])))
            p.restore()
        if tl is None or not any(tr.items for tr in tl.tracks):
            p.setPen(theme.TEXT_DIM)
            p.setFont(theme.ui_font(10))
            p.drawText(QRect(HEADER_W, RULER_H, w - HEADER_W, bottom - RULER_H), Qt.AlignmentFlag.AlignCenter,
                       "Drop media files here to start editing")
        self._paint_ruler(p, tl, w)
        self._paint_headers(p, tl, bottom)
        if self._drop_x is not None:
            p.setPen(QPen(theme.ACCENT, 2))
            p.drawLine(QPointF(self._drop_x, 0), QPointF(self._drop_x, bottom))
        if tl is not None:
            self._paint_playhead(p, bottom)
        p.end()

    def _paint_rows(self, p: QPainter, tl: Timeline, right: int, bottom: int) -> None:
        f0 = self._left
        f1 = self._left + (right - HEADER_W) / self._ppf
        for r, ti in enumerate(self._rows):
            y = RULER_H + self._row_top[r] - self._top
            h = ROW_H.get(tl.tracks[ti].kind, 40)
            if y + h < RULER_H or y > bottom:
                continue
            bg = theme.ROW_BG if r % 2 == 0 else theme.ROW_BG_ALT
            p.fillRect(QRect(HEADER_W, y, right - HEADER_W, h), bg)
            p.fillRect(QRect(HEADER_W, y + h - 1, right - HEADER_W, 1), theme.GRID)
            self._paint_track(p, tl, ti, tl.tracks[ti], y, h, f0, f1, right)

    def _paint_track(self, p: QPainter, tl: Timeline, ti: int, tr: Track, y: int, h: int,
                     f0: float, f1: float, right: int) -> None:
        s = tr.starts()
        n = len(tr.items)
        i0 = max(0, bisect.bisect_right(s, f0) - 1)
        i1 = min(n, bisect.bisect_left(s, f1))
        fill = theme.track_color(tr.kind)
        edge = theme.TRACK_EDGE.get(tr.kind, fill.darker(160))
        run_a = run_b = -1.0
        top, height = y + 2, h - 5
        for i in range(i0, i1):
            it = tr.items[i]
            if isinstance(it, Gap):
                continue
            xa, xb = self._fx(s[i]), self._fx(s[i + 1])
            if xb - xa < 3.0:  # too small to draw alone: merge neighbours into one block
                if run_a >= 0 and xa <= run_b + 1.0:
                    run_b = max(run_b, xb)
                else:
                    if run_a >= 0:
                        p.fillRect(QRectF(run_a, top, max(1.0, run_b - run_a), height), fill)
                    run_a, run_b = xa, xb
                continue
            selected = (ti, it.id) == self._sel or it.id in self._more  # type: ignore[union-attr]
            self._paint_item(p, tl, it, tr.kind, s[i], xa, xb, top, height, right, fill, edge, selected)
        if run_a >= 0:
            p.fillRect(QRectF(run_a, top, max(1.0, run_b - run_a), height), fill)

    def _paint_item(self, p: QPainter, tl: Timeline, it: Clip | SubtitleCue, kind: str, start: int,
                    xa: float, xb: float, top: float, height: float, right: int,
                    fill: QColor, edge: QColor, selected: bool, ghost: bool = False) -> None:
        # clamp far-off edges so huge zooms keep coordinates small; keep rounding off-screen
        ca, cb = max(xa, HEADER_W - 8.0), min(xb, right + 8.0)
        box = QRectF(ca + 0.5, top + 0.5, max(1.0, cb - ca - 1.0), height)
        p.setPen(QPen(theme.SELECTION, 2) if selected else QPen(edge, 1))
        p.setBrush(QBrush(TITLE_FILL if type(it) is Title else
                          fill.darker(135) if type(it) is Clip and kind == "video" else fill))
        p.drawRoundedRect(box, 4, 4)
        if cb - ca < 8 or ghost:
            return
        inner = box.adjusted(1.5, 1.5, -1.5, -1.5)
        p.save()
        visible = inner.intersected(QRectF(HEADER_W, top, right - HEADER_W, height))
        p.setClipRect(visible, Qt.ClipOperation.IntersectClip)
        label_x = max(xa, HEADER_W) + 5
        if type(it) is Title:
            paint_look_marks(p, it.look, start, it.duration, self._fx, inner.top(), inner.height())
        if type(it) is SubtitleCue or type(it) is Title:
            p.setPen(theme.TEXT)
            p.setFont(self._font)
            fm = QFontMetrics(self._font)
            one_line = ("T  " if type(it) is Title else "") + " ".join(it.text.split())
            text = fm.elidedText(one_line, Qt.TextElideMode.ElideRight, int(cb - label_x - 4))
            p.drawText(QRectF(label_x, top, cb - label_x, height), Qt.AlignmentFlag.AlignVCenter, text)
            p.restore()
            return
        assert type(it) is Clip
        body = QRectF(inner.left(), inner.top() + NAME_H, inner.width(), inner.height() - NAME_H)
        if kind == "video":
            self._paint_filmstrip(p, tl, it, start, xa, body, right)
        elif kind == "audio":
            self._paint_waveform(p, tl, it, start, body, right)
            if it.fade_in or it.fade_out:  # the fades as lines over the waveform
                p.setPen(QPen(theme.ACCENT, 1.5))
                if it.fade_in:
                    p.drawLine(QPointF(xa, body.bottom()), QPointF(self._fx(start + it.fade_in), body.top()))
                if it.fade_out:
                    xe = self._fx(start + it.duration)
                    p.drawLine(QPointF(self._fx(start + it.duration - it.fade_out), body.top()),
                               QPointF(xe, body.bottom()))
        p.fillRect(QRectF(inner.left(), inner.top(), inner.width(), NAME_H), QColor(0, 0, 0, 90))
        p.setPen(theme.TEXT)
        p.setFont(self._font_bold if selected else self._font)
        fm = QFontMetrics(self._font)
        name = (it.name or os.path.basename(it.media.path)) + clip_badges(it)
        text = fm.elidedText(name, Qt.TextElideMode.ElideRight, int(cb - label_x - 4))
        p.drawText(QRectF(label_x, inner.top(), cb - label_x, NAME_H), Qt.AlignmentFlag.AlignVCenter, text)
        if kind == "video":
            paint_look_marks(p, it.look, start, it.duration, self._fx, inner.top(), inner.height())
        p.restore()

    def _tile_pixmap(self, fp: str, key: int, img: QImage, h: int) -> QPixmap:
        ck = (fp, key, h)
        pm = self._scaled.get(ck)
        if pm is None:
            if len(self._scaled) > 3000:
                self._scaled.clear()
            pm = QPixmap.fromImage(img.scaledToHeight(h, Qt.TransformationMode.SmoothTransformation))
            self._scaled[ck] = pm
        return pm

    def _paint_filmstrip(self, p: QPainter, tl: Timeline, clip: Clip, start: int, xa: float,
                         body: QRectF, right: int) -> None:
        entry = self._thumbs.get(clip.media.fingerprint)
        th = int(body.height())
        if entry is None or th < 8:
            return
        keys, table = entry
        if not keys:
            return
        first = table[keys[0]]
        aspect = first.width() / max(1, first.height())
        tw = max(8.0, th * aspect)
        n, d = source_factor(clip.media.rate, clip.speed, tl.rate)
        lo = max(body.left(), float(HEADER_W))
        hi = min(body.right(), float(right))
        k0 = max(0, math.floor((lo - xa) / tw))
        k1 = math.ceil((hi - xa) / tw)
        for k in range(k0, k1):
            x = xa + k * tw
            mid_frame = (x + tw / 2 - xa) / self._ppf
            src = clip.source_in + mid_frame * n / d
            j = bisect.bisect_left(keys, src)
            if j >= len(keys) or (j > 0 and src - keys[j - 1] <= keys[j] - src):
                j -= 1
            key = keys[j]
            pm = self._tile_pixmap(clip.media.fingerprint, key, table[key], th)
            p.drawPixmap(QPointF(x, body.top()), pm)
            p.fillRect(QRectF(x + tw - 1, body.top(), 1, body.height()), QColor(0, 0, 0, 120))

    def _paint_waveform(self, p: QPainter, tl: Timeline, clip: Clip, start: int, body: QRectF,
                        right: int) -> None:
        wave = self._waves.get(clip.media.fingerprint)
        if wave is None or body.height() < 6:
            return
        peaks, bps = wave
        if len(peaks) == 0:
            return
        lo = max(body.left(), float(HEADER_W))
        hi = min(body.right(), float(right))
        spans = self._paint_spans or [(lo, hi)]
        for a, b in spans:
            a, b = max(lo, float(math.floor(a))), min(hi, float(b))
            if b - a >= 1:
                self._paint_waveform_span(p, tl, clip, start, body, peaks, bps, a, b)

    def _paint_waveform_span(self, p: QPainter, tl: Timeline, clip: Clip, start: int, body: QRectF,
                             peaks: np.ndarray, bps: float, lo: float, hi: float) -> None:
        """The waveform between x = ``lo`` and ``hi`` (one polygon, one column a pixel)."""
        cols = int(hi - lo)
        if cols < 1:
            return
        n, d = source_factor(clip.media.rate, clip.speed, tl.rate)
        xs = lo + np.arange(cols + 1, dtype=np.float64)
        frames = self._left + (xs - HEADER_W) / self._ppf - start  # timeline frames into the clip
        secs = (clip.source_in + frames * (n / d)) / float(clip.media.rate)
        idx = np.clip((secs * bps).astype(np.int64), 0, len(peaks) - 1)
        # column c spans buckets idx[c]..idx[c+1] (at least one); reduceat gives min/max of each span
        mins = np.minimum.reduceat(peaks[:, 0], idx)[:-1]
        maxs = np.maximum.reduceat(peaks[:, 1], idx)[:-1]
        mid = body.center().y()
        half = body.height() / 2 - 1
        top = mid - db_scale(maxs) * half  # in dB (-60..0): speech at normal levels fills the row
        bot = mid + db_scale(-mins.astype(np.int32)) * half
        bot = np.maximum(bot, top + 1)
        xc = xs[:-1] + 0.5
        pts = [QPointF(x, yv) for x, yv in zip(xc.tolist(), top.tolist(), strict=True)]
        pts += [QPointF(x, yv) for x, yv in zip(reversed(xc.tolist()), reversed(bot.tolist()), strict=True)]
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(theme.WAVEFORM)
        p.drawPolygon(QPolygonF(pts))

    def _paint_range_and_markers(self, p: QPainter, tl: Timeline, top: int, bottom: int) -> None:
        a, b = tl.in_point, tl.out_point
        if a is not None or b is not None:
            xa = self._fx(a if a is not None else 0)
            xb = self._fx(b if b is not None else max(self._duration(), (a or 0) + 1))
            p.fillRect(QRectF(xa, top, xb - xa, bottom - top), theme.IN_OUT_SHADE)
            p.setPen(QPen(theme.ACCENT, 1))
            for x, frame in ((xa, a), (xb, b)):
                if frame is not None:
                    p.drawLine(QPointF(x, top), QPointF(x, bottom))
        pts = [m.frame for m in tl.markers]
        k0 = bisect.bisect_left(pts, math.floor(self._left))
        k1 = bisect.bisect_right(pts, self._left + self._view_frames() + 1)
        for m in tl.markers[k0:k1]:
            c = QColor(theme.marker_color(m.color))
            c.setAlpha(110)
            x = self._fx(m.frame)
            p.setPen(QPen(c, 1, Qt.PenStyle.DashLine))
            p.drawLine(QPointF(x, top), QPointF(x, bottom))

    def _paint_ghost(self, p: QPainter, tl: Timeline) -> None:
        d = self._drag
        if d is None or not d.active or d.new_track not in self._rows:
            return
        r = self._rows.index(d.new_track)
        y = RULER_H + self._row_top[r] - self._top
        h = ROW_H.get(d.kind, 40)
        xa, xb = self._fx(d.new_start), self._fx(d.new_start + d.length)
        fill = QColor(theme.track_color(d.kind))
        fill.setAlpha(120)
        p.setPen(QPen(theme.SELECTION, 1.5, Qt.PenStyle.DashLine))
        p.setBrush(fill)
        p.drawRoundedRect(QRectF(xa, y + 2, max(2.0, xb - xa), h - 5), 4, 4)
        p.setPen(theme.TEXT)
        p.setFont(self._mono)
        p.drawText(QPointF(xa + 4, y + h - 8), format_timecode(d.new_start, tl.rate))

    def _ruler_step(self, tl: Timeline) -> tuple[int, int]:
        """(major, minor) tick spacing in frames for the current zoom."""
        fps = nominal_fps(tl.rate)
        steps = [1, 2, 5, 10] + [fps * s for s in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)]
        steps = sorted({s for s in steps if s < fps or s % fps == 0})
        major = next((s for s in steps if s * self._ppf >= 96), steps[-1])
        while major * self._ppf < 96:
            major *= 2
        minor = major
        for div in (10, 5, 4, 2):
            if major % div == 0 and (major // div) * self._ppf >= 7:
                minor = major // div
                break
        return major, minor

    def _paint_ruler(self, p: QPainter, tl: Timeline | None, right: int) -> None:
        p.fillRect(QRect(0, 0, self.width(), RULER_H), theme.RULER_BG)
        p.fillRect(QRect(0, RULER_H - 1, self.width(), 1), theme.GRID)
        if tl is None:
            return
        p.save()
        p.setClipRect(QRect(HEADER_W, 0, right - HEADER_W, RULER_H))
        a, b = tl.in_point, tl.out_point
        if a is not None or b is not None:
            xa = self._fx(a if a is not None else 0)
            xb = self._fx(b if b is not None else max(self._duration(), (a or 0) + 1))
            p.fillRect(QRectF(xa, RULER_H - 6, xb - xa, 5), theme.ACCENT)
        major, minor = self._ruler_step(tl)
        f0 = math.floor(self._left / minor) * minor
        f1 = self._left + self._view_frames() + minor
        p.setFont(self._mono)
        tick = QPen(theme.TEXT_DIM, 1)
        f = f0
        lines, labels = [], []
        while f <= f1:
            x = round(self._fx(f)) + 0.5
            if f % major == 0:
                lines.append((x, RULER_H - 14))
                labels.append((x, f))
            else:
                lines.append((x, RULER_H - 6))
            f += minor
        p.setPen(tick)
        for x, y in lines:
            p.drawLine(QPointF(x, y), QPointF(x, RULER_H - 1))
        p.setPen(theme.TEXT_DIM)
        for x, f in labels:
            p.drawText(QPointF(x + 4, 13), format_timecode(f, tl.rate))
        self._paint_keyframe_ticks(p)
        self._paint_marker_flags(p, tl)
        p.restore()

    def _paint_keyframe_ticks(self, p: QPainter) -> None:
        """A short tick at the foot of the ruler on every keyframe in view (none when they would touch)."""
        pts = self.keyframe_points()
        k0 = bisect.bisect_left(pts, math.floor(self._left))
        k1 = bisect.bisect_right(pts, self._left + self._view_frames() + 1)
        shown = pts[k0:k1]
        if not shown or (len(shown) > 1 and (shown[-1] - shown[0]) * self._ppf / (len(shown) - 1) < 3):
            return
        p.setPen(QPen(theme.KEYFRAME, 2))
        for f in shown:
            x = round(self._fx(f)) + 0.5
            p.drawLine(QPointF(x, RULER_H - 5), QPointF(x, RULER_H - 1))

    def _paint_marker_flags(self, p: QPainter, tl: Timeline) -> None:
        pts = [m.frame for m in tl.markers]
        k0 = bisect.bisect_left(pts, math.floor(self._left - 200 / self._ppf))
        k1 = bisect.bisect_right(pts, self._left + self._view_frames() + 1)
        fm = QFontMetrics(self._font)
        p.setFont(self._font)
        for m in tl.markers[k0:k1]:
            x = round(self._fx(m.frame)) + 0.5
            c = theme.marker_color(m.color)
            y0 = 16.0
            flag = QPolygonF([QPointF(x, y0), QPointF(x + 9, y0 + 4), QPointF(x, y0 + 8)])
            p.setPen(QPen(c, 1.5))
            p.drawLine(QPointF(x, y0), QPointF(x, RULER_H - 1))
            p.setBrush(c)
            p.drawPolygon(flag)
            if m.label:
                text = fm.elidedText(m.label, Qt.TextElideMode.ElideRight, 140)
                tw = fm.horizontalAdvance(text)
                box = QRectF(x + 11, y0 - 1, tw + 6, 12)
                p.fillRect(box, QColor(0, 0, 0, 150))
                p.setPen(c)
                p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_headers(self, p: QPainter, tl: Timeline | None, bottom: int) -> None:
        p.fillRect(QRect(0, 0, HEADER_W, self.height()), theme.HEADER_BG)
        p.fillRect(QRect(HEADER_W - 1, 0, 1, self.height()), theme.GRID)
        p.fillRect(QRect(0, RULER_H - 1, HEADER_W, 1), theme.GRID)
        if tl is None:
            return
        p.setFont(self._mono)
        p.setPen(theme.TEXT)
        p.drawText(QRect(0, 0, HEADER_W - 2, RULER_H), Qt.AlignmentFlag.AlignCenter,
                   format_timecode(self._playhead, tl.rate)[3:])
        p.save()
        p.setClipRect(QRect(0, RULER_H, HEADER_W, bottom - RULER_H))
        p.setFont(self._font_bold)
        for r, ti in enumerate(self._rows):
            tr = tl.tracks[ti]
            y = RULER_H + self._row_top[r] - self._top
            h = ROW_H.get(tr.kind, 40)
            p.fillRect(QRect(0, y, 4, h - 1), theme.track_color(tr.kind))
            p.fillRect(QRect(0, y + h - 1, HEADER_W, 1), theme.GRID)
            p.setPen(theme.TEXT)
            name = tr.name or tr.kind[:1].upper()
            p.setPen(theme.TEXT_DIM if tr.hidden else theme.TEXT)
            p.drawText(QRect(8, y, HEADER_W - 12, h), Qt.AlignmentFlag.AlignVCenter, name)
            flags = "".join(ch for ch, on in (("M", tr.muted), ("S", tr.solo), ("L", tr.locked), ("H", tr.hidden))
                            if on)
            if flags or tr.gain_db:
                p.setPen(theme.ACCENT)
                extra = flags + (f" {tr.gain_db:+g}dB" if tr.gain_db else "")
                p.drawText(QRect(8, y + h - 16, HEADER_W - 10, 14), Qt.AlignmentFlag.AlignLeft, extra)
        p.restore()

    def _paint_playhead(self, p: QPainter, bottom: int) -> None:
        x = round(self._fx(self._playhead)) + 0.5
        if x < HEADER_W or x > self._track_right():
            return
        p.setPen(QPen(theme.PLAYHEAD, 1.5))
        p.drawLine(QPointF(x, RULER_H - 8), QPointF(x, bottom))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(theme.PLAYHEAD)
        head = [QPointF(x - 6, RULER_H - 12), QPointF(x + 6, RULER_H - 12), QPointF(x, RULER_H - 3)]
        p.drawPolygon(QPolygonF(head))
