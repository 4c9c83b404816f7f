"""The real window, driven with key presses, on media the test makes and the test run's real servers."""

from __future__ import annotations

import argparse
import os
from fractions import Fraction
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from editor.media.synth import make_clip, read_frame_number
from editor.model.navigate import duration
from editor.model.timeline import Clip
from editor.store.autosave import load_timeline

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("window") / "numbers.mp4"
    make_clip(path, frames=100, fps=Fraction(25), size=(320, 240), gop=10)
    return path


@pytest.fixture
def window(window_on, clip: Path):
    return window_on([str(clip)])


def press(qtbot, win, key, modifier=Qt.KeyboardModifier.NoModifier, times: int = 1) -> None:
    for _ in range(times):
        qtbot.keyClick(win, key, modifier)


def saved(win):
    session = win.controller.session
    assert session.saver.flush(10)
    return win.ctx.store.projects.get(session.project_id)


def test_keyboard_cut_workflow_is_saved_as_it_happens(qtbot, window, tmp_path: Path) -> None:
    c = window.controller
    assert "numbers" in window.windowTitle() and "Cutline" in window.windowTitle()
    assert duration(c.timeline) == 100
    press(qtbot, window, Qt.Key.Key_L)  # play…
    qtbot.waitUntil(lambda: c.playhead > 0, timeout=5000)
    press(qtbot, window, Qt.Key.Key_K)  # …and pause
    qtbot.waitUntil(lambda: window.preview.rate == 0, timeout=2000)
    press(qtbot, window, Qt.Key.Key_Home)
    assert c.playhead == 0
    press(qtbot, window, Qt.Key.Key_Right, times=20)
    press(qtbot, window, Qt.Key.Key_I)
    press(qtbot, window, Qt.Key.Key_Right, times=10)
    press(qtbot, window, Qt.Key.Key_O)
    assert (c.timeline.in_point, c.timeline.out_point) == (20, 31), "frames 20..30, both shown, are marked"
    press(qtbot, window, Qt.Key.Key_X)  # ripple delete the in/out range on all tracks
    tl = c.timeline
    assert duration(tl) == 89 and tl.in_point is None
    assert [it.duration for it in tl.tracks[0].items] == [20, 69]
    assert [it.source_in for it in tl.tracks[0].items] == [0, 31]
    undo = window.actions_by_name["undo"]
    assert undo.text() == "Undo Ripple delete" and undo.isEnabled(), "one user action, one labelled step"
    press(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo the delete, in/out back
    assert duration(c.timeline) == 100 and (c.timeline.in_point, c.timeline.out_point) == (20, 31)
    assert window.actions_by_name["redo"].text() == "Redo Ripple delete"
    press(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert duration(c.timeline) == 89
    press(qtbot, window, Qt.Key.Key_End)
    press(qtbot, window, Qt.Key.Key_Left, times=5)
    press(qtbot, window, Qt.Key.Key_S)
    assert c.playhead == 84 and len(c.timeline.tracks[0].items) == 3
    press(qtbot, window, Qt.Key.Key_M)
    assert [m.frame for m in c.timeline.markers] == [84]

    project = saved(window)
    assert load_timeline(project) == c.timeline, "the database holds exactly what the window shows"
    edits = [h.edit_type for h in window.ctx.store.projects.history(project.id)]
    assert edits[0] == "create" and edits[-2:] == ["split_at_playhead", "add_marker"]
    assert "undo" in edits and "redo" in edits


def test_viewer_shows_the_exact_frame_under_the_playhead(qtbot, window) -> None:
    c = window.controller
    for target in (0, 37, 36, 99):
        c.set_playhead(target)
        qtbot.waitUntil(lambda t=target: window.viewer.frame() is not None and
                        read_frame_number(_rgb(window.viewer.frame())) == t, timeout=10000)
    press(qtbot, window, Qt.Key.Key_Left)
    qtbot.waitUntil(lambda: read_frame_number(_rgb(window.viewer.frame())) == 98, timeout=5000)


def _rgb(image):
    from editor.ui.preview import qimage_to_rgb

    return qimage_to_rgb(image)


def test_edit_points_and_markers_navigation(qtbot, window) -> None:
    c = window.controller
    c.set_playhead(40)
    press(qtbot, window, Qt.Key.Key_S)
    c.set_playhead(70)
    press(qtbot, window, Qt.Key.Key_M)
    press(qtbot, window, Qt.Key.Key_Home)
    press(qtbot, window, Qt.Key.Key_Down)
    assert c.playhead == 40
    press(qtbot, window, Qt.Key.Key_Down)
    assert c.playhead == 100
    press(qtbot, window, Qt.Key.Key_Up)
    assert c.playhead == 40
    press(qtbot, window, Qt.Key.Key_Greater)  # a real keyboard's Shift+. is checked in test_real_keys
    assert c.playhead == 70


def test_refused_edit_is_a_message_not_a_crash(qtbot, window) -> None:
    c = window.controller
    c.set_playhead(0)
    before = c.timeline
    press(qtbot, window, Qt.Key.Key_S)  # nothing to split at the very start of a clip
    assert c.timeline == before
    assert window.statusBar().currentMessage() != ""


def test_window_screenshot(qtbot, window, tmp_path: Path) -> None:
    window.resize(1280, 800)
    window.controller.set_playhead(42)
    qtbot.waitUntil(lambda: window.viewer.frame() is not None, timeout=10000)
    fp = window.controller.timeline.media[0].fingerprint
    qtbot.waitUntil(lambda: fp in window.timeline_view._thumbs and fp in window.timeline_view._waves, timeout=20000)
    qtbot.wait(100)
    path = tmp_path / "cutline-window.png"
    if os.environ.get("CUTLINE_SCREENSHOT"):
        path = Path(os.environ["CUTLINE_SCREENSHOT"])
    assert window.grab().save(str(path))
    assert path.stat().st_size > 10_000


def test_losing_the_database_while_editing_loses_nothing(qtbot, tmp_path: Path, clip: Path, monkeypatch) -> None:
    """A private PostgreSQL that goes away mid-session: edits are kept, the title says so, then they land."""
    from editor.app import build_window
    from editor.store.servers import EmbeddedServers
    from editor.store.services import Store

    monkeypatch.setenv("CUTLINE_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "data").mkdir(mode=0o755)
    tmp_path.chmod(0o755)
    store = Store.open()
    servers = EmbeddedServers(tmp_path / "data" / "servers")
    win = build_window(store, argparse.Namespace(files=[str(clip)], project=None, smoke_test=False))
    qtbot.addWidget(win)
    win.show()
    win.activateWindow()
    try:
        qtbot.waitUntil(lambda: win.controller.timeline is not None, timeout=20000)
        c = win.controller
        messages: list[str] = []
        c.message.connect(messages.append)
        assert c.session.saver.flush(10)
        servers.stop()  # the database goes away
        c.set_playhead(30)
        press(qtbot, win, Qt.Key.Key_S)
        c.set_playhead(60)
        press(qtbot, win, Qt.Key.Key_M)
        qtbot.waitUntil(lambda: "offline" in win.windowTitle(), timeout=15000)
        assert any(m.startswith("Database unreachable") and "kept" in m for m in messages)
        expected = c.timeline
        servers.ensure()  # it comes back
        qtbot.waitUntil(lambda: "— saved —" in win.windowTitle(), timeout=30000)
        project = store.projects.get(c.session.project_id)
        assert load_timeline(project) == expected
    finally:
        win.shutdown()
        store.close(stop_servers=True)
        servers.stop()


@pytest.mark.parametrize("kind", ["junk", "missing", "truncated"])
def test_importing_bad_files_is_a_message_and_leaves_the_project_untouched(qtbot, window, tmp_path: Path,
                                                                         clip: Path, kind: str) -> None:
    c = window.controller
    bad = tmp_path / f"bad {kind} 🎬.mp4"
    if kind == "junk":
        bad.write_bytes(b"definitely not a video" * 500)
    elif kind == "truncated":
        bad.write_bytes(clip.read_bytes()[:2000])
    before = c.timeline
    messages: list[str] = []
    c.message.connect(messages.append)
    window.media_bin.files_dropped.emit([str(bad)])
    qtbot.waitUntil(lambda: any(m.startswith("Not imported") for m in messages), timeout=10000)
    assert c.timeline == before
    assert bad.name in messages[-1] and "\n" not in messages[-1]


def test_moved_media_is_relinked_automatically(qtbot, store, tmp_path: Path) -> None:
    import shutil

    from editor.app import build_window

    day = tmp_path / "shoot" / "day1"
    day.mkdir(parents=True)
    make_clip(day / "moved.mp4", frames=30, fps=Fraction(25), size=(160, 120))
    first = build_window(store, argparse.Namespace(files=[str(day / "moved.mp4")], project=None, smoke_test=False))
    qtbot.addWidget(first)
    qtbot.waitUntil(lambda: first.controller.timeline is not None, timeout=20000)
    project_id = first.controller.session.project_id
    _close(first)
    shutil.move(str(day), str(tmp_path / "shoot" / "day1-archive"))

    win = build_window(store, argparse.Namespace(files=[], project=project_id, smoke_test=False))
    qtbot.addWidget(win)
    try:
        qtbot.waitUntil(lambda: win.controller.timeline is not None and
                        "day1-archive" in win.controller.timeline.media[0].path, timeout=20000)
        assert win.controller.session.saver.flush(10)
        saved = load_timeline(store.projects.get(project_id))
        assert all("day1-archive" in c.media.path for tr in saved.tracks for c in tr.items if isinstance(c, Clip))
    finally:
        _close(win)


def _close(win) -> None:
    win.shutdown()


def test_ctrl_e_exports_the_in_out_range_as_a_job_shown_in_the_panel(qtbot, window, tmp_path: Path) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QProgressBar

    from editor.media.probe import probe
    from editor.ui.export_dialog import ExportDialog

    c = window.controller
    c.set_playhead(10)
    press(qtbot, window, Qt.Key.Key_I)
    c.set_playhead(34)
    press(qtbot, window, Qt.Key.Key_O)  # frames 10..34: 25 frames
    out = tmp_path / "export 🎬.mp4"
    seen: list[str] = []

    def fill_in() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, ExportDialog)
        seen.append(dialog.windowTitle())
        dialog.preset.setCurrentIndex(dialog.preset.findData("fast"))
        dialog.output.setText(str(out))
        assert dialog.in_out.isChecked()
        dialog.start()
        started.append(dialog.job_id)

    started: list[str] = []
    QTimer.singleShot(200, fill_in)
    press(qtbot, window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert seen == ["Export — Cutline"]
    job = started[0]
    qtbot.waitUntil(lambda: window.jobs_panel.row(job) is not None and window.jobs.board.get(job) is not None
                    and window.jobs.board.get(job).status == "complete", timeout=60000)
    assert window.jobs_panel.row(job).findChild(QProgressBar).value() == 100
    assert out.exists()
    info = probe(out)
    assert info.video is not None and info.video.frame_count == 25
    from editor.media.frames import FrameReader

    reader = FrameReader(out)
    try:
        assert [read_frame_number(reader.read(i).to_ndarray()) for i in (0, 24)] == [10, 34]
    finally:
        reader.close()


def test_without_an_audio_device_playback_is_silent_and_says_so(qtbot, window) -> None:
    if window.audio.available:
        pytest.skip("this machine has an audio output device")
    assert window.audio_label.text().startswith("Audio: silent")
    press(qtbot, window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.controller.playhead > 5, timeout=5000)
    press(qtbot, window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.preview.rate == 0, timeout=2000)


def test_project_browser_lists_recent_first_with_a_poster(qtbot, window) -> None:
    from editor.ui.project_browser import ProjectBrowser

    qtbot.waitUntil(lambda: window.ctx.store.sessions.get(window.ctx.session_id)["recent_projects"][:1]
                    == [window.controller.session.project_id], timeout=10000)
    browser = ProjectBrowser(window.ctx, window.controller, window)
    qtbot.addWidget(browser)
    qtbot.waitUntil(lambda: bool(browser.rows), timeout=10000)
    assert browser.rows[0].id == window.controller.session.project_id
    assert browser.table.item(0, 1).text().endswith("· recent")
    qtbot.waitUntil(lambda: not browser.table.item(0, 0).icon().isNull(), timeout=10000)


def test_zoom_fullscreen_and_cheat_sheet_keys(qtbot, window) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from editor.ui.cheat_sheet import CheatSheet

    view = window.timeline_view
    press(qtbot, window, Qt.Key.Key_0)
    fitted = view.pixels_per_frame()
    press(qtbot, window, Qt.Key.Key_Plus)
    assert view.pixels_per_frame() > fitted
    press(qtbot, window, Qt.Key.Key_Minus)
    press(qtbot, window, Qt.Key.Key_Minus)
    assert view.pixels_per_frame() < fitted
    press(qtbot, window, Qt.Key.Key_F)
    qtbot.waitUntil(lambda: window.viewer.isWindow(), timeout=2000)
    press(qtbot, window.viewer, Qt.Key.Key_F)  # the viewer window keeps the keymap
    qtbot.waitUntil(lambda: not window.viewer.isWindow(), timeout=2000)
    seen: list[int] = []

    def check() -> None:
        sheet = QApplication.activeModalWidget()
        assert isinstance(sheet, CheatSheet)
        seen.append(sheet.table.rowCount())
        sheet.reject()

    QTimer.singleShot(200, check)
    press(qtbot, window, Qt.Key.Key_F1)
    assert seen and seen[0] >= 30


KILLED_WINDOW = r"""
import argparse, os, signal, sys, time
from PySide6.QtWidgets import QApplication
from editor.app import build_window
from editor.store.services import Store
app = QApplication(["cutline"])
store = Store.open()
win = build_window(store, argparse.Namespace(files=[sys.argv[1]], project=None, smoke_test=False))
while win.controller.timeline is None:
    app.processEvents(); time.sleep(0.01)
c = win.controller
for frame in (20, 40, 60):
    c.set_playhead(frame); c.split()
c.set_playhead(10); c.add_marker()
c.undo()
deadline = time.time() + 5
while time.time() < deadline:  # the edits reach the database within a second; no clean shutdown follows
    app.processEvents(); time.sleep(0.01)
    if win.controller.session.saver.pending == 0:
        break
print(win.controller.session.project_id, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_killed_window_reopens_at_the_last_edit_with_its_undo_history(qtbot, store, clip: Path) -> None:
    import subprocess
    import sys

    from editor.app import build_window

    run = subprocess.run([sys.executable, "-c", KILLED_WINDOW, str(clip)], capture_output=True, text=True,
                         timeout=120, cwd=Path(__file__).resolve().parents[2])
    assert run.returncode == -9, run.stderr[-2000:]
    project_id = int(run.stdout.split()[0])
    win = build_window(store, argparse.Namespace(files=[], project=project_id, smoke_test=False))
    qtbot.addWidget(win)
    try:
        qtbot.waitUntil(lambda: win.controller.timeline is not None, timeout=20000)
        c = win.controller
        assert [len(t.items) for t in c.timeline.tracks[:2]] == [4, 4] and c.timeline.markers == ()
        assert c.session.history.undo_depth == 3 and c.session.history.redo_depth == 1
        c.redo()  # the marker the killed window had undone
        assert [m.frame for m in c.timeline.markers] == [10]
        c.undo()
        c.undo()
        assert [len(t.items) for t in c.timeline.tracks[:2]] == [3, 3]
    finally:
        win.shutdown()


def test_files_dropped_on_the_timeline_are_inserted_where_they_land(qtbot, window, tmp_path: Path) -> None:
    other = tmp_path / "insert me.mp4"
    make_clip(other, frames=20, fps=Fraction(25), size=(320, 240))
    c = window.controller
    window.timeline_view.files_dropped.emit([str(other)], 50)
    qtbot.waitUntil(lambda: duration(c.timeline) == 120, timeout=10000)
    names = [it.name for it in c.timeline.tracks[0].items if isinstance(it, Clip)]
    assert names == ["numbers.mp4", "insert me.mp4", "numbers.mp4"]
    assert [it.duration for it in c.timeline.tracks[0].items] == [50, 20, 50]


def test_jkl_shuttle_plays_backwards_and_speeds_up(qtbot, window) -> None:
    c = window.controller
    c.set_playhead(90)
    press(qtbot, window, Qt.Key.Key_J)
    assert window.preview.rate == -1.0
    press(qtbot, window, Qt.Key.Key_J)
    assert window.preview.rate == -2.0
    qtbot.waitUntil(lambda: c.playhead < 80, timeout=5000)
    press(qtbot, window, Qt.Key.Key_K)
    assert window.preview.rate == 0
    press(qtbot, window, Qt.Key.Key_L)
    press(qtbot, window, Qt.Key.Key_L)
    press(qtbot, window, Qt.Key.Key_L)
    press(qtbot, window, Qt.Key.Key_L)
    assert window.preview.rate == 4.0, "L four times: 1x, 2x, 4x, and no faster"
    press(qtbot, window, Qt.Key.Key_K)
