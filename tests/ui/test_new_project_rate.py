"""A project made with Ctrl+N (no file yet) runs at the rate of the first video imported or dropped into it."""

from __future__ import annotations

import argparse
from fractions import Fraction
from pathlib import Path

import pytest

from editor.media.synth import make_clip
from editor.model.navigate import duration, timeline_from_media
from editor.model.serialize import SCHEMA_VERSION, timeline_to_json
from editor.store.autosave import load_timeline

pytestmark = pytest.mark.timeout(120)


def test_ctrl_n_then_drop_runs_at_the_media_rate(qtbot, store, tmp_path: Path) -> None:
    from editor.app import build_window

    pal = tmp_path / "pal.mp4"
    make_clip(pal, frames=50, fps=Fraction(25), gop=25)
    # What Ctrl+N makes (controller.new_project with no file), opened by id so that the window does not also
    # reopen the session's last project meanwhile.
    blank = timeline_from_media([], name="Blank at first")
    project = store.projects.create("Blank at first", timeline_to_json(blank), SCHEMA_VERSION)
    win = build_window(store, argparse.Namespace(files=[], project=project.id, smoke_test=False))
    qtbot.addWidget(win)
    try:
        c = win.controller
        qtbot.waitUntil(lambda: c.timeline is not None and c.session.project_id == project.id, timeout=20000)
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
