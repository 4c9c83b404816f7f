"""Job rows in PostgreSQL: written when a job starts and when it ends, never in between.

Progress lives in Redis (``editor.jobs``); this table is the lasting record: kind, params, owner instance,
status, output path, error message and times. A job costs exactly two writes: :meth:`JobRepository.start`
(an INSERT with status ``running``) and :meth:`JobRepository.finish` (one UPDATE by primary key).
Blocking; any thread. No Qt.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from editor.store.db import Database

KINDS = ("export", "thumbnails", "waveform", "proxy", "probe")
FINAL_STATUSES = ("complete", "error", "cancelled")


@dataclass(frozen=True, slots=True)
class JobRow:
    id: str
    kind: str
    params: dict[str, Any]
    status: str
    project_id: int | None
    owner: str | None
    output_path: str | None
    error_message: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    message: str | None = None  # what a finished job said (the copy plan, seams re-encoded); schema 3


_COLUMNS = (
    "id::text AS id, kind, params, status, project_id, owner, output_path, error_message, created_at,"
    " started_at, finished_at, message"
)


class JobRepository:
    """The ``jobs`` table. Thread: any; every method blocks on PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def start(self, job_id: str, kind: str, params: dict[str, Any], owner: str, *,
              project_id: int | None = None, output_path: str | None = None) -> None:
        """Write the job's first row (status ``running``, started now). One INSERT; a job the queue runs again
        (its worker died, another took it) rewrites its row in the same one statement."""
        if kind not in KINDS:
            raise ValueError(f"unknown job kind {kind!r}")
        with self.db.connection() as conn:
            conn.execute(
                "INSERT INTO jobs (id, kind, params, status, project_id, owner, output_path, started_at)"
                " VALUES (%s, %s, %s, 'running', %s, %s, %s, now())"
                " ON CONFLICT (id) DO UPDATE SET params = EXCLUDED.params, status = 'running',"
                " owner = EXCLUDED.owner, started_at = now(), finished_at = NULL, error_message = NULL",
                (job_id, kind, Jsonb(params), project_id, owner, output_path),
            )

    def finish(self, job_id: str, status: str, *, output_path: str | None = None,
               error_message: str | None = None, owner: str | None = None, message: str | None = None) -> bool:
        """Write the job's end (one UPDATE by primary key); True if a row changed. ``message`` is what a
        finished job tells its user beyond its status (a copy's real ranges); ``error_message`` why it failed.

        With ``owner`` the owner's own word wins even over a reaper that marked the job failed by
        mistake; without it (the reaper) only a job still ``running`` is changed.
        """
        if status not in FINAL_STATUSES:
            raise ValueError(f"not a final job status: {status!r}")
        guard = "owner = %s" if owner is not None else "status = 'running'"
        args: tuple[Any, ...] = (status, output_path, error_message, message, job_id)
        if owner is not None:
            args += (owner,)
        with self.db.connection() as conn:
            cur = conn.execute(
                "UPDATE jobs SET status = %s, finished_at = now(), output_path = coalesce(%s, output_path),"
                f" error_message = %s, message = %s WHERE id = %s AND {guard}",
                args,
            )
            return cur.rowcount > 0

    def get(self, job_id: str) -> JobRow | None:
        """The job's row; None when there is none (or ``job_id`` is not a job id at all)."""
        try:
            uuid.UUID(job_id)
        except (ValueError, TypeError):
            return None
        with self.db.connection() as conn:
            cur = conn.cursor(row_factory=class_row(JobRow))
            return cur.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = %s", (job_id,)).fetchone()

    def recent(self, limit: int = 50) -> list[JobRow]:
        """Newest first."""
        limit = max(1, min(int(limit), 1000))
        with self.db.connection() as conn:
            cur = conn.cursor(row_factory=class_row(JobRow))
            return cur.execute(
                f"SELECT {_COLUMNS} FROM jobs ORDER BY created_at DESC LIMIT %s", (limit,)
            ).fetchall()

    def running(self) -> list[JobRow]:
        """Every job whose row says ``running`` (for the reaper)."""
        with self.db.connection() as conn:
            cur = conn.cursor(row_factory=class_row(JobRow))
            return cur.execute(
                f"SELECT {_COLUMNS} FROM jobs WHERE status = 'running' ORDER BY created_at"
            ).fetchall()


def hold_project_revision(conn: Any, project_id: int) -> int | None:
    """In the caller's transaction: the project's revision, share-locked until the transaction ends (so a job
    enqueued in it renders exactly that saved revision: a save waits for the commit). None if no project."""
    row = conn.execute("SELECT revision FROM projects WHERE id = %s FOR SHARE", (project_id,)).fetchone()
    return int(row[0]) if row else None
