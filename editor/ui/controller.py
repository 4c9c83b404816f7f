"""Turns the window's commands into model edits on the open project, and tells the views what changed.

The editor's state lives here as plain data: the :class:`EditingSession` (timeline + undo history +
autosave), the playhead and the selected clip. Views listen to the signals; they never edit anything
themselves. Blocking work (opening, importing) goes through :class:`Tasks`; saving, publishing and catching up
with other windows happen on the session's saver thread, whose events come back through a queued signal.
The newest open or new-project request wins: an older one that finishes later is closed unseen. Qt main thread
only, except :meth:`EditorController.on_bus_event` / :meth:`on_bus_reconnect` (the bus listener's thread).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from editor.model.errors import TimelineError, UserError
from editor.model.navigate import (
    duration,
    next_edit_point,
    next_marker,
    previous_edit_point,
    previous_marker,
    rate_for_import,
    timeline_from_media,
)
from editor.model.serialize import SCHEMA_VERSION, timeline_to_json
from editor.model.time import nominal_fps
from editor.model.timeline import Timeline
from editor.store.autosave import SaveEvent, summary_of
from editor.store.bus import Event
from editor.store.editing import EditingSession
from editor.ui.context import AppContext

log = logging.getLogger(__name__)


class EditorController(QObject):
    timeline_changed = Signal(object)  # Timeline | None
    playhead_changed = Signal(int)
    selection_changed = Signal(int, int)
    project_changed = Signal(object)  # (id, name) or None
    save_state_changed = Signal(str, str)  # state: saved|saving|offline|error, detail
    message = Signal(str)  # one line for the status bar
    busy = Signal(str)  # "" when idle
    history_changed = Signal(object, object)  # undo label or None, redo label or None
    _save_event = Signal(object)

    def __init__(self, ctx: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.session: EditingSession | None = None
        self._playhead = 0
        self._selection = (-1, -1)
        self._save_state = "saved"
        self._open_generation = 0  # the newest open/new-project request; older results are dropped
        self._session_generation = 0  # the request the open session came from (its saver's events carry it)
        self._save_event.connect(self._on_save_event)

    # ---- state ---------------------------------------------------------------------------------
    @property
    def timeline(self) -> Timeline | None:
        return self.session.timeline if self.session else None

    @property
    def playhead(self) -> int:
        return self._playhead

    @property
    def selection(self) -> tuple[int, int]:
        return self._selection

    @property
    def save_state(self) -> str:
        return self._save_state

    # ---- projects ------------------------------------------------------------------------------
    def open_project(self, project_id: int, on_opened: Callable[[], None] | None = None) -> None:
        """Open a project (its history and any journaled edits) in the background."""
        self.busy.emit("Opening project…")
        generation = self._next_generation()

        def load() -> EditingSession:
            return EditingSession.open(self.ctx.store.projects, self.ctx.journal_dir, project_id,
                                       on_save=lambda e: self._save_event.emit((generation, e)), bus=self.ctx.bus)

        def done(session: EditingSession) -> None:
            if not self._still_wanted(generation, session):
                return
            self._set_session(session, generation)
            if on_opened:
                on_opened()

        self.ctx.tasks.run(load, on_done=done, on_error=lambda exc: self._fail_open(generation, exc))

    @property
    def open_requested(self) -> bool:
        """True once an open or new project was asked for (the session's recent project then waits)."""
        return self._open_generation > 0

    def _next_generation(self) -> int:
        self._open_generation += 1
        return self._open_generation

    def _still_wanted(self, generation: int, session: EditingSession) -> bool:
        """False (and the session closed in the background) when a newer open was asked for meanwhile."""
        if generation == self._open_generation:
            return True
        log.info("dropped a stale open of project %s", session.project_id)
        self.ctx.tasks.run(session.close)
        return False

    def _fail_open(self, generation: int, exc: BaseException) -> None:
        if generation == self._open_generation:
            self._fail(exc)

    def new_project(self, name: str, files: list[str] | None = None,
                    on_opened: Callable[[], None] | None = None) -> None:
        """Create a project holding ``files`` one after another, and open it."""
        self.busy.emit("Creating project…")
        store = self.ctx.store
        generation = self._next_generation()

        def create() -> EditingSession:
            from editor.jobs.importing import import_files

            result = import_files(files or [], store.cache, store.media)
            timeline = timeline_from_media(result.refs, name=name)
            project = store.projects.create(name, timeline_to_json(timeline), SCHEMA_VERSION,
                                            summary=summary_of(timeline))
            session = EditingSession(store.projects, self.ctx.journal_dir, project, bus=self.ctx.bus,
                                     on_save=lambda e: self._save_event.emit((generation, e)))
            session.import_failures = result.failures  # type: ignore[attr-defined]
            return session

        def done(session: EditingSession) -> None:
            if not self._still_wanted(generation, session):
                return
            self._set_session(session, generation)
            failures = getattr(session, "import_failures", [])
            if failures:
                self.message.emit(_failure_text(failures))
            if on_opened:
                on_opened()

        self.ctx.tasks.run(create, on_done=done, on_error=lambda exc: self._fail_open(generation, exc))

    def _set_session(self, session: EditingSession, generation: int) -> None:
        old = self.session
        if old is not None:
            self.ctx.tasks.run(old.close)
        self.session = session
        self._session_generation = generation
        self._selection = (-1, -1)
        self._playhead = min(self._playhead, duration(session.timeline)) if old is None else 0
        self.busy.emit("")
        self.project_changed.emit((session.project_id, session.name))
        self.timeline_changed.emit(session.timeline)
        self.playhead_changed.emit(self._playhead)
        self._show_history()
        if session.saver.journal_error is not None:
            self._set_save_state("journal", session.saver.journal_error)
        else:
            self._set_save_state("saved" if not session.saver.pending else "saving", "")
        if session.recovered:
            self.message.emit(f"Recovered {session.recovered} edit(s) that had not reached the database;"
                              " saving them now")
        for note in session.saver.notes:
            self.message.emit(f"Not recovered: {note}")
        if self.ctx.session_id:
            sid, pid = self.ctx.session_id, session.project_id
            self.ctx.tasks.run(self.ctx.store.sessions.add_recent_project, sid, pid)

    def close(self, timeout: float = 10.0) -> bool:
        """Save what is pending; True if all of it reached PostgreSQL (otherwise it stays journaled)."""
        if self.session is None:
            return True
        ok = self.session.close(timeout)
        self.session = None
        return ok

    # ---- edits ---------------------------------------------------------------------------------
    def edit(self, name: str, /, merge_key: str | None = None, **params: Any) -> bool:
        """Apply a model edit by name; a refused edit becomes a status-bar message. True if applied.
        (``name`` is positional only: an edit may have a parameter called ``name``.)"""
        return self.edit_with(name, params, merge_key)

    def edit_with(self, name: str, params: dict[str, Any], merge_key: str | None = None) -> bool:
        """:meth:`edit` with the parameters as a dict (an edit may have a parameter called ``name``)."""
        if self.session is None:
            self.message.emit("Open or create a project first (Ctrl+O, Ctrl+N)")
            return False
        before = self.session.history
        try:
            timeline = self.session.apply(name, params, merge_key)
        except TimelineError as exc:
            self.message.emit(str(exc))
            return False
        if self.session.history is not before:  # an edit that changed nothing saves nothing
            self._after_edit(timeline)
        return True

    def undo(self) -> None:
        self._history_step("undo")

    def redo(self) -> None:
        self._history_step("redo")

    def _history_step(self, which: str) -> None:
        if self.session is None:
            return
        try:
            timeline = self.session.undo() if which == "undo" else self.session.redo()
        except TimelineError as exc:
            self.message.emit(str(exc).capitalize())
            return
        self._after_edit(timeline)

    def _after_edit(self, timeline: Timeline) -> None:
        if self._save_state not in ("journal", "offline", "error"):  # an outage is said until it ends
            self._set_save_state("saving", "")
        self.timeline_changed.emit(timeline)
        self._show_history()
        end = duration(timeline)
        if self._playhead > end:
            self.set_playhead(end)

    def import_files(self, paths: list[str], at_frame: int | None = None) -> None:
        """Probe files in the background, then insert each at ``at_frame`` (dropped on the timeline) or
        append it (one undo step per file)."""
        if self.session is None:
            stem = Path(paths[0]).stem if paths else "Untitled"
            self.new_project(stem, paths)
            return
        self.busy.emit(f"Importing {len(paths)} file(s)…")
        store = self.ctx.store

        def probe_all() -> Any:
            from editor.jobs.importing import import_files

            return import_files(paths, store.cache, store.media)

        def done(result: Any) -> None:
            self.busy.emit("")
            frame = at_frame
            tl = self.timeline
            rate = rate_for_import(tl, result.refs) if tl is not None else None
            if rate is not None:  # a project made with Ctrl+N runs at the rate of its first video
                self.edit("set_rate", rate=rate)
            for ref in result.refs:
                tl = self.timeline
                if frame is not None and tl is not None and frame < duration(tl):
                    before = duration(tl)
                    if self.edit("insert_media", media=ref, frame=frame) and self.timeline is not None:
                        frame += duration(self.timeline) - before  # the next file goes after this one
                else:
                    self.edit("append_media", media=ref)
            if result.failures:
                self.message.emit(_failure_text(result.failures))
            elif result.refs:
                self.message.emit(f"Imported {len(result.refs)} file(s)")

        self.ctx.tasks.run(probe_all, on_done=done, on_error=self._fail)

    # ---- keyboard commands on the playhead ------------------------------------------------------
    def _track(self) -> int | None:
        return self._selection[0] if self._selection[0] >= 0 else None

    def split(self) -> None:
        self.edit("split_at_playhead", frame=self._playhead, track=self._track())

    def split_all(self) -> None:
        self.edit("split_all_at_playhead", frame=self._playhead)

    def trim_start(self) -> None:
        self.edit("trim_start_to_playhead", frame=self._playhead, track=self._track())

    def trim_end(self) -> None:
        self.edit("trim_end_to_playhead", frame=self._playhead, track=self._track())

    def ripple_delete(self) -> None:
        """The in/out range when one is set (then cleared), else the clip under the playhead."""
        tl = self.timeline
        if tl is not None and tl.in_point is not None and tl.out_point is not None:
            start, end = tl.in_point, tl.out_point
            key = f"ripple:{uuid.uuid4().hex}"  # one key: one undo step, "Undo Ripple delete"
            if self.edit("ripple_delete_range", key, start=start, end=end):
                self.edit("clear_in_out", key)
                self.set_playhead(start)
            return
        self.edit("ripple_delete_at_playhead", frame=self._playhead, track=self._track())

    def lift(self) -> None:
        self.edit("lift_at_playhead", frame=self._playhead, track=self._track())

    def add_marker(self) -> None:
        tl = self.timeline
        label = f"Marker {len(tl.markers) + 1}" if tl is not None else ""
        self.edit("add_marker", frame=self._playhead, label=label)

    def set_in(self) -> None:
        self.edit("set_in", frame=self._playhead)

    def set_out(self) -> None:
        """The out point includes the frame under the playhead (the model's out is exclusive)."""
        self.edit("set_out", frame=self._playhead + 1)

    def clear_in(self) -> None:
        tl = self.timeline
        if tl is not None and tl.in_point is not None:
            self.edit("set_in_out", in_point=None, out_point=tl.out_point)

    def clear_out(self) -> None:
        tl = self.timeline
        if tl is not None and tl.out_point is not None:
            self.edit("set_in_out", in_point=tl.in_point, out_point=None)

    def move_clip(self, track_index: int, clip_id: int, new_track: int, new_start: int) -> None:
        self.edit("move_clip", clip_id=clip_id, track=new_track, frame=new_start)

    # ---- playhead ------------------------------------------------------------------------------
    def set_playhead(self, frame: int) -> None:
        tl = self.timeline
        end = duration(tl) if tl is not None else 0
        frame = max(0, min(int(frame), end))
        if frame != self._playhead:
            self._playhead = frame
        self.playhead_changed.emit(frame)

    def step(self, frames: int) -> None:
        self.set_playhead(self._playhead + frames)

    def step_seconds(self, seconds: int) -> None:
        tl = self.timeline
        if tl is not None:
            self.set_playhead(self._playhead + seconds * nominal_fps(tl.rate))

    def go_start(self) -> None:
        self.set_playhead(0)

    def go_end(self) -> None:
        tl = self.timeline
        self.set_playhead(duration(tl) if tl is not None else 0)

    def prev_edit(self) -> None:
        self._jump(previous_edit_point)

    def next_edit(self) -> None:
        self._jump(next_edit_point)

    def prev_marker(self) -> None:
        self._jump(lambda tl, f: (m.frame if (m := previous_marker(tl, f)) else None))

    def next_marker(self) -> None:
        self._jump(lambda tl, f: (m.frame if (m := next_marker(tl, f)) else None))

    def _jump(self, find: Callable[[Timeline, int], int | None]) -> None:
        tl = self.timeline
        if tl is None:
            return
        target = find(tl, self._playhead)
        if target is not None:
            self.set_playhead(target)

    def select(self, track_index: int, clip_id: int) -> None:
        self._selection = (track_index, clip_id)
        self.selection_changed.emit(track_index, clip_id)

    # ---- saving and other windows --------------------------------------------------------------
    def _set_save_state(self, state: str, detail: str) -> None:
        self._save_state = state
        self.save_state_changed.emit(state, detail)

    def _show_history(self) -> None:
        history = self.session.history if self.session is not None else None
        self.history_changed.emit(history.undo_label if history else None, history.redo_label if history else None)

    @Slot(object)
    def _on_save_event(self, tagged: tuple[int, SaveEvent]) -> None:
        generation, event = tagged
        session = self.session
        if session is None or generation != self._session_generation:
            return  # from a session closed since (a stale open, the previous project)
        if event.kind == "saved":
            session.receive(event)
            if session.saver.journal_error is None:
                self._set_save_state("saved" if event.pending == 0 else "saving", "")
        elif event.kind == "adopt":
            if session.receive(event):
                self.timeline_changed.emit(session.timeline)
                self.message.emit("Updated with edits from another window")
            self._show_history()
        elif event.kind == "journal":
            if event.message:
                self._set_save_state("journal", event.message)
                self.message.emit(f"Edits are kept in memory only: {event.message}")
            else:
                self._set_save_state("saved" if not session.saver.pending else "saving", "")
                self.message.emit("The journal can be written again")
        elif event.kind == "offline":
            waiting = session.saver.pending
            self._set_save_state("offline", f"{waiting} edit(s) kept on disk until the database is back")
            self.message.emit(f"Database unreachable: {event.message}. Edits are kept and saved when it returns.")
        elif event.kind == "dropped":
            self.message.emit(event.message)
        elif event.kind == "error":
            self._set_save_state("error", event.message)
            self.message.emit(event.message)

    def on_bus_event(self, event: Event) -> None:
        """The bus listener's thread: another window saved this project, so the saver catches up (on its own
        thread: nothing here waits, parses or touches Qt). Other events are the jobs board's."""
        session = self.session
        if (event.type != "project_saved" or session is None or event.source == self.ctx.instance_id
                or event.get("projectId") != session.project_id):
            return
        try:
            session.hint(int(event.get("revision") or 0))
        except (TypeError, ValueError):
            log.warning("dropped a project_saved event with a bad revision: %r", event.get("revision"))

    def on_bus_reconnect(self) -> None:
        """The bus listener's thread: events may have been missed while it was away; the saver checks."""
        session = self.session
        if session is not None:
            session.hint(0)

    def _fail(self, exc: BaseException) -> None:
        self.busy.emit("")
        if isinstance(exc, UserError):
            self.message.emit(str(exc))
        else:
            log.error("unexpected error", exc_info=exc)
            self.message.emit(f"Something went wrong: {type(exc).__name__}: {exc}")


def _failure_text(failures: list[tuple[str, str]]) -> str:
    first = failures[0][1]
    more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
    return f"Not imported: {first}{more}"
