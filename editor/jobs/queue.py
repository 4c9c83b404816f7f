"""Every background job goes through one queue engine: Procrastinate, whose jobs are rows in our PostgreSQL.

Why Procrastinate: jobs live in the database Cutline already has (no broker to run), an export can be enqueued
in the same transaction as the project revision it renders, workers wake on LISTEN/NOTIFY, and it has retry,
cancellation of running jobs, queueing locks and worker heartbeats. Its schema is applied by Cutline's own
migrations: ``migrations/010_procrastinate.sql`` is the package's ``procrastinate/sql/schema.sql`` copied
verbatim (a test compares the two), run once under the migration advisory lock like every other file.

Tasks (``cutline.export``, ``cutline.proxy``, ``cutline.thumbnails``, ``cutline.waveform``) take JSON
arguments; the task body runs in the worker's thread through :meth:`JobRunner.execute
<editor.jobs.runner.JobRunner.execute>`, which keeps progress where it always was (Redis
``job:{id}:progress`` + the event channel, the ``jobs`` row written at start and end only).

Queues say who may take a job:

- ``local.{instance}`` — work a window (or ``cutline render``) asked for on its own machine; only that
  process's in-process worker listens there. Local and farm work are the same path.
- ``export.{encoder}`` — a farm export needing that FFmpeg encoder (``export.libx264``); ``export.copy`` for a
  stream copy, ``export.audio`` for sound only. A worker listens only to the encoders its PyAV build has,
  so a worker without the encoder never fetches the job (no check-and-retry dance).
- ``media`` — proxies, filmstrips, waveforms by path: any worker. A queueing lock per media file
  (``proxy:{path}``) refuses a second proxy or waveform of the same file while one is queued.

Stalled jobs: each worker beats (``procrastinate_workers.last_heartbeat``); :func:`retrieve_stalled` (every
worker runs it every few seconds) re-queues the running jobs of a worker whose heartbeat stopped (a
machine that died, ``kill -9``), so another worker renders them; a ``local.*`` job of a dead process is
failed instead (nobody else may take it; the jobs row is reaped by :mod:`editor.jobs.reaper`).

Every worker also deletes the queue's rows of jobs finished more than 72 hours ago (every 10 minutes); the
``jobs`` table keeps the lasting record. Blocking calls unless named ``*_async``; any thread. No Qt.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Iterable
from typing import Any

import av
import procrastinate
from procrastinate import exceptions as pexc
from procrastinate.job_context import AbortReason, JobContext

log = logging.getLogger(__name__)

TASKS = ("export", "proxy", "thumbnails", "waveform")
MEDIA_QUEUE = "media"
COPY_QUEUE = "export.copy"
AUDIO_QUEUE = "export.audio"
#: the video encoders Cutline renders with (editor.media.render_output.VIDEO_ENCODERS)
ENCODERS = ("libx264", "libx265", "libsvtav1", "libvpx-vp9", "prores_ks")
WORKER_KEY_TTL = 30
KEEP_FINISHED_HOURS = 72  # finished queue rows older than this are deleted (the ``jobs`` table keeps the record)
PRUNE_EVERY = 600.0


class HandBack(Exception):
    """Raised by a task stopped by its worker's shutdown: the job goes back to the queue for another worker."""


def local_queue(instance_id: str) -> str:
    return f"local.{instance_id}"


def export_queue(encoder: str | None, mode: str = "reencode") -> str:
    """The queue of a farm export: by the encoder it needs."""
    if mode == "copy":
        return COPY_QUEUE
    return f"export.{encoder}" if encoder else AUDIO_QUEUE


def available_encoders(exclude: Iterable[str] = ()) -> list[str]:
    """The encoders of :data:`ENCODERS` this PyAV build has (``exclude``: pretend these are missing)."""
    have = av.codecs_available
    skip = set(exclude)
    return [e for e in ENCODERS if e in have and e not in skip]


