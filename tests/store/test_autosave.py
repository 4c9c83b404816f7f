"""Every edit saved as it happens: order, conflicts between windows, outages and crashes lose nothing."""

from __future__ import annotations

import queue
import time
import uuid
from fractions import Fraction
from pathlib import Path

import pytest

from editor.model.history import History
from editor.model.navigate import timeline_from_media
from editor.model.serialize import SCHEMA_VERSION, timeline_to_dict
from editor.model.timeline import MediaRef
from editor.store.autosave import AutoSaver, SaveEvent, load_timeline, restore_history
from editor.store.db import Database
from editor.store.errors import CorruptStateError
from editor.store.migrate import migrate
from editor.store.projects import ProjectRepository
from editor.store.servers import EmbeddedServers

MEDIA = MediaRef("f" * 32, "/videos/a.mp4", duration=250, rate=Fraction(25), width=320, height=240)


def new_project(projects: ProjectRepository):
    timeline = timeline_from_media([MEDIA])
    project = projects.create(f"autosave {uuid.uuid4().hex[:6]}", timeline_to_dict(timeline), SCHEMA_VERSION)
    return project, timeline


def events_of(saver_events: queue.Queue[SaveEvent]) -> list[SaveEvent]:
    out = []
    while not saver_events.empty():
        out.append(saver_events.get())
    return out


def test_each_edit_is_saved_with_its_history_row_and_history_restores(store, tmp_path: Path) -> None:
    project, timeline = new_project(store.projects)
    got: queue.Queue[SaveEvent] = queue.Queue()
    saver = AutoSaver(store.projects, tmp_path, project.id, project.revision, timeline, got.put)
    history = History(timeline)
    t0 = time.monotonic()
    for name, params in [("split", {"track": 0, "frame": 100}), ("add_marker", {"frame": 50, "label": "Ünïcode ✂"}),
                         ("split", {"track": 0, "frame": 200})]:
        history = history.apply(name, params)
        saver.submit(history.last_record, history.present)
    history = history.undo()
    saver.submit(history.last_record, history.present)
    assert saver.flush(10)
    assert time.monotonic() - t0 < 1.0, "every edit is in PostgreSQL within a second"
    saved = store.projects.get(project.id)
    assert saved.revision == 5
    assert load_timeline(saved) == history.present
    assert [h.edit_type for h in store.projects.history(project.id)] == ["create", "split", "add_marker", "split", "undo"]
    assert saved.summary["duration_frames"] == 250 and saved.summary["clips"] == 4  # V1 and A1 split together
    restored = restore_history(store.projects, saved)
    assert restored.present == history.present
    assert restored.undo_depth == history.undo_depth == 2 and restored.redo_depth == 1
    assert restored.redo().present == history.redo().present
    assert not saver.journal.path.exists(), "the journal empties once PostgreSQL has everything"
    saver.close()


def test_two_windows_never_overwrite_each_other(store, tmp_path: Path) -> None:
    project, timeline = new_project(store.projects)
    got_a: queue.Queue[SaveEvent] = queue.Queue()
    a = AutoSaver(store.projects, tmp_path / "a", project.id, 1, timeline, got_a.put)
    b = AutoSaver(store.projects, tmp_path / "b", project.id, 1, timeline, lambda e: None)
    ha, hb = History(timeline), History(timeline)
    hb = hb.apply("add_marker", {"frame": 10, "label": "from B"})
    b.submit(hb.last_record, hb.present)
    assert b.flush(10)
    ha = ha.apply("split", {"track": 0, "frame": 120})
    a.submit(ha.last_record, ha.present)  # made from revision 1: a conflict, rebased onto B's revision
    assert a.flush(10)
    final = load_timeline(store.projects.get(project.id))
    assert [m.label for m in final.markers] == ["from B"], "B's edit survives"
    assert len(final.tracks[0].items) == 2, "A's split is applied on top"
    kinds = [e.kind for e in events_of(got_a)]
    assert "rebased" in kinds and kinds[-1] == "saved"
    a.close(), b.close()


