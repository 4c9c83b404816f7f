"""One open project being edited: its undo history, its one writer (the autosave), and other writers' edits.

The owner (the window's Qt thread, or ``cutline edit``'s main thread) calls :meth:`EditingSession.apply` /
:meth:`undo` / :meth:`redo`; each returns at once with the new timeline, and the edit record goes to the
:class:`AutoSaver`, which journals and saves it on its own thread. The owner's history and the saver's base
evolve by the same records, so they agree; when they cannot (another writer saved first, an edit that no longer
applies, another window's edits arriving), the saver sends one ``adopt`` event, and :meth:`receive` takes its
history and replays on it the edits the owner made since the saver built it: nothing newer is lost, undo
included. Not thread-safe: one owner thread, except the saver's own thread. No Qt.
"""

from __future__ import annotations

import logging
import queue
import time
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from editor.model.errors import TimelineError
from editor.model.history import History
from editor.model.registry import EditRecord
from editor.model.timeline import Timeline
from editor.store.autosave import AutoSaver, SaveEvent, restore_history
from editor.store.projects import Project, ProjectRepository
from editor.store.publisher import SavedPublisher

log = logging.getLogger(__name__)


class EditingSession:
    """Thread: the owner's thread for every method; ``on_save`` runs on the saver thread.

    With ``on_save`` the owner must hand each event back to :meth:`receive` on its own thread (the window does
    it through a queued signal); without it, events wait in an inbox that :meth:`pump` empties (called by
    ``apply``/``undo``/``redo``/``close``). ``bus`` publishes ``project_saved`` after each save (its own thread).
    """

    def __init__(
        self,
        projects: ProjectRepository,
        journal_dir: Path,
        project: Project,
        *,
        on_save: Callable[[SaveEvent], None] | None = None,
        history: History | None = None,
        bus: Any = None,
    ) -> None:
        self.projects = projects
        self.project_id = project.id
        self.name = project.name
        self._inbox: queue.SimpleQueue[SaveEvent] | None = None
        if on_save is None:
            self._inbox = queue.SimpleQueue()
            on_save = self._inbox.put
        self.publisher = SavedPublisher(bus, project.id) if bus is not None else None
        base = history if history is not None else restore_history(projects, project)
        self.saver = AutoSaver(projects, journal_dir, project.id, project.revision, base, on_save,
                               publish=self.publisher.saved if self.publisher is not None else None)
        self.history: History = self.saver.view
        self._sent: deque[tuple[int, EditRecord]] = deque()  # submitted edits the saver may not have adopted
        self.last_edit_id: str | None = None  # the id of the last edit submitted
        self.refused: list[tuple[str, str, str]] = []  # (edit id, name, why) of edits the saver could not apply

    @classmethod
    def open(cls, projects: ProjectRepository, journal_dir: Path, project_id: int, **kw: Any) -> EditingSession:
        """Load a project (blocking: call from a worker thread) with its undo history and any edits a writer
        that is gone journaled but never saved."""
        return cls(projects, journal_dir, projects.get(project_id), **kw)

    @property
    def timeline(self) -> Timeline:
        return self.history.present

    @property
    def revision(self) -> int:
        """The last revision this session knows to be saved."""
        return self.saver.revision

    @property
    def recovered(self) -> int:
        """How many edits of a writer that is gone this session took over (saving them now)."""
        return self.saver.recovered

    def apply(self, name: str, params: Mapping[str, Any] | None = None, merge_key: str | None = None) -> Timeline:
        """Apply an edit (EditError if it cannot be made, or its text cannot be saved; nothing changes then)
        and save it. An edit that changes nothing makes no undo step and saves nothing."""
        self.pump()
        history = self.history.apply(name, params, merge_key)
        if history.last_record is not None:
            self._commit(history)
        return self.history.present

    def undo(self) -> Timeline:
        self.pump()
        self._commit(self.history.undo())
        return self.history.present

    def redo(self) -> Timeline:
        self.pump()
        self._commit(self.history.redo())
        return self.history.present

    def _commit(self, history: History) -> None:
        assert history.last_record is not None
        self.history = history
        seq, self.last_edit_id = self.saver.submit(history.last_record)
        self._sent.append((seq, history.last_record))

    def receive(self, event: SaveEvent) -> bool:
        """Take a saver event on the owner thread; True if the timeline changed (an ``adopt``)."""
        if event.kind == "saved":
            while self._sent and self._sent[0][0] <= event.seq:
                self._sent.popleft()
            return False
        if event.kind == "dropped":
            self.refused.extend(event.refused)
        if event.kind != "adopt" or event.history is None:
            return False
        history = event.history
        while self._sent and self._sent[0][0] <= event.seq:
            self._sent.popleft()
        for _, record in self._sent:  # made after the saver built its view: replayed on it, as the saver will
            try:
                history = history.step(record)
            except TimelineError as exc:
                log.info("an edit made during a rebase no longer applies: %s", exc)
        changed = history.present != self.history.present
        self.history = history
        return changed

    def pump(self) -> bool:
        """Handle the events waiting in the inbox (sessions made without ``on_save``); True if the timeline
        changed. Owner thread."""
        changed = False
        while self._inbox is not None:
            try:
                event = self._inbox.get_nowait()
            except queue.Empty:
                break
            changed = self.receive(event) or changed
        return changed

    def hint(self, revision: int) -> None:
        """Another writer saved ``revision`` (from the event channel): the saver catches up. Any thread."""
        self.saver.hint(revision)

    def catch_up(self, revision: int, timeout: float = 10.0) -> bool:
        """Wait until the saver has caught up with ``revision``, then take its view; True if the timeline
        changed. Blocking (CLI, tests); sessions without ``on_save`` only."""
        if self.saver.revision >= revision or self._inbox is None:
            return self.pump()
        self.saver.hint(revision)
        deadline = time.monotonic() + timeout
        changed = False
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = self._inbox.get(timeout=left)
            except queue.Empty:
                break
            changed = self.receive(event) or changed
            if event.kind == "adopt" and event.revision >= revision:
                break
        return self.pump() or changed

    def close(self, timeout: float = 10.0) -> bool:
        """Save what is pending: True only when all of it reached PostgreSQL (otherwise it stays journaled,
        unless the journal could not be written: the saver said so)."""
        ok = self.saver.close(timeout)
        self.pump()
        if self.publisher is not None:
            self.publisher.close(timeout=min(1.0, timeout))
        return ok
