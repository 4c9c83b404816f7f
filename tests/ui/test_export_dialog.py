"""The export dialog driven with keys: format, codec and size chosen, the copy plan shown before the export
starts, and an existing output replaced only after the dialog asks."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from editor.media.synth import make_clip


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("exportdlg") / "numbers.mp4"
    make_clip(path, frames=75, fps=Fraction(25), size=(320, 240), gop=25)
    return path


@pytest.fixture
def window(window_on, clip: Path):
    return window_on([str(clip)])


def choose(qtbot, combo, data) -> None:
    """Select the entry holding ``data`` with the arrow keys."""
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Home)
    for _ in range(combo.count()):
        if combo.currentData() == data:
            return
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentData() == data


def type_into(qtbot, line, text: str) -> None:
    line.setFocus()
    line.selectAll()
    qtbot.keyClick(line, Qt.Key.Key_Backspace)
    qtbot.keyClicks(line, text)
    qtbot.keyClick(line, Qt.Key.Key_Tab)  # editingFinished


def run_dialog(qtbot, window, fill) -> list:
    done: list = []

    def go() -> None:
        from editor.ui.export_dialog import ExportDialog

        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, ExportDialog):
            QTimer.singleShot(100, go)  # not open yet
            return
        try:
            fill(dialog)
        finally:
            done.append(dialog)

    QTimer.singleShot(100, go)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
    qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: bool(done), timeout=20000)
    return done


def test_export_dialog_offers_the_outputs_and_asks_before_overwriting(qtbot, window, tmp_path: Path) -> None:
    from editor.ui.export_dialog import ExportDialog

    out = tmp_path / "chosen.mp4"
    jobs: list[str] = []

    def first(dialog) -> None:
        assert isinstance(dialog, ExportDialog)
        choose(qtbot, dialog.preset, "fast")
        type_into(qtbot, dialog.output, str(out))
        choose(qtbot, dialog.format, ".mkv")
        assert dialog.output.text().endswith("chosen.mkv")  # the extension follows the format
        choose(qtbot, dialog.video_codec, "hevc")
        choose(qtbot, dialog.audio_codec, "opus")
        choose(qtbot, dialog.frame_size, (640, 360))
        qtbot.keyClick(dialog, Qt.Key.Key_Return)
        jobs.append(dialog.job_id)

    run_dialog(qtbot, window, first)
    mkv = out.with_suffix(".mkv")
    qtbot.waitUntil(lambda: window.jobs.board.get(jobs[0]) is not None
                    and window.jobs.board.get(jobs[0]).status == "complete", timeout=90000)
    with av.open(str(mkv)) as c:
        v, a = c.streams.video[0].codec_context, c.streams.audio[0].codec_context
        assert (c.format.name, v.name, a.name, v.width, v.height) == ("matroska,webm", "hevc", "opus", 640, 360)
    before = mkv.stat().st_mtime_ns

    asked: list[str] = []

    def answer(key) -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(100, lambda: answer(key))
            return
        asked.append(box.text())
        qtbot.keyClick(box, key, Qt.KeyboardModifier.AltModifier if key == Qt.Key.Key_R else
                       Qt.KeyboardModifier.NoModifier)

    def second(dialog) -> None:
        choose(qtbot, dialog.preset, "copy")
        type_into(qtbot, dialog.output, str(mkv))
        qtbot.waitUntil(lambda: "Segment 1" in dialog.plan.text(), timeout=20000)
        assert "keyframe" in dialog.plan.text() and "0.000–3.000 s" in dialog.plan.text()
        QTimer.singleShot(200, lambda: answer(Qt.Key.Key_Escape))  # first: keep the file
        qtbot.keyClick(dialog, Qt.Key.Key_Return)
        assert dialog.isVisible() and "exists" in dialog.error.text() and dialog.job_id is None
        QTimer.singleShot(200, lambda: answer(Qt.Key.Key_R))  # then: replace it
        qtbot.keyClick(dialog, Qt.Key.Key_Return)
        jobs.append(dialog.job_id)

    run_dialog(qtbot, window, second)
    assert len(asked) == 2 and "already exists" in asked[0]
    assert jobs[1] is not None
    qtbot.waitUntil(lambda: window.jobs.board.get(jobs[1]) is not None
                    and window.jobs.board.get(jobs[1]).status == "complete", timeout=90000)
    assert mkv.stat().st_mtime_ns != before
    with av.open(str(mkv)) as c:
        assert c.streams.video[0].codec_context.name == "h264"  # copied from the source
    # what the copy really holds is said after the job too: in the panel, the status bar and the job's row
    said = "segment 1: keyframe cut, copied 0.000-3.000 s"
    qtbot.waitUntil(lambda: said in window.jobs.board.get(jobs[1]).message, timeout=10000)
    qtbot.waitUntil(lambda: said in window.statusBar().currentMessage(), timeout=10000)
    assert said in window.jobs_panel.row(jobs[1]).message_label.text()
    row = window.jobs.runner.repo.get(jobs[1])
    assert row is not None and row.status == "complete" and said in (row.message or "")


def test_render_on_workers_in_parts_from_the_dialog(qtbot, window, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from editor.media.synth import read_frame_number

    root = Path(__file__).resolve().parents[2]
    name = f"dialog-{os.getpid()}"
    worker = subprocess.Popen([sys.executable, "-m", "editor", "worker", "--name", name, "--concurrency", "2"],
                              cwd=root, stderr=subprocess.PIPE, text=True)
    try:
        assert "listening" in worker.stderr.readline()
        out = tmp_path / "parts.mp4"
        jobs: list[str] = []

        def fill(dialog) -> None:
            choose(qtbot, dialog.preset, "fast")
            type_into(qtbot, dialog.output, str(out))
            choose(qtbot, dialog.where, 4)
            qtbot.keyClick(dialog, Qt.Key.Key_Return)
            jobs.append(dialog.job_id)

        run_dialog(qtbot, window, fill)
        qtbot.waitUntil(lambda: window.jobs.board.get(jobs[0]) is not None
                        and window.jobs.board.get(jobs[0]).status == "complete", timeout=90000)
        with av.open(str(out)) as c:
            numbers = [read_frame_number(f.to_ndarray(format="rgb24")) for f in c.decode(video=0)]
        assert numbers == list(range(75))
        parts = [s for s in window.jobs.runner.recent(100) if s.parent == jobs[0]]
        assert len(parts) == 5 and {p.worker for p in parts} == {name}  # 4 picture parts + the sound
    finally:
        worker.kill()
        worker.wait(timeout=10)


def test_markers_become_the_chapters_of_the_export(qtbot, window, tmp_path: Path) -> None:
    """Two markers set with M; the dialog offers "Markers as chapters" (checked, and off for a container
    without chapters); the MP4 holds a chapter per marker, a "Start" one before the first."""
    from editor.media.chapters import read_chapters

    qtbot.waitUntil(lambda: window.controller.timeline is not None, timeout=20000)
    for frame in (25, 50):
        window.controller.set_playhead(frame)
        window.activateWindow()
        qtbot.keyClick(window, Qt.Key.Key_M)
    qtbot.waitUntil(lambda: len(window.controller.timeline.markers) == 2, timeout=5000)
    out = tmp_path / "chaptered.mp4"
    jobs: list[str] = []

    def fill(dialog) -> None:
        choose(qtbot, dialog.preset, "fast")
        choose(qtbot, dialog.format, ".ts")
        assert not dialog.chapters.isEnabled(), "MPEG-TS keeps no chapters"
        type_into(qtbot, dialog.output, str(out))
        assert dialog.chapters.isEnabled() and dialog.chapters.isChecked()
        qtbot.keyClick(dialog, Qt.Key.Key_Return)
        jobs.append(dialog.job_id)

    run_dialog(qtbot, window, fill)
    qtbot.waitUntil(lambda: window.jobs.board.get(jobs[0]) is not None
                    and window.jobs.board.get(jobs[0]).status == "complete", timeout=90000)
    got = [(float(c.start), float(c.end), c.title) for c in read_chapters(out)]
    assert got == [(0.0, 1.0, "Start"), (1.0, 2.0, "Marker 1"), (2.0, 3.0, "Marker 2")], got
