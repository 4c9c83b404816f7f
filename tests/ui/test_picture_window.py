"""The Picture menu in the real window, by keys: fades, a dissolve, a title (CJK), its edit, a look."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from editor.media.synth import make_clip
from editor.model.picture import Title
from editor.store.autosave import load_timeline
from editor.ui.preview import qimage_to_rgb
from editor.ui.title_dialog import LookDialog, TitleDialog

pytestmark = pytest.mark.timeout(120)
NO = Qt.KeyboardModifier.NoModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("picture") / "numbers.mp4"
    make_clip(path, frames=100, fps=Fraction(25), size=(320, 240), gop=10)
    return path


def active(qtbot, win) -> None:
    """After a modal dialog closed: the window is active again (its shortcuts work only then)."""
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=5000)


def saved_timeline(win):
    session = win.controller.session
    assert session.saver.flush(10)
    return load_timeline(win.ctx.store.projects.get(session.project_id))


def test_fades_dissolve_title_and_look_by_keys(qtbot, window_on, clip, when_dialog) -> None:
    win = window_on([str(clip)])
    c = win.controller
    c.set_playhead(50)
    qtbot.keyClick(win, Qt.Key.Key_S)  # two clips: 0..50, 50..100
    c.set_playhead(10)
    qtbot.keyClick(win, Qt.Key.Key_F, SHIFT)  # fade in the clip under the playhead
    first, second = c.timeline.tracks[0].items
    assert first.look.fade_in == 25 and win.actions_by_name["undo"].text() == "Undo Set fade"
    c.set_playhead(0)
    qtbot.waitUntil(lambda: win.viewer.frame() is None or qimage_to_rgb(win.viewer.frame()).max() == 0,
                    timeout=10000)  # the first frame of a fade in is black (the frame before was not)
    c.set_playhead(45)
    qtbot.keyClick(win, Qt.Key.Key_D, SHIFT)  # a dissolve at the cut nearest the playhead (frame 50)
    assert c.timeline.tracks[0].items[1].look.dissolve == 25

    def fill_title(dialog: TitleDialog) -> None:
        dialog.text.setPlainText("안녕하세요 Cutline")
        dialog.color.setText("#ffcc00")
        dialog.font_size.setValue(90)
        dialog.seconds.setValue(2.0)
        if os.environ.get("CUTLINE_DOCS"):
            dialog.grab().save(os.path.join(os.environ["CUTLINE_DOCS"], "title-dialog.png"))
        dialog.accept()

    c.set_playhead(20)
    when_dialog(TitleDialog, fill_title)
    qtbot.keyClick(win, Qt.Key.Key_T)
    qtbot.waitUntil(lambda: any(type(it) is Title for tr in c.timeline.tracks for it in tr.items), timeout=5000)
    track = c.timeline.tracks[-1]
    assert track.kind == "video" and track.starts()[1] == 20, "a new video track, the title at the playhead"
    title = track.items[1]
    assert (title.text, title.color, title.size, title.duration) == ("안녕하세요 Cutline", "#ffcc00", 90, 50)
    assert win.actions_by_name["undo"].text() == "Undo Add title"

    c.set_playhead(30)  # the viewer draws the title's yellow ink over the picture
    def yellow() -> int:
        rgb = qimage_to_rgb(win.viewer.frame())
        return int(((rgb[..., 0] > 200) & (rgb[..., 1] > 160) & (rgb[..., 2] < 90)).sum())
    qtbot.waitUntil(lambda: win.viewer.frame() is not None and yellow() > 500, timeout=10000)
    active(qtbot, win)

    def edit_text(dialog: TitleDialog) -> None:
        assert dialog.text.toPlainText() == "안녕하세요 Cutline"
        dialog.text.setPlainText("끝")
        dialog.accept()

    when_dialog(TitleDialog, edit_text)
    qtbot.keyClick(win, Qt.Key.Key_T, SHIFT)
    qtbot.waitUntil(lambda: c.timeline.tracks[-1].items[1].text == "끝", timeout=5000)

    def half(dialog: LookDialog) -> None:
        dialog.opacity.setValue(50)
        dialog.scale.setValue(50)
        dialog.move_x.setValue(25)
        dialog.accept()

    active(qtbot, win)
    c.select(0, second.id)
    when_dialog(LookDialog, half)
    qtbot.keyClick(win, Qt.Key.Key_P, SHIFT)
    qtbot.waitUntil(lambda: c.timeline.tracks[0].items[1].look.opacity == Fraction(1, 2), timeout=5000)
    look = c.timeline.tracks[0].items[1].look
    assert (look.scale, look.x, look.dissolve) == (Fraction(1, 2), Fraction(1, 4), 25)

    assert saved_timeline(win) == c.timeline, "every picture edit is saved"
    assert win.actions_by_name["undo"].text() == "Undo Set look"
    active(qtbot, win)
    qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert c.timeline.tracks[0].items[1].look.opacity == 1
    if os.environ.get("CUTLINE_DOCS"):  # screenshots for docs/ (run under Xvfb)
        win.resize(1280, 800)
        c.set_playhead(30)
        qtbot.wait(1500)
        win.grab().save(os.path.join(os.environ["CUTLINE_DOCS"], "picture-title.png"))


def test_picture_keys_without_a_picture_item_say_so(qtbot, window_on, clip) -> None:
    win = window_on([str(clip)])
    messages: list[str] = []
    win.controller.message.connect(messages.append)
    win.controller.set_playhead(10)
    qtbot.keyClick(win, Qt.Key.Key_D, SHIFT)  # no clip before the first one
    assert messages and "needs another clip right before it" in messages[-1]
    qtbot.keyClick(win, Qt.Key.Key_T, SHIFT)
    assert "select a title" in messages[-1]