def test_edits_made_while_postgres_is_down_are_written_when_it_returns(tmp_path: Path) -> None:
    servers = EmbeddedServers(tmp_path / "pg-only")
    url = servers.ensure(redis=False).database_url
    db = Database(url).open()
    migrate(db)
    projects = ProjectRepository(db)
    project, timeline = new_project(projects)
    got: queue.Queue[SaveEvent] = queue.Queue()
    saver = AutoSaver(projects, tmp_path / "journal", project.id, 1, timeline, got.put)
    try:
        servers.stop()  # the database goes away mid-session
        history = History(timeline)
        for frame in (50, 100, 150):
            history = history.apply("split", {"track": 0, "frame": frame})
            saver.submit(history.last_record, history.present)
        offline = got.get(timeout=10)
        assert offline.kind == "offline" and "PostgreSQL" in offline.message and saver.state == "offline"
        assert len(saver.journal.read()) == 3, "the edits wait on disk"
        servers.ensure(redis=False)
        assert saver.flush(30), "written once the server is back"
        assert load_timeline(projects.get(project.id)) == history.present
        assert projects.revision(project.id) == 4
    finally:
        saver.close(timeout=1)
        db.close()
        servers.stop()


def test_a_killed_window_leaves_a_journal_that_the_next_start_saves(store, tmp_path: Path) -> None:
    project, timeline = new_project(store.projects)
    history = History(timeline).apply("split", {"track": 0, "frame": 60})
    # The journal of a window that died before its edit reached PostgreSQL:
    from editor.model.serialize import timeline_to_json
    from editor.store.autosave import Journal

    Journal(tmp_path, project.id).append(history.last_record, timeline_to_json(history.present))
    saver = AutoSaver(store.projects, tmp_path, project.id, 1, timeline)
    assert saver.recovered == history.present
    assert saver.flush(10)
    assert load_timeline(store.projects.get(project.id)) == history.present
    saver.close()


def test_a_damaged_journal_line_is_skipped_not_fatal(store, tmp_path: Path) -> None:
    project, timeline = new_project(store.projects)
    (tmp_path / f"project-{project.id}.jsonl").write_text('{"record": {"name": "split"\nnot json\n')
    saver = AutoSaver(store.projects, tmp_path, project.id, 1, timeline)
    assert saver.recovered is None or saver.recovered == timeline
    saver.close()


@pytest.mark.parametrize(
    "state, expect",
    [
        ({"schema": "Timeline.99", "rate": "25", "tracks": []}, "newer"),
        ({"schema": "Timeline.2", "name": "", "rate": "abc", "next_id": 1, "in": None, "out": None, "media": [], "markers": [], "tracks": []}, "rate"),
        (["not", "an", "object"], ""),
    ],
)
def test_malformed_or_newer_state_in_the_database_is_reported_not_loaded(store, state, expect: str) -> None:
    project = store.projects.create(f"bad {uuid.uuid4().hex[:6]}", state, 1)
    with pytest.raises(CorruptStateError, match="cannot be opened") as info:
        load_timeline(store.projects.get(project.id))
    assert expect in str(info.value)


def test_a_second_window_catches_up_with_the_first(store, tmp_path: Path) -> None:
    from editor.store.editing import EditingSession

    project, timeline = new_project(store.projects)
    first = EditingSession.open(store.projects, tmp_path / "w1", project.id)
    second = EditingSession.open(store.projects, tmp_path / "w2", project.id)
    first.apply("split", {"track": 0, "frame": 100})
    first.apply("add_marker", {"frame": 30, "label": "here"})
    assert first.saver.flush(10)
    assert second.catch_up(first.revision) is True
    assert second.timeline == first.timeline
    assert second.history.undo_depth == 2, "the other window's edits arrive as undoable steps"
    second.apply("split", {"track": 0, "frame": 200})
    assert second.saver.flush(10)
    assert first.catch_up(second.revision) and first.timeline == second.timeline
    # Reopening (as after a crash) restores the same timeline and undo history.
    reopened = EditingSession.open(store.projects, tmp_path / "w3", project.id)
    assert reopened.timeline == first.timeline and reopened.history.undo_depth == 3
    for s in (first, second, reopened):
        s.close()
