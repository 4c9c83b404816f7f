"""A job's state as every window sees it, and where it lives in Redis.

Keys (every one with a TTL of an hour, refreshed while the job runs):

- ``job:{id}:progress`` — JSON of the running job: progress 0–100, message, kind, title, owner, times.
  Written at most 10 times a second by the runner, and at least every few seconds (``beat_at``: the
  runner's heartbeat, even when the job makes no progress).
- ``job:{id}:status`` — the final state (complete, error, cancelled) for an hour after the end.
- ``job:{id}:cancel`` — set by whoever asks to cancel the job; the owning runner watches it.
- ``jobs:recent`` — a sorted set of job ids by start time, so a window lists the last hour's jobs with
  one ZREVRANGE and one MGET instead of scanning the key space.

Reading a job goes to Redis first and to PostgreSQL only when Redis has nothing (:func:`read_job`).
Blocking (Redis, maybe PostgreSQL); any thread. No Qt.
"""

from __future__ import annotations

import json
import math
import re
import time
from dataclasses import asdict, dataclass, replace
from typing import Any

from editor.store.bus import Event
from editor.store.jobs_repo import JobRepository, JobRow
from editor.store.redis_conn import RedisConnection
from editor.store.validate import BadValue, drop, parse_json

KEY_TTL = 3600
RECENT_KEY = "jobs:recent"
RUNNING = "running"
FINAL = ("complete", "error", "cancelled")
ORPHANED_MESSAGE = "the process running it stopped"
STATUSES = ("pending", RUNNING, *FINAL)
_JOB_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_TEXT_LIMITS = {"operation": 40, "message": 2000, "title": 1000, "owner": 200, "source": 20, "worker": 200,
                "parent": 64}
MAX_STATE_BYTES = 64 * 1024


def check_state(state: JobState) -> JobState:
    """``state`` when every field is in range (ids, texts, progress 0–100, plausible times); BadValue
    otherwise. Whatever reaches a panel or a terminal has passed here. Pure."""
    if not isinstance(state.id, str) or not _JOB_ID.match(state.id):
        raise BadValue("id is not a job id")
    if state.status not in STATUSES:
        raise BadValue(f"unknown status {str(state.status)[:20]!r}")
    for name, limit in _TEXT_LIMITS.items():
        value = getattr(state, name)
        if not isinstance(value, str) or len(value) > limit:
            raise BadValue(f"{name} must be a string of at most {limit} characters")
    progress = state.progress
    if not isinstance(progress, (int, float)) or isinstance(progress, bool) or not math.isfinite(progress) \
            or not -1 <= progress <= 101:  # a rounding overshoot is clamped, anything else refused
        raise BadValue("progress must be a number from 0 to 100")
    if state.project_id is not None and (type(state.project_id) is not int or not 0 < state.project_id < 1 << 63):
        raise BadValue("projectId must be a positive whole number")
    latest = time.time() + 366 * 24 * 3600
    for name in ("started_at", "updated_at", "finished_at", "beat_at"):
        value = getattr(state, name)
        if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool)
                                  or not math.isfinite(value) or not 0 <= value <= latest):
            raise BadValue(f"{name} is not a time")
    out = state.output_path
    if out is not None and (not isinstance(out, str) or len(out) > 4096 or "\0" in out):
        raise BadValue("outputPath must be a path")
    return replace(state, progress=min(100.0, max(0.0, float(progress))))


def progress_key(job_id: str) -> str:
    return f"job:{job_id}:progress"


def status_key(job_id: str) -> str:
    return f"job:{job_id}:status"


def cancel_key(job_id: str) -> str:
    return f"job:{job_id}:cancel"


