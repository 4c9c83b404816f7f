"""Keys that must work without a restart or a mouse: Esc leaves the full-screen viewer, a key rebound in
Preferences works as soon as it is saved, the marker keys move between markers."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from editor.media.synth import make_clip
from editor.store.config import CONFIG_FILE, config_dir

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def window(window_on, tmp_path: Path):  # type: ignore[no-untyped-def]
    clip = tmp_path / "keys.mp4"
    make_clip(clip, frames=50, fps=Fraction(25), size=(160, 120), gop=10)
    return window_on([str(clip)])


def test_esc_leaves_the_full_screen_viewer(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClick(window, Qt.Key.Key_F)
    qtbot.waitUntil(lambda: window.viewer.isWindow(), timeout=2000)
    qtbot.keyClick(window.viewer, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not window.viewer.isWindow(), timeout=2000)
    qtbot.keyClick(window, Qt.Key.Key_Escape)  # not full screen: Esc does nothing
    assert not window.viewer.isWindow()


def test_marker_keys_move_between_markers(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    c = window.controller
    for frame in (10, 30):
        c.set_playhead(frame)
        qtbot.keyClick(window, Qt.Key.Key_M)
    c.set_playhead(0)
    qtbot.keyClick(window, Qt.Key.Key_Greater)
    assert c.playhead == 10
    qtbot.keyClick(window, Qt.Key.Key_Greater)
    assert c.playhead == 30
    qtbot.keyClick(window, Qt.Key.Key_Less)
    assert c.playhead == 10


def test_a_key_rebound_in_preferences_works_at_once(qtbot, window, when_dialog) -> None:  # type: ignore[no-untyped-def]
    from editor.ui.preferences import PreferencesDialog

    config = config_dir() / CONFIG_FILE
    before = config.read_bytes() if config.exists() else None
    c = window.controller

    def rebind(dialog: PreferencesDialog) -> None:
        row = next(r for r in range(dialog.keymap.rowCount()) if dialog.keymap.item(r, 0).data(256) == "add_marker")
        dialog.keymap.item(row, 1).setText("F9")  # a key nothing else has
        dialog.save()

    try:
        when_dialog(PreferencesDialog, rebind)
        window.preferences()
        assert [k.toString() for k in window.actions_by_name["add_marker"].shortcuts()] == ["F9"]
        with qtbot.waitActive(window):  # the dialog had the focus
            window.activateWindow()
        c.set_playhead(20)
        markers = len(c.timeline.markers)
        qtbot.keyClick(window, Qt.Key.Key_F9)
        assert len(c.timeline.markers) == markers + 1, "the rebound key did not work before a restart"
        qtbot.keyClick(window, Qt.Key.Key_M)  # the old key no longer adds one
        assert len(c.timeline.markers) == markers + 1
    finally:
        if before is None:
            config.unlink(missing_ok=True)
        else:
            config.write_bytes(before)
