"""Projects and their edit history in PostgreSQL.

A save names the revision it started from (optimistic concurrency): the update succeeds only if the
row still has that revision, and the ``edit_history`` row is appended in the same transaction. A stale
save raises :class:`ConflictError` and writes nothing. Every edit may carry its writer's id (``edit_id``,
unique): a save whose reply was lost and that is tried again is recognised by its ids and never applied twice.
Blocking; any thread. No Qt.
"""

from __future__ import annotations

import builtins
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from editor.store.db import Database
from editor.store.errors import ConflictError, CorruptStateError, NotFound, StoreError

MAX_NAME = 500


@dataclass(frozen=True, slots=True)
class ProjectSummary:
    """A row of the project list (no timeline state: lists stay light)."""

    id: int
    name: str
    description: str
    revision: int
    summary: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Project:
    id: int
    name: str
    description: str
    timeline_state: dict[str, Any]
    schema_version: int
    revision: int
    summary: dict[str, Any]
    undo_state: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime
    state_revision: int = 0  # the revision ``timeline_state`` was saved at (``get`` brings it to ``revision``)


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    project_id: int
    revision: int
    edit_type: str
    params: dict[str, Any]
    merge_key: str | None
    created_at: dt.datetime
    edit_id: str | None = None


@dataclass(frozen=True, slots=True)
class EditRow:
    """One edit to append to ``edit_history``: its writer's id, its name, its parameters and drag key."""

    edit_id: str | None
    edit_type: str
    params: dict[str, Any]
    merge_key: str | None = None


@dataclass(frozen=True, slots=True)
class PageCursor:
    """Where the next page of the newest-first project list starts."""

    updated_at: dt.datetime
    id: int


_SUMMARY_COLUMNS = "id, name, description, revision, summary, created_at, updated_at"
_PROJECT_COLUMNS = (
    "id, name, description, timeline_state, schema_version, revision, summary, undo_state, created_at, updated_at,"
    " state_revision"
)


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise StoreError("a project name cannot be empty")
    if len(name) > MAX_NAME:
        raise StoreError(f"a project name can have at most {MAX_NAME} characters")
    if "\x00" in name:
        raise StoreError("a project name cannot contain a NUL character")
    return name


