"""Opening files as a double-click does: a file already in a project opens that project instead of piling up
another copy; a missing file makes nothing and says so in one line."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from editor.media.synth import make_clip

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(120)


def test_opening_a_file_again_opens_its_project(qtbot, store, window_on, tmp_path: Path) -> None:
    clip = tmp_path / "interview “take 2” 🎬.mp4"
    make_clip(clip, frames=25, fps=Fraction(25), size=(160, 120), gop=5)
    first = window_on([str(clip)], offer_existing=True)
    project_id = first.controller.session.project_id
    first.shutdown()
    before = store.projects.count()
    second = window_on([str(clip)], offer_existing=True)
    try:
        assert second.controller.session.project_id == project_id
        assert store.projects.count() == before, "a second double-click made another project"
        assert "already in project" in second.statusBar().currentMessage()
    finally:
        second.shutdown()
    assert [p.id for p in store.projects.with_media(str(clip.resolve()))] == [project_id]
    assert store.projects.with_media(str(tmp_path / "other.mp4")) == []


def test_a_missing_file_makes_nothing_and_says_so(store, tmp_path: Path) -> None:
    before = store.projects.count()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-m", "editor", str(tmp_path / "gone.mp4")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [f"cutline: no such file: {tmp_path / 'gone.mp4'}"]
    assert store.projects.count() == before


def test_a_file_open_event_reaches_the_running_window(qtbot, store, tmp_path: Path) -> None:
    """What macOS sends when a file is opened from Finder while Cutline runs."""
    from PySide6.QtGui import QFileOpenEvent
    from PySide6.QtWidgets import QApplication

    from editor.app import build_window

    win = build_window(store, argparse.Namespace(files=[], project=None, smoke_test=False, offer_existing=True))
    qtbot.addWidget(win)
    win.show()
    clip = tmp_path / "from finder.mp4"
    make_clip(clip, frames=20, fps=Fraction(25), size=(160, 120), gop=5)
    try:
        QApplication.sendEvent(QApplication.instance(), QFileOpenEvent(str(clip)))
        qtbot.waitUntil(lambda: win.controller.timeline is not None
                        and any(m.path == str(clip.resolve()) for m in win.controller.timeline.media), timeout=20000)
        assert win.controller.session.name == "from finder"
    finally:
        win.shutdown()
