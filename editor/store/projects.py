"""Projects and their edit history in PostgreSQL.

A save names the revision it started from (optimistic concurrency): the update succeeds only if the
row still has that revision, and the ``edit_history`` row is appended in the same transaction. A stale
save raises :class:`ConflictError` and writes nothing. Blocking; any thread. No Qt.
"""

from __future__ import annotations

import builtins
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from editor.store.db import Database
from editor.store.errors import ConflictError, NotFound, StoreError

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


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    project_id: int
    revision: int
    edit_type: str
    params: dict[str, Any]
    merge_key: str | None
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class PageCursor:
    """Where the next page of the newest-first project list starts."""

    updated_at: dt.datetime
    id: int


_SUMMARY_COLUMNS = "id, name, description, revision, summary, created_at, updated_at"
_PROJECT_COLUMNS = (
    "id, name, description, timeline_state, schema_version, revision, summary, undo_state, created_at, updated_at"
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
        with self.db.connection() as conn:
            cur = conn.cursor(row_factory=class_row(Project))
            project = cur.execute(
                f"SELECT {_PROJECT_COLUMNS} FROM projects WHERE id = %s", (project_id,)
            ).fetchone()
        if project is None:
            raise NotFound(f"there is no project {project_id}")
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
    ) -> int:
        """Save a new state made from ``base_revision``; return the new revision.

        Appends the ``edit_history`` row (edit type, params and the resulting state) in the same
        transaction. Raises :class:`ConflictError` if the project moved on since ``base_revision``.
        """
        state_text = _json_text(timeline_state)  # serialized once, written twice
        with self.db.connection() as conn:
            row = conn.execute(
                "UPDATE projects SET timeline_state = %s::jsonb, schema_version = %s, revision = revision + 1,"
                " summary = coalesce(%s, summary), undo_state = coalesce(%s, undo_state)"
                " WHERE id = %s AND revision = %s RETURNING revision",
                (
                    state_text,
                    schema_version,
                    Jsonb(summary) if summary is not None else None,
                    Jsonb(undo_state) if undo_state is not None else None,
                    project_id,
                    base_revision,
                ),
            ).fetchone()
            if row is None:
                current = conn.execute("SELECT revision FROM projects WHERE id = %s", (project_id,)).fetchone()
                if current is None:
                    raise NotFound(f"there is no project {project_id}")
                raise ConflictError(project_id, base_revision, int(current[0]))
            revision = int(row[0])
            conn.execute(
                "INSERT INTO edit_history (project_id, revision, edit_type, params, merge_key, state)"
                " VALUES (%s, %s, %s, %s, %s, %s::jsonb)",
                (project_id, revision, edit_type, Jsonb(params or {}), merge_key, state_text),
            )
            return revision

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
                "SELECT project_id, revision, edit_type, params, merge_key, created_at FROM edit_history"
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


def _json_text(state: dict[str, Any] | str) -> str:
    """JSON text for a JSONB column: ``state`` as given if it is already text, else serialized once."""
    return state if isinstance(state, str) else json.dumps(state, ensure_ascii=False, separators=(",", ":"))


def cursor_of(row: ProjectSummary) -> PageCursor:
    return PageCursor(row.updated_at, row.id)
