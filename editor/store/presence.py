"""Who else is open: each Cutline process keeps a heartbeat key ``instance:{id}`` in Redis.

The value is JSON ``{instance, project_id, project_name, host, pid, started, kind}`` with a TTL of 30 s,
refreshed every 10 s by a daemon thread, so a window or render process that dies disappears within
30 s. :meth:`Presence.others` lists the other live instances with SCAN (never KEYS). Jobs name their
owner's instance id; the reaper (``editor.jobs.reaper``) fails jobs whose owner is gone.

When the bus is given, a ``heartbeat`` event goes out at start, on a project change and at stop, so
other windows update their list at once instead of at their next scan. Without Redis everything here
is a no-op (``others()`` is empty). Thread: any. No Qt.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

from editor.store.redis_conn import RedisConnection
from editor.store.validate import BadValue, drop, int_in, number_in, parse_json, text_in

log = logging.getLogger(__name__)

PREFIX = "instance:"
INSTANCE_TTL = int(os.environ.get("CUTLINE_INSTANCE_TTL", "30"))  # seconds; the env var is for tests
BEAT_INTERVAL = max(1.0, INSTANCE_TTL / 3)


class _Publisher(Protocol):
    def publish(self, event_type: str, **data: Any) -> bool: ...


@dataclass(frozen=True, slots=True)
class InstanceInfo:
    """One live Cutline process, as its heartbeat key describes it."""

    instance: str
    project_id: int | None
    project_name: str | None
    host: str
    pid: int
    started: float
    kind: str = "window"  # "window" or "render" (a CLI process)

    def to_json(self) -> dict[str, Any]:
        return {"instance": self.instance, "project_id": self.project_id, "project_name": self.project_name,
                "host": self.host, "pid": self.pid, "started": self.started, "kind": self.kind}

    @classmethod
    def from_json(cls, raw: bytes | str) -> InstanceInfo | None:
        """The heartbeat's info, or None (one logged line) when it is not a valid one (size, types, ranges)."""
        try:
            d = parse_json(raw, max_bytes=16 * 1024, max_depth=2)
            if not isinstance(d, dict):
                raise BadValue("not an object")
            return cls(
                str(text_in(d.get("instance"), "instance", max_len=100)),
                int_in(d.get("project_id"), 1, (1 << 63) - 1, "project_id", optional=True),
                text_in(d.get("project_name"), "project_name", max_len=1000, optional=True),
                str(text_in(d.get("host", ""), "host", max_len=255)),
                int(int_in(d.get("pid", 0), 0, 1 << 32, "pid") or 0),
                float(number_in(d.get("started", 0.0), 0, 1e11, "started") or 0.0),
                str(text_in(d.get("kind", "window"), "kind", max_len=20)),
            )
        except (ValueError, KeyError, TypeError) as exc:
            drop("heartbeat", "instance", exc)
            return None


def instance_key(instance_id: str) -> str:
    return f"{PREFIX}{instance_id}"


def this_host() -> str:
    return socket.gethostname()


def read_instance(conn: RedisConnection, instance_id: str) -> InstanceInfo | None | bool:
    """The live instance's info; None when its key is gone; False when Redis cannot be asked."""
    unreachable = object()
    raw: Any = conn.call(lambda c: c.get(instance_key(instance_id)), unreachable)
    if raw is unreachable:
        return False
    return InstanceInfo.from_json(raw) if raw is not None else None


def live_instances(conn: RedisConnection) -> list[InstanceInfo]:
    """Every live instance (SCAN ``instance:*``), oldest first; [] without Redis."""

    def scan(c: Any) -> list[InstanceInfo]:
        keys = list(c.scan_iter(match=f"{PREFIX}*", count=500))
        if not keys:
            return []
        found = [InstanceInfo.from_json(v) for v in c.mget(keys) if v is not None]
        return sorted((f for f in found if f is not None), key=lambda i: (i.started, i.instance))

    return conn.call(scan, [])


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this machine."""
    if type(pid) is not int or not 0 < pid < 1 << 31:
        return False
    import psutil  # never os.kill(pid, 0): on Windows that terminates the process it probes

    return bool(psutil.pid_exists(pid))


class Presence:
    """This process's heartbeat. ``start()`` once, ``set_project()`` when the window opens another
    project, ``stop()`` at exit (deletes the key). Thread: any."""

    def __init__(self, conn: RedisConnection, instance_id: str, *, project_id: int | None = None,
                 project_name: str | None = None, kind: str = "window", bus: _Publisher | None = None,
                 ttl: int = INSTANCE_TTL, interval: float | None = None) -> None:
        self.conn = conn
        self.instance_id = instance_id
        self.ttl = int(ttl)
        self.interval = float(interval if interval is not None else max(1.0, ttl / 3))
        self.bus = bus
        self._info = InstanceInfo(instance_id, project_id, project_name, this_host(), os.getpid(),
                                  time.time(), kind)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._threads = threading.Lock()  # guards _thread: start and stop may race

    @property
    def info(self) -> InstanceInfo:
        return self._info

    def start(self) -> Presence:
        """Write the key now and keep it alive from a daemon thread (every ``interval`` seconds)."""
        self.beat()
        self._announce()
        with self._threads:  # start() may run on a worker thread while the window's stop() runs
            if self._thread is None and not self._stop.is_set():
                thread = threading.Thread(target=self._run, name="cutline-presence", daemon=True)
                thread.start()
                self._thread = thread
        return self

    def beat(self) -> bool:
        """Write the heartbeat key once; False when Redis is away (the next beat tries again)."""
        with self._lock:
            text = json.dumps(self._info.to_json())
        key = instance_key(self.instance_id)
        written: Any = self.conn.call(lambda c: c.set(key, text, ex=self.ttl), None)
        return bool(written)

    def set_project(self, project_id: int | None, project_name: str | None) -> None:
        """The window now shows another project (or none): beat and tell the others at once."""
        with self._lock:
            old = self._info
            self._info = InstanceInfo(self.instance_id, project_id, project_name, old.host, old.pid,
                                      old.started, old.kind)
        self.beat()
        self._announce()

    def others(self) -> list[InstanceInfo]:
        """The other live instances (SCAN ``instance:*``); [] without Redis. Blocks briefly."""
        return [i for i in live_instances(self.conn) if i.instance != self.instance_id]

    def stop(self) -> None:
        """Stop beating and delete the key (others see this instance gone at once)."""
        self._stop.set()
        with self._threads:
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=2)
        self.conn.call(lambda c: c.delete(instance_key(self.instance_id)), None)
        self._announce(gone=True)

    def _announce(self, gone: bool = False) -> None:
        if self.bus is None:
            return
        try:
            self.bus.publish("heartbeat", **{**self._info.to_json(), "gone": gone})
        except Exception:  # noqa: BLE001 - presence must never take the program down
            log.debug("could not announce presence", exc_info=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.beat()
            except Exception:  # noqa: BLE001 - keep beating whatever happens
                log.exception("heartbeat failed")
