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
from editor.model.registry import EditRecord
from editor.model.serialize import SCHEMA_VERSION, timeline_from_dict, timeline_to_dict
from editor.model.timeline import MediaRef
from editor.store.autosave import AutoSaver, SaveEvent, load_timeline, restore_history
from editor.store.db import Database
from editor.store.errors import CorruptStateError, DatabaseUnavailable
from editor.store.journal import Journal, JournaledEdit
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


def saver_for(projects: ProjectRepository, folder: Path, project, timeline, on_event=lambda e: None,
              revision: int | None = None) -> AutoSaver:
    return AutoSaver(projects, folder, project.id, revision or project.revision, History(timeline), on_event)


def test_each_edit_is_saved_with_its_history_row_and_id_and_history_restores(store, tmp_path: Path) -> None:
    project, timeline = new_project(store.projects)
    got: queue.Queue[SaveEvent] = queue.Queue()
    saver = saver_for(store.projects, tmp_path, project, timeline, got.put)
    history = History(timeline)
    ids = []
    for name, params in [("split", {"track": 0, "frame": 100}), ("add_marker", {"frame": 50, "label": "Ünïcode ✂"}),
                         ("split", {"track": 0, "frame": 200})]:
        history = history.apply(name, params)
        ids.append(saver.submit(history.last_record)[1])
    history = history.undo()
    ids.append(saver.submit(history.last_record)[1])
    assert saver.flush(10)
    saved = store.projects.get(project.id)
    assert saved.revision == 5
    assert load_timeline(saved) == history.present
    rows = store.projects.history(project.id)
    assert [h.edit_type for h in rows] == ["create", "split", "add_marker", "split", "undo"]
    assert [h.edit_id for h in rows[1:]] == ids and len(set(ids)) == 4
    assert saved.summary["duration_frames"] == 250 and saved.summary["clips"] == 4  # V1 and A1 split together
    restored = restore_history(store.projects, saved)
    assert restored.present == history.present
    assert restored.undo_depth == history.undo_depth == 2 and restored.redo_depth == 1
    assert restored.redo().present == history.redo().present
    path = saver.journal.path
    assert path.parent.stat().st_mode & 0o777 == 0o700 and path.stat().st_mode & 0o777 == 0o600
    assert saver.close()
    assert not path.exists(), "the journal goes once PostgreSQL has everything"


def test_each_edit_is_journaled_once_and_the_journal_stays_as_short_as_the_backlog(store, tmp_path: Path) -> None:
    project, timeline = new_project(store.projects)
    saver = saver_for(store.projects, tmp_path, project, timeline)
    history = History(timeline)
    for n in range(300):
        history = history.apply("add_marker", {"frame": n % 250, "label": f"m{n}"})
        saver.submit(history.last_record)
    assert saver.flush(30)
    text = saver.journal.path.read_text()
    assert text.count('"edit"') <= 300 and text.count("\n") < 250, "restarted once nothing was pending"
    assert all(text.count(f'"m{n}"') <= 1 for n in range(300)), "no edit is written twice"
    assert load_timeline(store.projects.get(project.id)) == history.present
    saver.close()


def test_a_burst_saves_each_edit_at_once_and_the_whole_state_after_a_pause(store, tmp_path: Path) -> None:
    project, timeline = new_project(store.projects)
    saver = saver_for(store.projects, tmp_path, project, timeline)
    history = History(timeline)
    for frame in (10, 20, 30):
        history = history.apply("split", {"track": 0, "frame": frame})
        saver.submit(history.last_record)
    assert saver.flush(10)
    saved = store.projects.get(project.id)  # rows saved; the state may lag: the reader replays the rows
    assert saved.revision == 4 and load_timeline(saved) == history.present
    def stored():  # type: ignore[no-untyped-def]
        with store.db.connection() as conn:
            return conn.execute("SELECT state_revision, timeline_state FROM projects WHERE id = %s",
                                (project.id,)).fetchone()

    deadline = time.monotonic() + 10
    while stored()[0] != 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    stored = stored()
    assert stored[0] == 4 and timeline_from_dict(stored[1]) == history.present, "written once the edits paused"
    saver.close()


