"""Preview the real cut: Shift+Space plays what a stream-copy export will hold (from the keyframe it starts at),
picture by picture, without moving the playhead; a timeline copy cannot cut says why in one line."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from editor.jobs.copy_preview import copy_spec, output_frame, preview_timeline
from editor.media.render import copy_plan
from editor.media.synth import make_clip, read_frame_number
from editor.model.marks import set_in_out
from editor.model.navigate import duration, timeline_from_media
from editor.model.registry import apply_edit
from editor.model.timeline import Clip, validate
from editor.ui.preview import qimage_to_rgb
from tests.ui.test_window import press

pytestmark = pytest.mark.timeout(120)
SHIFT = Qt.KeyboardModifier.ShiftModifier
SIZE = (160, 120)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cut-preview") / "numbers.mp4"
    make_clip(path, frames=100, fps=Fraction(25), size=SIZE, gop=10)  # keyframes at 0, 10, 20, …
    return path


def _media(path: Path):  # type: ignore[no-untyped-def]
    from editor.jobs.importing import media_ref
    from editor.media.probe import probe

    return media_ref(probe(str(path)))


def test_the_preview_timeline_holds_the_frames_copy_writes(clip: Path) -> None:
    t = timeline_from_media([_media(clip)])
    t = apply_edit(t, "add_segment", {"start": 57, "end": 70})
    t = apply_edit(t, "add_segment", {"start": 17, "end": 40})  # export order: 57-70 first, then 17-40
    plan = copy_plan(copy_spec(t))
    pt = preview_timeline(t, plan)
    validate(pt)
    pictures = [it for it in pt.tracks[0].items if isinstance(it, Clip)]
    assert [(c.source_in, c.duration) for c in pictures] == [(50, 20), (10, 30)]  # each from its keyframe
    sounds = [it for it in pt.tracks[1].items if isinstance(it, Clip)]
    assert [(c.source_in, c.duration) for c in sounds] == [(50, 20), (10, 30)]
    assert duration(pt) == 50
    rate = pt.rate
    assert output_frame(plan, rate, clip.as_posix(), Fraction(60, 25)) == 10  # frame 60 of 57-70
    assert output_frame(plan, rate, clip.as_posix(), Fraction(18, 25)) == 28  # frame 18 of 17-40
    assert output_frame(plan, rate, clip.as_posix(), Fraction(45, 25)) == 0  # between: the next (57-70)
    assert output_frame(plan, rate, clip.as_posix(), Fraction(90, 25)) == 0  # after every segment


def test_with_an_in_out_range_the_preview_is_that_range_from_its_keyframe(clip: Path) -> None:
    t = set_in_out(timeline_from_media([_media(clip)]), 23, 61)
    plan = copy_plan(copy_spec(t))
    pt = preview_timeline(t, plan)
    assert [(c.source_in, c.duration) for c in pt.tracks[0].items if isinstance(c, Clip)] == [(20, 41)]
    assert not plan[0].exact


def _number(image) -> int:  # type: ignore[no-untyped-def]
    rgb = qimage_to_rgb(image)
    return read_frame_number(np.asarray(Image.fromarray(rgb).resize(SIZE, Image.NEAREST)))


def test_shift_space_plays_the_copy_cut_and_leaves_the_playhead(qtbot, window_on, clip: Path) -> None:
    win = window_on([str(clip)])
    c = win.controller
    c.set_playhead(23)
    press(qtbot, win, Qt.Key.Key_I)
    c.set_playhead(60)
    press(qtbot, win, Qt.Key.Key_O)  # O keeps the frame shown: out point 61
    c.set_playhead(24)
    shown: list[tuple[int, int]] = []  # (output frame, the number the picture shows) while previewing
    win.preview.frame_ready.connect(
        lambda image, f: shown.append((f, _number(image))) if win.cut_preview.active and image else None)
    positions: list[int] = []
    win.preview.position_changed.connect(lambda f: positions.append(f) if win.cut_preview.active else None)
    press(qtbot, win, Qt.Key.Key_Space, SHIFT)
    qtbot.waitUntil(lambda: win.cut_preview.active is not None, timeout=30000)
    assert "Copy preview" in win.statusBar().currentMessage()
    assert "earlier keyframe" in win.statusBar().currentMessage()
    qtbot.waitUntil(lambda: win.cut_preview.active is None, timeout=30000)  # played to the end, and back
    assert shown, "the preview showed pictures"
    assert shown[0] == (4, 24), "from the picture under the playhead: frame 24, 4 frames into the output"
    assert all(number == f + 20 for f, number in shown), "every picture is the output's: source = frame + 20"
    assert positions[-1] == 41 == round((win.cut_preview.plan[0].actual_out - Fraction(20, 25)) * 25), \
        "it played to the end of what the file will hold (frames 20-60), then stopped"
    assert shown[-1][1] <= 60  # a busy machine may drop the last pictures, never show one past the end
    assert c.playhead == 24 and win.preview.rate == 0
    assert "Copy preview" not in win.viewer._timecode
    # from the in point: the preview starts where the file will, at the keyframe before it
    shown.clear()
    c.set_playhead(0)  # before the range: the preview starts at the output's first frame
    press(qtbot, win, Qt.Key.Key_Space, SHIFT)
    qtbot.waitUntil(lambda: len(shown) > 3, timeout=30000)
    assert shown[0] == (0, 20), "the output's first picture is the keyframe before the in point (23)"
    press(qtbot, win, Qt.Key.Key_Space)  # Space stops it, back at the playhead
    qtbot.waitUntil(lambda: win.cut_preview.active is None, timeout=5000)
    assert c.playhead == 0
    press(qtbot, win, Qt.Key.Key_Space, SHIFT)
    qtbot.waitUntil(lambda: win.cut_preview.active is not None, timeout=30000)
    press(qtbot, win, Qt.Key.Key_Escape)  # so does Esc
    qtbot.waitUntil(lambda: win.cut_preview.active is None and win.preview.rate == 0, timeout=5000)
    assert c.playhead == 0 and not win.viewer._timecode.startswith("Copy preview")


def test_a_timeline_copy_cannot_cut_says_why(qtbot, window_on, clip: Path) -> None:
    win = window_on([str(clip)])
    c = win.controller
    sound = next(it for it in c.timeline.tracks[1].items if isinstance(it, Clip))
    assert c.edit_with("set_clip_audio", {"clip_id": sound.id, "gain_db": -6.0})  # copy keeps the file's sound
    press(qtbot, win, Qt.Key.Key_Space, SHIFT)
    message = win.statusBar().currentMessage()
    assert message.startswith("No copy preview: ") and "\n" not in message
    assert win.cut_preview.active is None and win.preview.rate == 0
