"""A project made with Ctrl+N (no file yet) runs at the rate of the first video imported or dropped into it."""

from __future__ import annotations

import argparse
from fractions import Fraction
from pathlib import Path

import pytest

from editor.media.synth import make_clip
from editor.model.navigate import duration
from editor.store.autosave import load_timeline

pytestmark = pytest.mark.timeout(120)


def test_ctrl_n_then_drop_runs_at_the_media_rate(qtbot, store, tmp_path: Path) -> None:
    from editor.app import build_window

    pal = tmp_path / "pal.mp4"
    make_clip(pal, frames=50, fps=Fraction(25), gop=25)
    win = build_window(store, argparse.Namespace(files=[], project=None, smoke_test=False))
    qtbot.addWidget(win)
    try:
        c = win.controller
        c.new_project("Blank at first")  # what Ctrl+N does once the name is typed
        qtbot.waitUntil(lambda: c.timeline is not None and c.timeline.name == "Blank at first", timeout=20000)
        assert c.timeline.rate == 30
        win.timeline_view.files_dropped.emit([str(pal)], 0)
        qtbot.waitUntil(lambda: duration(c.timeline) > 0, timeout=20000)
        assert c.timeline.rate == 25 and duration(c.timeline) == 50  # no duplicated frames
        session = c.session
        assert session.saver.flush(10)
        saved = load_timeline(win.ctx.store.projects.get(session.project_id))
        assert saved.rate == 25 and duration(saved) == 50
    finally:
        win.shutdown()
