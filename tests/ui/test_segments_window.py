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
