"""What a window's jobs panel needs, without Qt: every process's jobs, live.

:class:`JobBoard` keeps the state of the running and recent jobs of every Cutline process. It fills
itself from Redis at once (so a window opened in the middle of an export shows its progress at once,
not after the next event), then follows the event channel; after the channel reconnects (Redis
restarted) it catches up from the Redis keys again. It never reads PostgreSQL unless Redis has nothing
at all (no Redis configured, or Redis down when the window opens).

:class:`JobsService` is the one object a window holds: the board, a :class:`JobRunner` for the jobs
the window starts, the window's presence heartbeat, and a reaper that fails other processes' orphaned
jobs (once from PostgreSQL at start, then every few seconds from Redis alone).

``on_change(state)`` runs on the bus listener thread or a worker thread: the window hands it to the
Qt thread with a signal. No Qt.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from editor.jobs.reaper import reap_orphaned_jobs
from editor.jobs.runner import JobRunner
from editor.jobs.state import JobState, order_for_panel, recent_from_redis
from editor.store.bus import Event
from editor.store.jobs_repo import JobRepository
from editor.store.presence import InstanceInfo, Presence

log = logging.getLogger(__name__)

REAP_EVERY = 10.0


class JobBoard:
    """The live list of jobs across processes. Thread: any; callbacks on the listener thread."""

    def __init__(self, store: Any, bus: Any, *, on_change: Callable[[JobState], None] | None = None,
                 on_presence: Callable[[Event], None] | None = None, limit: int = 50) -> None:
        self.store = store
        self.bus = bus
        self.limit = limit
        self.on_change = on_change
        self.on_presence = on_presence
        self._states: dict[str, JobState] = {}
        self._lock = threading.Lock()
        self._subscription: Any = None
        self._closed = False
        self.reconnects = 0  # times the channel came back and the board caught up from the keys

    def start(self) -> JobBoard:
        """Subscribe to the channel, then load the current state from Redis. Blocks briefly (worker
        thread at window start; never on the Qt thread)."""
        subscription = self.bus.subscribe(self._on_event, on_reconnect=self._caught_up)
        with self._lock:
            closed = self._closed
            if not closed:
                self._subscription = subscription
        if closed:  # closed while this start ran on its worker thread
            subscription.close()
            return self
        self.refresh()
        return self

    def _caught_up(self) -> None:
        self.reconnects += 1
        self.refresh()

    def refresh(self) -> list[JobState]:
        """Catch up from the stored state (Redis keys; PostgreSQL only when Redis has nothing)."""
        states = recent_from_redis(self.store.redis, self.limit)
        if states is None:  # no Redis configured, or unreachable
            try:
                states = [JobState.from_row(r) for r in JobRepository(self.store.db).recent(self.limit)]
            except Exception as exc:  # noqa: BLE001 - the panel stays as it is
                log.warning("cannot list jobs: %s", exc)
                states = []
        for state in states:
            self._merge(state)
        return self.snapshot()

    def snapshot(self) -> list[JobState]:
        """Running jobs first, then the most recent finished ones. No I/O."""
        with self._lock:
            states = list(self._states.values())
        return order_for_panel(states)[: self.limit]

    def get(self, job_id: str) -> JobState | None:
        with self._lock:
            return self._states.get(job_id)

    def _on_event(self, event: Event) -> None:
        if event.type == "heartbeat":
            if self.on_presence is not None:
                self.on_presence(event)
            return
        state = JobState.from_event(event)
        if state is not None:
            self._merge(state)

    def _merge(self, state: JobState) -> None:
        with self._lock:
            old = self._states.get(state.id)
            if old is not None:
                if old.finished and not state.finished:
                    return  # a late progress after the end
                if (not state.finished and old.updated_at and state.updated_at
                        and state.updated_at < old.updated_at):
                    return  # older than what is shown
                if old.started_at and not state.started_at:
                    state = replace(state, started_at=old.started_at)
                if old == state:
                    return
            self._states[state.id] = state
        if self.on_change is not None:
            try:
                self.on_change(state)
            except Exception:  # noqa: BLE001
                log.exception("a jobs panel callback failed")

    def close(self) -> None:
        """Stop following the channel; nothing is called back after this (the window may be gone)."""
        self.on_change = None
        self.on_presence = None
        with self._lock:
            self._closed = True
            subscription, self._subscription = self._subscription, None
        if subscription is not None:
            subscription.close()


class JobsService:
    """A window's jobs: list (every process's), start an export, cancel any job, who else is open.

    ``start()`` blocks briefly (Redis, one PostgreSQL query for the start-up reaping): call it on a
    worker thread. The other methods never block on PostgreSQL.
    """

    def __init__(self, store: Any, bus: Any, instance_id: str, *,
                 on_change: Callable[[JobState], None] | None = None,
                 on_presence: Callable[[Event], None] | None = None,
                 project_id: int | None = None, project_name: str | None = None,
                 kind: str = "window") -> None:
        self.store = store
        self.bus = bus
        self.instance_id = instance_id
        self.runner = JobRunner(store, bus, instance_id)
        self.board = JobBoard(store, bus, on_change=on_change, on_presence=on_presence)
        self._unlisten = self.runner.add_listener(self.board._merge)
        self.presence = Presence(store.redis, instance_id, project_id=project_id, project_name=project_name,
                                 kind=kind, bus=bus)
        self._stop = threading.Event()
        self._threads = threading.Lock()  # start() runs on a worker thread while the window's close() may run
        self._reaper: threading.Thread | None = None

    def start(self, *, reap: bool = True) -> JobsService:
        self.presence.start()
        self.board.start()
        try:  # this machine's queue worker: the window's own jobs take the same path as the farm's
            self.runner.ensure_local_worker()
        except Exception as exc:  # noqa: BLE001 - exports still run in this process without the queue
            log.warning("could not start this window's queue worker: %s", exc)
        if reap:
            self.reap(source="database")
            with self._threads:
                if self._reaper is None and not self._stop.is_set():  # not when closed while starting
                    reaper = threading.Thread(target=self._reap_loop, name="cutline-jobs-reaper", daemon=True)
                    reaper.start()
                    self._reaper = reaper
        return self

    def list_jobs(self) -> list[JobState]:
        """Running and recent jobs of every process with their current progress. No I/O."""
        return self.board.snapshot()

    def start_export(self, timeline: Any, out_path: str, preset: str = "high",
                     in_out: bool | tuple[int, int] = False, project_id: int | None = None, *,
                     farm: bool = False, chunks: int = 1) -> str:
        """Start an export job; returns its id at once (RenderError at once for a bad preset/range). With
        ``farm`` it is queued for the workers (``chunks`` > 1: in parts at once). Blocks briefly on
        PostgreSQL for the enqueue (a worker thread, or accept the few ms on the Qt thread like the dialog)."""
        return self.runner.start_export(timeline, out_path, preset, in_out, project_id, farm=farm, chunks=chunks)

    def cancel(self, job_id: str) -> None:
        """Cancel any job, this window's or another process's. Never blocks on PostgreSQL."""
        self.runner.cancel(job_id)

    def others(self) -> list[InstanceInfo]:
        """The other open windows and render processes (SCAN of the heartbeat keys; blocks briefly)."""
        return self.presence.others()

    def set_project(self, project_id: int | None, project_name: str | None) -> None:
        self.presence.set_project(project_id, project_name)

    def reap(self, source: str = "redis") -> list[str]:
        try:
            return reap_orphaned_jobs(self.store, self.bus, source=source, exclude_owner=self.instance_id)
        except Exception as exc:  # noqa: BLE001 - reaping is housekeeping
            log.warning("reaping orphaned jobs failed: %s", exc)
            return []

    def _reap_loop(self) -> None:
        while not self._stop.wait(REAP_EVERY):
            self.reap(source="redis")

    def close(self, *, cancel_jobs: bool = True) -> None:
        """Cancel this window's jobs (no partial files left), stop listening and beating."""
        self._stop.set()
        self.board.close()  # first: a job that ends while the runner closes is not shown to a closed window
        self._unlisten()
        self.runner.close(cancel=cancel_jobs)
        self.presence.stop()
        with self._threads:
            reaper, self._reaper = self._reaper, None
        if reaper is not None:
            reaper.join(timeout=2)
