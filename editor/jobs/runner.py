"""The bookkeeping of the jobs one process runs, and how it hands work to the queue.

Exports (and media tasks by path) go through the job queue (:mod:`editor.jobs.queue`, Procrastinate): a local
export is enqueued on this process's own queue and run by its in-process queue worker, a farm export on the
encoder's queue for any ``cutline worker``; either way the queue task calls :meth:`JobRunner.execute` on the
worker's thread, which runs the render in a child process (``render_in_subprocess``: progress as JSON
lines, an encoder crash cannot take the process down). A window's proxies, filmstrips and waveforms are
queue tasks too (:meth:`JobRunner.enqueue_media` without ``farm``: its own queue). What still runs on a thread
here, outside the queue, is the chunked export's coordinator, a local export when the queue cannot be reached,
and :meth:`JobRunner.start_thread_job`'s closures (in-process work that is no queue task). For each job it
writes

- PostgreSQL twice: the row at the start (status running, owner = this instance) and at the end
  (complete, error with its message, or cancelled) — never in between;
- Redis: ``job:{id}:progress`` at most 10 times a second (and every few seconds as the runner's heartbeat),
  ``job:{id}:status`` at the end (see :mod:`editor.jobs.state`);
- the event channel: ``job_started``, ``progress`` (≤ 10/s), then ``complete``, ``error`` or ``cancelled``,
  each with ``operationId``, ``operation``, ``progress`` (0–100), ``message``, ``status``, ``title``,
  ``owner``.

Cancelling works from any process: :meth:`JobRunner.cancel` (or :func:`request_cancel`) sets
``job:{id}:cancel`` and publishes a ``cancelled`` event with ``request: true``; the owning runner sees
either, sets the job's cancel event, and the render child is terminated (no partial file is left).

In a window (:meth:`JobRunner.run_below_playback`), every job's thread runs below the player: exports
at nice +10 (their render child inherits it), thread jobs at nice +19, and thread jobs wait while the
window's :class:`~editor.jobs.priority.PlaybackGate` says playback is active before they start (the work
itself pauses at its own pause points, see :mod:`editor.jobs.priority`).

Thread: any for the public methods (they never block on PostgreSQL: the writes happen on the job's
worker thread). Listeners run on worker threads: a window hands them to the Qt thread. No Qt.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from editor.jobs import queue
from editor.jobs.export import PRESETS, export_range, render_spec_for
from editor.jobs.priority import BACKGROUND_NICE, EXPORT_NICE, PlaybackGate, lower_thread_priority
from editor.jobs.state import (
    RUNNING,
    JobState,
    cancel_key,
    cancel_requested,
    order_for_panel,
    read_job,
    recent_from_redis,
    write_final,
    write_progress,
)
from editor.media.errors import RenderCancelled
from editor.media.render import RenderResult, RenderSpec
from editor.media.render_process import render_in_subprocess
from editor.model.timeline import Timeline
from editor.store.bus import Event
from editor.store.errors import StoreError
from editor.store.jobs_repo import KINDS, JobRepository
from editor.store.presence import this_host
from editor.store.redis_conn import RedisConnection

log = logging.getLogger(__name__)

MIN_INTERVAL = 0.1  # at most 10 progress updates a second per job
BEAT_EVERY = 5.0  # the progress key is rewritten at least this often while a job runs
TICK = 0.25  # how often the runner looks for cancel keys and flushes held-back progress

ProgressCallback = Callable[[float, str], None]
JobWork = Callable[[ProgressCallback, threading.Event], Any]
Listener = Callable[[JobState], None]


class Bus(Protocol):
    source: str

    def publish(self, event_type: str, **data: Any) -> bool: ...
    def subscribe(self, callback: Callable[[Event], None], on_reconnect: Callable[[], None] | None = None
                  ) -> Any: ...


class JobCancelled(Exception):
    """Raised by a thread job's function when it sees its cancel event (any exception does, then)."""


