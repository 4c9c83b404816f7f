"""Subtitles in the window: SRT import/export from the File menu, cues over the picture, add and edit by
keys and double-click, burn-in at export with the overlay's rasteriser."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from editor.jobs.export import render_spec_for
from editor.media.compose import subtitle_pixels
from editor.media.render import render
from editor.media.synth import make_clip
from editor.model.timeline import SubtitleCue
from editor.ui.subtitle_editor import CueDialog

pytestmark = pytest.mark.timeout(120)
SRT = "1\n00:00:00,400 --> 00:00:01,200\n안녕하세요\n\n2\n00:00:02,000 --> 00:00:03,000\nSecond line\n"


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("subs") / "numbers.mp4"
    make_clip(path, frames=100, fps=Fraction(25), size=(320, 240), gop=10)
    return path


def cues(tl) -> list[tuple[int, int, str]]:
    out = []
    for tr in tl.tracks:
        if tr.kind == "subtitle":
            s = tr.starts()
            out += [(s[i], s[i + 1], it.text) for i, it in enumerate(tr.items) if type(it) is SubtitleCue]
    return out


def active(qtbot, win) -> None:
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=5000)


def test_import_show_edit_add_export_and_burn_in(qtbot, window_on, clip, tmp_path, when_dialog) -> None:
    win = window_on([str(clip)])
    c = win.controller
    srt = tmp_path / "in.srt"
    srt.write_text(SRT, encoding="utf-8")
    win.subtitles.next_path = str(srt)
    win.actions_by_name["import_srt"].trigger()
    qtbot.waitUntil(lambda: len(cues(c.timeline)) == 2, timeout=5000)
    assert cues(c.timeline) == [(10, 30, "안녕하세요"), (50, 75, "Second line")]

    c.set_playhead(20)  # the cue is drawn over the picture
    qtbot.waitUntil(lambda: win.subtitle_overlay.text == "안녕하세요", timeout=5000)
    shown = win.subtitle_overlay.image()
    assert shown is not None and shown[0].width() > 20
    c.set_playhead(40)
    qtbot.waitUntil(lambda: win.subtitle_overlay.text == "", timeout=5000)
    qtbot.keyClick(win, Qt.Key.Key_V, Qt.KeyboardModifier.ShiftModifier)  # hide subtitles
    assert not win.subtitle_overlay.enabled
    qtbot.keyClick(win, Qt.Key.Key_V, Qt.KeyboardModifier.ShiftModifier)
    assert win.subtitle_overlay.enabled

    def add(dialog: CueDialog) -> None:
        assert dialog.start.value() == 40 and dialog.end.value() == 90
        dialog.text.setPlainText("Added by key")
        dialog.end.setValue(48)
        dialog.accept()

    when_dialog(CueDialog, add)
    qtbot.keyClick(win, Qt.Key.Key_C)
    qtbot.waitUntil(lambda: (40, 48, "Added by key") in cues(c.timeline), timeout=5000)
    active(qtbot, win)

    def retime(dialog: CueDialog) -> None:
        assert dialog.text.toPlainText() == "Second line"
        dialog.text.setPlainText("Second, edited")
        dialog.start.setValue(52)
        dialog.accept()

    c.set_playhead(60)
    when_dialog(CueDialog, retime)
    qtbot.keyClick(win, Qt.Key.Key_C, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: (52, 75, "Second, edited") in cues(c.timeline), timeout=5000)
    active(qtbot, win)

    # double-click the first cue on the timeline: the same dialog
    view = win.timeline_view
    ti = next(i for i, tr in enumerate(c.timeline.tracks) if tr.kind == "subtitle")
    y = next(y for y in range(0, view.height()) if view._hit(view._fx(20), y) is not None
             and view._hit(view._fx(20), y)[0] == ti)

    def dbl(dialog: CueDialog) -> None:
        dialog.text.setPlainText("더블 클릭")
        dialog.accept()

    when_dialog(CueDialog, dbl)
    qtbot.mouseDClick(view, Qt.MouseButton.LeftButton, pos=QPoint(int(view._fx(20)), y))
    qtbot.waitUntil(lambda: (10, 30, "더블 클릭") in cues(c.timeline), timeout=5000)

    out = tmp_path / "out.srt"
    win.subtitles.next_path = str(out)
    win.actions_by_name["export_srt"].trigger()
    qtbot.waitUntil(lambda: out.exists() and "더블 클릭" in out.read_text(encoding="utf-8"), timeout=5000)
    assert "00:00:00,400 --> 00:00:01,200" in out.read_text(encoding="utf-8"), "imported times kept"

    # burn-in: the exported frame holds exactly the overlay's pixels over the picture
    spec = render_spec_for(c.timeline, preset="fast", video_codec="ffv1", burn_subtitles=True)
    assert spec.burn_subtitles and spec.composition
    result = render(spec, tmp_path / "burnt.mkv")
    plain = render(render_spec_for(c.timeline, preset="fast", video_codec="ffv1"), tmp_path / "plain.mkv")
    with av.open(str(result.path)) as a, av.open(str(plain.path)) as b:
        burnt = [f.to_ndarray(format="bgra") for f in a.decode(video=0)]
        clean = [f.to_ndarray(format="bgra") for f in b.decode(video=0)]
    pixels, x0, y0 = subtitle_pixels("더블 클릭", (320, 240))
    h, w = pixels.shape[:2]
    region = burnt[20][y0:y0 + h, x0:x0 + w].astype(int)
    ink = pixels[..., 3] == 255
    assert ink.sum() > 50 and np.abs(region[ink][:, :3] - pixels[ink][:, :3].astype(int)).max() == 0
    assert np.array_equal(burnt[35], clean[35]), "a frame without a cue is the plain frame"
    assert not np.array_equal(burnt[20], clean[20])
