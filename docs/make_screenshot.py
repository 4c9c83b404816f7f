"""Make docs/screenshot.png: the real window under a virtual X screen, on generated media.

    CUTLINE_DATA_DIR=/tmp/cutline-shot QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1600x1000x24" \
        .venv/bin/python docs/make_screenshot.py docs/screenshot.png
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtWidgets import QApplication  # noqa: E402

from editor.app import build_window  # noqa: E402
from editor.media.synth import make_clip  # noqa: E402
from editor.store.services import Store  # noqa: E402


def main(out: str) -> None:
    media = Path(tempfile.mkdtemp(prefix="cutline-shot-"))
    interview, broll = media / "Interview take 1.mp4", media / "B-roll harbour.mp4"
    make_clip(interview, frames=250, fps=Fraction(25), size=(640, 360), gop=25, texture=True, beeps=True)
    make_clip(broll, frames=150, fps=Fraction(25), size=(640, 360), gop=25, texture=True, tone_hz=660)
    app = QApplication(["cutline"])
    store = Store.open()
    win = build_window(store, argparse.Namespace(files=[str(interview), str(broll)], project=None, smoke_test=False))
    win.resize(1440, 880)
    win.show()

    def wait(condition: Callable[[], bool], seconds: float = 30) -> None:
        end = time.time() + seconds
        while not condition() and time.time() < end:
            app.processEvents()
            time.sleep(0.01)

    wait(lambda: win.controller.timeline is not None)
    c = win.controller
    c.set_playhead(60)
    c.split()
    c.set_playhead(90)
    c.ripple_delete()
    for frame in (200, 120):
        c.set_playhead(frame)
        c.add_marker()
    c.edit("add_cue", start=30, end=80, text="We started at dawn")
    c.edit("add_cue", start=100, end=160, text="…and the harbour was empty")
    c.set_playhead(180)
    c.set_in()
    c.set_playhead(260)
    c.set_out()
    c.set_playhead(140)
    win.timeline_view.zoom_fit()
    wait(lambda: len(win.timeline_view._thumbs) >= 2 and len(win.timeline_view._waves) >= 2)
    wait(lambda: False, 1.0)
    win.grab().save(out)
    win.shutdown()
    store.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshot.png")
