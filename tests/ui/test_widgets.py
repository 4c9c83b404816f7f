"""Core widgets, driven like a user would (pytest-qt): timeline clicks, snapping, drags, zoom, paint speed,
media bin drops, jobs panel cancel/ETA, viewer rendering, and a screenshot of the timeline with the viewer."""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import (
    QAction,
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QImage,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QWheelEvent,
)
from PySide6.QtWidgets import QApplication, QHBoxLayout, QVBoxLayout, QWidget

from editor.model.edits import add_track, append_clip
from editor.model.marks import add_cue, add_marker, set_in_out
from editor.model.navigate import duration, timeline_from_media
from editor.model.timeline import Clip, Gap, MediaRef, Timeline, Track
from editor.ui.jobs_panel import JobsPanel
from editor.ui.media_bin import PLACEHOLDER, MediaBin
from editor.ui.theme import apply_theme
from editor.ui.timeline_view import HEADER_W, RULER_H, TimelineView
from editor.ui.viewer import MIN_DB, PEAK_HOLD_S, ViewerWidget

RATE = Fraction(25)
LEFT = Qt.MouseButton.LeftButton
NOMOD = Qt.KeyboardModifier.NoModifier


def media(i: int, frames: int, video: bool = True) -> MediaRef:
    return MediaRef(f"fp{i}", f"/media/clip_{i}.mp4", frames, RATE, video, True,
                    1920 if video else None, 1080 if video else None)


def sample() -> tuple[Timeline, list[MediaRef]]:
    """V1/A1 with three files of 100, 50 and 80 frames (edit points 0, 100, 150, 230)."""
    ms = [media(0, 100), media(1, 50), media(2, 80)]
    return timeline_from_media(ms, RATE), ms


def show(qtbot, widget: QWidget, w: int = 1000, h: int = 300) -> QWidget:  # type: ignore[no-untyped-def]
    qtbot.addWidget(widget)
    widget.resize(w, h)
    with qtbot.waitExposed(widget):
        widget.show()
    return widget


def make_view(qtbot, tl: Timeline, ppf: float | None = None) -> TimelineView:  # type: ignore[no-untyped-def]
    view = TimelineView()
    view.set_timeline(tl)
    show(qtbot, view)
    if ppf is not None:  # zoom to a known scale, scrolled to the start
        view.set_view(ppf, 0.0)
    return view


def row_y(view: TimelineView, track: int) -> int:
    return view.row_rect(track).center().y()


def xf(view: TimelineView, frame: float) -> int:
    return round(view.x_for_frame(frame))


def send_mouse(widget: QWidget, kind: QMouseEvent.Type, x: float, y: float,
               mods: Qt.KeyboardModifier = NOMOD) -> None:
    buttons = Qt.MouseButton.NoButton if kind == QMouseEvent.Type.MouseButtonRelease else LEFT
    ev = QMouseEvent(kind, QPointF(x, y), widget.mapToGlobal(QPointF(x, y)), LEFT, buttons, mods)
    QApplication.sendEvent(widget, ev)


def synthetic_drop(widget: QWidget, pos: QPointF, paths: list[str]) -> bool:
    """Drag files over ``widget`` and drop them as the window system would; True if the enter is accepted."""
    md = QMimeData()
    md.setUrls([QUrl.fromLocalFile(p) for p in paths])
    point = pos.toPoint()  # PySide6 6.11's drag events take integer points; the drop event takes either
    enter = QDragEnterEvent(point, Qt.DropAction.CopyAction, md, LEFT, NOMOD)
    QApplication.sendEvent(widget, enter)
    QApplication.sendEvent(widget, QDragMoveEvent(point, Qt.DropAction.CopyAction, md, LEFT, NOMOD))
    QApplication.sendEvent(widget, QDropEvent(pos, Qt.DropAction.CopyAction, md, LEFT, NOMOD))
    return enter.isAccepted()


# --- TimelineView ---------------------------------------------------------------------------------------