class SlowStates(ProjectRepository):
    """Writing the whole state takes 1.5 s (a huge timeline on a busy server); rows are as fast as ever."""

    def write_state(self, *args, **kw):  # type: ignore[no-untyped-def]
        time.sleep(1.5)
        return super().write_state(*args, **kw)

    def save_edits(self, project_id, base, edits, timeline_state, *args, **kw):  # type: ignore[no-untyped-def]
        if timeline_state is not None:
            time.sleep(1.5)
        return super().save_edits(project_id, base, edits, timeline_state, *args, **kw)


def test_a_slow_state_write_never_holds_the_edits_behind_it(store, tmp_path: Path, monkeypatch) -> None:
    import editor.store.autosave as autosave

    monkeypatch.setattr(autosave, "STATE_MAX_AGE", 0.05)
    project, timeline = new_project(store.projects)
    saved_at: dict[int, float] = {}
    saver = saver_for(SlowStates(store.db), tmp_path, project, timeline,
                      lambda e: saved_at.setdefault(e.seq, time.monotonic()) if e.kind == "saved" else None)
    history, sent = History(timeline), {}
    for n in range(40):  # 2 s of edits at 20/s: state writes are due all along and each takes 1.5 s
        history = history.apply("add_marker", {"frame": n, "label": f"m{n}"})
        seq, _ = saver.submit(history.last_record)
        sent[seq] = time.monotonic()
        time.sleep(0.05)
    assert saver.flush(10)
    waits = sorted(min(t for s, t in saved_at.items() if s >= seq) - at for seq, at in sent.items())
    assert waits[-1] < 0.5, f"an edit waited {waits[-1]:.2f} s for a state write"
    assert load_timeline(store.projects.get(project.id)) == history.present
    assert saver.close(), "the last state is written at close"
    with store.db.connection() as conn:
        row = conn.execute("SELECT state_revision, revision, timeline_state FROM projects WHERE id = %s",
                           (project.id,)).fetchone()
    assert row[0] == row[1] == 41 and timeline_from_dict(row[2]) == history.present


def test_a_state_stored_behind_newer_rows_is_caught_up_by_the_reader(store) -> None:
    from editor.store.projects import EditRow

    project, timeline = new_project(store.projects)
    history = History(timeline)
    states = []
    for n in range(3):
        history = history.apply("split", {"track": 0, "frame": 50 * (n + 1)})
        rev = store.projects.save_edits(project.id, project.revision + n,
                                        [EditRow(str(uuid.uuid4()), "split", history.last_record.params)], None,
                                        SCHEMA_VERSION)
        states.append(history.present)
    assert rev == 4
    assert store.projects.write_state(project.id, 2, timeline_to_dict(states[0]), SCHEMA_VERSION), \
        "the state of revision 2 is stored though rows 3 and 4 followed"
    got = store.projects.get(project.id)
    assert got.revision == 4 and load_timeline(got) == states[-1], "the reader replays rows 3 and 4 on it"
    assert not store.projects.write_state(project.id, 2, timeline_to_dict(states[0]), SCHEMA_VERSION)
    assert store.projects.write_state(project.id, 4, timeline_to_dict(states[2]), SCHEMA_VERSION)
    assert not store.projects.write_state(project.id, 3, timeline_to_dict(states[1]), SCHEMA_VERSION), \
        "an older state never replaces a newer one"
    assert load_timeline(store.projects.get(project.id)) == states[-1]


