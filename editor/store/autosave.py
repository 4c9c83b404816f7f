"""Every edit saved as it happens, in order, once, and nothing lost when PostgreSQL or the disk is away.

One :class:`AutoSaver` is the one writer of one open project in this process. It owns the saved revision, the
*base* (the undo history as of that revision) and the journal (:mod:`editor.store.journal`). The owner (the
window, ``cutline edit``) sends it edit records with :meth:`AutoSaver.submit`; the saver derives every state
from its own base by replaying those records, so it never saves a timeline someone else computed on a stale
base. On its own thread it:

- appends each edit to its journal before anything else (fsync'd off the owner's thread), and marks it done
  once saved: each edit is written once, the journal never rewritten;
- saves the edits waiting (a batch) in one transaction: the project row and one ``edit_history`` row per edit,
  each with the edit's id (unique), naming the revision it started from; the whole state (megabytes on a big
  timeline) goes with it only for undo/redo and media changes; otherwise a :class:`StateWriter` stores it
  behind the rows on its own thread (every ``STATE_MAX_AGE`` seconds in a burst, and once the edits pause), so
  a save never waits for megabytes; in between, readers get it by replaying the rows (``ProjectRepository.get``);
- on a conflict (another writer saved first) reads the newer rows, recognises its own edits among them (a save
  whose reply was lost: never applied twice), replays the others onto its base, then its pending records on
  top, and hands the result to the owner as one ``adopt`` event (:class:`SaveEvent`);
- when told another writer saved (:meth:`hint`, from the event channel; or every ``POLL_IDLE`` seconds when
  idle) does the same without waiting for a conflict: the window catches up after any outage;
- PostgreSQL unreachable: says ``offline``, keeps the edits in the journal, retries with back-off (0.5 s
  doubling to 5 s); the journal unwritable: says ``journal`` with the reason, keeps the edits in memory, and
  tries the journal again before each save.

At start it takes over the journals of writers that are gone (their lock is free) and replays their unsaved
edits onto the revision they were made from, or rebases them when others saved since (undo/redo made on an
older revision are then refused, reported ``dropped``).

Events (``on_event``) run on the saver's thread; the owner hands them to its own thread and passes ``adopt``
events to :meth:`editor.store.editing.EditingSession.receive`. No Qt.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from editor.model.errors import EditError, TimelineError
from editor.model.history import History
from editor.model.registry import EditRecord
from editor.model.serialize import SCHEMA_VERSION, timeline_from_dict, timeline_to_json
from editor.model.timeline import Timeline
from editor.store import journal as journals
from editor.store.errors import ConflictError, CorruptStateError, DatabaseUnavailable, JournalError, NotFound
from editor.store.journal import Journal, JournaledEdit
from editor.store.projects import EditRow, HistoryEntry, Project, ProjectRepository
from editor.store.snapshots import Snapshot, StateWriter, summary_of

log = logging.getLogger(__name__)

RETRY_MIN, RETRY_MAX = 0.5, 5.0
POLL_IDLE = 5.0  # an idle saver checks the project's revision this often (events can be lost in an outage)
MAX_BATCH = 500  # edits saved in one transaction at most
STATE_MAX_AGE = 2.0  # seconds: during a burst the whole state is written at least this often (rows at once)
STATE_IDLE = 0.1  # seconds without a new edit before the state is written
CHECKPOINT_EVERY = 500  # revisions between two history rows that keep the whole state (for undo after a restart)
NON_EDITS = frozenset({"create"})  # history rows that are not replayable edits
HISTORY_STEPS = frozenset({"undo", "redo"})
# Saved with the whole state at once: undo/redo (a reader cannot replay them) and edits that change which media
# the project uses (``ProjectRepository.with_media`` searches the stored state).
STATE_EDITS = HISTORY_STEPS | {"append_media", "insert_media", "append_clip", "insert_clip", "relink_media"}


@dataclass(frozen=True, slots=True)
class SaveEvent:
    """What happened to the saves. ``kind``:

    - ``saved``: edits up to ``seq`` are in PostgreSQL at ``revision``; ``pending`` still wait;
    - ``adopt``: the saver's view changed under the owner (another writer's edits, a rebase, a refused edit):
      ``history`` is the base plus every edit up to ``seq``; the owner replays its later edits on it;
    - ``offline`` / ``journal`` / ``dropped`` / ``error``: ``message`` says what (``journal`` with an empty
      message: the journal can be written again).
    """

    kind: str
    revision: int = 0
    message: str = ""
    history: History | None = None
    seq: int = 0
    pending: int = 0
    refused: tuple[tuple[str, str, str], ...] = ()  # ``dropped``: (edit id, edit name, why) of each edit refused

    @property
    def timeline(self) -> Timeline | None:
        return self.history.present if self.history is not None else None


def load_timeline(project: Project) -> Timeline:
    """The project's timeline; CorruptStateError (naming the project) if its stored state is unusable."""
    try:
        return timeline_from_dict(project.timeline_state)
    except TimelineError as exc:
        raise CorruptStateError(f"project {project.name!r} cannot be opened: {exc}") from None


