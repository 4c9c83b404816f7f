"""Jobs whose process died are marked failed, never left "running" forever.

A job names its owner (the instance id of the window or ``cutline render`` process running it), and the
owner keeps a heartbeat key ``instance:{id}`` (TTL 30 s) and rewrites ``job:{id}:progress`` every few
seconds. :func:`reap_orphaned_jobs` marks a ``running`` job as ``error`` with the message "the process
running it stopped" (and publishes the ``error`` event) when

- its owner ran on this machine and that process no longer exists (known at once, even before the
  heartbeat key expires), or
- its owner's heartbeat key is gone and the job started more than ``grace`` seconds ago (30 s) or its
  progress key was last written more than ``grace`` seconds ago.

An owner on this machine whose process still lives is never reaped (its key may be missing only because
Redis restarted). When Redis cannot be asked, nothing is reaped. A reaped export's leftovers beside the
output (the render's spec and partial files) are removed when the owner ran on this machine.

``source="database"`` finds candidates with one query on ``jobs`` (a window's start, ``cutline jobs``);
``source="redis"`` finds them from the Redis job index alone, so a window can reap every few seconds
without polling PostgreSQL (it writes only when it reaps).

A job the queue still owns on a farm queue (``editor.jobs.queue``: queued, or running on a worker that the
queue's stalled-job retrieval re-queues when its heartbeat stops) is never reaped: the queue re-runs it on
another worker. Blocking; worker thread. No Qt.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from editor.jobs.state import (
    ORPHANED_MESSAGE,
    RUNNING,
    JobState,
    progress_key,
    recent_from_redis,
    write_final,
)
from editor.store.jobs_repo import JobRepository
from editor.store.presence import INSTANCE_TTL, pid_alive, read_instance, this_host
from editor.store.validate import escape_control

log = logging.getLogger(__name__)


def reap_orphaned_jobs(store: Any, bus: Any = None, *, source: str = "database", grace: float = INSTANCE_TTL,
                       exclude_owner: str | None = None) -> list[str]:
    """Mark running jobs whose process is gone as failed; returns their ids. Worker thread.

    ``exclude_owner``: an instance id whose jobs are left alone (the caller's own, which it knows live).
    """
    redis = store.redis
    if not redis.configured or not redis.ping():
        return []  # cannot tell who is alive: reap nothing
    repo = JobRepository(store.db)
    candidates: list[tuple[str, str, float | None, dict[str, Any], JobState | None]] = []
    if source == "database":
        for running in repo.running():
            began = running.started_at or running.created_at
            params = running.params if isinstance(running.params, dict) else {}
            candidates.append((running.id, running.owner or "", began.timestamp(), params, None))
    else:
        for live in recent_from_redis(redis, 500) or []:
            if live.status == RUNNING:
                candidates.append((live.id, live.owner, live.started_at, {}, live))
    now = time.time()
    reaped: list[str] = []
    for job_id, owner, started, params, state in candidates:
        if owner and owner == exclude_owner:
            continue
        if not _orphaned(store, job_id, owner, started, params, state, now, grace):
            continue
        if _queue_owns(store, job_id):
            continue  # a farm job: the queue's stalled-job retrieval gives it to another worker
        if repo.finish(job_id, "error", error_message=ORPHANED_MESSAGE):
            reaped.append(job_id)
            row = repo.get(job_id)
            final = JobState.from_row(row) if row is not None else JobState(job_id, "", "error")
            if state is not None:
                final = replace(state, status="error", message=ORPHANED_MESSAGE, finished_at=now,
                                updated_at=now)
            final = replace(final, message=ORPHANED_MESSAGE, source="reaper")
            write_final(redis, final)
            if bus is not None:
                bus.publish("error", **final.event_data())
            began = started if started is not None else (
                row.started_at.timestamp() if row is not None and row.started_at else None)
            _remove_leftovers(row.params if row is not None else params, row.output_path if row else None, began)
            log.warning("job %s: %s; marked as failed", job_id, ORPHANED_MESSAGE)
        elif state is not None:  # the row ended meanwhile (or never was): drop the stale Redis entry
            stale = progress_key(job_id)
            redis.call(lambda c, k=stale: c.delete(k), None)
    if source == "database":
        reap_orphaned_local_queue(store, grace=grace, exclude_owner=exclude_owner)
    return reaped


def reap_orphaned_local_queue(store: Any, *, grace: float = INSTANCE_TTL, exclude_owner: str | None = None
                              ) -> list[str]:
    """End the queue jobs of a process that died with them on its own ``local.*`` queue (queued and not
    started yet, or taken by its in-process worker): only that process's worker would ever run them, so
    they would wait in the queue forever. Returns their Cutline job ids. Worker thread."""
    from editor.jobs.queue import end_orphaned, local_jobs

    try:
        jobs = local_jobs(store.db)
    except Exception:  # noqa: BLE001 - no queue table (an old database) or no database: nothing to sweep
        return []
    now = time.time()
    ended: list[str] = []
    for pj, instance, args, queued_at in jobs:
        if instance == exclude_owner:
            continue
        params = args.get("params") if isinstance(args.get("params"), dict) else {}
        if not _orphaned(store, str(args.get("job_id", "")), instance, queued_at, params, None, now, grace):
            continue
        if end_orphaned(store.db, pj):
            ended.append(str(args.get("job_id", pj)))
            log.warning("queue job %s of %s: %s before it ended; taken off the queue", pj,
                        escape_control(instance), ORPHANED_MESSAGE)
    return ended


def _orphaned(store: Any, job_id: str, owner: str, started: float | None, params: dict[str, Any],
              state: JobState | None, now: float, grace: float) -> bool:
    info = read_instance(store.redis, owner) if owner else None
    if info is False:
        return False  # Redis went away meanwhile
    host, pid = params.get("host"), params.get("pid")
    if info is not None:
        host, pid = info.host, info.pid  # type: ignore[union-attr]
    if host == this_host() and type(pid) is int and 0 < pid < 1 << 31:
        return not pid_alive(pid)  # on this machine the process table is the truth
    if info is not None:
        return False  # a live heartbeat from another machine
    if started is not None and now - started > grace:
        return True
    if state is None:
        from editor.jobs.state import read_redis

        state = read_redis(store.redis, job_id)
    beat = (state.beat_at or state.updated_at) if state is not None else None
    return beat is not None and now - beat > grace


def _queue_owns(store: Any, job_id: str) -> bool:
    from editor.jobs.queue import owned_by_farm

    try:
        return owned_by_farm(store.db, job_id)
    except Exception:  # noqa: BLE001 - no queue table (an old database) or no database: not the queue's
        return False


RENDER_SUFFIXES = (".mp4", ".mov", ".mkv", ".m4v")


def _remove_leftovers(params: dict[str, Any], output_path: str | None, started: float | None = None) -> None:
    """Remove what a killed export left beside its output (same machine only).

    The row naming the output may have been planted by anyone who can write to the database, so a file
    is removed only when it has exactly the shape a render leaves (``.NAME.partial-XXXXXXXX.EXT`` or
    ``.NAME.spec-PID-N.json`` beside a video output named by an absolute, normalised path), is a regular
    file (not a symlink) of this user, was made after the job started, and no live process has it open.
    Anything else is left alone, with one logged line.
    """
    out = params.get("out") if isinstance(params, dict) else None
    out = out or output_path
    pid = params.get("pid") if isinstance(params, dict) else None
    if not isinstance(out, str) or not out or params.get("host") != this_host():
        return
    if (len(out) > 4096 or "\0" in out or not os.path.isabs(out) or os.path.normpath(out) != out
            or Path(out).suffix.lower() not in RENDER_SUFFIXES):
        log.warning("job output %s is not a video path Cutline writes; no leftovers removed",
                    escape_control(out)[:200])
        return
    target = Path(out)
    stem, suffix = re.escape(target.stem), re.escape(target.suffix)
    shapes = [re.compile(rf"^\.{stem}\.partial-[0-9a-f]{{8}}{suffix}$")]
    if type(pid) is int and 0 < pid < 1 << 32:
        shapes.append(re.compile(rf"^\.{stem}\.spec-{pid}-[0-9]{{1,20}}\.json$"))
    try:
        names = os.listdir(target.parent)
    except OSError:
        return
    for name in names:
        if not any(shape.match(name) for shape in shapes):
            continue
        leftover = target.parent / name
        reason = _not_ours(leftover, started)
        if reason is not None:
            log.warning("left %s alone: %s", escape_control(str(leftover))[:200], reason)
            continue
        try:
            os.unlink(leftover)
        except OSError:
            pass


def _not_ours(path: Path, started: float | None) -> str | None:
    """Why ``path`` must not be removed as a render leftover (None: it may)."""
    try:
        st = os.lstat(path)
    except OSError:
        return "it is gone"
    if not stat.S_ISREG(st.st_mode):
        return "it is not a regular file"
    if st.st_uid != os.geteuid():
        return "it belongs to another user"
    if started is not None and st.st_mtime < started - 5:
        return "it is older than the job"
    if _open_elsewhere(path):
        return "a running process has it open"
    return None


def _open_elsewhere(path: Path) -> bool:
    import psutil

    want = str(path.resolve())
    for proc in psutil.process_iter():
        try:
            if proc.pid != os.getpid() and any(f.path == want for f in proc.open_files()):
                return True
        except (psutil.Error, OSError):
            continue
    return False