def test_two_writers_never_overwrite_each_other(store, tmp_path: Path) -> None:
    project, timeline = new_project(store.projects)
    got_a: queue.Queue[SaveEvent] = queue.Queue()
    a = saver_for(store.projects, tmp_path, project, timeline, got_a.put)
    b = saver_for(store.projects, tmp_path, project, timeline)
    assert a.journal.path != b.journal.path, "one journal per writer"
    ha, hb = History(timeline), History(timeline)
    hb = hb.apply("add_marker", {"frame": 10, "label": "from B"})
    b.submit(hb.last_record)
    assert b.flush(10)
    ha = ha.apply("split", {"track": 0, "frame": 120})
    a.submit(ha.last_record)  # made from revision 1: a conflict, rebased onto B's revision
    assert a.flush(10)
    final = load_timeline(store.projects.get(project.id))
    assert [m.label for m in final.markers] == ["from B"], "B's edit survives"
    assert len(final.tracks[0].items) == 2, "A's split is applied on top"
    kinds = [e.kind for e in events_of(got_a)]
    assert "adopt" in kinds and kinds[-1] == "saved"
    a.close(), b.close()


def test_an_edit_made_while_the_rebase_is_on_its_way_to_the_window_is_kept_with_undo(store, tmp_path: Path) -> None:
    """The race of issue 11: window A edits between its saver's rebase and A adopting the rebased timeline."""
    from editor.store.editing import EditingSession

    project, timeline = new_project(store.projects)
    events: queue.Queue[SaveEvent] = queue.Queue()
    a = EditingSession(store.projects, tmp_path, project, on_save=events.put)  # events held back, as in Qt
    b = EditingSession(store.projects, tmp_path, project)
    b.apply("add_marker", {"frame": 10, "label": "from B"})
    assert b.saver.flush(10)
    a.apply("split", {"track": 0, "frame": 120})  # conflicts with B: the saver rebases, sends "adopt"
    adopt = None
    while adopt is None:
        event = events.get(timeout=10)
        adopt = event if event.kind == "adopt" else None
        if event.kind != "adopt":
            a.receive(event)
    a.apply("split", {"track": 0, "frame": 60})  # made before the window sees the rebase
    a.receive(adopt)
    assert a.saver.flush(10)
    while not events.empty():
        a.receive(events.get())
    saved = load_timeline(store.projects.get(project.id))
    assert [m.label for m in saved.markers] == ["from B"], "the other window's edit stays in the database"
    assert len(saved.tracks[0].items) == 3, "both of A's splits are saved"
    assert a.timeline == saved, "the window shows what is saved"
    assert a.history.undo_depth == 3 and a.history.undo_label == "Split"
    assert len(a.undo().tracks[0].items) == 2
    assert a.saver.flush(10)
    assert load_timeline(store.projects.get(project.id)) == a.timeline
    a.close(), b.close()


class LosesReplies(ProjectRepository):
    """PostgreSQL commits the save, but the reply never arrives (the connection drops after COMMIT)."""

    lost = 0

    def save_edits(self, *args, **kw):  # type: ignore[no-untyped-def]
        revision = super().save_edits(*args, **kw)
        if not self.lost:
            self.lost += 1
            raise DatabaseUnavailable("connection lost after the commit")
        return revision


def test_a_save_whose_reply_was_lost_is_never_applied_twice(store, tmp_path: Path) -> None:
    project, timeline = new_project(store.projects)
    projects = LosesReplies(store.db)
    saver = saver_for(projects, tmp_path, project, timeline)
    history = History(timeline).apply("ripple_delete_range", {"start": 0, "end": 100})
    saver.submit(history.last_record)
    assert saver.flush(20) and projects.lost == 1
    assert load_timeline(store.projects.get(project.id)) == history.present, "100 frames removed, once"
    assert [h.edit_type for h in store.projects.history(project.id)] == ["create", "ripple_delete_range"]
    assert saver.close()
    saved = store.projects.get(project.id)
    assert saved.summary["duration_frames"] == 150 and saved.state_revision == saved.revision == 2


