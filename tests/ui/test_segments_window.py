"""The Segments panel driven with keys: in/out -> segment, rename, colour, enable, reorder, jump, split, merge,
invert, delete; saved in PostgreSQL and undoable like any edit."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog

from editor.media.synth import make_clip
from editor.store.autosave import load_timeline
from tests.ui.test_window import press, saved

pytestmark = pytest.mark.timeout(120)
ALT = Qt.KeyboardModifier.AltModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("segments") / "numbers.mp4"
    make_clip(path, frames=100, fps=Fraction(25), size=(160, 120), gop=10)
    return path


def ranges(win) -> list[tuple[int, int, str, str, bool]]:
    return [(g.start, g.end, g.name, g.color, g.enabled) for g in win.controller.timeline.segments]


def mark(qtbot, win, a: int, b: int) -> None:
    press(qtbot, win, Qt.Key.Key_Home)
    press(qtbot, win, Qt.Key.Key_Right, times=a)
    press(qtbot, win, Qt.Key.Key_I)
    press(qtbot, win, Qt.Key.Key_Right, times=b - a - 1)
    press(qtbot, win, Qt.Key.Key_O)  # O keeps the frame shown: the out point is b
    press(qtbot, win, Qt.Key.Key_B)


def test_segment_keys_edit_save_and_undo(qtbot, window_on, clip, when_dialog) -> None:
    win = window_on([str(clip)])
    c = win.controller
    press(qtbot, win, Qt.Key.Key_B)  # no in/out yet: a message, nothing else
    assert c.timeline.segments == ()
    mark(qtbot, win, 10, 20)
    mark(qtbot, win, 50, 70)
    assert ranges(win) == [(10, 20, "", "blue", True), (50, 70, "", "blue", True)]
    assert win.segments_panel.list.count() == 2
    press(qtbot, win, Qt.Key.Key_C, ALT)  # next colour of the selected (the last added)
    when_dialog(QInputDialog, lambda d: (d.setTextValue("outro"), d.accept()))
    press(qtbot, win, Qt.Key.Key_F2)
    win.activateWindow()
    qtbot.waitUntil(lambda: win.isActiveWindow(), timeout=2000)
    press(qtbot, win, Qt.Key.Key_Up, ALT | SHIFT)  # move it first
    assert [r[:3] for r in ranges(win)] == [(50, 70, "outro"), (10, 20, "")]
    assert ranges(win)[0][3] != "blue"
    press(qtbot, win, Qt.Key.Key_End, ALT)
    assert c.playhead == 69
    press(qtbot, win, Qt.Key.Key_Home, ALT)
    assert c.playhead == 50
    press(qtbot, win, Qt.Key.Key_Right, times=5)
    press(qtbot, win, Qt.Key.Key_K, ALT)  # split at 55
    assert [r[:2] for r in ranges(win)] == [(50, 55), (55, 70), (10, 20)]
    press(qtbot, win, Qt.Key.Key_J, ALT)  # merge the selected (50-55) with the next
    assert [r[:2] for r in ranges(win)] == [(50, 70), (10, 20)]
    press(qtbot, win, Qt.Key.Key_Down, ALT)  # select 10-20 and disable it
    press(qtbot, win, Qt.Key.Key_D, ALT)
    assert ranges(win)[1][4] is False
    assert "[off]" in win.segments_panel.list.item(1).text()
    project = saved(win)
    assert [(g.start, g.end, g.enabled) for g in load_timeline(project).segments] == [(50, 70, True), (10, 20, False)]
    press(qtbot, win, Qt.Key.Key_N, ALT)  # invert the enabled one: keep the rest
    assert [r[:2] for r in ranges(win)] == [(0, 50), (70, 100)]
    press(qtbot, win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [r[:2] for r in ranges(win)] == [(50, 70), (10, 20)]
    assert win.actions_by_name["redo"].text().startswith("Redo ")
    press(qtbot, win, Qt.Key.Key_Up, ALT)
    press(qtbot, win, Qt.Key.Key_Delete, ALT)
    assert [r[:2] for r in ranges(win)] == [(10, 20)]
    assert [(g.start, g.end) for g in load_timeline(saved(win)).segments] == [(10, 20)]


def test_ctrl_alt_e_exports_each_enabled_segment_to_its_own_file(qtbot, window_on, clip, tmp_path) -> None:
    """Two segments in export order (the second first), copy preset: the dialog lists each file's real range
    before anything is written; two jobs write exactly those frames, named after their segments."""
    import av
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from editor.media.synth import read_frame_number
    from editor.ui.export_dialog import ExportDialog

    win = window_on([str(clip)])
    mark(qtbot, win, 30, 50)
    mark(qtbot, win, 0, 20)
    assert win.controller.edit("rename_segment", segment_id=win.controller.timeline.segments[1].id, label='intro "1"')
    seen: list = []

    def fill() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, ExportDialog):
            QTimer.singleShot(100, fill)
            return
        try:
            answer(dialog)
        except BaseException as exc:  # noqa: BLE001 - said by the test, and the dialog closes
            seen[:] = [exc, exc]
            dialog.reject()

    def answer(dialog) -> None:
        radios = (dialog.whole, dialog.in_out, dialog.by_segment, dialog.joined)
        assert [r for r in radios if r.isChecked()] == [dialog.by_segment], "one range (in/out was checked too)"
        dialog.preset.setCurrentIndex(dialog.preset.findData("copy"))
        dialog.output.setText(str(tmp_path / "cut.mp4"))
        dialog.output.editingFinished.emit()
        try:
            qtbot.waitUntil(lambda: "cut 02 intro _1_.mp4:" in dialog.plan.text(), timeout=20000)
        except Exception:
            raise AssertionError(dialog.plan.text()) from None
        seen.append(dialog.plan.text())
        qtbot.keyClick(dialog, Qt.Key.Key_Return)
        seen.append(list(dialog.job_ids))

    QTimer.singleShot(100, fill)
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=5000)
    press(qtbot, win, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier | ALT)
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=30000)
    if isinstance(seen[0], BaseException):
        raise seen[0]
    assert "cut 01.mp4:" in seen[0] and "Segment 1: numbers.mp4 1.200–2.000 s" in seen[0]
    jobs = seen[1]
    assert len(jobs) == 2
    qtbot.waitUntil(lambda: all(win.jobs.board.get(j) is not None and win.jobs.board.get(j).status == "complete"
                                for j in jobs), timeout=90000)
    for name, numbers in (("cut 01.mp4", list(range(30, 50))), ("cut 02 intro _1_.mp4", list(range(0, 20)))):
        with av.open(str(tmp_path / name)) as c:
            assert [read_frame_number(f.to_ndarray(format="rgb24")) for f in c.decode(video=0)] == numbers


def test_ctrl_alt_shift_e_joins_the_enabled_segments_into_one_file_with_a_chapter_each(qtbot, window_on, clip,
                                                                                     tmp_path) -> None:
    """Two segments in export order (the second first), smart preset: one file holds exactly their frames one
    after the other, and a chapter per segment named after it."""
    import av
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from editor.media.chapters import read_chapters
    from editor.media.synth import read_frame_number
    from editor.ui.export_dialog import ExportDialog

    win = window_on([str(clip)])
    mark(qtbot, win, 30, 50)
    mark(qtbot, win, 5, 20)
    assert win.controller.edit("rename_segment", segment_id=win.controller.timeline.segments[1].id, label="intro")
    out = tmp_path / "joined.mp4"
    seen: list = []

    def fill() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, ExportDialog):
            QTimer.singleShot(100, fill)
            return
        try:
            radios = (dialog.whole, dialog.in_out, dialog.by_segment, dialog.joined)
            assert [r for r in radios if r.isChecked()] == [dialog.joined] and not dialog.chapters.isEnabled()
            dialog.preset.setCurrentIndex(dialog.preset.findData("smart"))
            dialog.output.setText(str(out))
            dialog.output.editingFinished.emit()
            qtbot.keyClick(dialog, Qt.Key.Key_Return)
            seen.append(list(dialog.job_ids))
        except BaseException as exc:  # noqa: BLE001 - said by the test, and the dialog closes
            seen.append(exc)
            dialog.reject()

    QTimer.singleShot(100, fill)
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=5000)
    press(qtbot, win, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier | ALT | SHIFT)
    qtbot.waitUntil(lambda: bool(seen), timeout=30000)
    if isinstance(seen[0], BaseException):
        raise seen[0]
    (job,) = seen[0]
    qtbot.waitUntil(lambda: win.jobs.board.get(job) is not None and win.jobs.board.get(job).finished, timeout=90000)
    assert win.jobs.board.get(job).status == "complete", win.jobs.board.get(job).message
    with av.open(str(out)) as c:
        assert [read_frame_number(f.to_ndarray(format="rgb24")) for f in c.decode(video=0)] == (
            list(range(30, 50)) + list(range(5, 20)))
    assert [(float(c.start), float(c.end), c.title) for c in read_chapters(out)] == [
        (0.0, 0.8, "Segment 1"), (0.8, 1.4, "intro")]


def test_dragging_a_segment_row_reorders_the_export_order_as_an_undoable_edit(qtbot, window_on, clip) -> None:
    """The list's own move (what a drag and drop of a row does) becomes a move_segment edit: saved, and undone
    with Ctrl+Z; a click selects the row's segment."""
    from PySide6.QtCore import QModelIndex

    win = window_on([str(clip)])
    for a, b in ((0, 10), (20, 30), (40, 50)):
        mark(qtbot, win, a, b)
    panel = win.segments_panel
    first, _second, third = win.controller.timeline.segments
    assert panel.list.model().moveRow(QModelIndex(), 2, QModelIndex(), 0)  # drag the third row to the top
    qtbot.waitUntil(lambda: [g.start for g in win.controller.timeline.segments] == [40, 0, 20], timeout=5000)
    assert panel.selected().id == third.id
    qtbot.waitUntil(lambda: [g.start for g in load_timeline(saved(win)).segments] == [40, 0, 20], timeout=10000)
    press(qtbot, win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [g.start for g in win.controller.timeline.segments] == [0, 20, 40]
    item = panel.list.item(0)
    qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=panel.list.visualItemRect(item).center())
    assert panel.selected().id == first.id