@dataclass
class _Job:
    state: JobState
    params: dict[str, Any]
    cancel: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    lock: threading.RLock = field(default_factory=threading.RLock)
    last_sent: float = 0.0
    last_beat: float = 0.0
    held: tuple[float, str] | None = None  # a progress report held back by the throttle
    result: Any = None
    error: BaseException | None = None
    should_abort: Callable[[], Any] | None = None  # the queue's abort check (Procrastinate's context)
    handing_back: bool = False  # stopped by its worker's shutdown: back to the queue, no final write
    queued: bool = False  # waiting in the queue for this process's worker


class JobRunner:
    """The jobs this process runs. ``instance_id`` names this process (its presence heartbeat key)."""

    def __init__(self, store: Any, bus: Bus, instance_id: str, *, python: str | None = None,
                 worker_name: str = "", path_map: dict[str, str] | None = None) -> None:
        self.store = store
        self.redis: RedisConnection = store.redis
        self.repo = JobRepository(store.db)
        self.worker_name = worker_name or f"{this_host()}/{instance_id}"
        self.path_map = dict(path_map or {})
        self._app: Any = None
        self._local_worker: Any = None
        self._cancelling: list[threading.Thread] = []  # cancel requests on their way to the queue
        self.bus = bus
        self.instance_id = instance_id
        self.python = python
        self._jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []
        self._ticker: threading.Thread | None = None
        self._subscription: Any = None
        self._closed = threading.Event()
        self.gate: PlaybackGate | None = None
        self.below_playback = False

    def run_below_playback(self, gate: PlaybackGate) -> None:
        """From now on jobs run below the player: lower OS priority, and thread jobs wait for ``gate``
        (playback not active) before they start. Any thread."""
        self.gate = gate
        self.below_playback = True

    # ---- listening -------------------------------------------------------------------------------
    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(state)`` for each (throttled) change of this runner's jobs, on the job's
        thread. Returns a function that removes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    # ---- starting --------------------------------------------------------------------------------
    def start_export(self, timeline: Timeline | RenderSpec, out_path: str | os.PathLike[str],
                     preset: str = "high",
                     in_out: bool | tuple[int, int] = False, project_id: int | None = None, *,
                     title: str | None = None, farm: bool = False, conn: Any = None, chunks: int = 1) -> str:
        """Start exporting ``timeline`` (or its in/out range) to ``out_path``; returns the job id at once.

        The job goes through the queue (:mod:`editor.jobs.queue`): on this process's own queue, run by its
        in-process worker (the render itself in a child process), or with ``farm`` on the export queue of the
        encoder it needs, for any ``cutline worker``. With ``conn`` (a psycopg connection in a transaction,
        e.g. the one saving the project revision) the job is enqueued in that transaction. With ``farm`` and
        ``chunks`` > 1 it is a chunked export (:mod:`editor.jobs.chunked`): this process coordinates parts
        rendered on the workers and joins them. Without a
        reachable queue a local export runs in this process anyway. Raises RenderError (one line) at once for
        an unknown preset or an empty range. Any thread.
        """
        out = Path(out_path).expanduser().absolute()
        if isinstance(timeline, RenderSpec):
            spec, frames = timeline, (0, timeline.frame_count)
        else:
            spec = render_spec_for(timeline, preset=preset, in_out=in_out)
            frames = export_range(timeline, in_out)
        params = {"title": title or f"Export {out.name}", "out": str(out), "preset": preset,
                  "range": list(frames), "frames": spec.frame_count, "size": [spec.width, spec.height],
                  "mode": spec.mode, "host": this_host(), "pid": os.getpid()}
        if preset in PRESETS:
            params["preset_label"] = PRESETS[preset].label
        job_id = str(uuid.uuid4())
        args = {"job_id": job_id, "spec": spec.to_json(), "out": str(out), "params": params,
                "project_id": project_id, "python": self.python}
        if farm and chunks > 1:
            from editor.jobs.chunked import ChunkedExport, part_specs

            part_specs(spec, chunks)  # refuses at once what cannot be chunked
            params["chunks"] = chunks
            coordinator = ChunkedExport(self, spec, out, chunks, lambda: job_id, params, project_id)
            return self._start("export", coordinator, params, project_id=project_id, output_path=str(out),
                               job_id=job_id)
        if farm:
            self._defer_farm(job_id, args, spec, out, conn=conn)
            return job_id
        state = self._new_state(job_id, "export", params, project_id, str(out))
        job = _Job(state, params, queued=True)
        with self._lock:
            self._jobs[job_id] = job
        try:
            self._defer(lambda c: queue.defer(self.app, "export", args, queue=queue.local_queue(self.instance_id),
                                              conn=c), conn)
            self.ensure_local_worker()
        except Exception as exc:  # noqa: BLE001 - no queue (PostgreSQL away): run it here, recorded later
            log.warning("export %s: the job queue is unreachable (%s); rendering in this process", job_id,
                        _one_line(exc))
            job.queued = False
            self._ensure_watching()
            threading.Thread(target=self._run, args=(job, self._export_work(args), None),
                             name=f"job-export-{job_id[:8]}", daemon=True).start()
        return job_id

    def enqueue_media(self, kind: str, path: str, *, out: str | None = None, farm: bool = True,
                      conn: Any = None, job_id: str | None = None, title: str | None = None, **extra: Any) -> str:
        """Queue a proxy, filmstrip (``thumbnails``) or waveform of the file at ``path``; its job id (``job_id``
        when given). Without ``farm`` it goes on this process's own queue, for its in-process worker. One per
        file is queued at a time: a second raises ``procrastinate.exceptions.AlreadyEnqueued``. Any thread
        (blocks on PostgreSQL for the insert)."""
        from editor.jobs.media_tasks import media_lock

        kind = "thumbnails" if kind in ("filmstrip", "filmstrips") else kind
        job_id = job_id or str(uuid.uuid4())
        params = {"title": title or f"{kind.capitalize()} {Path(path).name}", "host": this_host(),
                  "pid": os.getpid()}
        args = {"job_id": job_id, "path": str(path), "params": params, **({"out": out} if out else {}), **extra}
        name = queue.MEDIA_QUEUE if farm else queue.local_queue(self.instance_id)
        self._defer(lambda c: queue.defer(self.app, kind, args, queue=name, conn=c,
                                          queueing_lock=media_lock(kind, str(path))), conn)
        if not farm:
            self.ensure_local_worker()
        return job_id

    # ---- the queue ---------------------------------------------------------------------------------
    @property
    def app(self) -> Any:
        """The Procrastinate app used to enqueue (never opened: every defer runs on one of our connections)."""
        if self._app is None:
            self._app = queue.make_app(self.store.endpoints.database_url)
        return self._app

    def _defer(self, fn: Callable[[Any], Any], conn: Any = None) -> Any:
        if conn is not None:
            return fn(conn)
        with self.repo.db.connection() as c:
            return fn(c)

    def _defer_farm(self, job_id: str, args: dict[str, Any], spec: RenderSpec, out: Path, *, conn: Any = None,
                    parent: str = "") -> None:
        from editor.media.render_output import VIDEO_ENCODERS, choose_codecs

        _fmt, vc, _ac = choose_codecs(out, spec.video_codec, spec.audio_codec, spec.has_video)
        encoder = VIDEO_ENCODERS.get(vc) if vc else None
        name = queue.export_queue(encoder, spec.mode)
        args["params"] = {**args["params"], "queue": name, **({"parent": parent} if parent else {})}
        self._defer(lambda c: queue.defer(self.app, "export", args, queue=name, conn=c), conn)
        now = time.time()
        pending = JobState(job_id, "export", "pending", 0.0, f"waiting for a worker ({name})",
                           str(args["params"].get("title", "export")), "", args.get("project_id"), now, now,
                           None, str(out), now, "queue", "", parent)
        if conn is None:  # in a caller's transaction the job may yet be rolled back: its worker shows it
            write_progress(self.redis, pending, first=True)
            self._publish("progress", pending)

    def ensure_local_worker(self) -> None:
        """Start this process's queue worker (a thread) if it is not running. Any thread."""
        with self._lock:
            if self._local_worker is not None or self._closed.is_set():  # not after close(): nothing stops it
                return
            self._local_worker = queue.QueueWorker(
                self.store.endpoints.database_url, self, name=self.worker_name,
                queues=[queue.local_queue(self.instance_id)], concurrency=4, heartbeat=5.0, stalled_after=20.0,
                redis=None, host=this_host()).start_thread()

    def _export_work(self, args: dict[str, Any]) -> JobWork:
        spec = RenderSpec.from_json(args["spec"])
        if self.path_map:
            from editor.jobs.paths import map_spec

            spec = map_spec(spec, self.path_map)
        out = Path(args["out"])
        python = args.get("python") or self.python

        def work(report: ProgressCallback, cancel: threading.Event) -> RenderResult:
            from editor.jobs.paths import check_readable

            check_readable(spec)
            return render_in_subprocess(spec, out, report, cancel, python=python)

        return work

    def _new_state(self, job_id: str, kind: str, params: dict[str, Any], project_id: int | None,
                   output_path: str | None) -> JobState:
        now = time.time()
        return JobState(job_id, kind, RUNNING, 0.0, "starting", str(params.get("title", kind)), self.instance_id,
                        project_id, now, now, None, output_path, now, "local", self.worker_name,
                        str(params.get("parent", "")))

    def execute(self, kind: str, args: dict[str, Any], should_abort: Callable[[], Any] | None = None
                ) -> tuple[JobState, bool]:
        """Run a queue task's job here and now (the worker's thread); its final state, and True when it was
        handed back because the worker is stopping. Blocks until the job ends."""
        job_id = str(args["job_id"])
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.state.finished:
                params = dict(args.get("params") or {})
                state = self._new_state(job_id, kind, params, args.get("project_id"),
                                        args.get("out") if kind == "export" else None)
                job = _Job(state, params)
                self._jobs[job_id] = job
            job.queued = False
            job.handing_back = False
            job.should_abort = should_abort
            job.done.clear()
            job.params["worker"] = self.worker_name
            job.state = replace(job.state, worker=self.worker_name, owner=self.instance_id)
        self._ensure_watching()
        if kind == "export":
            work = self._export_work(args)
        else:
            from editor.jobs.media_tasks import media_work

            work = media_work(kind, args, self.store, self.path_map, self.gate)
        self._run(job, work, None)
        return job.state, job.handing_back

    def start_thread_job(self, kind: str, fn: JobWork, params: dict[str, Any] | None = None, *,
                         project_id: int | None = None, title: str | None = None,
                         on_done: Callable[[JobState, Any], None] | None = None) -> str:
        """Run ``fn(progress_cb, cancel_event)`` on a worker thread as a job of ``kind`` (thumbnails —
        also called filmstrip —, waveform, probe, proxy); returns the job id at once.

        ``progress_cb(percent, message)`` may be called as often as ``fn`` likes (it is throttled);
        ``fn`` should return soon after ``cancel_event`` is set (raising anything then counts as
        cancelled). ``on_done(state, result)`` runs on the worker thread at the end. Any thread.
        """
        kind = "thumbnails" if kind in ("filmstrip", "filmstrips") else kind
        if kind not in KINDS or kind == "export":
            raise ValueError(f"not a thread job kind: {kind!r}")
        params = dict(params or {})
        params.setdefault("title", title or kind.capitalize())
        params.setdefault("host", this_host())
        params.setdefault("pid", os.getpid())
        return self._start(kind, fn, params, project_id=project_id, on_done=on_done)

    def _start(self, kind: str, work: JobWork, params: dict[str, Any], *, project_id: int | None,
               output_path: str | None = None, on_done: Callable[[JobState, Any], None] | None = None,
               job_id: str | None = None) -> str:
        job_id = job_id or str(uuid.uuid4())
        now = time.time()
        state = JobState(job_id, kind, RUNNING, 0.0, "starting", str(params.get("title", kind)),
                         self.instance_id, project_id, now, now, None, output_path, now, "local")
        job = _Job(state, params)
        with self._lock:
            self._jobs[job_id] = job
        self._ensure_watching()
        thread = threading.Thread(target=self._run, args=(job, work, on_done),
                                  name=f"job-{kind}-{job_id[:8]}", daemon=True)
        thread.start()
        return job_id

    # ---- the job's thread --------------------------------------------------------------------------
    def _run(self, job: _Job, work: JobWork, on_done: Callable[[JobState, Any], None] | None) -> None:
        state = job.state
        recorded = True
        if self.below_playback:
            lower_thread_priority(EXPORT_NICE if state.operation == "export" else BACKGROUND_NICE)
        try:
            self.repo.start(state.id, state.operation, job.params, self.instance_id,
                            project_id=state.project_id, output_path=state.output_path)  # write 1 of 2
        except StoreError as exc:
            recorded = False  # keep working; the end is recorded when the database is back
            log.warning("job %s: could not record its start: %s", state.id, exc)
        write_progress(self.redis, state, first=True)
        self._publish("job_started", state)
        self._notify(state)
        status, message, result = "complete", "done", None
        try:
            if job.cancel.is_set():
                raise JobCancelled("cancelled before it started")
            if self.gate is not None and state.operation != "export" and not self.gate.wait_idle(job.cancel):
                raise JobCancelled("cancelled before it started")
            result = work(lambda p, m: self._report(job, p, m), job.cancel)
            if isinstance(result, RenderResult) and (said := result.report_lines()):
                message = "; ".join(said)  # the copy plan, seams re-encoded: said, kept
            if job.cancel.is_set() and state.operation != "export":
                status, message = "cancelled", "cancelled"
        except RenderCancelled:
            status, message = "cancelled", "cancelled"
        except BaseException as exc:  # noqa: BLE001 - a job's failure is reported, never raised
            if job.cancel.is_set():
                status, message = "cancelled", "cancelled"
            else:
                status, message = "error", _one_line(exc)
                job.error = exc
                if not isinstance(exc, Exception):
                    log.error("job %s stopped by %s", state.id, type(exc).__name__)
        job.result = result
        if job.handing_back:
            self._hand_back(job)
            return
        self._finish(job, status, message, recorded)
        if on_done is not None:
            try:
                on_done(job.state, result)
            except Exception:  # noqa: BLE001
                log.exception("job %s: on_done failed", state.id)

    def _report(self, job: _Job, progress: float, message: str) -> None:
        now = time.monotonic()
        progress = max(0.0, min(100.0, float(progress)))
        with job.lock:
            if job.state.finished:
                return
            if now - job.last_sent < MIN_INTERVAL and progress < 100.0:
                job.held = (progress, message)
                return
            job.last_sent = now
            job.held = None
            self._send_progress(job, progress, message)

    def _send_progress(self, job: _Job, progress: float, message: str) -> None:
        """Store and publish a running job's progress; the caller holds ``job.lock``."""
        if job.state.finished:
            return
        now = time.time()
        state = replace(job.state, progress=progress, message=message, updated_at=now, beat_at=now)
        job.state = state
        job.last_beat = time.monotonic()
        write_progress(self.redis, state)
        self._publish("progress", state)
        self._notify(state)

    def _finish(self, job: _Job, status: str, message: str, recorded: bool) -> None:
        now = time.time()
        with job.lock:
            job.held = None
            if status == "complete" and job.state.progress < 100.0:
                self._send_progress(job, 100.0, "done")
            state = replace(job.state, status=status, message=message, finished_at=now, updated_at=now,
                            progress=100.0 if status == "complete" else job.state.progress)
            job.state = state
        error = message if status == "error" else None
        said = message if status == "complete" and message != "done" else None
        try:
            changed = self.repo.finish(state.id, status, output_path=state.output_path if status == "complete"
                                       else None, error_message=error, owner=self.instance_id,
                                       message=said)  # write 2 of 2
            if not changed and not recorded:
                self.repo.start(state.id, state.operation, job.params, self.instance_id,
                                project_id=state.project_id, output_path=state.output_path)
                self.repo.finish(state.id, status, error_message=error, owner=self.instance_id, message=said)
        except StoreError as exc:
            log.warning("job %s: could not record its end (%s): %s", state.id, status, exc)
        write_final(self.redis, state)
        self._publish(status, state)
        self._notify(state)
        job.done.set()

    def _hand_back(self, job: _Job) -> None:
        """The worker stops: the job goes back to the queue (no final write; the next worker starts it)."""
        with job.lock:
            job.held = None
            job.state = replace(job.state, message="handed back to the queue", updated_at=time.time())
        write_progress(self.redis, job.state)
        self._publish("progress", job.state)
        with self._lock:
            self._jobs.pop(job.state.id, None)
        job.done.set()

    def _publish(self, event_type: str, state: JobState) -> None:
        try:
            self.bus.publish(event_type, **state.event_data())
        except Exception:  # noqa: BLE001 - a lost event is logged, never fatal
            log.exception("could not publish a job event")

    def _notify(self, state: JobState) -> None:
        for listener in list(self._listeners):
            try:
                listener(state)
            except Exception:  # noqa: BLE001
                log.exception("a job listener failed")

    # ---- cancelling and watching -------------------------------------------------------------------
    def cancel(self, job_id: str) -> bool:
        """Cancel a job, whichever process runs it; True if it is this runner's (it stops at once).
        Any thread; never blocks on PostgreSQL."""
        job = self._jobs.get(job_id)
        asking = threading.Thread(target=self._cancel_in_queue, args=(job_id,), name="cutline-cancel", daemon=True)
        asking.start()
        self._cancelling.append(asking)
        if job is not None:
            job.cancel.set()
            return True
        request_cancel(self.redis, self.bus, job_id)
        return False

    def _cancel_in_queue(self, job_id: str) -> None:
        try:
            queue.cancel(self.app, self.repo.db, job_id)
            if job_id not in self._jobs and queue.queue_status(self.repo.db, job_id) == "cancelled":
                # it never started (no worker took it): nobody else will say it ended
                known = read_job(self.redis, self.repo, job_id)
                now = time.time()
                final = replace(known, status="cancelled", message="cancelled before a worker took it",
                                finished_at=now, updated_at=now) if known is not None else \
                    JobState(job_id, "export", "cancelled", 0.0, "cancelled before a worker took it",
                             finished_at=now, updated_at=now, source="queue")
                write_final(self.redis, final)
                self._publish("cancelled", final)
        except Exception as exc:  # noqa: BLE001 - the Redis key reaches a running job anyway
            log.info("job %s: could not cancel it in the queue: %s", job_id, exc)

    def _ensure_watching(self) -> None:
        with self._lock:
            if self._ticker is None:
                self._ticker = threading.Thread(target=self._tick, name="cutline-jobs-ticker", daemon=True)
                self._ticker.start()
            if self._subscription is None:
                try:
                    self._subscription = self.bus.subscribe(self._on_event)
                except Exception as exc:  # noqa: BLE001 - the cancel keys still work
                    log.warning("job runner: cannot listen for cancel requests: %s", exc)
                    self._subscription = False

    def _on_event(self, event: Event) -> None:
        if event.type == "cancelled" and event.get("request"):
            job = self._jobs.get(str(event.get("operationId")))
            if job is not None:
                job.cancel.set()

    def _tick(self) -> None:
        last_cancel_check = 0.0
        while not self._closed.wait(TICK):
            with self._lock:
                running = [j for j in self._jobs.values() if not j.state.finished and not j.queued]
            if not running:
                continue
            now = time.monotonic()
            if now - last_cancel_check >= 0.5:
                last_cancel_check = now
                for job_id in cancel_requested(self.redis, [j.state.id for j in running]):
                    self._jobs[job_id].cancel.set()
            for job in running:
                if job.should_abort is not None and not job.cancel.is_set():
                    reason = job.should_abort()
                    if reason is not None:
                        job.handing_back = getattr(reason, "value", "") == "shutdown"
                        job.cancel.set()
                with job.lock:
                    if job.state.finished:
                        continue
                    if job.held is not None and now - job.last_sent >= MIN_INTERVAL:
                        held, job.held, job.last_sent = job.held, None, now
                        self._send_progress(job, *held)
                    elif now - job.last_beat >= BEAT_EVERY:
                        job.last_beat = now
                        job.state = replace(job.state, beat_at=time.time())
                        write_progress(self.redis, job.state)

    # ---- reading -----------------------------------------------------------------------------------
    def owns(self, job_id: str) -> bool:
        return job_id in self._jobs

    def local_state(self, job_id: str) -> JobState | None:
        job = self._jobs.get(job_id)
        return job.state if job is not None else None

    def status(self, job_id: str) -> JobState | None:
        """A job's state: this runner's own jobs from memory, others from Redis first and PostgreSQL
        only when Redis has nothing. Blocks briefly; worker thread (it may ask PostgreSQL)."""
        local = self.local_state(job_id)
        return local if local is not None else read_job(self.redis, self.repo, job_id)

    def recent(self, limit: int = 50) -> list[JobState]:
        """Running and recent jobs of every process: Redis (the last hour) first, PostgreSQL only when
        Redis has nothing. Worker thread."""
        states = recent_from_redis(self.redis, limit)
        if not states:
            states = [JobState.from_row(r) for r in self.repo.recent(limit)]
        by_id = {s.id: s for s in states}
        for job in list(self._jobs.values()):
            by_id[job.state.id] = job.state
        return order_for_panel(list(by_id.values()))[:limit]

    def wait(self, job_id: str, timeout: float | None = None) -> JobState | None:
        """Block until this runner's job ends; its final state (None on timeout or unknown id)."""
        job = self._jobs.get(job_id)
        if job is None or not job.done.wait(timeout):
            return None
        return job.state

    def result(self, job_id: str) -> Any:
        job = self._jobs.get(job_id)
        return job.result if job is not None else None

    def running(self) -> list[str]:
        return [j.state.id for j in self._jobs.values() if not j.state.finished and not j.queued]

    def close(self, *, cancel: bool = True, timeout: float = 10.0) -> None:
        """Cancel (or let finish) this runner's jobs, wait for them, stop watching."""
        jobs = list(self._jobs.values())
        if cancel:
            for job in jobs:
                job.cancel.set()
        deadline = time.monotonic() + timeout
        for job in jobs:
            job.done.wait(max(0.0, deadline - time.monotonic()))
        for asking in self._cancelling:
            asking.join(max(0.5, deadline - time.monotonic()))
        self._closed.set()
        with self._lock:  # a worker thread may be starting the queue worker right now
            worker, self._local_worker = self._local_worker, None
        if worker is not None:
            worker.stop(timeout=max(1.0, deadline - time.monotonic()))
        if self._subscription:
            self._subscription.close()
            self._subscription = None


def request_cancel(redis: RedisConnection, bus: Bus | None, job_id: str) -> None:
    """Ask whichever process runs ``job_id`` to cancel it: the ``job:{id}:cancel`` key (watched by the
    owner) and a ``cancelled`` event with ``request: true`` (seen at once). Any thread; no PostgreSQL."""
    redis.call(lambda c: c.set(cancel_key(job_id), "1", ex=3600), None)
    if bus is not None:
        try:
            bus.publish("cancelled", operationId=job_id, request=True, message="cancel requested")
        except Exception:  # noqa: BLE001
            log.exception("could not publish a cancel request")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 500 else text[:497] + "..."
