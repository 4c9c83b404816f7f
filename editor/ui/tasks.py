"""Blocking work off the Qt thread, results back on it.

``Tasks.run(fn, *args, on_done=..., on_error=...)`` runs ``fn`` on a small thread pool and calls the
callbacks on the Qt main thread (through a queued signal), after checking that the owner still lives
(as Picard's ``run_task`` does). It returns a ``concurrent.futures.Future``; a coroutine on the qasync
loop may ``await asyncio.wrap_future(future)`` instead of passing callbacks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

log = logging.getLogger(__name__)


class Tasks(QObject):
    """Create on the Qt main thread; ``run`` may be called from it only."""

    _finished = Signal(object, object, object, object)  # on_done, on_error, result, error

    def __init__(self, parent: QObject | None = None, workers: int = 4) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cutline-task")
        self._finished.connect(self._deliver)
        self._closed = False

    def run(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> Future[Any]:
        if self._closed:  # the window is closing: late events start no new work
            late: Future[Any] = Future()
            late.cancel()
            return late

        def call() -> Any:
            try:
                result = fn(*args)
            except BaseException as exc:  # noqa: BLE001 - handed to on_error on the Qt thread
                if not self._closed:
                    self._finished.emit(on_done, on_error, None, exc)
                raise
            if not self._closed:
                self._finished.emit(on_done, on_error, result, None)
            return result

        return self._pool.submit(call)

    @Slot(object, object, object, object)
    def _deliver(self, on_done: Any, on_error: Any, result: Any, error: Any) -> None:
        if error is not None:
            if on_error is not None:
                on_error(error)
            else:
                log.error("background task failed", exc_info=error)
            return
        if on_done is not None:
            on_done(result)

    def shutdown(self, wait: bool = True) -> None:
        self._closed = True
        self._pool.shutdown(wait=wait, cancel_futures=True)