def record_of(row: HistoryEntry) -> EditRecord:
    return EditRecord(row.edit_type, row.params, row.merge_key)


@dataclass(slots=True)
class _Pending:
    seq: int
    edit: JournaledEdit
    journaled: bool
    stale_base: bool = False  # made before a rebase that brought others' edits: undo/redo no longer apply


def writer_id() -> str:
    """A journal owner's name: this process and a fresh session id."""
    return f"{os.getpid()}-{uuid.uuid4().hex[:8]}"


class AutoSaver:
    """The one writer of one project: ``submit`` returns at once (owner thread); saving runs on a daemon thread.

    Construct on a worker thread (it reads PostgreSQL and takes over orphaned journals).
    """

    def __init__(
        self,
        projects: ProjectRepository,
        journal_dir: Path,
        project_id: int,
        revision: int,
        base: History,
        on_event: Callable[[SaveEvent], None] = lambda e: None,
        *,
        publish: Callable[[int], None] | None = None,
        writer: str | None = None,
    ) -> None:
        self.projects = projects
        self.project_id = project_id
        self.revision = revision
        self.writer = writer or writer_id()
        self._base = base
        self._on_event = on_event
        self._publish = publish
        self._queue: deque[_Pending] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self._busy = False
        self._seq = 0
        self._hinted = 0
        self._checkpoint_at = 0
        self._state_at = time.monotonic()
        self._state_rev = revision  # the newest revision whose whole state this saver stored (inline)
        self._states = StateWriter(projects, project_id)  # writes the state behind the rows, on its own thread
        self.state = "saved"
        self.journal_error: str | None = None
        self.notes: list[str] = []  # what recovery could not replay (for the owner to show)
        self.recovered = 0  # edits taken over from journals of writers that are gone
        self.journal_dir = journal_dir
        self.journal: Journal | None = None
        try:
            self.journal = Journal(journal_dir, project_id, self.writer, revision)
        except JournalError as exc:
            self.journal_error = str(exc)
            self.state = "journal"
        self._checkpoint_at = projects.last_checkpoint(project_id)
        self._recover()
        self.view = self._view()  # the base plus every pending edit: what the owner starts from
        self._thread = threading.Thread(target=self._run, name=f"cutline-autosave-{project_id}", daemon=True)
        self._thread.start()

    # ---- owner side ---------------------------------------------------------------------------
    def submit(self, record: EditRecord) -> tuple[int, str]:
        """Queue an edit, journaled before this returns (no fsync here: the saver does it); returns its
        sequence number and id. If the journal cannot be written the edit is kept in memory (state ``journal``).
        Owner thread; never waits on a server."""
        edit = JournaledEdit.new(record)
        journaled = self._journal_append([edit])
        with self._cond:
            self._seq += 1
            self._queue.append(_Pending(self._seq, edit, journaled))
            self._cond.notify_all()
            return self._seq, edit.edit_id

    def hint(self, revision: int) -> None:
        """Another writer saved ``revision`` (0: check anyway). Any thread; returns at once."""
        with self._cond:
            if revision == 0 or revision > self.revision:
                self._hinted = max(self._hinted, revision or self.revision + 1)
                self._cond.notify_all()

    @property
    def pending(self) -> int:
        with self._cond:
            return len(self._queue)

    @property
    def last_seq(self) -> int:
        with self._cond:
            return self._seq

    @property
    def journaled(self) -> bool:
        """True when every pending edit is on disk."""
        with self._cond:
            return all(p.journaled for p in self._queue)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every submitted edit is in PostgreSQL; False on timeout (they stay journaled)."""
        with self._cond:
            done = self._cond.wait_for(lambda: (not self._queue and not self._busy) or self.state == "error", timeout)
            return done and not self._queue

    def close(self, timeout: float = 10.0) -> bool:
        """Flush, then stop the thread; True only if every edit reached PostgreSQL. Unsaved edits stay in the
        journal for the next opener (or, if it could not be written, are lost with this process: the owner was
        told so by a ``journal`` event)."""
        done = self.flush(timeout)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout=max(2.0, timeout))
        if self.journal is not None:
            with self._cond:
                empty = not self._queue
            self.journal.close(remove=empty)
        return done

    # ---- journal ------------------------------------------------------------------------------
    def _journal_append(self, edits: list[JournaledEdit]) -> bool:
        if self.journal is None:
            return False
        try:
            self.journal.append_many(edits)
            return True
        except JournalError as exc:
            self._journal_failed(str(exc))
            return False

    def _journal_failed(self, message: str) -> None:
        first = self.journal_error is None
        self.journal_error = message
        self.state = "journal"
        if first:
            self._emit(SaveEvent("journal", self.revision, message))

    def _journal_retry(self) -> None:
        """Saver thread: write the edits the journal missed (reopening it if needed)."""
        if self.journal_error is None:
            return
        try:
            if self.journal is None:
                self.journal = Journal(self.journal_dir, self.project_id, self.writer, self.revision)
            with self._cond:
                missing = [p for p in self._queue if not p.journaled]
            self.journal.append_many([p.edit for p in missing])
            self.journal.sync()
        except JournalError as exc:
            self.journal_error = str(exc)
            return
        with self._cond:
            for p in missing:
                p.journaled = True
        self.journal_error = None
        self.state = "saving" if self.pending else "saved"
        self._emit(SaveEvent("journal", self.revision, ""))

    def _journal_done(self, ids: list[str]) -> None:
        if self.journal is None or self.journal_error is not None:
            return
        try:
            with self._cond:
                empty = not self._queue
            if empty and self.journal.lines > 200:
                self.journal.restart(self.revision)
            else:
                self.journal.mark_done(ids, self.revision)
        except JournalError as exc:
            self._journal_failed(str(exc))

    # ---- recovery -------------------------------------------------------------------------------
    def _recover(self) -> None:
        """Take over the journals of writers that are gone (constructor; worker thread)."""
        taken: list[journals.Orphan] = []
        seen: set[str] = set()
        ok = False
        try:
            for orphan in journals.orphans(self.journal_dir, self.project_id):
                taken.append(orphan)
                edits = orphan.pending
                if edits:
                    saved = self.projects.saved_edit_ids(self.project_id, [e.edit_id for e in edits])
                    edits = [e for e in edits if e.edit_id not in saved]
                if not edits:
                    continue
                stale = True
                if orphan.base is not None and orphan.base <= self.revision:
                    mine = {e.edit_id for e in orphan.edits}
                    rows = self.projects.history(self.project_id, since=orphan.base, limit=100_000)
                    stale = any(r.edit_id not in mine for r in rows)  # others saved after it: a rebase
                for e in edits:
                    if e.edit_id in seen:  # a writer killed while taking over this journal copied it
                        continue
                    seen.add(e.edit_id)
                    self._seq += 1
                    self._queue.append(_Pending(self._seq, e, False, stale_base=stale))
                self.recovered += len(edits)
            # In this writer's journal (fsync'd) before the orphans are deleted; if it cannot be written the
            # orphans stay on disk for a later opener.
            if self._queue and self._journal_append([p.edit for p in self._queue]) and self.journal is not None:
                self.journal.sync()
                for p in self._queue:
                    p.journaled = True
            ok = all(p.journaled for p in self._queue)
        finally:
            for orphan in taken:
                orphan.release(remove=ok)

    def _view(self) -> History:
        """The base with every pending edit replayed (refused ones reported). Holds no lock while replaying."""
        with self._cond:
            items = list(self._queue)
        history, refused = self._replay(self._base, items)
        if refused:
            self._settle_refused(refused)
        return history

    def _replay(self, history: History, items: list[_Pending]) -> tuple[History, list[tuple[_Pending, str]]]:
        refused: list[tuple[_Pending, str]] = []
        for item in items:
            try:
                if item.stale_base and item.edit.record.name in HISTORY_STEPS:
                    raise EditError(f"{item.edit.record.name} made on an older revision")
                history = history.step(item.edit.record)
            except TimelineError as exc:
                refused.append((item, str(exc)))
        return history, refused

    def _settle_refused(self, refused: list[tuple[_Pending, str]]) -> None:
        gone = {id(item) for item, _ in refused}
        with self._cond:
            self._queue = deque(p for p in self._queue if id(p) not in gone)
            self._cond.notify_all()
        self._journal_done([item.edit.edit_id for item, _ in refused])
        text = ", ".join(f"{item.edit.record.name} ({why})" for item, why in refused)
        self.notes.append(text)
        self._emit(SaveEvent("dropped", self.revision, "another window changed this project first; not applied: "
                             + text, refused=tuple((i.edit.edit_id, i.edit.record.name, why) for i, why in refused)))

    # ---- saver thread -------------------------------------------------------------------------
    def _emit(self, event: SaveEvent) -> None:
        try:
            self._on_event(event)
        except Exception:  # noqa: BLE001 - a UI bug must not stop saving
            log.exception("save event handler failed")

    def _run(self) -> None:
        try:
            self._loop()
        except Exception as exc:  # noqa: BLE001 - a bug: reported, never a silent dead thread
            log.exception("the autosave thread failed")
            self._fail(f"saving stopped: {type(exc).__name__}: {exc}")

    def _loop(self) -> None:
        self._backoff = RETRY_MIN
        self._last_check = time.monotonic()
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._queue or self._closed or self._hinted > self.revision,
                                    STATE_IDLE if self._idle_work else POLL_IDLE)
                if self._closed and (not self._queue or self.state in ("offline", "error")):
                    break
                batch = list(self._queue)[:MAX_BATCH]
                hinted = self._hinted > self.revision
                self._busy = True
            try:
                if not self._step(batch, hinted):
                    return
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
        stopped = self._states.close(timeout=5.0)
        if stopped and self._state_stale and self.state not in ("offline", "error"):
            try:
                self._write_state_now()
            except Exception as exc:  # noqa: BLE001 - the rows are saved; readers replay them
                log.info("the state of revision %s was not written at close: %s", self.revision, exc)

    def _step(self, batch: list[_Pending], hinted: bool) -> bool:
        """One turn of the saver loop (saver thread): journal, then save or catch up. False: stop."""
        self._journal_retry()
        try:
            if self.journal is not None and self.journal_error is None:
                self.journal.sync()
        except JournalError as exc:
            self._journal_failed(str(exc))
        try:
            if batch:
                try:
                    self._save(batch)
                except ConflictError:
                    self._sync_with_database()
            elif hinted:
                self._sync_with_database()
            elif self._idle_work:
                self._post_state()
            elif time.monotonic() - self._last_check >= POLL_IDLE:
                self._last_check = time.monotonic()
                if hinted or self.projects.revision(self.project_id) > self.revision:
                    self._sync_with_database()
            self._backoff = RETRY_MIN
            if self.state == "offline":
                self.state = "saving" if self.pending else "saved"
                self._emit(SaveEvent("saved", self.revision, pending=self.pending))  # back online
        except DatabaseUnavailable as exc:
            self.state = "offline"
            self._emit(SaveEvent("offline", self.revision, str(exc), pending=self.pending))
            with self._cond:
                self._cond.wait_for(lambda: self._closed, self._backoff)
            self._backoff = min(self._backoff * 2, RETRY_MAX)
        except NotFound as exc:
            where = self.journal.path if self.journal is not None else "memory"
            self._fail(f"the project was deleted elsewhere; edits kept in {where}: {exc}")
            return False
        except CorruptStateError as exc:
            self._fail(str(exc))
            return False
        return True

    def _save(self, batch: list[_Pending]) -> None:
        history, refused = self._replay(self._base, batch)
        if refused:
            self._settle_refused(refused)
            self._adopt_event()
            return
        rows = [EditRow(p.edit.edit_id, p.edit.record.name, p.edit.record.params, p.edit.record.merge_key)
                for p in batch]
        # The rows now; the state with them only when a reader could not replay the rows (undo/redo) or must
        # find it (media), else behind them on the state writer's thread (every STATE_MAX_AGE in a burst).
        with_state = any(p.edit.record.name in STATE_EDITS for p in batch)
        state = timeline_to_json(history.present) if with_state else None
        revision = self.projects.save_edits(
            self.project_id, self.revision, rows, state, SCHEMA_VERSION,
            summary=summary_of(history.present) if with_state else None, checkpoint=False,
        )  # fmt: skip
        self._base = history
        with self._cond:
            self.revision = revision
            for _ in batch:
                self._queue.popleft()
            pending = len(self._queue)
            if self.state != "journal":
                self.state = "saved" if not pending else "saving"
            self._cond.notify_all()
        if with_state:
            self._state_rev = revision
            self._state_at = time.monotonic()
        elif time.monotonic() - self._state_at >= STATE_MAX_AGE:
            self._post_state()
        self._journal_done([p.edit.edit_id for p in batch])
        self._emit(SaveEvent("saved", revision, seq=batch[-1].seq, pending=pending))
        if self._publish is not None:
            self._publish(revision)

    @property
    def _state_stale(self) -> bool:
        """The database holds rows of edits saved after the newest state stored (a reader replays them)."""
        return max(self._state_rev, self._states.written) < self.revision

    @property
    def _idle_work(self) -> bool:
        """The state, or a checkpoint, to hand to the state writer once the edits pause (it is free)."""
        return ((self._state_stale or self.revision - self._checkpoint_at >= CHECKPOINT_EVERY)
                and self._states.idle)

    def _post_state(self) -> None:
        """Hand the saved revision's timeline to the state writer (saver thread; returns at once)."""
        checkpoint = self.revision - self._checkpoint_at >= CHECKPOINT_EVERY
        self._states.post(Snapshot(self.revision, self._base.present, checkpoint))
        if checkpoint:  # if this write fails, undo after a restart replays from an older checkpoint
            self._checkpoint_at = self.revision
        self._state_at = time.monotonic()

    def _write_state_now(self) -> None:
        """The whole state of the saved revision, written on this thread (saver thread, at close)."""
        checkpoint = self.revision - self._checkpoint_at >= CHECKPOINT_EVERY
        self.projects.write_state(self.project_id, self.revision, timeline_to_json(self._base.present),
                                  SCHEMA_VERSION, summary=summary_of(self._base.present), checkpoint=checkpoint)
        if checkpoint:
            self._checkpoint_at = self.revision
        self._state_rev = self.revision
        self._state_at = time.monotonic()

    def _sync_with_database(self) -> None:
        """Bring the base to the newest revision: others' rows replayed, ours recognised by their ids."""
        rows = self.projects.history(self.project_id, since=self.revision, limit=100_000)
        if not rows:
            with self._cond:
                self._hinted = 0
                waiting = [p for p in self._queue]
            # A conflict with nothing newer: an edit id already saved long ago (a journal copied twice)
            already = self.projects.saved_edit_ids(self.project_id, [p.edit.edit_id for p in waiting])
            if already:
                with self._cond:
                    self._queue = deque(p for p in self._queue if p.edit.edit_id not in already)
                    self._cond.notify_all()
                self._journal_done(sorted(already))
                self._adopt_event()
            return
        with self._cond:
            mine = {p.edit.edit_id: p for p in self._queue}
        history, foreign, exact = self._base, False, True
        saved_mine: list[_Pending] = []
        for row in rows:
            if row.edit_id is not None and row.edit_id in mine:
                saved_mine.append(mine[row.edit_id])
            elif row.edit_type not in NON_EDITS:
                foreign = True
                exact = exact and row.edit_type not in HISTORY_STEPS  # their undo stack is not ours
            try:
                history = history.step(record_of(row)) if row.edit_type not in NON_EDITS else history
            except TimelineError:
                exact = False
        revision = rows[-1].revision
        if not exact:
            project = self.projects.get(self.project_id)
            target = load_timeline(project)
            revision = project.revision
            if history.present != target:
                history = History(target)
        settled = {id(p) for p in saved_mine}
        with self._cond:
            self._queue = deque(p for p in self._queue if id(p) not in settled)
            if foreign:
                for p in self._queue:
                    p.stale_base = True
            self._base = history
            self.revision = revision
            self._hinted = 0  # whoever saved these may not have written the state yet: it is stale (revision)
            self._cond.notify_all()
        if saved_mine:
            self._journal_done([p.edit.edit_id for p in saved_mine])
        self._adopt_event()

    def _adopt_event(self) -> None:
        with self._cond:
            seq = self._seq
        view = self._view()
        with self._cond:
            pending = len(self._queue)
            if self.state not in ("journal", "error"):
                self.state = "saved" if not pending else "saving"
        self._emit(SaveEvent("adopt", self.revision, history=view, seq=seq, pending=pending))

    def _fail(self, message: str) -> None:
        self.state = "error"
        self._states.close(timeout=0)
        with self._cond:
            self._busy = False
            self._closed = True
            self._cond.notify_all()
        self._emit(SaveEvent("error", self.revision, message))


def restore_history(projects: ProjectRepository, project: Project, depth: int = 500) -> History:
    """The project's undo history as it was when it was last saved (at least the last ``depth`` edits).

    Replays the ``edit_history`` rows from the newest kept state at or before ``depth`` revisions ago; if that
    does not end at the saved state (rows from an older Cutline, say), the history starts afresh at the saved
    state. Blocking; any thread.
    """
    present = load_timeline(project)
    start = max(1, project.revision - depth)
    try:
        at, state = projects.checkpoint_before(project.id, start)
        base = timeline_from_dict(state)
        rows = projects.history(project.id, since=at, limit=project.revision - at + 1)
        records = [record_of(r) for r in rows if r.edit_type not in NON_EDITS and r.revision <= project.revision]
        history = History.replay(base, records)
    except (TimelineError, NotFound) as exc:
        log.info("history of project %s not restored: %s", project.id, exc)
        return History(present)
    return history if history.present == present else History(present)