@dataclass(frozen=True, slots=True)
class JobState:
    """One job as shown in a jobs panel. Times are epoch seconds (``time.time()``).

    ``operation`` is the kind (export, thumbnails, waveform, probe, proxy); ``title`` a short label for
    people ("Export film.mp4"); ``source`` says where this state was read from (local, event, redis,
    postgres).
    """

    id: str
    operation: str
    status: str
    progress: float = 0.0
    message: str = ""
    title: str = ""
    owner: str = ""
    project_id: int | None = None
    started_at: float | None = None
    updated_at: float | None = None
    finished_at: float | None = None
    output_path: str | None = None
    beat_at: float | None = None
    source: str = "local"
    worker: str = ""  # the queue worker that runs (ran) it: ``cutline worker --name``, or the window's own
    parent: str = ""  # a part of a chunked export: the export's job id

    @property
    def finished(self) -> bool:
        return self.status in FINAL

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def event_data(self) -> dict[str, Any]:
        """The payload of this job's events on the channel (see :func:`from_event`)."""
        return {"operationId": self.id, "operation": self.operation, "progress": round(self.progress, 2),
                "message": self.message, "status": self.status, "title": self.title, "owner": self.owner,
                "projectId": self.project_id, "startedAt": self.started_at, "finishedAt": self.finished_at,
                "outputPath": self.output_path, "worker": self.worker, "parent": self.parent}

    @classmethod
    def from_json(cls, raw: bytes | str | dict[str, Any], source: str = "redis") -> JobState | None:
        """The state stored in Redis, or None (one logged line) when it is not a valid one."""
        try:
            d = parse_json(raw, max_bytes=MAX_STATE_BYTES, max_depth=3) if not isinstance(raw, dict) else dict(raw)
            if not isinstance(d, dict):
                raise BadValue("not an object")
            fields = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
            fields["source"] = source
            return check_state(cls(**fields))
        except (ValueError, TypeError, KeyError) as exc:
            drop("job state", source, exc)
            return None

    @classmethod
    def from_event(cls, event: Event) -> JobState | None:
        """The state an event carries, or None for an event that is not about a job."""
        job_id = event.get("operationId")
        if not isinstance(job_id, str) or event.type not in ("job_started", "progress", "complete", "error",
                                                             "cancelled"):
            return None
        if event.type == "cancelled" and event.get("request"):
            return None  # a cancel request, not the job's end
        status = {"complete": "complete", "error": "error", "cancelled": "cancelled"}.get(event.type, RUNNING)
        try:
            texts = [event.get(k) or "" for k in ("operation", "message", "title", "owner")]
            if not all(isinstance(t, str) for t in texts):
                raise BadValue("operation, message, title and owner must be strings")
            progress = event.get("progress") or 0.0
            if not isinstance(progress, (int, float)):
                raise BadValue("progress must be a number")
            worker, parent = event.get("worker") or "", event.get("parent") or ""
            return check_state(cls(job_id, texts[0], status, progress, texts[1], texts[2], texts[3],
                                   event.get("projectId"), event.get("startedAt"), event.sent_at or time.time(),
                                   event.get("finishedAt"), event.get("outputPath"), None, "event",
                                   worker if isinstance(worker, str) else "",
                                   parent if isinstance(parent, str) else ""))
        except (TypeError, ValueError) as exc:
            drop(f"{event.type} event from", event.source, exc)
            return None

    @classmethod
    def from_row(cls, row: JobRow) -> JobState:
        """The state of a ``jobs`` row. Texts from the row are cut to their limits; a field that is out of
        range (a planted row) is blanked, so the row still shows and cannot mislead."""
        progress = 100.0 if row.status == "complete" else 0.0
        params = row.params if isinstance(row.params, dict) else {}
        title = params.get("title", "")
        out = row.output_path if isinstance(row.output_path, str) and len(row.output_path) <= 4096 else None
        said = row.error_message or row.message or ""  # why it failed, or what a finished copy holds
        state = cls(row.id, str(row.kind)[:40], row.status if row.status in STATUSES else "error", progress,
                    str(said)[:2000], (title if isinstance(title, str) else "")[:1000],
                    str(row.owner or "")[:200], row.project_id,
                    row.started_at.timestamp() if row.started_at else None,
                    None, row.finished_at.timestamp() if row.finished_at else None, out, None, "postgres",
                    str(params.get("worker") or "")[:200], str(params.get("parent") or "")[:64])
        try:
            return check_state(state)
        except BadValue as exc:
            drop("job row", row.id, exc)
            return replace(state, project_id=None, started_at=None, finished_at=None, output_path=None)


