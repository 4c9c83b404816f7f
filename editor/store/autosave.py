"""Every edit saved as it happens, in order, and nothing lost when PostgreSQL is away.

:class:`AutoSaver` takes each edit of an open project (its :class:`EditRecord` and the timeline it made)
and writes it on its own thread: the project row and its ``edit_history`` row in one transaction,
naming the revision it started from. Before that, the edit is appended to a local journal
(``<data dir>/journal/project-<id>.jsonl``; fsync'd by the saver thread when the database cannot be
reached), so a crash or a lost connection loses nothing:

- PostgreSQL unreachable: the saver says ``offline``, keeps the edits in the journal, retries with
  back-off (0.5 s doubling to 5 s) and writes them, in order, when the server is back.
- Another window saved first (a conflict): the saver loads the newer revision and replays the pending
  edits on top of it (``rebased``); an edit that no longer applies is dropped and reported
  (``dropped``), never silently written over the other window's work.
- A process killed with edits still in the journal: the next :class:`AutoSaver` for that project
  replays them onto the saved state when it starts.

Callbacks (``on_event``) run on the saver's thread; the UI turns them into Qt signals. No Qt.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from editor.model.errors import EditError, TimelineError
from editor.model.registry import EditRecord
from editor.model.serialize import SCHEMA_VERSION, timeline_from_dict, timeline_from_json, timeline_to_json
from editor.model.timeline import Timeline
from editor.store.errors import ConflictError, CorruptStateError, DatabaseUnavailable, NotFound
from editor.store.projects import Project, ProjectRepository

log = logging.getLogger(__name__)

RETRY_MIN, RETRY_MAX = 0.5, 5.0
NON_EDITS = frozenset({"create"})  # history rows that are not replayable edits


@dataclass(frozen=True, slots=True)
class SaveEvent:
    """What happened to the saves: ``saved`` (revision), ``offline`` (message), ``rebased`` (timeline),
    ``dropped`` (message), ``error`` (message)."""

    kind: str
    revision: int = 0
    message: str = ""
    timeline: Timeline | None = None
    pending: int = 0


def load_timeline(project: Project) -> Timeline:
    """The project's timeline; CorruptStateError (naming the project) if its stored state is unusable."""
    try:
        return timeline_from_dict(project.timeline_state)
    except TimelineError as exc:
        raise CorruptStateError(f"project {project.name!r} cannot be opened: {exc}") from None


def summary_of(timeline: Timeline) -> dict[str, Any]:
    """What the project list shows without loading the timeline."""
    from editor.model.navigate import duration
    from editor.model.time import format_rate
    from editor.model.timeline import Clip

    clips = [it for tr in timeline.tracks for it in tr.items if isinstance(it, Clip)]
    poster = next((c.media for c in clips if c.media.has_video), None)
    return {
        "duration_frames": duration(timeline),
        "rate": format_rate(timeline.rate),
        "clips": len(clips),
        "media": len(timeline.media),
        "poster": {"fingerprint": poster.fingerprint, "path": poster.path} if poster else None,
    }


