"""One open project being edited: its undo history, its autosave, and the edits other windows make.

The window calls :meth:`EditingSession.apply` / :meth:`undo` / :meth:`redo` on its main thread; each
returns at once with the new timeline, and the edit is journaled and saved in the background by an
:class:`AutoSaver`. When another window saves the same project, :meth:`catch_up` applies its rows (if this
window has nothing pending) so both show the same timeline; with edits pending, the saver rebases them
on the newer revision. Not thread-safe: one owner thread (the UI's), except the saver's own thread. No Qt.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from editor.model.errors import TimelineError
from editor.model.history import History
from editor.model.registry import EditRecord
from editor.model.timeline import Timeline
from editor.store.autosave import NON_EDITS, AutoSaver, SaveEvent, load_timeline, restore_history
from editor.store.projects import HistoryEntry, Project, ProjectRepository

log = logging.getLogger(__name__)


class EditingSession:
    """Thread: the owner's (UI) thread for every method; ``on_save`` runs on the saver thread."""

    def __init__(
        self,
        projects: ProjectRepository,
        journal_dir: Path,
        project: Project,
        *,
        on_save: Callable[[SaveEvent], None] = lambda e: None,
        history: History | None = None,
    ) -> None:
        self.projects = projects
        self.project_id = project.id
        self.name = project.name
        self.history = history if history is not None else restore_history(projects, project)
        self.saver = AutoSaver(projects, journal_dir, project.id, project.revision, self.history.present, on_save)
        if self.saver.recovered is not None:  # edits a previous run journaled but never saved
            self.history = History(self.saver.recovered)

    @classmethod
    def open(cls, projects: ProjectRepository, journal_dir: Path, project_id: int, **kw: Any) -> EditingSession:
        """Load a project (blocking: call from a worker thread) with its undo history."""
        return cls(projects, journal_dir, projects.get(project_id), **kw)

    @property
    def timeline(self) -> Timeline:
        return self.history.present

    @property
    def revision(self) -> int:
        """The last revision this window knows to be saved."""
        return self.saver.revision

    def apply(self, name: str, params: Mapping[str, Any] | None = None, merge_key: str | None = None) -> Timeline:
        """Apply an edit (EditError if it cannot be made; nothing changes then) and save it."""
        history = self.history.apply(name, params, merge_key)
        self._commit(history)
        return history.present

    def undo(self) -> Timeline:
        self._commit(self.history.undo())
        return self.history.present

    def redo(self) -> Timeline:
        self._commit(self.history.redo())
        return self.history.present

    def _commit(self, history: History) -> None:
        changed = history.present != self.history.present or history.last_record is not None
        self.history = history
        if history.last_record is not None and changed:  # an edit that changed nothing saves nothing
            self.saver.submit(history.last_record, history.present)

    def adopt(self, timeline: Timeline) -> None:
        """Take the timeline the saver rebased onto another window's revision (keeps undo for the rest)."""
        if timeline != self.history.present:
            self.history = History(timeline)

    def fetch_remote(self, revision: int) -> tuple[Project, list[HistoryEntry]] | None:
        """Another window saved ``revision``: read what it did, or None if there is nothing to take.

        Blocking (reads PostgreSQL): a worker thread may call it; pass the result to :meth:`merge_remote`
        on the owner thread. Nothing is taken while this window has edits waiting (the saver rebases them).
        """
        known = self.saver.revision
        if revision <= known or self.saver.pending:
            return None
        return self.projects.get(self.project_id), self.projects.history(self.project_id, since=known)

    def merge_remote(self, fetched: tuple[Project, list[HistoryEntry]]) -> bool:
        """Apply another window's rows on the owner thread; True if the timeline changed."""
        project, rows = fetched
        if project.revision <= self.saver.revision or self.saver.pending:
            return False  # this window saved meanwhile: its saver has handled the order
        history = self.history
        try:
            for row in rows:
                if row.edit_type not in NON_EDITS:
                    history = history.step(EditRecord(row.edit_type, row.params, row.merge_key))
        except TimelineError as exc:
            log.info("replaying another window's edits failed (%s); taking its saved state", exc)
        target = load_timeline(project)
        if history.present != target:
            history = History(target)
        changed = history.present != self.history.present
        self.history = history
        self.saver.revision = project.revision
        return changed

    def catch_up(self, revision: int) -> bool:
        """:meth:`fetch_remote` then :meth:`merge_remote`, on one thread (CLI, tests)."""
        fetched = self.fetch_remote(revision)
        return self.merge_remote(fetched) if fetched is not None else False

    def close(self, timeout: float = 10.0) -> bool:
        """Save what is pending (True when all of it reached PostgreSQL; otherwise it stays journaled)."""
        return self.saver.close(timeout)