def worker_queues(encoders: Iterable[str]) -> list[str]:
    """The farm queues a worker with these encoders listens to."""
    return [MEDIA_QUEUE, COPY_QUEUE, AUDIO_QUEUE, *(f"export.{e}" for e in encoders)]


def make_app(database_url: str) -> procrastinate.App:
    """A Procrastinate app on ``database_url`` with Cutline's tasks registered (not opened)."""
    connector = procrastinate.PsycopgConnector(conninfo=database_url, min_size=1, max_size=4,
                                               kwargs={"connect_timeout": 5})
    app = procrastinate.App(connector=connector)
    for kind in TASKS:
        app.task(name=f"cutline.{kind}", pass_context=True,
                 retry=procrastinate.RetryStrategy(max_attempts=5, retry_exceptions={HandBack, pexc.JobAborted})
                 )(_task_body(kind))
    return app


def _task_body(kind: str) -> Any:
    def body(context: JobContext, **kwargs: Any) -> Any:
        runner = (context.additional_context or {}).get("runner")
        if runner is None:
            raise RuntimeError("this worker has no job runner")

        def should_abort() -> AbortReason | None:
            try:
                return context.abort_reason() if context.should_abort() else None
            except Exception:  # noqa: BLE001
                return None

        state, handed_back = runner.execute(kind, kwargs, should_abort)
        if handed_back:
            raise HandBack("the worker stopped; handed back to the queue")
        if state.status == "cancelled":
            raise pexc.JobAborted("cancelled")
        if state.status == "error":
            raise RuntimeError(state.message)
        return None

    body.__name__ = f"cutline_{kind}"
    return body


def defer(app: procrastinate.App, kind: str, args: dict[str, Any], *, queue: str, conn: Any = None,
          queueing_lock: str | None = None, priority: int = 0) -> int:
    """Enqueue a task; its Procrastinate job id. With ``conn`` (a psycopg connection inside a transaction)
    the job is inserted in that transaction: rolled back with it, visible to workers only at its commit.

    Raises :class:`procrastinate.exceptions.AlreadyEnqueued` when ``queueing_lock`` is already queued."""
    options: dict[str, Any] = {"queue": queue, "priority": priority}
    if queueing_lock:
        options["queueing_lock"] = queueing_lock
    if conn is not None:
        options["connection"] = conn
    return app.configure_task(f"cutline.{kind}", **options).defer(**args)


def procrastinate_id(db: Any, job_id: str) -> int | None:
    """The Procrastinate job (newest) carrying Cutline's job id ``job_id``."""
    with db.connection() as conn:
        row = conn.execute("SELECT id FROM procrastinate_jobs WHERE args->>'job_id' = %s ORDER BY id DESC LIMIT 1",
                           (job_id,)).fetchone()
    return int(row[0]) if row else None


def cancel(app: procrastinate.App, db: Any, job_id: str) -> bool:
    """Cancel a queued job, or ask its worker to abort it when running. True if Procrastinate had it."""
    pid = procrastinate_id(db, job_id)
    if pid is None:
        return False
    try:
        with db.connection() as conn:
            return bool(app.job_manager.cancel_job_by_id(pid, abort=True, connection=conn))
    except Exception as exc:  # noqa: BLE001 - the Redis cancel key still reaches the runner
        log.warning("could not cancel queue job %s: %s", pid, exc)
        return False


def owned_by_farm(db: Any, job_id: str) -> bool:
    """Whether the queue still owns this job on a farm queue (queued, or running and re-queued by the stalled-job
    retrieval if its worker died): the reaper leaves such a job alone."""
    with db.connection() as conn:
        row = conn.execute("SELECT 1 FROM procrastinate_jobs WHERE args->>'job_id' = %s AND status IN ('todo', 'doing')"
                           " AND queue_name NOT LIKE 'local.%%' LIMIT 1", (job_id,)).fetchone()
    return row is not None


