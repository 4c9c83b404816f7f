"""A project whose media moved: the window finds the file near its old place, relinks it, and the
"Media offline" banner over the picture goes away (it used to stay)."""

from __future__ import annotations

import argparse
from fractions import Fraction
from pathlib import Path

import pytest

from editor.media.synth import make_clip

pytestmark = pytest.mark.timeout(120)


def test_banner_leaves_when_moved_media_is_relinked(qtbot, store, tmp_path: Path) -> None:
    from editor.app import build_window

    folder = tmp_path / "shoot"
    folder.mkdir()
    clip = folder / "moved clip.mp4"
    make_clip(clip, frames=30, fps=Fraction(25), size=(160, 120), gop=10)
    first = build_window(store, argparse.Namespace(files=[str(clip)], project=None, smoke_test=False))
    qtbot.addWidget(first)
    first.show()
    qtbot.waitUntil(lambda: first.controller.timeline is not None, timeout=20000)
    project_id = first.controller.session.project_id
    first.shutdown()
    (folder / "day 1").mkdir()
    moved = clip.rename(folder / "day 1" / clip.name)

    second = build_window(store, argparse.Namespace(files=[], project=project_id, smoke_test=False))
    qtbot.addWidget(second)
    second.show()
    try:
        qtbot.waitUntil(lambda: second.controller.timeline is not None
                        and second.controller.timeline.media[0].path == str(moved), timeout=30000)
        second.controller.set_playhead(5)
        qtbot.waitUntil(lambda: second.viewer.frame() is not None and not second.viewer.message(), timeout=15000)
    finally:
        second.shutdown()
