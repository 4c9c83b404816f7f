"""The event channel across real processes, on Redis and on PostgreSQL LISTEN/NOTIFY."""

from __future__ import annotations

import queue
import subprocess
import sys
import time
from pathlib import Path

import pytest

from editor.store.bus import CHANNEL, Event, PostgresEventBus, RedisEventBus, decode_event, encode_event
from editor.store.redis_conn import RedisConnection
from editor.store.servers import EmbeddedServers, valkey_binary

ROOT = Path(__file__).resolve().parents[2]

PUBLISHER = """
import sys, time
from editor.store.services import Store
from editor.store.bus import open_bus, PostgresEventBus
s = Store.open()
url = s.endpoints.database_url
bus = PostgresEventBus(url, "child") if sys.argv[1] == "pg" else open_bus(s.redis, url, "child")
for i in range(5):
    bus.publish("progress", operationId="job-1", operation="export", progress=i * 25, message=f"step {i}")
bus.publish("complete", operationId="job-1", operation="export", progress=100, message="done")
s.close(stop_servers=False)
"""


def _collect(bus, n: int, timeout: float = 20) -> list[Event]:
    got: queue.Queue[Event] = queue.Queue()
    sub = bus.subscribe(got.put)
    return sub, got


def _drain(got: queue.Queue[Event], n: int, timeout: float = 30) -> list[Event]:
    events: list[Event] = []
    deadline = time.monotonic() + timeout
    while len(events) < n and time.monotonic() < deadline:
        try:
            events.append(got.get(timeout=0.2))
        except queue.Empty:
            pass
    return events


@pytest.mark.parametrize("carrier", ["redis", "pg"])
def test_events_from_another_process_arrive_in_order(store, carrier: str) -> None:
    if carrier == "redis" and not store.redis.configured:
        pytest.skip("no Redis")
    bus = RedisEventBus(store.redis, "test") if carrier == "redis" else PostgresEventBus(
        store.endpoints.database_url, "test")
    sub, got = _collect(bus, 6)
    try:
        subprocess.run([sys.executable, "-c", PUBLISHER, carrier], cwd=ROOT, check=True, timeout=60)
        events = _drain(got, 6)
    finally:
        sub.close()
    assert [e.type for e in events] == ["progress"] * 5 + ["complete"]
    assert [e.get("progress") for e in events] == [0, 25, 50, 75, 100, 100]
    assert all(e.source == "child" and e.get("operationId") == "job-1" for e in events)


def test_malformed_and_foreign_messages_are_dropped(store) -> None:
    if not store.redis.configured:
        pytest.skip("no Redis")
    bus = RedisEventBus(store.redis, "test")
    sub, got = _collect(bus, 1)
    try:
        client = store.redis.client()
        for junk in (b"not json", b"[1,2]", b'{"v": 99, "type": "progress"}', b'{"v": 1, "type": "rm -rf"}',
                     b"\xff\xfe"):
            client.publish(CHANNEL, junk)
        bus.publish("heartbeat", instance="w1")
        events = _drain(got, 1, timeout=10)
    finally:
        sub.close()
    assert [e.type for e in events] == ["heartbeat"]
    assert decode_event(b"{") is None


def test_unknown_event_types_cannot_be_sent() -> None:
    with pytest.raises(ValueError):
        encode_event("explode", "me", {})


@pytest.mark.skipif(valkey_binary() is None, reason="no embedded Valkey")
def test_subscriber_reconnects_after_a_redis_restart_and_catches_up(tmp_path: Path) -> None:
    servers = EmbeddedServers(tmp_path / "redis-only")
    endpoints = servers.ensure(postgres=False)
    conn = RedisConnection(endpoints.redis_url)
    bus = RedisEventBus(conn, "test")
    caught_up: queue.Queue[bool] = queue.Queue()
    got: queue.Queue[Event] = queue.Queue()
    sub = bus.subscribe(got.put, on_reconnect=lambda: caught_up.put(True))
    try:
        bus.publish("heartbeat", n=1)
        assert [e.get("n") for e in _drain(got, 1, 10)] == [1]
        servers.stop()
        t0 = time.monotonic()
        assert bus.publish("heartbeat", n=2) is False, "publishing while Redis is down is a logged no-op"
        assert time.monotonic() - t0 < 2.0
        servers.ensure(postgres=False)
        assert caught_up.get(timeout=15) is True
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not bus.publish("heartbeat", n=3):
            time.sleep(0.1)
        assert [e.get("n") for e in _drain(got, 1, 10)] == [3]
    finally:
        sub.close()
        conn.close()
        servers.stop()