def write_progress(conn: RedisConnection, state: JobState, *, first: bool = False) -> bool:
    """Store a running job's state (one round trip); with ``first`` also index it in ``jobs:recent``."""
    text = json.dumps(state.to_json())

    def run(c: Any) -> bool:
        pipe = c.pipeline(transaction=False)
        pipe.set(progress_key(state.id), text, ex=KEY_TTL)
        if first:  # a job the queue runs again (its worker died) drops the final state a reaper may have left
            pipe.delete(status_key(state.id))
            now = time.time()
            pipe.zadd(RECENT_KEY, {state.id: state.started_at or now})
            pipe.zremrangebyscore(RECENT_KEY, "-inf", now - KEY_TTL)
            pipe.expire(RECENT_KEY, KEY_TTL)
        pipe.execute()
        return True

    return conn.call(run, False)


def write_final(conn: RedisConnection, state: JobState) -> bool:
    """Store a job's final state for an hour and drop its progress and cancel keys (one round trip)."""
    text = json.dumps(state.to_json())

    def run(c: Any) -> bool:
        pipe = c.pipeline(transaction=False)
        pipe.set(status_key(state.id), text, ex=KEY_TTL)
        pipe.delete(progress_key(state.id), cancel_key(state.id))
        pipe.zadd(RECENT_KEY, {state.id: state.started_at or time.time()})
        pipe.expire(RECENT_KEY, KEY_TTL)
        pipe.execute()
        return True

    return conn.call(run, False)


def read_redis(conn: RedisConnection, job_id: str) -> JobState | None:
    """The job from Redis alone (final state first, then progress); None when Redis has nothing."""
    raw = conn.call(lambda c: c.mget([status_key(job_id), progress_key(job_id)]), None)
    if not raw:
        return None
    for value in raw:
        if value is not None:
            state = JobState.from_json(value)
            if state is not None:
                return state
    return None


def read_job(conn: RedisConnection, repo: JobRepository, job_id: str) -> JobState | None:
    """The job's state: Redis first, PostgreSQL only when Redis has nothing. None if unknown."""
    state = read_redis(conn, job_id)
    if state is not None:
        return state
    row = repo.get(job_id)
    return JobState.from_row(row) if row is not None else None


def recent_from_redis(conn: RedisConnection, limit: int = 50) -> list[JobState] | None:
    """The last hour's jobs from Redis, newest first; None when Redis cannot be asked."""

    def run(c: Any) -> list[JobState]:
        ids = [i.decode() if isinstance(i, bytes) else str(i) for i in c.zrevrange(RECENT_KEY, 0, limit - 1)]
        if not ids:
            return []
        values = c.mget([k for i in ids for k in (status_key(i), progress_key(i))])
        found: list[JobState] = []
        for n in range(len(ids)):
            for value in (values[2 * n], values[2 * n + 1]):
                state = JobState.from_json(value) if value is not None else None
                if state is not None:
                    found.append(state)
                    break
        return found

    if not conn.configured:
        return None
    return conn.call(run, None)


def cancel_requested(conn: RedisConnection, job_ids: list[str]) -> set[str]:
    """Which of these jobs someone asked to cancel (one MGET)."""
    if not job_ids:
        return set()
    values = conn.call(lambda c: c.mget([cancel_key(i) for i in job_ids]), None) or []
    return {i for i, v in zip(job_ids, values, strict=False) if v is not None}


def order_for_panel(states: list[JobState]) -> list[JobState]:
    """Running jobs first (oldest first), then finished ones, newest first."""
    running = sorted((s for s in states if not s.finished), key=lambda s: s.started_at or 0.0)
    done = sorted((s for s in states if s.finished), key=lambda s: -(s.finished_at or s.started_at or 0.0))
    return running + done