class Journal:
    """Edits not yet confirmed by PostgreSQL, one JSON line each. Thread: the saver's (and its owner's
    at start-up)."""

    def __init__(self, folder: Path, project_id: int) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"project-{project_id}.jsonl"

    def read(self) -> list[tuple[EditRecord, str | None]]:
        """The journaled edits, each with the timeline JSON it made (None if that was not kept)."""
        if not self.path.exists():
            return []
        entries = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                obj = json.loads(line)
                state = obj.get("state")
                entries.append((EditRecord.from_dict(obj["record"]), state if isinstance(state, str) else None))
            except (ValueError, KeyError, TypeError, AttributeError, TimelineError):
                log.warning("skipped a damaged journal line in %s", self.path)
        return entries

    @staticmethod
    def _line(record: EditRecord, state: str) -> str:
        return json.dumps({"record": record.to_dict(), "state": state}, ensure_ascii=False) + "\n"

    def append(self, record: EditRecord, state: str) -> None:
        """Append an edit. Written through to the OS at once (a killed process loses nothing), but not
        fsync'd: a disk flush can take 100 ms, too long for the UI thread; :meth:`sync` does it later."""
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(self._line(record, state))

    def sync(self) -> None:
        """fsync the journal (the saver thread does this before waiting for an unreachable database)."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def rewrite(self, entries: list[tuple[EditRecord, str]]) -> None:
        if not entries:
            self.path.unlink(missing_ok=True)
            return
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            for record, state in entries:
                fh.write(self._line(record, state))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)


@dataclass(slots=True)
class _Pending:
    record: EditRecord
    timeline: Timeline
    state: str = ""  # the timeline as JSON (made once, on the submitting thread)

    def __post_init__(self) -> None:
        if not self.state:
            self.state = timeline_to_json(self.timeline)

    @property
    def entry(self) -> tuple[EditRecord, str]:
        return (self.record, self.state)


class AutoSaver:
    """Saves one project's edits in order on a daemon thread. ``submit`` returns at once (any thread)."""

    def __init__(
        self,
        projects: ProjectRepository,
        journal_dir: Path,
        project_id: int,
        revision: int,
        present: Timeline,
        on_event: Callable[[SaveEvent], None] = lambda e: None,
    ) -> None:
        self.projects = projects
        self.project_id = project_id
        self.revision = revision
        self.journal = Journal(journal_dir, project_id)
        self._on_event = on_event
        self._queue: deque[_Pending] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self._busy = False
        self.state = "saved"
        self.recovered: Timeline | None = None
        leftovers = self.journal.read()
        if leftovers:  # a previous run ended before these reached the database: save them now
            timeline = present
            for record, state in leftovers:
                try:
                    timeline = timeline_from_json(state) if state else _apply(timeline, record)
                except TimelineError as exc:
                    log.warning("journaled edit %s no longer applies: %s", record.name, exc)
                    continue
                self._queue.append(_Pending(record, timeline, state or ""))
            self.recovered = timeline
        self._thread = threading.Thread(target=self._run, name=f"cutline-autosave-{project_id}", daemon=True)
        self._thread.start()

    # ---- owner side ---------------------------------------------------------------------------
    def submit(self, record: EditRecord, timeline: Timeline) -> None:
        """Queue an edit (journaled to disk before this returns)."""
        item = _Pending(record, timeline)
        with self._cond:
            self.journal.append(record, item.state)
            self._queue.append(item)
            self._cond.notify_all()

    @property
    def pending(self) -> int:
        with self._cond:
            return len(self._queue) + (1 if self._busy else 0)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every submitted edit is in PostgreSQL; False on timeout (they stay journaled)."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._queue and not self._busy, timeout)

    def close(self, timeout: float = 10.0) -> bool:
        """Flush, then stop the thread. Unsaved edits stay in the journal for the next start."""
        done = self.flush(timeout)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout=2)
        return done

    # ---- saver thread -------------------------------------------------------------------------
    def _emit(self, event: SaveEvent) -> None:
        try:
            self._on_event(event)
        except Exception:  # noqa: BLE001 - a UI bug must not stop saving
            log.exception("save event handler failed")

    def _run(self) -> None:
        backoff = RETRY_MIN
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._queue or self._closed)
                if self._closed and not self._queue:
                    return
                if self._closed and self.state == "offline":
                    return  # closing while offline: the journal keeps the rest
                item = self._queue[0]
                self._busy = True
            try:
                revision = self.projects.save(
                    self.project_id, self.revision, item.state, SCHEMA_VERSION,
                    item.record.name, item.record.params, merge_key=item.record.merge_key,
                    summary=summary_of(item.timeline),
                )  # fmt: skip
            except DatabaseUnavailable as exc:
                self.journal.sync()  # the edits may wait a while: make them survive a power cut too
                self.state = "offline"
                with self._cond:
                    self._busy = False
                    pending = len(self._queue)
                self._emit(SaveEvent("offline", self.revision, str(exc), pending=pending))
                with self._cond:
                    self._cond.wait_for(lambda: self._closed, backoff)
                backoff = min(backoff * 2, RETRY_MAX)
                continue
            except ConflictError:
                self._rebase()
                continue
            except NotFound as exc:
                self._fail(f"the project was deleted elsewhere; edits kept in {self.journal.path}: {exc}")
                return
            except Exception as exc:  # noqa: BLE001 - reported, the edit stays journaled
                log.exception("saving an edit failed")
                self._fail(f"saving failed: {exc}")
                return
            backoff = RETRY_MIN
            with self._cond:
                self._queue.popleft()
                self.revision = revision
                self.journal.rewrite([p.entry for p in self._queue])
                self._busy = False
                pending = len(self._queue)
                self.state = "saved" if not pending else "saving"
                self._cond.notify_all()
            self._emit(SaveEvent("saved", revision, pending=pending))

    def _fail(self, message: str) -> None:
        self.state = "error"
        with self._cond:
            self._busy = False
            self._closed = True
            self._cond.notify_all()
        self._emit(SaveEvent("error", self.revision, message))

    def _rebase(self) -> None:
        """Someone saved first: replay our pending edits on top of their revision."""
        try:
            latest = self.projects.get(self.project_id)
            base = load_timeline(latest)
        except (DatabaseUnavailable, CorruptStateError, NotFound) as exc:
            with self._cond:
                self._busy = False
            self._emit(SaveEvent("offline", self.revision, str(exc)))
            return
        dropped: list[str] = []
        with self._cond:
            rebuilt: deque[_Pending] = deque()
            timeline = base
            for item in self._queue:
                try:
                    timeline = _apply(timeline, item.record)
                except TimelineError as exc:
                    dropped.append(f"{item.record.name} ({exc})")
                    continue
                rebuilt.append(_Pending(item.record, timeline))
            self._queue = rebuilt
            self.revision = latest.revision
            self.journal.rewrite([p.entry for p in self._queue])
            self._busy = False
            pending = len(self._queue)
        self._emit(SaveEvent("rebased", latest.revision, timeline=timeline, pending=pending))
        if dropped:
            self._emit(
                SaveEvent("dropped", latest.revision,
                          "another window changed this project first; not applied: " + ", ".join(dropped))
            )