def test_click_on_ruler_seeks_to_frame_under_x(qtbot) -> None:  # type: ignore[no-untyped-def]
    tl, _ = sample()
    view = make_view(qtbot, tl, ppf=4.0)
    assert view.pixels_per_frame() == 4.0
    x = HEADER_W + 57 * 4 + 2  # inside frame 57, far (> 8 px) from edit points 0 and 100
    with qtbot.waitSignal(view.seek_requested) as blocker:
        qtbot.mouseClick(view, LEFT, pos=QPoint(x, RULER_H // 2))
    assert blocker.args == [57]


def test_click_near_edit_point_snaps_and_shift_disables(qtbot) -> None:  # type: ignore[no-untyped-def]
    tl, _ = sample()
    view = make_view(qtbot, tl, ppf=4.0)
    x = xf(view, 100) + 6  # 1.5 frames right of the cut at 100: within 8 px
    with qtbot.waitSignal(view.seek_requested) as blocker:
        qtbot.mouseClick(view, LEFT, pos=QPoint(x, RULER_H // 2))
    assert blocker.args == [100]
    with qtbot.waitSignal(view.seek_requested) as blocker:
        qtbot.mouseClick(view, LEFT, Qt.KeyboardModifier.ShiftModifier, QPoint(x, RULER_H // 2))
    assert blocker.args == [101]


def test_snaps_to_markers_and_in_out(qtbot) -> None:  # type: ignore[no-untyped-def]
    tl, _ = sample()
    tl = set_in_out(add_marker(tl, 40, "m", "blue"), 20, 70)
    view = make_view(qtbot, tl, ppf=4.0)
    for target in (40, 20, 70):
        with qtbot.waitSignal(view.seek_requested) as blocker:
            qtbot.mouseClick(view, LEFT, pos=QPoint(xf(view, target) - 5, RULER_H // 2))
        assert blocker.args == [target]


def test_keyframes_are_snap_points_but_not_those_of_all_intra_media(qtbot) -> None:  # type: ignore[no-untyped-def]
    """A lossless cutter snaps the playhead (and trims) to where a copy cut is exact; a file with a keyframe at
    almost every frame snaps nowhere new (else edit points could not be hit)."""
    tl, ms = sample()
    view = make_view(qtbot, tl, ppf=4.0)
    view.set_keyframes(ms[0].fingerprint, [0, 25, 50, 75])
    for target, mods, want in ((25, NOMOD, 25), (75, NOMOD, 75), (25, Qt.KeyboardModifier.ShiftModifier, 26)):
        with qtbot.waitSignal(view.seek_requested) as blocker:
            qtbot.mouseClick(view, LEFT, mods, QPoint(xf(view, target) + 6, RULER_H // 2))
        assert blocker.args == [want]
    view.set_keyframes(ms[0].fingerprint, list(range(0, 100, 2)))  # all-intra-like: every other frame
    with qtbot.waitSignal(view.seek_requested) as blocker:
        qtbot.mouseClick(view, LEFT, pos=QPoint(xf(view, 100) - 6, RULER_H // 2))
    assert blocker.args == [100], "the cut at 100 still wins over the keyframe at 98"


def test_click_on_clip_selects_it_and_empty_area_clears(qtbot) -> None:  # type: ignore[no-untyped-def]
    tl, _ = sample()
    view = make_view(qtbot, tl, ppf=4.0)
    v1 = 0
    clip = tl.tracks[v1].items[1]
    assert isinstance(clip, Clip)
    got: list[tuple[str, list[int]]] = []
    view.selection_changed.connect(lambda *a: got.append(("select", list(a))))
    view.seek_requested.connect(lambda *a: got.append(("seek", list(a))))
    qtbot.mouseClick(view, LEFT, pos=QPoint(xf(view, 125), row_y(view, v1)))
    assert got == [("select", [v1, clip.id]), ("seek", [125])]
    assert view.selection() == (v1, clip.id)
    with qtbot.waitSignal(view.selection_changed) as blocker:
        qtbot.mouseClick(view, LEFT, pos=QPoint(xf(view, 235), row_y(view, v1)))  # past the end: empty
    assert blocker.args == [-1, -1]
    assert view.selection() == (-1, -1)


def test_drag_clip_emits_move_with_snapping(qtbot) -> None:  # type: ignore[no-untyped-def]
    ms = [media(0, 100), media(1, 50)]
    tl = add_track(timeline_from_media(ms[:1], RATE), "video")  # V1 (0), A1 (1), V2 (2)
    tl = append_clip(tl, 2, ms[1], 0, 50)  # V2: clip at 0..50
    clip = tl.tracks[2].items[0]
    view = make_view(qtbot, tl, ppf=4.0)
    press = (xf(view, 10), row_y(view, 2))
    moves: list[list[int]] = []
    view.move_requested.connect(lambda *a: moves.append(list(a)))
    send_mouse(view, QMouseEvent.Type.MouseButtonPress, *press)
    send_mouse(view, QMouseEvent.Type.MouseMove, press[0] + 30, press[1])
    assert view.is_dragging()  # a ghost is shown
    send_mouse(view, QMouseEvent.Type.MouseMove, press[0] + 4 * 30, press[1])  # +30 frames, no snap nearby
    send_mouse(view, QMouseEvent.Type.MouseButtonRelease, press[0] + 4 * 30, press[1])
    assert moves == [[2, clip.id, 2, 30]]
    # drag so the end (50 + 48 = 98) lands 2 frames from V1's cut at 100: snaps to start 50; drop onto V1? no,
    # kinds match only video tracks, so also move down onto V1's row (kept on V2 since V1 is video too)
    moves.clear()
    send_mouse(view, QMouseEvent.Type.MouseButtonPress, *press)
    send_mouse(view, QMouseEvent.Type.MouseMove, press[0] + 4 * 48, press[1])
    send_mouse(view, QMouseEvent.Type.MouseButtonRelease, press[0] + 4 * 48, press[1])
    assert moves == [[2, clip.id, 2, 50]]
    # to another track of the same kind: onto V1 at frame 120 (free after 100); dropping on A1 keeps V-kind
    moves.clear()
    send_mouse(view, QMouseEvent.Type.MouseButtonPress, *press)
    send_mouse(view, QMouseEvent.Type.MouseMove, press[0] + 4 * 120, row_y(view, 1))  # over A1: stays V2
    assert view._drag is not None and view._drag.new_track == 2
    send_mouse(view, QMouseEvent.Type.MouseMove, press[0] + 4 * 120, row_y(view, 0))
    send_mouse(view, QMouseEvent.Type.MouseButtonRelease, press[0] + 4 * 120, row_y(view, 0))
    assert moves == [[2, clip.id, 0, 120]]


def test_zoom_fit_shows_whole_timeline_and_zoom_keeps_playhead(qtbot) -> None:  # type: ignore[no-untyped-def]
    tl, _ = sample()
    view = make_view(qtbot, tl, ppf=20.0)
    view.zoom_fit()
    assert view.left_frame() == 0
    end_x = view.x_for_frame(duration(tl))
    assert HEADER_W < end_x <= view.width() - 8
    assert end_x > view.width() * 0.8  # fills the view
    view.set_playhead(150)
    x_before = view.x_for_frame(150)
    ppf = view.pixels_per_frame()
    view.zoom_in()
    assert view.pixels_per_frame() > ppf
    assert abs(view.x_for_frame(150) - x_before) < 1.0
    view.zoom_out()
    view.zoom_out()
    assert view.pixels_per_frame() < ppf


def test_playhead_follows_when_leaving_view(qtbot) -> None:  # type: ignore[no-untyped-def]
    ms = [media(0, 5000)]
    view = make_view(qtbot, timeline_from_media(ms, RATE), ppf=4.0)
    view.set_playhead(100)
    assert view.left_frame() == 0
    view.set_playhead(1000)  # beyond the right edge: the view pages on
    assert HEADER_W <= view.x_for_frame(1000) <= view.width()


def test_paint_10000_clips_is_fast(qtbot) -> None:  # type: ignore[no-untyped-def]
    m = media(0, 100000)
    items: list[Clip | Gap] = []
    for i in range(10000):
        items.append(Clip(i + 1, m, (i * 7) % 90000, 24 + i % 13, name=f"c{i}"))
        if i % 5 == 4:
            items.append(Gap(6))
    tl = Timeline(RATE, (Track("video", "V1", tuple(items)), Track("audio", "A1", tuple(items[:5000]))),
                  media=(m,), next_id=20000)
    view = make_view(qtbot, tl, ppf=4.0)
    view.set_waveform(m.fingerprint, np.zeros((40000, 2), np.int16), 10.0)
    view.grab()  # warm up fonts
    figures = {}
    def dense() -> None:  # clips of 3-5 px: the most boxes drawn one by one
        view.set_view(0.15, view.left_frame())

    for label, setup in (("zoomed", lambda: None), ("middle", lambda: view.set_playhead(150000)),
                         ("dense", dense), ("fit", view.zoom_fit)):
        setup()
        t0 = time.perf_counter()
        view.grab()
        figures[label] = (time.perf_counter() - t0) * 1000
    print("paint of a 10,000-clip timeline, ms:", {k: round(v, 1) for k, v in figures.items()})
    assert max(figures.values()) < 500


def test_thumbnails_and_waveforms_are_drawn(qtbot) -> None:  # type: ignore[no-untyped-def]
    tl, ms = sample()
    view = make_view(qtbot, tl, ppf=4.0)
    red = QImage(64, 36, QImage.Format.Format_RGB32)
    red.fill(QColor(255, 0, 0))
    view.set_thumbnails(ms[0].fingerprint, {0: red, 50: red})
    view.set_waveform(ms[0].fingerprint, np.tile(np.array([[-32000, 32000]], np.int16), (400, 1)), 100.0)
    img = view.grab().toImage()
    y = view.row_rect(0).bottom() - 12
    assert img.pixelColor(xf(view, 20), y).red() > 200  # filmstrip tile
    a1 = view.row_rect(1)
    wave = img.pixelColor(xf(view, 20), a1.center().y() + 8)
    assert wave.green() > 200 and wave.red() > 120  # waveform fill, not the clip colour


def test_files_dropped_on_timeline(qtbot) -> None:  # type: ignore[no-untyped-def]
    tl, _ = sample()
    view = make_view(qtbot, tl, ppf=4.0)
    with qtbot.waitSignal(view.files_dropped) as blocker:
        assert synthetic_drop(view, QPointF(xf(view, 57) + 2, row_y(view, 0)), ["/tmp/a.mp4"])
    assert blocker.args == [["/tmp/a.mp4"], 57]


def test_wheel_scrolls_and_ctrl_wheel_zooms(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = make_view(qtbot, timeline_from_media([media(0, 5000)], RATE), ppf=4.0)

    def wheel(dy: int, mods: Qt.KeyboardModifier) -> None:
        pos = QPointF(300, 100)
        ev = QWheelEvent(pos, view.mapToGlobal(pos), QPoint(), QPoint(0, dy), Qt.MouseButton.NoButton, mods,
                         Qt.ScrollPhase.NoScrollPhase, False)
        QApplication.sendEvent(view, ev)

    wheel(-120, NOMOD)
    assert view.left_frame() > 0
    left = view.left_frame()
    wheel(-120, Qt.KeyboardModifier.ShiftModifier)
    assert view.left_frame() > left
    wheel(120, Qt.KeyboardModifier.ControlModifier)
    assert view.pixels_per_frame() > 4.0


def test_widgets_leave_keys_to_window_shortcuts(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Space and arrows reach the window's QActions whichever of our widgets has focus."""
    window = QWidget()
    timeline, bin_, jobs = TimelineView(), MediaBin(), JobsPanel()
    lay = QVBoxLayout(window)
    for w in (timeline, ViewerWidget(), bin_, jobs):
        lay.addWidget(w)
    fired: list[str] = []
    names = ("Space", "Left", "Right", "Up", "Down", "Home", "End", "S", "M", "I", "O")
    for key in names:
        act = QAction(key, window)
        act.setShortcut(QKeySequence(key))
        act.triggered.connect(lambda _=False, k=key: fired.append(k))
        window.addAction(act)
    show(qtbot, window, 900, 900)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    timeline.set_timeline(sample()[0])
    bin_.set_media([media(0, 100), media(1, 100)])
    assert timeline.focusPolicy() == Qt.FocusPolicy.NoFocus
    keys = [Qt.Key.Key_Space, Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down,
            Qt.Key.Key_Home, Qt.Key.Key_End, Qt.Key.Key_S, Qt.Key.Key_M, Qt.Key.Key_I, Qt.Key.Key_O]
    bin_.view().setFocus()
    for key in keys:
        qtbot.keyClick(bin_.view(), key)
    assert fired == list(names)
    fired.clear()
    row_jobs = jobs
    row_jobs.update_job("j", operation="Export", progress=5, message="")
    qtbot.mouseClick(timeline, LEFT, pos=QPoint(HEADER_W + 40, RULER_H // 2))  # a click does not take focus
    assert QApplication.focusWidget() is bin_.view()
    QApplication.focusWidget().clearFocus()
    for key in keys:
        qtbot.keyClick(window, key)
    assert fired == list(names)


# --- MediaBin -------------------------------------------------------------------------------------------


def test_media_bin_entries_drop_and_activate(qtbot) -> None:  # type: ignore[no-untyped-def]
    bin_ = show(qtbot, MediaBin(), 400, 300)
    assert isinstance(bin_, MediaBin)
    assert bin_.view().model().rowCount() == 0
    assert PLACEHOLDER
    empty = bin_.grab()  # placeholder paints without error
    assert not empty.isNull()
    ms = [media(0, 100), media(1, 250, video=False)]
    bin_.set_media(ms)
    model = bin_.view().model()
    assert model.rowCount() == 2
    assert model.index(0, 0).data() == "clip_0.mp4"
    thumb = QImage(64, 36, QImage.Format.Format_RGB32)
    thumb.fill(QColor("orange"))
    bin_.set_thumbnail("fp0", thumb)
    bin_.set_offline("fp1", True)
    assert bin_.is_offline("fp1")
    bin_.grab()
    with qtbot.waitSignal(bin_.files_dropped) as blocker:
        assert synthetic_drop(bin_, QPointF(50, 50), ["/tmp/x.mov", "/tmp/y.wav"])
    assert blocker.args == [["/tmp/x.mov", "/tmp/y.wav"]]
    view = bin_.view()
    rect = view.visualRect(model.index(1, 0))
    with qtbot.waitSignal(bin_.media_activated) as blocker:
        qtbot.mouseClick(view.viewport(), LEFT, pos=rect.center())
        qtbot.mouseDClick(view.viewport(), LEFT, pos=rect.center())
    assert blocker.args == ["fp1"]
    view.setCurrentIndex(model.index(0, 0))
    with qtbot.waitSignal(bin_.media_activated) as blocker:
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert blocker.args == ["fp0"]
    bin_.set_media([media(5, 10), *ms])  # the window re-sends the bin on every edit: selection is kept
    assert bin_.selected_fingerprint() == "fp0"


# --- JobsPanel ------------------------------------------------------------------------------------------


def test_jobs_panel_cancel_eta_and_order(qtbot) -> None:  # type: ignore[no-untyped-def]
    now = [1000.0]
    panel = show(qtbot, JobsPanel(clock=lambda: now[0]), 420, 300)
    assert isinstance(panel, JobsPanel)
    panel.update_job("done", operation="Thumbnails", progress=100, message="", status="complete")
    panel.update_job("exp", operation="Export", progress=0, message="starting", started_at=1000.0)
    now[0] = 1010.0
    panel.update_job("exp", operation="Export", progress=40, message="frame 400", started_at=1000.0)
    assert panel.job_ids() == ["exp", "done"]  # running first
    row = panel.row("exp")
    assert row is not None
    assert row.eta_label.text() == "about 15 s left"
    assert row.bar.value() == 40
    assert row.cancel_button.isVisible()
    with qtbot.waitSignal(panel.cancel_requested) as blocker:
        qtbot.mouseClick(row.cancel_button, LEFT)
    assert blocker.args == ["exp"]
    panel.update_job("exp", operation="Export", progress=41, message="Cancelled by user", status="cancelled")
    assert not row.cancel_button.isVisible()
    assert row.status_label.text() == "cancelled"
    assert panel.job_ids() == ["exp", "done"]  # newest finished first
    panel.update_job("bad", operation="Proxy", progress=10, message="disk full", status="error")
    assert panel.row("bad").status_label.text() == "error"  # type: ignore[union-attr]
    for i in range(30):
        now[0] += 1
        panel.update_job(f"f{i}", operation="Waveform", progress=100, message="", status="complete")
    assert len(panel.job_ids()) == 20
    panel.remove_job("f29")
    assert "f29" not in panel.job_ids()


# --- ViewerWidget ---------------------------------------------------------------------------------------


def test_viewer_letterboxes_frame_and_shows_message(qtbot) -> None:  # type: ignore[no-untyped-def]
    viewer = show(qtbot, ViewerWidget(), 640, 360)
    assert isinstance(viewer, ViewerWidget)
    assert viewer.sizeHint().width() == 640 and viewer.sizeHint().height() == 360
    img = viewer.grab().toImage()
    assert img.pixelColor(100, 100) == QColor(0, 0, 0)  # black without a frame
    frame = QImage(160, 160, QImage.Format.Format_RGB32)  # square: pillarboxed in a 16:9 widget
    frame.fill(QColor(0, 200, 0))
    viewer.set_frame(frame)
    viewer.set_position(42, "00:00:01:17")
    viewer.set_audio_level(-6, -60)
    img = viewer.grab().toImage()
    r = viewer.image_rect()
    assert abs(r.width() - r.height()) < 1
    assert img.pixelColor(int(r.center().x()), int(r.center().y())).green() > 180
    assert img.pixelColor(5, 100) == QColor(0, 0, 0)  # black bar at the side
    viewer.set_playing(True)
    viewer.grab()
    viewer.show_message("Media offline: /path/file.mp4")
    assert viewer.message().startswith("Media offline")
    viewer.grab()


# --- screenshot -----------------------------------------------------------------------------------------


def _picture(color: str, text: str) -> QImage:
    img = QImage(160, 90, QImage.Format.Format_RGB32)
    img.fill(QColor(color))
    p = QPainter(img)
    p.setPen(QColor("white"))
    p.drawText(img.rect(), Qt.AlignmentFlag.AlignCenter, text)
    p.end()
    return img


def test_screenshot_timeline_and_viewer(qtbot) -> None:  # type: ignore[no-untyped-def]
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_theme(app)
    ms = [media(i, d) for i, d in enumerate((150, 220, 310, 180))]
    tl = add_track(timeline_from_media(ms, RATE), "video")
    tl = append_clip(tl, 2, ms[3], 20, 60, name="title overlay")
    tl = add_marker(add_marker(tl, 100, "intro ends", "yellow"), 420, "music hit", "green")
    tl = add_cue(add_cue(tl, 30, 120, "Welcome to the coast."), 160, 260, "The city never sleeps")
    tl = set_in_out(tl, 150, 520)
    colors = ["#c0703a", "#2a4a8a", "#6a5a40", "#3a8a6a"]
    root = QWidget()
    viewer, view = ViewerWidget(), TimelineView()
    for i, m in enumerate(ms):
        view.set_thumbnails(m.fingerprint, {f: _picture(colors[i], str(f)) for f in range(0, m.duration, 25)})
        env = (np.abs(np.sin(np.arange(m.duration * 4) / 9 + i)) * 26000 + 2000).astype(np.int16)
        view.set_waveform(m.fingerprint, np.stack([-env, env], 1), 100.0)
    view.set_timeline(tl)
    viewer.set_frame(_picture(colors[1], "frame 187"))
    viewer.set_position(187, "00:00:07:12")
    viewer.set_audio_level(-12, -18)
    lay = QVBoxLayout(root)
    top = QHBoxLayout()
    top.addWidget(viewer)
    lay.addLayout(top, 3)
    lay.addWidget(view, 2)
    show(qtbot, root, 1100, 720)
    view.zoom_fit()
    view.set_playhead(187)
    first = tl.tracks[0].items[1]
    assert isinstance(first, Clip)
    view.set_selection(0, first.id)
    path = "/tmp/cutline-widgets.png"
    assert root.grab().save(path)
    print("screenshot:", path)


def test_the_meter_holds_a_peak_for_a_moment_then_lets_it_fall(qtbot) -> None:  # type: ignore[no-untyped-def]
    viewer = ViewerWidget()
    qtbot.addWidget(viewer)
    viewer.set_audio_level(-6.0, -12.0)
    viewer.set_audio_level(-30.0, 3.0)  # louder than full scale reads 0 dB
    assert viewer._levels == [-30.0, 0.0] and viewer._peaks == [-6.0, 0.0]
    viewer._peak_at = [t - PEAK_HOLD_S - 0.1 for t in viewer._peak_at]
    viewer.set_audio_level(-40.0, -200.0)
    assert viewer._peaks == [-40.0, MIN_DB] and viewer._levels == [-40.0, MIN_DB]
