"""``cutline --smoke-test``: prove an install works, with no screen needed.

Starts or joins the servers, opens the main window (offscreen) on a clip it generates, plays a second,
checks the frame shown is the exact frame under the playhead, renders a few frames through the same
child-process path an export takes, checks the output, and shuts down cleanly. Prints one line per
step; exit 0 when everything worked. Bundles and packages are checked with it. Main thread.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path


def _step(name: str, started: float) -> None:
    print(f"smoke: {name} ({(time.perf_counter() - started) * 1000:.0f} ms)", flush=True)


def _wait(app: object, condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        app.processEvents()  # type: ignore[attr-defined]
        time.sleep(0.01)


def run_smoke_test() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="cutline-smoke-") as tmp:
            _run(Path(tmp), started)
    except Exception as exc:  # noqa: BLE001 - the whole point is to report any failure as one line
        if os.environ.get("CUTLINE_SMOKE_TRACEBACK"):
            traceback.print_exc()
        print(f"smoke: FAILED: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        return 1
    print(f"smoke: OK in {time.perf_counter() - started:.1f} s", flush=True)
    return 0


def _run(tmp: Path, started: float) -> None:
    from PySide6.QtWidgets import QApplication

    from editor.app import build_window
    from editor.media.synth import make_clip, read_frame_number
    from editor.store.services import Store

    clip = tmp / "smoke clip.mp4"
    make_clip(clip, frames=75, fps=Fraction(25), size=(320, 240), gop=25)
    _step("generated a 3 s clip", started)
    store = Store.open()
    _step(f"servers ready ({'embedded' if store.endpoints.embedded_database else 'external'} PostgreSQL)", started)
    app = QApplication.instance() or QApplication(["cutline"])
    window = build_window(store, argparse.Namespace(files=[str(clip)], project=None, smoke_test=True))
    window.show()
    try:
        controller = window.controller
        _wait(app, lambda: controller.timeline is not None, 30, "the project to open")
        _step("window open on a new project", started)
        window.toggle_play()
        t0 = time.monotonic()
        _wait(app, lambda: time.monotonic() - t0 > 1.0, 5, "a second of playback")
        window.pause()
        _wait(app, lambda: window.preview.rate == 0, 5, "pause")
        if controller.playhead <= 0 or window.preview.frames_shown == 0:
            raise RuntimeError("playback did not move the playhead")
        _step(f"played 1 s: playhead at frame {controller.playhead}, {window.preview.frames_shown} frames shown",
              started)
        controller.set_playhead(42)
        _wait(app, lambda: window.viewer.frame() is not None and _frame_number(window, read_frame_number) == 42,
              10, "frame 42 in the viewer")
        _step("the viewer shows exactly frame 42", started)
        controller.split()
        controller.add_marker()
        if not controller.session.saver.flush(10):
            raise RuntimeError("edits did not reach the database")
        _step(f"2 edits saved (revision {controller.session.revision})", started)
        out = tmp / "smoke render.mp4"
        _render(controller.timeline, out)
        _step(f"rendered 10 frames to {out.name}", started)
    finally:
        project_id = controller.session.project_id if controller.session is not None else None
        session_id = window.ctx.session_id
        window.close()
        window.shutdown()
        try:
            if project_id is not None:
                _forget_project(store, session_id, project_id)
        finally:
            store.close()
    _step("shut down; the smoke project is deleted", started)


def _forget_project(store: object, session_id: str | None, project_id: int) -> None:
    """Delete the project the smoke test made and drop it from the session's recent projects, so the
    next launch does not open a project whose media lived in a deleted temporary folder. Main thread."""
    store.projects.delete(project_id)  # type: ignore[attr-defined]
    if session_id:
        data = store.sessions.get(session_id)  # type: ignore[attr-defined]
        if data and project_id in data.get("recent_projects", []):
            data["recent_projects"] = [p for p in data["recent_projects"] if p != project_id]
            store.sessions.save(session_id, data)  # type: ignore[attr-defined]


def _frame_number(window: object, read: Callable[[object], int]) -> int:
    from editor.ui.preview import qimage_to_rgb

    return int(read(qimage_to_rgb(window.viewer.frame())))  # type: ignore[attr-defined]


def _render(timeline: object, out: Path) -> None:
    import threading

    from editor.jobs.export import render_spec_for
    from editor.media.probe import probe
    from editor.media.render_process import render_in_subprocess

    spec = render_spec_for(timeline, preset="fast", in_out=(0, 10))  # type: ignore[arg-type]
    render_in_subprocess(spec, out, on_progress=lambda p, m: None, cancel_event=threading.Event())
    info = probe(out)
    if info.video is None or info.video.frame_count not in (10, None):
        raise RuntimeError(f"the render has {info.video.frame_count if info.video else 0} frames, not 10")
