"""Telling other windows that this one saved, without ever making the saver or the window wait.

:class:`SavedPublisher` publishes ``project_saved`` (project id, revision) on its own daemon thread. A newer
revision replaces one not yet sent (the receivers only need the newest: they read every row since the
revision they know), so a hung or refusing Redis delays nothing but this thread, and no backlog builds up.
Thread: ``saved`` from any thread (returns at once); the bus call runs on this module's thread. No Qt.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Protocol

log = logging.getLogger(__name__)


class _Bus(Protocol):
    def publish(self, event_type: str, **data: Any) -> bool: ...


class SavedPublisher:
    """Publishes the newest saved revision of one project."""

    def __init__(self, bus: _Bus, project_id: int) -> None:
        self.bus = bus
        self.project_id = project_id
        self._cond = threading.Condition()
        self._next = 0  # revision waiting to be sent (0: none)
        self._sending = False
        self._closed = False
        self.sent = 0  # newest revision the bus accepted
        self._thread = threading.Thread(target=self._run, name=f"cutline-publish-{project_id}", daemon=True)
        self._thread.start()

    def saved(self, revision: int) -> None:
        """Any thread; never blocks."""
        with self._cond:
            if revision > self._next:
                self._next = revision
                self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._next or self._closed)
                if not self._next:
                    return
                revision, self._next, self._sending = self._next, 0, True
            try:
                if self.bus.publish("project_saved", projectId=self.project_id, revision=revision):
                    self.sent = max(self.sent, revision)
            except Exception:  # noqa: BLE001 - a lost event is logged, never fatal (readers also poll)
                log.exception("publishing a save failed")
            with self._cond:
                self._sending = False
                self._cond.notify_all()

    def close(self, timeout: float = 1.0) -> bool:
        """Send what is waiting within ``timeout``, then stop; False if the bus did not take it in time."""
        with self._cond:
            done = self._cond.wait_for(lambda: not self._next and not self._sending, timeout)
            self._closed = True
            self._cond.notify_all()
        return done