def test_edits_made_while_postgres_is_down_are_written_when_it_returns(tmp_path: Path) -> None:
    servers = EmbeddedServers(tmp_path / "pg-only")
    url = servers.ensure(redis=False).database_url
    db = Database(url).open()
    migrate(db)
    projects = ProjectRepository(db)
    project, timeline = new_project(projects)
    got: queue.Queue[SaveEvent] = queue.Queue()
    saver = saver_for(projects, tmp_path / "journal", project, timeline, got.put)
    try:
        servers.stop()  # the database goes away mid-session
        history = History(timeline)
        for frame in (50, 100, 150):
            history = history.apply("split", {"track": 0, "frame": frame})
            saver.submit(history.last_record)
        offline = got.get(timeout=10)
        assert offline.kind == "offline" and "PostgreSQL" in offline.message and saver.state == "offline"
        assert saver.journal.path.read_text().count('"edit"') == 3, "the edits wait on disk"
        servers.ensure(redis=False)
        assert saver.flush(30), "written once the server is back"
        assert load_timeline(projects.get(project.id)) == history.present
        assert projects.revision(project.id) == 4
    finally:
        saver.close(timeout=1)
        db.close()
        servers.stop()


def dead_writers_journal(folder: Path, project, records, base: int = 1) -> Path:
    """The journal a killed writer leaves: its edits, no lock held any more."""
    journal = Journal(folder, project.id, "killed-1", base)
    for record in records:
        journal.append(JournaledEdit.new(record))
    journal.close(remove=False)
    return journal.path


def test_a_killed_writers_journal_is_saved_by_the_next_opener_with_exact_undo_and_rows(store, tmp_path) -> None:
    from editor.store.editing import EditingSession

    project, timeline = new_project(store.projects)
    made = History(timeline).apply("split", {"track": 0, "frame": 60})
    made = made.apply("add_marker", {"frame": 5, "label": "kept"})
    made = made.undo()
    records = [EditRecord("split", {"track": 0, "frame": 60}), EditRecord("add_marker", {"frame": 5, "label": "kept"}),
               EditRecord("undo")]
    path = dead_writers_journal(tmp_path, project, records)
    session = EditingSession.open(store.projects, tmp_path, project.id)
    assert session.recovered == 3 and session.timeline == made.present
    assert (session.history.undo_depth, session.history.redo_depth) == (1, 1)
    assert session.saver.flush(10)
    assert not path.exists(), "the dead writer's journal is gone once its edits are in this writer's"
    assert [h.edit_type for h in store.projects.history(project.id)] == ["create", "split", "add_marker", "undo"]
    assert session.close()
    again = EditingSession.open(store.projects, tmp_path, project.id)
    assert again.recovered == 0 and again.timeline == made.present and again.history.redo_depth == 1
    assert [h.edit_type for h in store.projects.history(project.id)] == ["create", "split", "add_marker", "undo"]
    again.close()


def test_a_live_writers_journal_is_never_taken_over(store, tmp_path: Path) -> None:
    from editor.store.editing import EditingSession

    project, timeline = new_project(store.projects)
    servers = EmbeddedServers(tmp_path / "gone")  # a writer whose database is away: its edits stay journaled
    url = servers.ensure(redis=False).database_url
    db = Database(url).open()
    migrate(db)
    other = ProjectRepository(db)
    mirror, _ = new_project(other)
    live = EditingSession(other, tmp_path / "j", mirror)
    try:
        servers.stop()
        live.apply("split", {"track": 0, "frame": 60})
        # A journal of this live writer for a project of the same id is locked: a second opener leaves it alone.
        assert len(list((tmp_path / "j").glob("*.jsonl"))) == 1
        from editor.store import journal as journals

        assert list(journals.orphans(tmp_path / "j", mirror.id)) == [], "locked by its live owner"
    finally:
        live.close(timeout=1)
        db.close()
        servers.stop()
    found = list(journals.orphans(tmp_path / "j", mirror.id))
    assert len(found) == 1 and [e.record.name for e in found[0].pending] == ["split"], "free once the owner is gone"
    found[0].release(remove=False)