def test_a_flood_is_coalesced_per_operation_and_nothing_final_is_lost(store) -> None:
    """10,000 progress events arrive faster than a slow receiver takes them: it gets the newest progress of each
    operation of each batch, every start and end, and the highest save of each project."""
    import queue as _queue
    import threading as _threading
    import uuid as _uuid

    from editor.store.bus import RedisEventBus, coalesce

    if not store.redis.configured:
        pytest.skip("no Redis")
    bus = RedisEventBus(store.redis, f"flood-{_uuid.uuid4().hex[:6]}")
    got: _queue.Queue = _queue.Queue()
    release = _threading.Event()

    def slow(event) -> None:  # the first call blocks until the flood is sent: the rest piles up in Redis
        release.wait(30)
        got.put(event)

    op = _uuid.uuid4().hex
    sub = bus.subscribe(slow)
    try:
        assert sub.wait_ready(15), "the subscription did not start"  # else the flood goes to nobody
        bus.publish("job_started", operationId=op, operation="export")
        from editor.store.bus import CHANNEL, encode_event

        pipe = store.redis.client().pipeline(transaction=False)
        for i in range(10_000):
            pipe.publish(CHANNEL, encode_event("progress", bus.source, {"operationId": op, "progress": i / 100}))
        pipe.publish(CHANNEL, encode_event("project_saved", bus.source, {"projectId": 7, "revision": 9}))
        pipe.publish(CHANNEL, encode_event("project_saved", bus.source, {"projectId": 7, "revision": 8}))
        pipe.publish(CHANNEL, encode_event("complete", bus.source, {"operationId": op, "progress": 100}))
        pipe.execute()
        release.set()
        events = []
        while not events or events[-1].type != "complete":
            events.append(got.get(timeout=30))
    finally:
        sub.close()
    progress = [e.get("progress") for e in events if e.type == "progress"]
    assert events[0].type == "job_started" and events[-1].type == "complete"
    assert len(progress) < 200, f"{len(progress)} progress calls for 10,000 messages: coalesced"
    assert progress == sorted(progress) and progress[-1] == 99.99, "the newest progress is never dropped"
    saves = [e.get("revision") for e in events if e.type == "project_saved"]
    assert saves[0] == 9 and len(saves) <= 2, saves  # 8 only if a batch ended between the two
    assert [e.type for e in coalesce([])] == []


def test_a_subscribed_listener_keeps_its_patient_read_timeout_after_every_poll(store) -> None:
    """The 1 s deadline guards the handshake only: redis-py put it back on the socket after each poll with a
    timeout, so on a busy machine the second read of a large message cut the connection (and lost events)."""
    import redis

    from editor.store.bus import STREAM_TIMEOUT, _patient_reads

    if not store.redis.configured:
        pytest.skip("no Redis")
    client = redis.Redis.from_url(store.redis.url, socket_timeout=1.0)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    try:
        pubsub.subscribe(CHANNEL)
        _patient_reads(pubsub)
        for _ in range(3):
            pubsub.get_message(timeout=0.05)
            assert pubsub.connection._sock.gettimeout() == STREAM_TIMEOUT
    finally:
        pubsub.close()
        client.close()



