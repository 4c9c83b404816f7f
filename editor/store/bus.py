"""The event channel every Cutline window listens to.

Events are versioned JSON objects ``{"v": 1, "type": ..., "source": instance id, ...payload}``:
``progress`` / ``complete`` / ``error`` (``operationId``, ``operation``, ``progress`` 0–100, ``message``),
``project_saved`` (``projectId``, ``revision``), ``heartbeat``. A malformed or foreign message is dropped
and logged, never fatal.

Two carriers behind one interface: Redis pub/sub (default) and PostgreSQL LISTEN/NOTIFY (where there is
no Redis). A subscriber runs its own daemon thread, reconnects with back-off (50 ms doubling to 2 s)
when the server goes away, and calls ``on_reconnect`` so the caller can catch up from stored state.
Callbacks run on that thread: the UI must hand them to the Qt thread (a signal). A listener reads what has
arrived in batches and, when it has fallen behind (a batch of more than ``COALESCE_ABOVE``), coalesces the batch
before calling back (:func:`coalesce`: the newest progress of an
operation, the newest save of a project, the newest heartbeat of a window; every other event as it came), so a
flood of events costs the receiver one call per operation, not one per message. No Qt here.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import psycopg
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from editor.store.redis_conn import RedisConnection, no_handshake

log = logging.getLogger(__name__)

CHANNEL = "cutline:events"
PG_CHANNEL = "cutline_events"
PROTOCOL_VERSION = 1
EVENT_TYPES = frozenset({"progress", "complete", "error", "cancelled", "project_saved", "heartbeat", "job_started"})
MAX_PAYLOAD = 7900  # PostgreSQL NOTIFY payloads must stay under 8000 bytes
BACKOFF_MIN, BACKOFF_MAX = 0.05, 2.0
SOCKET_TIMEOUT = 1.0  # seconds a listener's handshake read may wait (a hung server), never longer
STREAM_TIMEOUT = 15.0  # seconds a subscribed listener's read under way may wait (a flood on a busy machine)


@dataclass(frozen=True, slots=True)
class Event:
    type: str
    source: str
    data: dict[str, Any] = field(default_factory=dict)
    sent_at: float = 0.0

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)


def encode_event(event_type: str, source: str, data: dict[str, Any]) -> str:
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    text = json.dumps(
        {"v": PROTOCOL_VERSION, "type": event_type, "source": source, "t": time.time(), **data},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    if len(text.encode()) > MAX_PAYLOAD:
        raise ValueError("event too large for the channel")
    return text


def _parse_message(raw: bytes | str) -> Any:
    """An incoming message's JSON within limits: at most twice the largest payload, nested at most 8
    deep, finite numbers. ValueError otherwise (a deeply nested message would raise RecursionError from
    ``json.loads`` and take the listener down)."""
    from editor.store.validate import parse_json

    obj = parse_json(raw, max_bytes=2 * MAX_PAYLOAD, max_depth=8)
    if isinstance(obj, dict) and not isinstance(obj.get("type", ""), str):
        raise ValueError("the message's type is not a string")
    return obj


def decode_event(raw: bytes | str) -> Event | None:
    """The event, or None (logged) when the message is malformed, foreign or from a newer protocol."""
    try:
        obj = _parse_message(raw)
    except (ValueError, UnicodeDecodeError):
        log.warning("dropped a malformed message on the event channel: %.80r", raw)
        return None
    if not isinstance(obj, dict) or obj.get("v") != PROTOCOL_VERSION or obj.get("type") not in EVENT_TYPES:
        log.warning("dropped a foreign message on the event channel: %.80r", raw)
        return None
    source = obj.pop("source", "")
    event_type = obj.pop("type")
    sent_at = obj.pop("t", 0.0)
    obj.pop("v", None)
    return Event(
        event_type, str(source), obj, float(sent_at) if isinstance(sent_at, (int, float)) else 0.0
    )


Callback = Callable[[Event], None]


class Subscription(Protocol):
    def close(self) -> None: ...


class EventBus(Protocol):
    """Publish and subscribe; ``publish`` never raises (a lost event is logged)."""

    source: str

    def publish(self, event_type: str, **data: Any) -> bool: ...
    def subscribe(self, callback: Callback, on_reconnect: Callable[[], None] | None = None) -> Subscription: ...


class _ListenerThread:
    """Runs ``loop(stop)`` again after each failure, with back-off; calls ``on_reconnect`` after one."""

    def __init__(self, name: str, loop: Callable[[threading.Event, Callable[[], None]], None],
                 on_reconnect: Callable[[], None] | None) -> None:
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._settled = threading.Event()  # subscribed, or the first attempt failed (then it retries behind)
        self._loop = loop
        self._on_reconnect = on_reconnect
        self.reconnects = 0
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def wait_ready(self, timeout: float = 5.0) -> bool:
        """Wait until subscribed (True) or the first attempt failed (False: it keeps retrying behind)."""
        self._settled.wait(timeout)
        return self._ready.is_set()

    def _run(self) -> None:
        backoff = BACKOFF_MIN
        failed = False
        while not self._stop.is_set():
            try:

                def ready() -> None:
                    nonlocal backoff, failed
                    backoff = BACKOFF_MIN
                    self._ready.set()
                    self._settled.set()
                    if failed:
                        failed = False
                        self.reconnects += 1
                        if self._on_reconnect is not None:
                            try:
                                self._on_reconnect()
                            except Exception:  # noqa: BLE001 - a catch-up bug must not kill the listener
                                log.exception("catch-up after reconnect failed")

                self._loop(self._stop, ready)
            except Exception as exc:  # noqa: BLE001 - any server failure means: reconnect
                if self._stop.is_set():
                    break
                if not failed:
                    log.warning("event channel lost (%s); reconnecting", exc)
                failed = True
                self._settled.set()
                self._stop.wait(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)

    def close(self, timeout: float = 2.0) -> None:
        """Stop listening; waits at most ``timeout`` (the thread is a daemon: a read under way ends by itself
        within SOCKET_TIMEOUT). Any thread."""
        self._stop.set()
        self._thread.join(timeout=timeout)


BATCH_MAX = 2000  # messages read before calling back (a flood is coalesced in batches of this size)
COALESCE_ABOVE = 64  # a batch this small is delivered whole: only a receiver that fell behind sees coalescing


def coalesce(events: list[Event]) -> list[Event]:
    """The events a receiver needs from a batch, in arrival order: for ``progress`` only the newest of each
    operation, for ``project_saved`` the highest revision of each project, for ``heartbeat`` the newest of each
    source; every other event (start, end, error, cancel) kept. Pure; any thread."""
    kept: dict[Any, tuple[int, Event]] = {}
    others: list[tuple[int, Event]] = []
    for n, event in enumerate(events):
        if event.type == "progress":
            key: Any = ("progress", event.source, str(event.get("operationId")))
        elif event.type == "heartbeat":
            key = ("heartbeat", event.source)
        elif event.type == "project_saved":
            key = ("project_saved", str(event.get("projectId")))
            old = kept.get(key)
            if old is not None and _revision(old[1]) > _revision(event):
                continue
        else:
            others.append((n, event))
            continue
        kept[key] = (n, event)
    return [e for _, e in sorted(others + list(kept.values()), key=lambda ne: ne[0])]


def _revision(event: Event) -> int:
    value = event.get("revision")
    return value if isinstance(value, int) else 0


def _deliver(callback: Callback, raws: list[bytes | str]) -> None:
    events = [e for e in (decode_event(raw) for raw in raws) if e is not None]
    for event in coalesce(events) if len(events) > COALESCE_ABOVE else events:
        try:
            callback(event)
        except Exception:  # noqa: BLE001 - one bad handler must not stop the channel
            log.exception("an event handler failed")


def _patient_reads(pubsub: Any) -> None:
    """Once subscribed, a read that has begun may wait STREAM_TIMEOUT: the short SOCKET_TIMEOUT guards the
    handshake of a hung server, but mid-stream (a flood read by a busy machine) it would cut a healthy
    connection and lose what was in flight. Idle waits never block: messages are polled with a timeout."""
    conn = getattr(pubsub, "connection", None)
    if conn is None:
        return
    conn.socket_timeout = STREAM_TIMEOUT
    sock = getattr(conn, "_sock", None)
    if sock is not None:
        sock.settimeout(STREAM_TIMEOUT)
    # redis-py's parser keeps the timeout it was connected with and puts it back on the socket after every
    # poll with a timeout of its own: without these, the second read of a flood waited 1 s again
    parser = getattr(conn, "_parser", None)
    buffer = getattr(parser, "_buffer", None)
    if buffer is not None and hasattr(buffer, "socket_timeout"):
        buffer.socket_timeout = STREAM_TIMEOUT
    if parser is not None and hasattr(parser, "_socket_timeout"):
        parser._socket_timeout = STREAM_TIMEOUT


def _confirmed(pubsub: Any) -> None:
    """Wait (at most SOCKET_TIMEOUT) for the server's reply to SUBSCRIBE: until it has come, a message
    published elsewhere may still miss this subscriber. Listener thread."""
    deadline = time.monotonic() + SOCKET_TIMEOUT
    while (left := deadline - time.monotonic()) > 0:
        message = pubsub.get_message(timeout=left)
        if message is not None and message.get("type") == "subscribe":
            return
    raise redis.TimeoutError("no reply to SUBSCRIBE")


def _next_message(pubsub: Any, wait: float) -> dict[str, Any] | None:
    """The next pub/sub message: waits ``wait`` seconds for its first byte, then up to STREAM_TIMEOUT for the rest.

    ``get_message(timeout=t)`` alone is not enough: since redis-py 8 it reads the message itself with ``t`` too,
    so with ``t == 0`` a large message whose tail is still on the wire raised a timeout and cut a healthy
    connection (the events behind it were lost). Listener thread."""
    conn = pubsub.connection
    if conn is None or not conn.can_read(timeout=wait):
        return None
    message: dict[str, Any] | None = pubsub.get_message(timeout=STREAM_TIMEOUT)
    return message


class RedisEventBus:
    """Events over Redis pub/sub. Thread: any."""

    def __init__(self, conn: RedisConnection, source: str) -> None:
        self.conn = conn
        self.source = source

    def publish(self, event_type: str, **data: Any) -> bool:
        text = encode_event(event_type, self.source, data)
        return self.conn.call(lambda c: c.publish(CHANNEL, text), None) is not None

    def subscribe(self, callback: Callback, on_reconnect: Callable[[], None] | None = None) -> _ListenerThread:
        url = self.conn.url
        if url is None:
            raise ValueError("no Redis configured")

        def loop(stop: threading.Event, ready: Callable[[], None]) -> None:
            # No silent retries inside redis-py: a lost connection must surface so ``ready`` runs again. Reads
            # wait at most SOCKET_TIMEOUT (the AUTH of a hung server); messages are polled with their own timeout;
            # no CLIENT SETINFO handshake.
            client = redis.Redis.from_url(url, socket_connect_timeout=1.0, socket_timeout=SOCKET_TIMEOUT,
                                          health_check_interval=10, retry=Retry(NoBackoff(), 0),
                                          **no_handshake())
            pubsub = client.pubsub()
            try:
                pubsub.subscribe(CHANNEL)
                _confirmed(pubsub)  # ready means subscribed: what is published from now on arrives
                _patient_reads(pubsub)
                ready()
                while not stop.is_set():
                    raws: list[bytes | str] = []
                    message = _next_message(pubsub, 0.5)
                    while message is not None and len(raws) < BATCH_MAX:  # whatever else has arrived
                        if message.get("type") == "message":
                            raws.append(message["data"])
                        message = _next_message(pubsub, 0.0)
                    if message is not None and message.get("type") == "message":
                        raws.append(message["data"])
                    if raws:
                        _deliver(callback, raws)
            finally:
                pubsub.close()
                client.close()

        listener = _ListenerThread("cutline-events-redis", loop, on_reconnect)
        listener.wait_ready()
        return listener


class PostgresEventBus:
    """Events over PostgreSQL LISTEN/NOTIFY, for machines without Redis. Thread: any."""

    def __init__(self, url: str, source: str) -> None:
        self.url = url
        self.source = source
        self._lock = threading.Lock()
        self._conn: psycopg.Connection | None = None

    def publish(self, event_type: str, **data: Any) -> bool:
        text = encode_event(event_type, self.source, data)
        try:
            with self._lock:
                if self._conn is None or self._conn.closed:
                    self._conn = psycopg.connect(self.url, autocommit=True, connect_timeout=2)
                self._conn.execute("SELECT pg_notify(%s, %s)", (PG_CHANNEL, text))
            return True
        except psycopg.Error as exc:
            log.warning("could not publish an event: %s", exc)
            with self._lock:
                self._conn = None
            return False

    def subscribe(self, callback: Callback, on_reconnect: Callable[[], None] | None = None) -> _ListenerThread:
        def loop(stop: threading.Event, ready: Callable[[], None]) -> None:
            with psycopg.connect(self.url, autocommit=True, connect_timeout=2) as conn:
                conn.execute(f"LISTEN {PG_CHANNEL}")
                ready()
                while not stop.is_set():
                    for notify in conn.notifies(timeout=0.5, stop_after=100):  # as they come (no batching here)
                        _deliver(callback, [notify.payload])

        listener = _ListenerThread("cutline-events-pg", loop, on_reconnect)
        listener.wait_ready()
        return listener

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def open_bus(redis_conn: RedisConnection, database_url: str, source: str) -> RedisEventBus | PostgresEventBus:
    """Redis pub/sub when Redis is configured, else PostgreSQL LISTEN/NOTIFY."""
    if redis_conn.configured:
        return RedisEventBus(redis_conn, source)
    return PostgresEventBus(database_url, source)
