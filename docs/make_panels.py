"""Make docs/segments.png, docs/export-dialog.png and docs/copy-preview.png: the real window under a virtual X
screen, on generated media, with the Segments dock, markers and keyframe ticks, then the export dialog joining
the segments, then the copy preview (Shift+Space) playing across the first join.

    CUTLINE_DATA_DIR=/tmp/cutline-shot QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1600x1000x24" \
        .venv/bin/python docs/make_panels.py docs
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

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from editor.app import build_window  # noqa: E402
from editor.media.synth import make_clip  # noqa: E402
from editor.store.services import Store  # noqa: E402


def main(folder: str) -> None:
    out = Path(folder)
    media = Path(tempfile.mkdtemp(prefix="cutline-panels-"))
    match = media / "Match day camera 2.mp4"
    make_clip(match, frames=375, fps=Fraction(25), size=(640, 360), gop=50, texture=True, beeps=True)
    app = QApplication(["cutline"])
    store = Store.open()
    win = build_window(store, argparse.Namespace(files=[str(match)], project=None, smoke_test=False))
    win.resize(1440, 880)
    win.show()

    def wait(condition: Callable[[], bool], seconds: float = 30) -> None:
        end = time.time() + seconds
        while not condition() and time.time() < end:
            app.processEvents()
            time.sleep(0.01)

    wait(lambda: win.controller.timeline is not None)
    c = win.controller
    for (a, b), name in (((25, 100), "Kick-off"), ((160, 230), "First goal"), ((290, 350), "Final whistle")):
        c.set_playhead(a)
        c.set_in()
        c.set_playhead(b - 1)
        c.set_out()
        win.segments_panel.add_from_in_out()
        c.edit("rename_segment", segment_id=c.timeline.segments[-1].id, label=name)
    for frame in (160, 290):
        c.set_playhead(frame)
        c.add_marker()
    c.set_playhead(175)
    win.segments_dock.show()
    win.segments_dock.raise_()
    win.timeline_view.zoom_fit()
    wait(lambda: len(win.timeline_view._thumbs) >= 1 and win.timeline_view.keyframe_points() != [])
    wait(lambda: False, 1.0)
    win.grab().save(str(out / "segments.png"))

    from editor.ui.export_dialog import ExportDialog

    def shoot() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, ExportDialog):
            QTimer.singleShot(100, shoot)
            return
        dialog.preset.setCurrentIndex(dialog.preset.findData("copy"))
        dialog.output.setText(str(media / "Match day highlights.mp4"))
        dialog.output.editingFinished.emit()
        wait(lambda: "Segment 3" in dialog.plan.text(), 20)
        dialog.grab().save(str(out / "export-dialog.png"))
        dialog.reject()

    QTimer.singleShot(100, shoot)
    win.export(segments="joined")

    c.set_playhead(96)  # just before the end of "Kick-off": the preview plays across the join
    win.actions_by_name["preview_copy_cut"].trigger()
    wait(lambda: win.cut_preview.active is not None, 30)
    wait(lambda: False, 0.6)
    win.grab().save(str(out / "copy-preview.png"))
    win.pause()
    win.shutdown()
    store.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs")