def _slow_relay(url: str, where: Path, chunk: int, pause: float, up_delay: float = 0.0):
    """A relay to the real Redis at ``url`` (unix or TCP) that hands the server's bytes on ``chunk`` at a time,
    ``pause`` apart, and the client's ``up_delay`` late, like a slow link: returns (the relay's URL, close)."""
    import socket
    import threading
    from urllib.parse import parse_qs, quote, urlsplit

    parts = urlsplit(url)
    if parts.scheme == "unix":
        def connect() -> socket.socket:
            s = socket.socket(socket.AF_UNIX)
            s.connect(parts.path)
            return s
    else:
        def connect() -> socket.socket:
            return socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379))
    path = where / "relay.sock"
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(path))
    listener.listen(8)
    listener.settimeout(0.2)
    stop = threading.Event()
    held: list[socket.socket] = []

    def pump(src: socket.socket, dst: socket.socket, slow: bool) -> None:
        try:
            while not stop.is_set():
                data = src.recv(chunk if slow else 65536)
                if not data:
                    break
                if not slow and up_delay:
                    time.sleep(up_delay)
                dst.sendall(data)
                if slow:
                    time.sleep(pause)
        except OSError:
            pass

    def accept() -> None:
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                continue
            server = connect()
            held.extend([client, server])
            threading.Thread(target=pump, args=(client, server, False), daemon=True).start()
            threading.Thread(target=pump, args=(server, client, True), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()

    def close() -> None:
        stop.set()
        for s in held:
            s.close()
        listener.close()

    query = parse_qs(parts.query)
    if parts.password and "password" not in query:
        query["password"] = [parts.password]
    if parts.path.strip("/").isdigit() and parts.scheme != "unix":
        query["db"] = [parts.path.strip("/")]
    suffix = "&".join(f"{k}={quote(v[0])}" for k, v in query.items())
    return f"unix://{quote(str(path))}" + (f"?{suffix}" if suffix else ""), close


def test_a_large_message_on_a_slow_link_does_not_cut_the_listener(store, caplog, tmp_path: Path) -> None:
    """A message that takes over a second to arrive is read to its end, not taken for a hung server: redis-py 8
    read the rest of a batch with the poll's own timeout of 0 s, so the first gap in the big message's arrival cut
    the connection and lost what came after it."""
    if not store.redis.configured:
        pytest.skip("no Redis")
    relayed, close = _slow_relay(store.redis.url, tmp_path, chunk=8192, pause=0.02)
    conn = RedisConnection(relayed)
    got: queue.Queue[Event] = queue.Queue()
    caplog.set_level("WARNING")
    listener = RedisEventBus(conn, "slow-link").subscribe(got.put)
    try:
        assert listener.wait_ready(10), "subscribed through the relay"
        direct = store.redis.client()  # a client of its own: the shared connection may be backing off
        direct.publish(CHANNEL, encode_event("progress", "other", {"operationId": "before-the-big-one"}))
        direct.publish(CHANNEL, '{"v":1,"type":"progress","operationId":"big","pad":"' + "x" * 600_000 + '"}')
        direct.publish(CHANNEL, encode_event("progress", "other", {"operationId": "after-the-big-one"}))
        assert got.get(timeout=30).get("operationId") == "before-the-big-one"
        assert got.get(timeout=30).get("operationId") == "after-the-big-one"
        assert listener.reconnects == 0 and not [r for r in caplog.records if "channel lost" in r.getMessage()]
    finally:
        listener.close()
        conn.close()
        close()


def test_a_listener_is_ready_only_once_the_server_confirmed_its_subscription(store, tmp_path: Path) -> None:
    """An event published the moment ``subscribe`` returns arrives: on a link where the SUBSCRIBE reached the
    server 0.3 s late, the listener said it was ready on sending it, and that event (and a window's catch-up
    after a reconnect) could fall in the gap."""
    if not store.redis.configured:
        pytest.skip("no Redis")
    relayed, close = _slow_relay(store.redis.url, tmp_path, chunk=65536, pause=0.0, up_delay=0.3)
    conn = RedisConnection(relayed)
    got: queue.Queue[Event] = queue.Queue()
    listener = RedisEventBus(conn, "late-link").subscribe(got.put)
    try:
        assert listener.wait_ready(10)
        store.redis.client().publish(CHANNEL, encode_event("progress", "other", {"operationId": "at-once"}))
        assert got.get(timeout=10).get("operationId") == "at-once"
    finally:
        listener.close()
        conn.close()
        close()
