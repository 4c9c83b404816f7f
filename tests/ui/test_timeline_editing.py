"""Timeline editing in the real window, by mouse and keys: edge trims, context menus, track state, copy and
paste, speed, clip sound. Each asserts the state saved in PostgreSQL."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from editor.media.synth import make_clip
from editor.model.timeline import Clip
from editor.store.autosave import load_timeline

pytestmark = pytest.mark.timeout(120)
NO = Qt.KeyboardModifier.NoModifier
CTRL = Qt.KeyboardModifier.ControlModifier
ALT = Qt.KeyboardModifier.AltModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("editing") / "numbers.mp4"
    make_clip(path, frames=100, fps=Fraction(25), size=(160, 120), gop=10)
    return path


@pytest.fixture
def window(window_on, clip: Path):
    win = window_on([str(clip)])
    QTest.qWait(50)  # the zoom-to-fit a new project asks for, first
    win.timeline_view.set_view(4.0, 0)  # 4 px a frame from frame 0
    return win


def saved(win):
    session = win.controller.session
    assert session.saver.flush(10)
    return load_timeline(win.ctx.store.projects.get(session.project_id))


def drag(view, start: QPoint, end: QPoint, mods=NO) -> None:
    QTest.mousePress(view, Qt.MouseButton.LeftButton, mods, start)
    mid = QPoint((start.x() + end.x()) // 2, start.y())
    QTest.mouseMove(view, mid)
    QTest.mouseMove(view, end)
    QTest.mouseRelease(view, Qt.MouseButton.LeftButton, mods, end)


def point(view, track: int, frame: int) -> QPoint:
    r = view.row_rect(track)
    return QPoint(int(view.x_for_frame(frame)) + 1, r.center().y())  # inside the frame, off its boundary


def test_dragging_a_clip_edge_trims_it_plain_or_rippled(qtbot, window) -> None:
    view, c = window.timeline_view, window.controller
    # the end edge of the picture clip, from frame 100 to frame 80 (Shift: no snapping)
    drag(view, point(view, 0, 100) - QPoint(2, 0), point(view, 0, 80), SHIFT)
    tl = saved(window)
    assert [it.duration for it in tl.tracks[0].items] == [80] and tl.tracks[1].items[0].duration == 80
    assert window.actions_by_name["undo"].text() == "Undo Trim out"
    # Ctrl: ripple trim of the start, 0 -> 10; snapping to the playhead at 10
    c.set_playhead(10)
    drag(view, point(view, 0, 0) + QPoint(2, 0), point(view, 0, 10) + QPoint(3, 0), CTRL)
    tl = saved(window)
    first = tl.tracks[0].items[0]
    assert isinstance(first, Clip) and (first.source_in, first.duration) == (10, 70)
    assert window.actions_by_name["undo"].text() == "Undo Ripple trim in"


def test_keys_for_sound_speed_tracks_and_paste_are_saved(qtbot, window, when_dialog) -> None:
    c = window.controller
    c.set_playhead(30)
    c.select(1, c.timeline.tracks[1].items[0].id)
    qtbot.keyClick(window, Qt.Key.Key_U, ALT)  # mute the clip (its picture partner too)
    qtbot.keyClick(window, Qt.Key.Key_Minus, ALT)
    qtbot.keyClick(window, Qt.Key.Key_Minus, ALT)  # one undo step each, -2 dB
    qtbot.keyClick(window, Qt.Key.Key_BracketLeft, CTRL)  # fade in up to the playhead: 30 frames
    tl = saved(window)
    a = tl.tracks[1].items[0]
    assert (a.muted, a.gain_db, a.fade_in) == (True, -2.0, 30)
    qtbot.keyClick(window, Qt.Key.Key_M, CTRL | SHIFT)  # mute the track
    qtbot.keyClick(window, Qt.Key.Key_L, CTRL | SHIFT)  # lock it
    tl = saved(window)
    assert tl.tracks[1].muted and tl.tracks[1].locked
    qtbot.keyClick(window, Qt.Key.Key_S)  # a split touches the locked track: refused
    assert len(c.timeline.tracks[0].items) == 1
    qtbot.keyClick(window, Qt.Key.Key_L, CTRL | SHIFT)  # unlock
    # copy the picture clip and paste it at frame 100 of V1
    c.select(0, c.timeline.tracks[0].items[0].id)
    qtbot.keyClick(window, Qt.Key.Key_C, CTRL)
    c.set_playhead(100)
    qtbot.keyClick(window, Qt.Key.Key_V, CTRL)
    tl = saved(window)
    assert [(it.source_in, it.duration) for it in tl.tracks[0].items] == [(0, 100), (0, 100)]

    def answer(dialog) -> None:
        dialog.presets.setCurrentIndex(dialog.presets.findData("2"))
        dialog.reversed.setChecked(True)
        dialog.accept()

    c.select(0, c.timeline.tracks[0].items[1].id)
    when_dialog(__import__("editor.ui.speed_dialog", fromlist=["SpeedDialog"]).SpeedDialog, answer)
    qtbot.keyClick(window, Qt.Key.Key_R, CTRL)
    qtbot.waitUntil(lambda: c.timeline.tracks[0].items[-1].reverse, timeout=5000)
    tl = saved(window)
    last = tl.tracks[0].items[-1]
    assert (last.speed, last.reverse, last.duration) == (2, True, 50)
    assert window.actions_by_name["undo"].text() == "Undo Change speed"
    window.controller.undo()  # speed and reverse were one step
    assert c.timeline.tracks[0].items[-1].speed == 1 and not c.timeline.tracks[0].items[-1].reverse


def test_right_click_opens_the_clip_and_track_menus(qtbot, window) -> None:
    view = window.timeline_view
    from PySide6.QtGui import QContextMenuEvent

    at = point(view, 0, 50)
    view.contextMenuEvent(QContextMenuEvent(QContextMenuEvent.Reason.Mouse, at, view.mapToGlobal(at)))
    names = [a.objectName() for a in window.last_menu.actions() if a.objectName()]
    assert {"split", "clip_speed", "clip_mute", "copy_clip"} <= set(names)
    assert window.controller.selection == (0, window.controller.timeline.tracks[0].items[0].id)
    window.last_menu.close()
    beyond = point(view, 1, 300)
    view.contextMenuEvent(QContextMenuEvent(QContextMenuEvent.Reason.Mouse, beyond, view.mapToGlobal(beyond)))
    names = [a.objectName() for a in window.last_menu.actions() if a.objectName()]
    assert "track_mute" in names and "split" not in names
    window.last_menu.actions()[names.index("add_audio_track") + 1].trigger() if False else None
    window.actions_by_name["add_audio_track"].trigger()
    window.last_menu.close()
    assert [tr.kind for tr in saved(window).tracks] == ["video", "audio", "audio"]


def test_shift_click_selects_several_clips_and_delete_lifts_them_in_one_step(qtbot, window) -> None:
    c, view = window.controller, window.timeline_view
    for frame in (30, 60):
        c.set_playhead(frame)
        qtbot.keyClick(window, Qt.Key.Key_S)  # three clips: 0..30, 30..60, 60..100
    QTest.mouseClick(view, Qt.MouseButton.LeftButton, NO, point(view, 0, 10))
    QTest.mouseClick(view, Qt.MouseButton.LeftButton, SHIFT, point(view, 0, 80))
    assert len(view.selected_ids()) == 2
    qtbot.keyClick(window, Qt.Key.Key_Delete)
    tl = saved(window)
    kinds = [type(it).__name__ for it in tl.tracks[0].items]
    assert kinds == ["Gap", "Clip"] and tl.tracks[0].items[1].source_in == 30
    assert [type(it).__name__ for it in tl.tracks[1].items] == ["Gap", "Clip"], "linked sound went too"
    c.undo()
    assert len([it for it in c.timeline.tracks[0].items if isinstance(it, Clip)]) == 3, "one undo step"


def test_an_entry_dragged_from_the_bin_is_inserted_where_it_is_dropped(qtbot, window) -> None:
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QDropEvent

    c, view = window.controller, window.timeline_view
    model = window.media_bin.view().model()
    data = model.mimeData([model.index(0, 0)])
    assert [u.toLocalFile() for u in data.urls()] == [c.timeline.media[0].path]
    at = point(view, 0, 40)
    drop = QDropEvent(QPointF(at), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton, SHIFT)
    view.dropEvent(drop)  # Shift: exactly where it lands, no snapping
    qtbot.waitUntil(lambda: len(c.timeline.tracks[0].items) == 3, timeout=10000)
    tl = saved(window)
    assert [(it.source_in, it.duration) for it in tl.tracks[0].items] == [(0, 40), (0, 100), (40, 60)]


def test_dragging_the_fade_handles_of_a_sound_clip_sets_its_fades(qtbot, window) -> None:
    view = window.timeline_view
    top = view.row_rect(1).top() + 6
    x0, x1 = int(view.x_for_frame(0)) + 2, int(view.x_for_frame(100)) - 2
    drag(view, QPoint(x0, top), QPoint(int(view.x_for_frame(25)), top), SHIFT)
    drag(view, QPoint(x1, top), QPoint(int(view.x_for_frame(90)), top), SHIFT)
    a = saved(window).tracks[1].items[0]
    assert (a.fade_in, a.fade_out, a.duration) == (25, 10, 100), "the clip itself is not trimmed"


def test_alt_drag_slips_and_alt_drag_of_a_cut_rolls(qtbot, window) -> None:
    c, view = window.controller, window.timeline_view
    c.set_playhead(50)
    qtbot.keyClick(window, Qt.Key.Key_S)  # two clips: source 0..50 at 0..50, 50..100 at 50..100
    drag(view, point(view, 0, 50) - QPoint(2, 0), point(view, 0, 60), ALT)  # roll the cut to 60
    tl = saved(window)
    assert [(it.source_in, it.duration) for it in tl.tracks[0].items] == [(0, 60), (60, 40)]
    assert [(it.source_in, it.duration) for it in tl.tracks[1].items] == [(0, 60), (60, 40)]
    drag(view, point(view, 0, 80), point(view, 0, 75), ALT | SHIFT)  # slip the second clip 5 later
    tl = saved(window)
    assert [(it.source_in, it.duration) for it in tl.tracks[0].items] == [(0, 60), (60, 40)], "no room after"
    drag(view, point(view, 0, 30), point(view, 0, 20), ALT | SHIFT)  # the first: source 10..70
    tl = saved(window)
    assert [(it.source_in, it.duration) for it in tl.tracks[0].items] == [(10, 60), (60, 40)]
    assert window.actions_by_name["undo"].text() == "Undo Slip"


def test_ctrl_drag_on_empty_space_box_selects_clips(qtbot, window) -> None:
    c, view = window.controller, window.timeline_view
    window.clip_commands.add_track("video")
    for frame in (30, 60):
        c.set_playhead(frame)
        c.select(0, -1)
        qtbot.keyClick(window, Qt.Key.Key_S)
    top_row = view.row_rect(2)  # the new, empty video track is drawn on top
    start = QPoint(int(view.x_for_frame(20)), top_row.center().y())
    end = QPoint(int(view.x_for_frame(45)), view.row_rect(0).center().y())
    drag(view, start, end, CTRL)
    assert len(view.selected_ids()) == 2, "the clips at 0..30 and 30..60 of V1"
    qtbot.keyClick(window, Qt.Key.Key_X)  # ripple delete both (and their linked sound)
    tl = saved(window)
    assert [(it.source_in, it.duration) for it in tl.tracks[0].items] == [(60, 40)]


def test_dragging_one_of_several_selected_clips_moves_them_all(qtbot, window) -> None:
    c, view = window.controller, window.timeline_view
    for frame in (30, 60):
        c.set_playhead(frame)
        qtbot.keyClick(window, Qt.Key.Key_S)
    QTest.mouseClick(view, Qt.MouseButton.LeftButton, NO, point(view, 0, 40))
    QTest.mouseClick(view, Qt.MouseButton.LeftButton, SHIFT, point(view, 0, 80))
    qtbot.keyClick(window, Qt.Key.Key_Delete)  # lift 30..60 and 60..100: a gap after the first clip
    c.undo()
    QTest.mouseClick(view, Qt.MouseButton.LeftButton, NO, point(view, 0, 150))  # empty space: none selected
    QTest.mouseClick(view, Qt.MouseButton.LeftButton, NO, point(view, 0, 40))
    QTest.mouseClick(view, Qt.MouseButton.LeftButton, SHIFT, point(view, 0, 80))
    drag(view, point(view, 0, 45), point(view, 0, 55), SHIFT)  # both 10 frames later
    tl = saved(window)
    assert [(type(it).__name__, it.duration) for it in tl.tracks[0].items] == [
        ("Clip", 30), ("Gap", 10), ("Clip", 30), ("Clip", 40)]
    assert window.actions_by_name["undo"].text() == "Undo Move clip"
    c.undo()
    assert [it.duration for it in c.timeline.tracks[0].items] == [30, 30, 40], "one undo step"


def test_ctrl_shift_n_renames_the_track_with_quotes_and_emoji(qtbot, window, when_dialog) -> None:
    from PySide6.QtWidgets import QInputDialog

    name = 'Voice "over" 🎙'

    def answer(dialog) -> None:
        dialog.setTextValue(name)
        dialog.accept()

    window.controller.select(1, -1)
    when_dialog(QInputDialog, answer)
    qtbot.keyClick(window, Qt.Key.Key_N, CTRL | SHIFT)
    qtbot.waitUntil(lambda: window.controller.timeline.tracks[1].name == name, timeout=5000)
    assert saved(window).tracks[1].name == name
    assert window.actions_by_name["undo"].text() == "Undo Rename track"


def test_ctrl_arrows_jump_between_keyframes_and_the_ruler_ticks_them(qtbot, window) -> None:
    """The clip has a keyframe every 10 frames; trimmed to start at source frame 3, its keyframes are at
    timeline frames 7, 17, 27 ... Ctrl+Right and Ctrl+Left step through them."""
    view, c = window.timeline_view, window.controller
    fp = c.timeline.media[0].fingerprint
    qtbot.waitUntil(lambda: view.knows_keyframes(fp), timeout=20000)
    assert view.keyframe_points()[:3] == [0, 10, 20]
    c.set_playhead(3)
    qtbot.keyClick(window, Qt.Key.Key_Q)  # ripple-trim the start to the playhead: source frames from 3
    qtbot.waitUntil(lambda: view.keyframe_points()[:3] == [7, 17, 27], timeout=5000)
    c.set_playhead(0)
    qtbot.keyClick(window, Qt.Key.Key_Right, CTRL)
    assert c.playhead == 7
    qtbot.keyClick(window, Qt.Key.Key_Right, CTRL)
    assert c.playhead == 17
    qtbot.keyClick(window, Qt.Key.Key_Left, CTRL)
    assert c.playhead == 7
    qtbot.keyClick(window, Qt.Key.Key_Left, CTRL)
    assert c.playhead == 7 and "No keyframe before the playhead" in window.statusBar().currentMessage()
    image = view.grab().toImage()
    x = round(view._fx(17))  # a keyframe tick at the foot of the ruler, in its own colour
    from editor.ui import theme
    from editor.ui.timeline_view import RULER_H

    assert any(image.pixelColor(x + dx, RULER_H - 3).name() == theme.KEYFRAME.name() for dx in (-1, 0, 1))


def test_ctrl_shift_e_exports_the_frame_at_the_playhead_as_a_full_size_png(qtbot, window, tmp_path) -> None:
    import av

    from editor.media.synth import read_frame_number

    c = window.controller
    c.set_playhead(37)
    out = tmp_path / 'frame "37" 🎞.png'
    window.next_frame_path = str(out)
    qtbot.keyClick(window, Qt.Key.Key_E, CTRL | SHIFT)
    qtbot.waitUntil(lambda: "saved to" in window.statusBar().currentMessage(), timeout=20000)
    with av.open(str(out)) as png:
        frame = next(png.decode(video=0))
        assert (frame.width, frame.height) == (160, 120)  # the timeline's size, not the viewer's
        assert read_frame_number(frame.to_ndarray(format="rgb24")) == 37
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no partial file left
    window.next_frame_path = str(tmp_path / "no such folder" / "x.png")
    qtbot.keyClick(window, Qt.Key.Key_E, CTRL | SHIFT)
    qtbot.waitUntil(lambda: "Could not export the frame" in window.statusBar().currentMessage(), timeout=20000)
    assert "does not exist" in window.statusBar().currentMessage()


def test_dragging_cues_and_titles_moves_and_retimes_them(qtbot, window) -> None:
    """A subtitle cue's and a title's edges are dragged to new times, and the title is dragged along its track;
    each is one undoable edit saved in PostgreSQL (before, only clips had edges, and moving a title failed)."""
    from editor.model.picture import Title
    from editor.model.timeline import SubtitleCue

    view, c = window.timeline_view, window.controller
    assert c.edit("add_cue", start=20, end=40, text="hello")
    QTest.qWait(50)
    tl = c.timeline
    cue_track = next(i for i, t in enumerate(tl.tracks) if t.kind == "subtitle")
    drag(view, point(view, cue_track, 40) - QPoint(2, 0), point(view, cue_track, 45), SHIFT)  # end 40 -> 45
    drag(view, point(view, cue_track, 20) + QPoint(1, 0), point(view, cue_track, 15), SHIFT)  # start 20 -> 15
    tl = saved(window)
    cue = next(x for x in tl.tracks[cue_track].items if type(x) is SubtitleCue)
    assert (tl.tracks[cue_track].starts()[tl.tracks[cue_track].items.index(cue)], cue.duration) == (15, 30)
    assert window.actions_by_name["undo"].text() == "Undo Edit cue"
    assert c.edit("add_title", track=None, frame=50, duration=20, text="Title")  # a track of its own
    QTest.qWait(50)
    title_track = next(i for i, t in enumerate(c.timeline.tracks) if any(type(x) is Title for x in t.items))
    assert view.row_rect(title_track).bottom() < view.height(), "the title's row is on screen"
    drag(view, point(view, title_track, 70) - QPoint(2, 0), point(view, title_track, 80), SHIFT)  # end 70 -> 80
    tl = saved(window)
    title = next(x for x in tl.tracks[title_track].items if type(x) is Title)
    assert title.duration == 30
    drag(view, point(view, title_track, 60), point(view, title_track, 70), SHIFT)  # the whole title, +10
    tl = saved(window)
    items = tl.tracks[title_track].items
    title = next(x for x in items if type(x) is Title)
    assert (tl.tracks[title_track].starts()[items.index(title)], title.duration) == (60, 30)
    qtbot.keyClick(window, Qt.Key.Key_Z, CTRL)
    items = c.timeline.tracks[title_track].items
    assert c.timeline.tracks[title_track].starts()[items.index(next(x for x in items if type(x) is Title))] == 50


def test_dragging_a_selection_to_another_track_moves_every_clip_there(qtbot, window) -> None:
    """Two clips of V1 selected, one dragged up onto V2 and 10 frames later: both land on V2, 10 frames later,
    their sound stays on A1 (10 frames later too); one undo step. A move that cannot fit moves nothing."""
    c, view = window.controller, window.timeline_view
    window.clip_commands.add_track("video")  # V2, index 2, drawn on top
    for frame in (30, 60):
        c.set_playhead(frame)
        c.select(0, -1)
        qtbot.keyClick(window, Qt.Key.Key_S)
    QTest.mouseClick(view, Qt.MouseButton.LeftButton, NO, point(view, 0, 40))
    QTest.mouseClick(view, Qt.MouseButton.LeftButton, SHIFT, point(view, 0, 80))
    assert len(view.selected_ids()) == 2
    drag(view, point(view, 0, 45), point(view, 2, 55), SHIFT)
    tl = saved(window)
    assert [(type(it).__name__, it.duration) for it in tl.tracks[2].items] == [("Gap", 40), ("Clip", 30),
                                                                              ("Clip", 40)]
    assert [(type(it).__name__, it.duration) for it in tl.tracks[0].items] == [("Clip", 30)]
    assert [(type(it).__name__, it.duration) for it in tl.tracks[1].items] == [
        ("Clip", 30), ("Gap", 10), ("Clip", 30), ("Clip", 40)], "the sound moved in time, on its own track"
    assert window.actions_by_name["undo"].text() == "Undo Move clip"
    c.undo()
    assert [type(it).__name__ for it in c.timeline.tracks[0].items] == ["Clip", "Clip", "Clip"], "one undo step"
    assert window.clip_commands.move_many(view.selected_ids(), 0, 5, "video") is False  # no V6: nothing moves
    assert [type(it).__name__ for it in c.timeline.tracks[0].items] == ["Clip", "Clip", "Clip"]