def local_jobs(db: Any) -> list[tuple[int, str, dict[str, Any], float | None]]:
    """Every unfinished job on a ``local.*`` queue: (Procrastinate id, instance id, args, epoch seconds it was
    queued). Worker thread."""
    with db.connection() as conn:
        rows = conn.execute(
            "SELECT j.id, j.queue_name, j.args, extract(epoch FROM min(e.at))::float8"
            " FROM procrastinate_jobs j LEFT JOIN procrastinate_events e ON e.job_id = j.id AND e.type = 'deferred'"
            " WHERE j.status IN ('todo', 'doing') AND j.queue_name LIKE 'local.%%' GROUP BY j.id").fetchall()
    return [(int(r[0]), str(r[1])[len("local."):], r[2] if isinstance(r[2], dict) else {}, r[3]) for r in rows]


def end_orphaned(db: Any, procrastinate_job: int) -> bool:
    """End a job nobody can run any more (its process died) as failed; False if it ended meanwhile."""
    with db.connection() as conn:
        row = conn.execute("UPDATE procrastinate_jobs SET status = 'failed', abort_requested = false"
                           " WHERE id = %s AND status IN ('todo', 'doing') RETURNING id", (procrastinate_job,)
                           ).fetchone()
    return row is not None


def queue_status(db: Any, job_id: str) -> str | None:
    """Procrastinate's status of the job (todo, doing, succeeded, failed, cancelled, aborted)."""
    with db.connection() as conn:
        row = conn.execute("SELECT status::text FROM procrastinate_jobs WHERE args->>'job_id' = %s"
                           " ORDER BY id DESC LIMIT 1", (job_id,)).fetchone()
    return str(row[0]) if row else None


async def retrieve_stalled(app: procrastinate.App, seconds: float) -> list[int]:
    """Re-queue the running jobs of workers whose heartbeat is older than ``seconds`` (a ``local.*`` job is
    failed instead: only its dead process could take it). Returns the Procrastinate ids handled."""
    done: list[int] = []
    for job in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=seconds):
        assert job.id is not None
        try:
            if (job.queue or "").startswith("local."):
                await app.job_manager.finish_job_by_id_async(job.id, procrastinate.jobs.Status.FAILED, False)
            else:
                await app.job_manager.retry_job_by_id_async(job.id, retry_at=_now())
            done.append(job.id)
            log.warning("queue job %s of a stalled worker %s", job.id,
                        "failed" if (job.queue or "").startswith("local.") else "re-queued")
        except Exception as exc:  # noqa: BLE001 - another worker got it first
            log.info("stalled job %s: %s", job.id, exc)
    return done


def _now() -> Any:
    import datetime as dt

    return dt.datetime.now(dt.UTC)


def advertise(redis: Any, name: str, info: dict[str, Any]) -> None:
    """``worker:{name}`` in Redis (TTL 30 s): what this worker can do, for ``cutline doctor``."""
    text = json.dumps(info)
    redis.call(lambda c: c.set(f"worker:{name}", text, ex=WORKER_KEY_TTL), None)


def live_workers(redis: Any) -> list[dict[str, Any]]:
    """The workers whose ``worker:*`` key is alive (SCAN, never KEYS)."""

    def run(c: Any) -> list[dict[str, Any]]:
        keys = list(c.scan_iter(match="worker:*", count=200))
        found = []
        for raw in c.mget(keys) if keys else []:
            try:
                found.append(json.loads(raw))
            except (TypeError, ValueError):
                continue
        return sorted(found, key=lambda w: str(w.get("name")))

    return redis.call(run, []) if getattr(redis, "configured", False) else []