def test_a_recovered_journal_never_overwrites_newer_work(store, tmp_path: Path) -> None:
    from editor.store.editing import EditingSession

    project, timeline = new_project(store.projects)
    path = dead_writers_journal(tmp_path / "dead", project, [EditRecord("split", {"track": 0, "frame": 60}),
                                                            EditRecord("undo")])
    newer = EditingSession.open(store.projects, tmp_path / "live", project.id)
    for frame in (10, 20, 30):
        newer.apply("add_marker", {"frame": frame, "label": f"newer {frame}"})
    assert newer.close()
    session = EditingSession.open(store.projects, tmp_path / "dead", project.id)
    assert session.saver.flush(10)
    saved = load_timeline(store.projects.get(project.id))
    assert [m.label for m in saved.markers] == ["newer 10", "newer 20", "newer 30"], "newer work kept"
    assert len(saved.tracks[0].items) == 2, "the journaled split replayed on top"
    assert session.saver.notes and "undo" in session.saver.notes[0], "its undo, made on an older revision, refused"
    assert not path.exists()
    session.close()


def test_a_damaged_journal_line_is_skipped_not_fatal(store, tmp_path: Path) -> None:
    project, timeline = new_project(store.projects)
    (tmp_path / f"project-{project.id}.old-1.jsonl").write_text('{"edit": {"id": "x", "name": "split"\nnot json\n')
    saver = saver_for(store.projects, tmp_path, project, timeline)
    assert saver.recovered == 0 and saver.view.present == timeline
    saver.close()


def test_an_unwritable_journal_is_said_not_hidden_and_edits_wait_in_memory(store, tmp_path: Path) -> None:
    from editor.store.editing import EditingSession

    project, timeline = new_project(store.projects)
    blocker = tmp_path / "journal"
    blocker.write_text("a file where the journal folder should be")  # as unwritable as a full disk, even for root
    got: queue.Queue[SaveEvent] = queue.Queue()
    session = EditingSession(store.projects, blocker, project, on_save=got.put)
    assert session.saver.state == "journal" and "cannot write the journal" in session.saver.journal_error
    session.apply("split", {"track": 0, "frame": 60})
    assert not session.saver.journaled
    assert session.saver.flush(10), "PostgreSQL still takes it"
    blocker.unlink()
    session.apply("split", {"track": 0, "frame": 90})
    assert session.saver.flush(10)
    deadline = time.monotonic() + 10
    while session.saver.journal_error is not None and time.monotonic() < deadline:
        session.saver.hint(0)
        time.sleep(0.05)
    assert session.saver.journal_error is None and session.saver.state == "saved", "written once it can be"
    kinds = [(e.kind, bool(e.message)) for e in events_of(got) if e.kind == "journal"]
    assert kinds == [("journal", True), ("journal", False)] or kinds == [("journal", False)]
    assert session.close()


def test_text_that_cannot_be_encoded_is_refused_at_the_edit(store, tmp_path: Path) -> None:
    from editor.model.errors import EditError
    from editor.store.editing import EditingSession

    project, timeline = new_project(store.projects)
    session = EditingSession(store.projects, tmp_path, project)
    for label in ("bad \udc80 label", "nul \x00 here"):
        with pytest.raises(EditError, match="Unicode|NUL"):
            session.apply("add_marker", {"frame": 1, "label": label})
    session.apply("add_marker", {"frame": 1, "label": "fine ✂"})
    assert session.close()
    assert [m.label for m in load_timeline(store.projects.get(project.id)).markers] == ["fine ✂"]


def test_an_edit_that_changes_nothing_is_not_saved(store, tmp_path: Path) -> None:
    from editor.store.editing import EditingSession

    project, timeline = new_project(store.projects)
    session = EditingSession(store.projects, tmp_path, project)
    session.apply("clear_in_out")  # nothing to clear
    session.apply("set_in", {"frame": 10})
    session.apply("set_in", {"frame": 10})  # already there
    assert session.close()
    assert [h.edit_type for h in store.projects.history(project.id)] == ["create", "set_in"]
    assert session.history.undo_depth == 1


@pytest.mark.parametrize(
    "state, expect",
    [
        ({"schema": "Timeline.99", "rate": "25", "tracks": []}, "newer"),
        ({"schema": "Timeline.2", "name": "", "rate": "abc", "next_id": 1, "in": None, "out": None, "media": [],
          "markers": [], "tracks": []}, "rate"),
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