class ProjectRepository:
    """Projects and edit history. Thread: any; every method blocks on PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def create(
        self,
        name: str,
        timeline_state: dict[str, Any] | str,
        schema_version: int,
        *,
        description: str = "",
        summary: dict[str, Any] | None = None,
    ) -> Project:
        """Create a project at revision 1, with a history row ``create`` holding the first state."""
        _check_name(name)
        with self.db.connection() as conn:
            cur = conn.cursor(row_factory=class_row(Project))
            state_text = _json_text(timeline_state)
            project = cur.execute(
                f"INSERT INTO projects (name, description, timeline_state, schema_version, summary)"
                f" VALUES (%s, %s, %s::jsonb, %s, %s) RETURNING {_PROJECT_COLUMNS}",
                (name, description, state_text, schema_version, Jsonb(summary or {})),
            ).fetchone()
            assert project is not None
            conn.execute(
                "INSERT INTO edit_history (project_id, revision, edit_type, params, state)"
                " VALUES (%s, 1, 'create', '{}'::jsonb, %s::jsonb)",
                (project.id, state_text),
            )
            return project

    def get(self, project_id: int) -> Project:
        """The project with its state at its revision (edits saved after the stored state are replayed)."""
        with self.db.connection() as conn:
            cur = conn.cursor(row_factory=class_row(Project))
            project = cur.execute(
                f"SELECT {_PROJECT_COLUMNS} FROM projects WHERE id = %s", (project_id,)
            ).fetchone()
            if project is None:
                raise NotFound(f"there is no project {project_id}")
            if 0 < project.state_revision < project.revision:
                rows = conn.execute(
                    "SELECT edit_type, params FROM edit_history WHERE project_id = %s AND revision > %s"
                    " AND revision <= %s ORDER BY revision",
                    (project_id, project.state_revision, project.revision),
                ).fetchall()
                project = _caught_up(project, [(str(r[0]), dict(r[1])) for r in rows])
        return project

    def find(self, name_or_id: str) -> Project:
        """A project by id (digits) or by exact name; the newest wins when names repeat."""
        if name_or_id.isdigit():
            return self.get(int(name_or_id))
        with self.db.connection() as conn:
            row = conn.execute(
                "SELECT id FROM projects WHERE name = %s ORDER BY updated_at DESC, id DESC LIMIT 1",
                (name_or_id,),
            ).fetchone()
        if row is None:
            raise NotFound(f"there is no project named {name_or_id!r}")
        return self.get(int(row[0]))

    def list(self, limit: int = 50, after: PageCursor | None = None) -> builtins.list[ProjectSummary]:
        """Newest first; pass the last row's cursor (:func:`cursor_of`) for the next page."""
        limit = max(1, min(int(limit), 1000))
        with self.db.connection() as conn:
            cur = conn.cursor(row_factory=class_row(ProjectSummary))
            if after is None:
                return cur.execute(
                    f"SELECT {_SUMMARY_COLUMNS} FROM projects ORDER BY updated_at DESC, id DESC LIMIT %s",
                    (limit,),
                ).fetchall()
            return cur.execute(
                f"SELECT {_SUMMARY_COLUMNS} FROM projects WHERE (updated_at, id) < (%s, %s)"
                " ORDER BY updated_at DESC, id DESC LIMIT %s",
                (after.updated_at, after.id, limit),
            ).fetchall()

    def with_media(self, path: str, limit: int = 5) -> builtins.list[ProjectSummary]:
        """Projects whose timeline holds the media file at ``path`` (exact path), most recently changed first:
        a file opened again offers the project it is already in."""
        limit = max(1, min(int(limit), 100))
        with self.db.connection() as conn:
            cur = conn.cursor(row_factory=class_row(ProjectSummary))
            return cur.execute(
                f"SELECT {_SUMMARY_COLUMNS} FROM projects"
                " WHERE timeline_state -> 'media' @> jsonb_build_array(jsonb_build_object('path', %s::text))"
                " ORDER BY updated_at DESC, id DESC LIMIT %s",
                (path, limit),
            ).fetchall()

    def count(self) -> int:
        with self.db.connection() as conn:
            row = conn.execute("SELECT count(*) FROM projects").fetchone()
            return int(row[0]) if row else 0

    def rename(self, project_id: int, name: str) -> ProjectSummary:
        _check_name(name)
        with self.db.connection() as conn:
            cur = conn.cursor(row_factory=class_row(ProjectSummary))
            row = cur.execute(
                f"UPDATE projects SET name = %s WHERE id = %s RETURNING {_SUMMARY_COLUMNS}", (name, project_id)
            ).fetchone()
        if row is None:
            raise NotFound(f"there is no project {project_id}")
        return row

    def delete(self, project_id: int) -> None:
        with self.db.connection() as conn:
            deleted = conn.execute("DELETE FROM projects WHERE id = %s", (project_id,)).rowcount
        if not deleted:
            raise NotFound(f"there is no project {project_id}")

    def duplicate(self, project_id: int, name: str) -> Project:
        """A copy of the project's current state (its history starts anew)."""
        source = self.get(project_id)
        return self.create(
            name, source.timeline_state, source.schema_version, description=source.description, summary=source.summary
        )

    def save(
        self,
        project_id: int,
        base_revision: int,
        timeline_state: dict[str, Any] | str,
        schema_version: int,
        edit_type: str,
        params: dict[str, Any] | None = None,
        *,
        summary: dict[str, Any] | None = None,
        undo_state: dict[str, Any] | None = None,
        merge_key: str | None = None,
        edit_id: str | None = None,
    ) -> int:
        """Save a new state made from ``base_revision`` by one edit; return the new revision.

        Appends the ``edit_history`` row (edit type, params and the resulting state) in the same
        transaction. Raises :class:`ConflictError` if the project moved on since ``base_revision``.
        """
        return self.save_edits(
            project_id, base_revision, [EditRow(edit_id, edit_type, params or {}, merge_key)],
            timeline_state, schema_version, summary=summary, undo_state=undo_state,
        )

    def save_edits(
        self,
        project_id: int,
        base_revision: int,
        edits: builtins.list[EditRow],
        timeline_state: dict[str, Any] | str | None,
        schema_version: int,
        *,
        summary: dict[str, Any] | None = None,
        undo_state: dict[str, Any] | None = None,
        checkpoint: bool = True,
    ) -> int:
        """Save the state ``edits`` made, in order, from ``base_revision``; return the new revision.

        One transaction: the project row moves on by ``len(edits)`` revisions and each edit gets its own
        ``edit_history`` row (revision ``base + 1`` …); the resulting state is kept on the last row when
        ``checkpoint`` (restoring undo after a restart replays rows from the nearest such row). With
        ``timeline_state=None`` only the rows are written (fast); :meth:`write_state` stores the state later and
        :meth:`get` replays the rows in between (the edits must not be undo/redo then). Raises
        :class:`ConflictError` (writing nothing) if the project moved on since ``base_revision`` or one of the
        edit ids is already saved (a retry of a save whose reply was lost).
        """
        if not edits:
            raise ValueError("save_edits needs at least one edit")
        state_text = _json_text(timeline_state) if timeline_state is not None else None  # serialized once
        try:
            with self.db.connection() as conn:
                if state_text is None:  # the edits' rows now, the state later (write_state)
                    row = conn.execute(
                        "UPDATE projects SET revision = revision + %s WHERE id = %s AND revision = %s"
                        " RETURNING revision",
                        (len(edits), project_id, base_revision),
                    ).fetchone()
                else:
                    row = conn.execute(
                        "UPDATE projects SET timeline_state = %s::jsonb, schema_version = %s,"
                        " revision = revision + %s, state_revision = revision + %s, summary = coalesce(%s, summary),"
                        " undo_state = coalesce(%s, undo_state)"
                        " WHERE id = %s AND revision = %s RETURNING revision",
                        (
                            state_text,
                            schema_version,
                            len(edits),
                            len(edits),
                            Jsonb(summary) if summary is not None else None,
                            Jsonb(undo_state) if undo_state is not None else None,
                            project_id,
                            base_revision,
                        ),
                    ).fetchone()
                if row is None:
                    raise self._conflict(conn, project_id, base_revision)
                revision = int(row[0])
                last = len(edits) - 1
                with conn.cursor() as cur:
                    cur.executemany(
                        "INSERT INTO edit_history (project_id, revision, edit_type, params, merge_key, state, edit_id)"
                        " VALUES (%s, %s, %s, %s, %s, %s::jsonb, %s)",
                        [
                            (project_id, base_revision + 1 + n, e.edit_type, Jsonb(e.params), e.merge_key,
                             state_text if n == last and checkpoint else None, e.edit_id)
                            for n, e in enumerate(edits)
                        ],
                    )
                return revision
        except psycopg.errors.UniqueViolation:
            raise ConflictError(project_id, base_revision, self.revision(project_id)) from None

    def write_state(
        self, project_id: int, revision: int, timeline_state: dict[str, Any] | str, schema_version: int, *,
        summary: dict[str, Any] | None = None, checkpoint: bool = False,
    ) -> bool:
        """Store the state of ``revision`` (saved by :meth:`save_edits` without it), also on its history row
        when ``checkpoint``; False (nothing written to the project row) if the row already holds that state or a
        newer one. The project may have moved on since ``revision`` by rows saved without their state (never an
        undo/redo: those are saved with it): :meth:`get` replays them on this state.

        The checkpoint is its own transaction, first, so the project row is locked only for the state's own
        update, never for the history row's megabytes."""
        text = _json_text(timeline_state)
        if checkpoint:
            with self.db.connection() as conn:
                conn.execute("UPDATE edit_history SET state = %s::jsonb WHERE project_id = %s AND revision = %s"
                             " AND state IS NULL", (text, project_id, revision))
        with self.db.connection() as conn:
            cur = conn.execute(
                "UPDATE projects SET timeline_state = %s::jsonb, schema_version = %s, state_revision = %s,"
                " summary = coalesce(%s, summary) WHERE id = %s AND revision >= %s AND state_revision < %s",
                (text, schema_version, revision, Jsonb(summary) if summary is not None else None,
                 project_id, revision, revision),
            )
            return cur.rowcount > 0

    def last_checkpoint(self, project_id: int) -> int:
        """The newest revision whose history row keeps the whole state (0 if none)."""
        with self.db.connection() as conn:
            row = conn.execute("SELECT coalesce(max(revision), 0) FROM edit_history WHERE project_id = %s"
                               " AND state IS NOT NULL", (project_id,)).fetchone()
        return int(row[0]) if row else 0

    @staticmethod
    def _conflict(conn: psycopg.Connection[Any], project_id: int, base_revision: int) -> Exception:
        current = conn.execute("SELECT revision FROM projects WHERE id = %s", (project_id,)).fetchone()
        if current is None:
            return NotFound(f"there is no project {project_id}")
        return ConflictError(project_id, base_revision, int(current[0]))

    def revision(self, project_id: int) -> int:
        with self.db.connection() as conn:
            row = conn.execute("SELECT revision FROM projects WHERE id = %s", (project_id,)).fetchone()
        if row is None:
            raise NotFound(f"there is no project {project_id}")
        return int(row[0])

    def history(self, project_id: int, *, since: int = 0, limit: int = 1000) -> builtins.list[HistoryEntry]:
        """Edit history rows after revision ``since``, oldest first."""
        with self.db.connection() as conn:
            cur = conn.cursor(row_factory=class_row(HistoryEntry))
            return cur.execute(
                "SELECT project_id, revision, edit_type, params, merge_key, created_at, edit_id::text AS edit_id"
                " FROM edit_history"
                " WHERE project_id = %s AND revision > %s ORDER BY revision LIMIT %s",
                (project_id, since, limit),
            ).fetchall()

    def state_at(self, project_id: int, revision: int) -> dict[str, Any]:
        """The timeline state saved with ``revision`` (for undo after a restart)."""
        with self.db.connection() as conn:
            row = conn.execute(
                "SELECT state FROM edit_history WHERE project_id = %s AND revision = %s", (project_id, revision)
            ).fetchone()
        if row is None or row[0] is None:
            raise NotFound(f"project {project_id} has no saved state for revision {revision}")
        return dict(row[0])

    def checkpoint_before(self, project_id: int, revision: int) -> tuple[int, dict[str, Any]]:
        """The newest ``(revision, state)`` kept on a history row at or before ``revision``."""
        with self.db.connection() as conn:
            row = conn.execute(
                "SELECT revision, state FROM edit_history WHERE project_id = %s AND revision <= %s"
                " AND state IS NOT NULL ORDER BY revision DESC LIMIT 1",
                (project_id, revision),
            ).fetchone()
        if row is None:
            raise NotFound(f"project {project_id} has no saved state at or before revision {revision}")
        return int(row[0]), dict(row[1])

    def saved_edit_ids(self, project_id: int, edit_ids: builtins.list[str]) -> set[str]:
        """Which of ``edit_ids`` are already in the project's history."""
        if not edit_ids:
            return set()
        with self.db.connection() as conn:
            rows = conn.execute(
                "SELECT edit_id::text FROM edit_history WHERE project_id = %s AND edit_id = ANY(%s::uuid[])",
                (project_id, edit_ids),
            ).fetchall()
        return {str(r[0]) for r in rows}


def _caught_up(project: Project, rows: builtins.list[tuple[str, dict[str, Any]]]) -> Project:
    """``project`` with its stored state brought to its revision by replaying ``rows`` (plain edits)."""
    import dataclasses

    from editor.model.errors import TimelineError
    from editor.model.registry import apply_edit
    from editor.model.serialize import timeline_from_dict, timeline_to_dict

    try:
        timeline = timeline_from_dict(project.timeline_state)
        for edit_type, params in rows:
            if edit_type != "create":
                params.pop("_merge_key", None)
                timeline = apply_edit(timeline, edit_type, params)
    except TimelineError as exc:
        raise CorruptStateError(f"project {project.name!r} cannot be brought to revision {project.revision}: {exc}"
                                ) from None
    return dataclasses.replace(project, timeline_state=timeline_to_dict(timeline), state_revision=project.revision)


def _json_text(state: dict[str, Any] | str) -> str:
    """JSON text for a JSONB column: ``state`` as given if it is already text, else serialized once."""
    return state if isinstance(state, str) else json.dumps(state, ensure_ascii=False, separators=(",", ":"))


def cursor_of(row: ProjectSummary) -> PageCursor:
    return PageCursor(row.updated_at, row.id)