class QueueWorker:
    """A Procrastinate worker for Cutline's tasks: in a thread of a window (:meth:`start_thread`) or in the
    foreground of ``cutline worker`` (:meth:`run`). Heartbeats every ``heartbeat`` seconds, re-queues
    stalled workers' jobs, and advertises itself in Redis."""

    def __init__(self, database_url: str, runner: Any, *, name: str, queues: list[str], concurrency: int = 1,
                 heartbeat: float = 5.0, stalled_after: float = 20.0, encoders: list[str] | None = None,
                 redis: Any = None, host: str = "", graceful: float = 2.0) -> None:
        self.app = make_app(database_url)
        self.runner = runner
        self.name = name
        self.queues = queues
        self.concurrency = concurrency
        self.heartbeat = heartbeat
        self.stalled_after = stalled_after
        self.encoders = encoders if encoders is not None else available_encoders()
        self.redis = redis
        self.host = host
        self.graceful = graceful
        self.stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._main: asyncio.Task[Any] | None = None
        self._thread: threading.Thread | None = None
        self.ready = threading.Event()

    def info(self) -> dict[str, Any]:
        import os

        return {"name": self.name, "host": self.host, "pid": os.getpid(), "queues": self.queues,
                "encoders": self.encoders, "concurrency": self.concurrency,
                "running": len(self.runner.running()) if self.runner is not None else 0}

    async def run_async(self, *, install_signal_handlers: bool) -> None:
        self._loop = asyncio.get_running_loop()
        if install_signal_handlers:  # ours, not Procrastinate's: stop the side loop first, then the worker
            import signal

            for sig in (signal.SIGTERM, signal.SIGINT):
                self._loop.add_signal_handler(sig, self._request_stop)
        self._main = asyncio.current_task()
        if self.stopping:  # stop() came before this loop existed: it could not cancel anything
            return
        async with self.app.open_async():
            side = asyncio.create_task(self._side())
            try:
                if self.stopping:  # stop() came while connecting
                    return
                self.ready.set()
                await self.app.run_worker_async(
                    queues=self.queues, name=self.name, concurrency=self.concurrency, wait=True,
                    install_signal_handlers=False, additional_context={"runner": self.runner},
                    update_heartbeat_interval=self.heartbeat, stalled_worker_timeout=self.stalled_after,
                    fetch_job_polling_interval=max(1.0, self.heartbeat), abort_job_polling_interval=0.5,
                    shutdown_graceful_timeout=self.graceful, delete_jobs="never")
            finally:
                side.cancel()
                if self.redis is not None:
                    self.redis.call(lambda c: c.delete(f"worker:{self.name}"), None)

    def _request_stop(self) -> None:
        """SIGTERM / Ctrl+C (on the worker's loop): running jobs get ``graceful`` seconds, then are handed back."""
        self.stopping = True
        if self._main is not None:
            self._main.cancel()

    async def _side(self) -> None:
        pruned = 0.0
        while not self.stopping:
            try:
                if self.redis is not None:
                    await asyncio.to_thread(advertise, self.redis, self.name, self.info())
                await retrieve_stalled(self.app, self.stalled_after)
                if self._loop is not None and self._loop.time() - pruned > PRUNE_EVERY:
                    pruned = self._loop.time()
                    await self.app.job_manager.delete_old_jobs(KEEP_FINISHED_HOURS, include_failed=True,
                                                               include_cancelled=True, include_aborted=True)
            except Exception as exc:  # noqa: BLE001
                log.warning("worker %s: %s", self.name, exc)
            await asyncio.sleep(self.heartbeat)

    def run(self) -> None:
        """Run in the foreground until SIGTERM/SIGINT."""
        try:
            asyncio.run(self.run_async(install_signal_handlers=True))
        except asyncio.CancelledError:
            pass

    def start_thread(self) -> QueueWorker:
        """Run in a daemon thread (a window's worker for its own machine). Any thread."""
        def main() -> None:
            try:
                asyncio.run(self.run_async(install_signal_handlers=False))
            except asyncio.CancelledError:
                pass  # stopped by stop()
            except Exception:  # noqa: BLE001
                log.exception("the in-process worker stopped")
            finally:
                self.ready.set()

        self._thread = threading.Thread(target=main, name=f"cutline-worker-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the worker thread (running jobs get 2 s, then are aborted and handed back). Any thread."""
        self.stopping = True
        loop, task = self._loop, self._main
        if loop is not None and task is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(task.cancel)
            except RuntimeError:
                pass
        if self._thread is not None:
            self._thread.join(timeout)