def _apply(timeline: Timeline, record: EditRecord) -> Timeline:
    """Apply one journaled record to a timeline (undo/redo cannot be rebased: they raise EditError)."""
    from editor.model.registry import apply_edit

    if record.name in ("undo", "redo"):
        raise EditError(f"{record.name} made on an older revision")
    return apply_edit(timeline, record.name, record.params)


def restore_history(projects: ProjectRepository, project: Project, depth: int = 500):  # -> History
    """The project's undo history as it was when it was last saved (the last ``depth`` edits).

    Replays the ``edit_history`` rows onto the state saved ``depth`` revisions ago; if that does not
    end at the saved state (rows from an older Cutline, say), the history starts afresh at the saved
    state. Blocking; any thread.
    """
    from editor.model.history import History

    present = load_timeline(project)
    start = max(1, project.revision - depth)
    try:
        base = timeline_from_dict(projects.state_at(project.id, start))
        rows = projects.history(project.id, since=start, limit=depth + 1)
        records = [EditRecord(r.edit_type, r.params, r.merge_key) for r in rows if r.edit_type not in NON_EDITS]
        history = History.replay(base, records)
    except (TimelineError, NotFound) as exc:
        log.info("history of project %s not restored: %s", project.id, exc)
        return History(present)
    return history if history.present == present else History(present)