def test_ctrl_alt_b_cuts_every_selected_bin_file_with_the_segments(qtbot, window_on, clip, tmp_path,
                                                                   when_dialog) -> None:
    """Two files selected in the bin, two segments (frames 20-40 and 60-80): each file gets one output with its
    segments joined; the 30-frame file's first segment is shortened to its end and its second left out, and
    the closing line says so."""
    import av

    from editor.media.synth import read_frame_number

    short = tmp_path / "short 'take'.mp4"
    make_clip(short, frames=30, fps=Fraction(25), size=(160, 120), gop=10)
    win = window_on([str(clip), str(short)])
    qtbot.waitUntil(lambda: len(win.media_bin.media()) == 2, timeout=20000)
    mark(qtbot, win, 20, 40)
    mark(qtbot, win, 60, 80)
    view = win.media_bin.view()
    view.selectAll()
    assert len(win.media_bin.selected_media()) == 2
    out = tmp_path / "batch"
    out.mkdir()
    win.batch.next_folder = str(out)
    when_dialog(QInputDialog, lambda d: (d.setTextValue("Smart cut (exact)"), d.accept()))
    win.activateWindow()
    qtbot.waitUntil(lambda: win.isActiveWindow(), timeout=2000)
    press(qtbot, win, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier | ALT)
    qtbot.waitUntil(lambda: win.statusBar().currentMessage().startswith("Batch cut:"), timeout=120000)
    said = win.statusBar().currentMessage()
    assert said.startswith(f"Batch cut: 2 of 2 files written to {out}"), said
    assert "segment 1 shortened to its end" in said and "segment 2 starts after its end" in said, said

    def numbers(path: Path) -> list[int]:
        with av.open(str(path)) as c:
            return [read_frame_number(f.to_ndarray(format="rgb24")) for f in c.decode(video=0)]

    assert numbers(out / "numbers cut.mp4") == list(range(20, 40)) + list(range(60, 80))
    assert numbers(out / "short 'take' cut.mp4") == list(range(20, 30))


def test_ctrl_alt_m_merges_the_selected_bin_files_in_order(qtbot, window_on, clip, tmp_path) -> None:
    """Two matching files selected in the bin: one export job joins them whole, copied, every frame once."""
    import av

    from editor.media.synth import read_frame_number

    short = tmp_path / "short.mp4"
    make_clip(short, frames=30, fps=Fraction(25), size=(160, 120), gop=10)
    win = window_on([str(clip), str(short)])
    qtbot.waitUntil(lambda: len(win.media_bin.media()) == 2, timeout=20000)
    press(qtbot, win, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier | ALT)
    assert "Select two or more files" in win.statusBar().currentMessage()
    win.media_bin.view().selectAll()
    out = tmp_path / "merged ✂.mp4"
    win.batch.next_merge_path = str(out)
    press(qtbot, win, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier | ALT)
    qtbot.waitUntil(lambda: "nothing re-encoded" in win.statusBar().currentMessage(), timeout=30000)
    qtbot.waitUntil(lambda: out.exists(), timeout=60000)
    with av.open(str(out)) as c:
        got = [read_frame_number(f.to_ndarray(format="rgb24")) for f in c.decode(video=0)]
    assert got == list(range(100)) + list(range(30))
