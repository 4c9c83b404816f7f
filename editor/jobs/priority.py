"""Playback before background work: a shared "playback active" gate and OS priorities for job threads.

- :class:`PlaybackGate` is set by the viewer while it plays; background jobs of the same process
  (proxies, filmstrips, waveforms) call :meth:`PlaybackGate.pause_point` between small pieces of work
  and wait there while playback is active, then resume where they were when it stops.
- :func:`lower_thread_priority` lowers the calling thread's OS priority (Linux: per-thread nice through
  ``os.setpriority(PRIO_PROCESS, native_thread_id)``; threads and child processes it starts inherit it, so
  an export's render child and FFmpeg's own decoder threads run below the player too).
- :class:`BackgroundExecutor` is a small pool whose threads run at that lower priority.
- :func:`player_threads` sizes the player's decoder to the machine's cores; background decoders use
  :data:`BACKGROUND_THREADS`.

Any thread; no Qt.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

log = logging.getLogger(__name__)

#: nice increment of background media threads (proxies, filmstrips, waveforms): the lowest priority.
BACKGROUND_NICE = 19
#: nice increment of an export's driving thread (its render child inherits it): below the player.
EXPORT_NICE = 10
#: decoder threads of background readers (the player keeps the cores).
BACKGROUND_THREADS = 1
_POLL = 0.1  # how often a paused job looks at its cancel event

T = TypeVar("T")


def player_threads() -> int:
    """Decoder threads for the player: one per core this process may use (at least 2). Any thread."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 2
    return max(2, cores)


def lower_thread_priority(increment: int = BACKGROUND_NICE) -> int | None:
    """Lower the OS priority of the calling thread by ``increment`` nice steps (never raises it).

    Returns the thread's nice value afterwards, or None where per-thread priorities are not available
    (the work then just runs at normal priority). Call it on the thread to lower; threads and processes
    it starts afterwards inherit it (Linux).
    """
    if increment <= 0:
        return None
    try:
        tid = threading.get_native_id()
        if not hasattr(os, "setpriority") or os.uname().sysname != "Linux":
            # Elsewhere setpriority(PRIO_PROCESS) would lower the whole process, the player with it.
            return None
        current = os.getpriority(os.PRIO_PROCESS, tid)
        target = min(19, current + increment)
        if target > current:
            os.setpriority(os.PRIO_PROCESS, tid, target)
        return os.getpriority(os.PRIO_PROCESS, tid)
    except (OSError, AttributeError) as exc:
        log.debug("cannot lower the priority of this thread: %s", exc)
        return None


def thread_nice() -> int | None:
    """The calling thread's nice value (Linux), else None. Any thread."""
    try:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    except (OSError, AttributeError):
        return None


class PlaybackGate:
    """The "playback active" flag of one process. Any thread.

    The player calls :meth:`set_playing`; background work calls :meth:`pause_point` (or
    :meth:`wait_idle`) often, and waits there while playback is active. ``waits`` counts how many
    times work actually paused (statistics for tests and the bench).
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._playing = False
        self.waits = 0
        self.paused_seconds = 0.0

    @property
    def playing(self) -> bool:
        """True while playback is active. Any thread."""
        return self._playing

    def set_playing(self, playing: bool) -> None:
        """Playback started (True) or stopped (False): paused work resumes at once on False. Any thread."""
        with self._cond:
            self._playing = bool(playing)
            self._cond.notify_all()

    def wait_idle(self, cancel: threading.Event | None = None, timeout: float | None = None) -> bool:
        """Block while playback is active. True when playback is not active (go on), False when
        ``cancel`` was set or ``timeout`` passed first. Worker thread (never the Qt thread)."""
        if not self._playing:
            return not (cancel is not None and cancel.is_set())
        deadline = None if timeout is None else time.monotonic() + timeout
        t0 = time.monotonic()
        with self._cond:
            self.waits += 1
            try:
                while self._playing:
                    if cancel is not None and cancel.is_set():
                        return False
                    wait = _POLL if deadline is None else min(_POLL, deadline - time.monotonic())
                    if wait <= 0:
                        return False
                    self._cond.wait(wait)
            finally:
                self.paused_seconds += time.monotonic() - t0
        return not (cancel is not None and cancel.is_set())

    def pause_point(self, cancel: threading.Event | None = None) -> Callable[[], None]:
        """A function for media work to call between pieces of work: waits while playback is active.
        Worker thread."""
        def pause() -> None:
            self.wait_idle(cancel)
        return pause


class BackgroundExecutor:
    """A thread pool for background media work, its threads at :data:`BACKGROUND_NICE`. Any thread."""

    def __init__(self, workers: int = 1, name: str = "cutline-background") -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name,
                                        initializer=lower_thread_priority)

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Run ``fn(*args)`` on a low-priority thread. Any thread."""
        return self._pool.submit(fn, *args)

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on a low-priority thread and wait for its result (re-raising its error).
        Worker thread (it blocks)."""
        return self._pool.submit(fn, *args).result()

    def shutdown(self, wait: bool = False) -> None:
        """Stop taking work. Any thread."""
        self._pool.shutdown(wait=wait, cancel_futures=True)
