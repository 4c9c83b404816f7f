"""The window and other writers: edits from another process arrive (off the Qt thread), a window catches up
without events, an unwritable journal is said in the title, and the newest open wins. Real servers."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import uuid
from fractions import Fraction
from pathlib import Path

import pytest

from editor.model.navigate import timeline_from_media
from editor.model.serialize import SCHEMA_VERSION, timeline_to_json
from editor.model.timeline import MediaRef
from editor.store.autosave import load_timeline

pytestmark = pytest.mark.timeout(120)
ROOT = Path(__file__).resolve().parents[2]
MEDIA = MediaRef("d" * 32, "/videos/offline.mp4", duration=200, rate=Fraction(25), width=320, height=240)


def project_of(store, name: str = "sync"):  # type: ignore[no-untyped-def]
    timeline = timeline_from_media([MEDIA])
    return store.projects.create(f"{name} {uuid.uuid4().hex[:6]}", timeline_to_json(timeline), SCHEMA_VERSION)


@pytest.fixture
def window(qtbot, store):  # type: ignore[no-untyped-def]
    from editor.app import build_window

    win = build_window(store, argparse.Namespace(files=[], project=None, smoke_test=False))
    qtbot.addWidget(win)
    win.show()
    yield win
    win.shutdown()


def open_in(qtbot, win, project_id: int) -> None:  # type: ignore[no-untyped-def]
    win.controller.open_project(project_id)
    qtbot.waitUntil(lambda: win.controller.session is not None
                    and win.controller.session.project_id == project_id, timeout=20000)


def test_edits_another_process_saves_appear_in_the_window(qtbot, store, window) -> None:
    project = project_of(store)
    open_in(qtbot, window, project.id)
    window.controller.edit("add_marker", frame=1, label="mine")
    edits = "".join(json.dumps({"edit": "add_marker", "params": {"frame": f, "label": f"cli {f}"}}) + "\n"
                    for f in (10, 20, 30))
    run = subprocess.run([sys.executable, "-m", "editor", "edit", str(project.id)], cwd=ROOT, input=edits,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    qtbot.waitUntil(lambda: len(window.controller.timeline.markers) == 4, timeout=20000)
    assert [m.label for m in window.controller.timeline.markers] == ["mine", "cli 10", "cli 20", "cli 30"]
    assert window.controller.session.history.undo_depth == 4, "the other writer's edits arrive as undo steps"
    window.controller.edit("add_marker", frame=40, label="after")
    assert window.controller.session.saver.flush(10)
    assert load_timeline(store.projects.get(project.id)) == window.controller.timeline


def test_a_window_catches_up_with_saves_it_was_never_told_about(qtbot, store, window, tmp_path: Path) -> None:
    from editor.store.editing import EditingSession

    project = project_of(store)
    open_in(qtbot, window, project.id)
    silent = EditingSession(store.projects, tmp_path, store.projects.get(project.id))  # no bus: no event sent
    silent.apply("split", {"track": 0, "frame": 50})
    assert silent.close()
    qtbot.waitUntil(lambda: len(window.controller.timeline.tracks[0].items) == 2, timeout=30000)
    assert window.controller.session.revision == store.projects.revision(project.id)


def test_an_unwritable_journal_is_said_in_the_title_and_status_bar(qtbot, store, window, tmp_path: Path,
                                                                 monkeypatch) -> None:
    from editor.ui.context import AppContext

    blocker = tmp_path / "journal"
    blocker.write_text("in the way")  # the journal folder cannot be made (as with a full or read-only disk)
    monkeypatch.setattr(AppContext, "journal_dir", property(lambda self: blocker))
    project = project_of(store)
    open_in(qtbot, window, project.id)
    window.controller.edit("add_marker", frame=3, label="in memory")
    title = window.windowTitle()
    assert "journal cannot be written" in title and "— saved —" not in title, title
    assert window.save_label.text().startswith("Not saved to disk: cannot write the journal")
    assert window.controller.session.saver.flush(10), "PostgreSQL still takes the edit"
    qtbot.wait(50)
    assert "journal cannot be written" in window.windowTitle(), "still said: the next edit is at risk"


def test_the_newest_open_wins_even_when_an_older_one_finishes_later(qtbot, store, window, monkeypatch) -> None:
    from editor.store import editing

    slow, fast = project_of(store, "slow"), project_of(store, "fast")
    real_open = editing.EditingSession.open.__func__  # type: ignore[attr-defined]

    def open_(cls, projects, journal_dir, project_id, **kw):  # type: ignore[no-untyped-def]
        if project_id == slow.id:
            time.sleep(1.0)  # this open is answered last
        return real_open(cls, projects, journal_dir, project_id, **kw)

    monkeypatch.setattr(editing.EditingSession, "open", classmethod(open_))
    window.controller.open_project(slow.id)
    window.controller.open_project(fast.id)
    qtbot.waitUntil(lambda: window.controller.session is not None, timeout=20000)
    qtbot.wait(1500)  # the slow one has finished by now, and must have been dropped
    assert window.controller.session.project_id == fast.id
    assert "fast" in window.windowTitle()


def test_the_window_shows_user_errors_and_logs_bugs_with_their_traceback(qtbot, store, caplog) -> None:
    from editor.app import build_window
    from editor.media.errors import MediaError

    win = build_window(store, argparse.Namespace(files=[], project=None, smoke_test=False))
    qtbot.addWidget(win)
    try:
        shown: list[str] = []
        win.controller.message.connect(shown.append)
        win.controller._fail(MediaError("clip.mp4: file not found"))
        assert shown[-1] == "clip.mp4: file not found"
        with caplog.at_level("ERROR"):
            try:
                raise KeyError("a bug")
            except KeyError as exc:
                win.controller._fail(exc)
        assert shown[-1].startswith("Something went wrong: KeyError")
        assert any(r.exc_info and r.exc_info[0] is KeyError for r in caplog.records), "logged with its traceback"
    finally:
        win.shutdown()
