"""Caches and sessions on real Redis (Valkey), including Redis going away and coming back."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from pathlib import Path

import pytest

from editor.store.cache import DiskCache, RedisCache
from editor.store.db import Database
from editor.store.errors import DatabaseUnavailable
from editor.store.redis_conn import RedisConnection
from editor.store.servers import EmbeddedServers, valkey_binary

needs_valkey = pytest.mark.skipif(valkey_binary() is None, reason="no embedded Valkey on this platform")


PROBED = (b'{"audio": null, "audio_streams": [], "bit_rate": 100000, "container": "mov,mp4", "duration": "2/1",'
          b' "fingerprint": "f", "origin": "0/1", "path": "/x.mp4", "schema": 2, "size_bytes": 25000,'
          b' "subtitles": [], "timecode": null, "video": null}')


def test_metadata_and_thumbnail_round_trip_with_counters(store) -> None:
    cache = store.cache
    fp = uuid.uuid4().hex
    before = (cache.stats.hits, cache.stats.misses)
    assert cache.get(f"metadata:{fp}") is None
    cache.set(f"metadata:{fp}", PROBED, 3600)
    cache.set(f"thumb:{fp}:0:160x90", b"\xff\xd8jpeg", 3600)
    assert cache.get(f"metadata:{fp}") == PROBED
    assert cache.get(f"thumb:{fp}:0:160x90") == b"\xff\xd8jpeg"
    assert (cache.stats.hits - before[0], cache.stats.misses - before[1]) == (2, 1)
    if isinstance(cache, RedisCache):
        ttl = cache.conn.client().ttl(f"metadata:{fp}")
        assert 3500 < ttl <= 3600, "every key has a TTL"


def test_scan_invalidation_removes_only_that_media(store) -> None:
    cache = store.cache
    fp, other = uuid.uuid4().hex, uuid.uuid4().hex
    for i in range(1200):  # more than one SCAN batch
        cache.set(f"thumb:{fp}:{i}:160x90", b"\xff\xd8x", 600)
    cache.set(f"thumb:{other}:0:160x90", b"\xff\xd8y", 600)
    cache.set(f"metadata:{fp}", b"{}", 600)
    removed = cache.invalidate_media(fp) if isinstance(cache, RedisCache) else cache.invalidate(f"*{fp}*")
    assert removed == 1201
    assert cache.get(f"thumb:{fp}:5:160x90") is None
    assert cache.get(f"thumb:{other}:0:160x90") == b"\xff\xd8y"


def test_every_key_needs_a_ttl(store) -> None:
    with pytest.raises(ValueError):
        store.cache.set("metadata:x", b"1", 0)


@needs_valkey
def test_redis_stopped_mid_run_degrades_then_recovers(tmp_path: Path) -> None:
    servers = EmbeddedServers(tmp_path / "redis-only")
    endpoints = servers.ensure(postgres=False, redis=True)
    conn = RedisConnection(endpoints.redis_url)
    cache = RedisCache(conn)
    try:
        cache.set("wave:a", b"1", 60)
        assert cache.get("wave:a") == b"1"
        servers.stop()  # Redis goes away under the running program

        t0 = time.monotonic()
        assert cache.get("wave:a") is None, "a miss, not an exception"
        first = time.monotonic() - t0
        cache.set("wave:b", b"2", 60)  # a no-op write, not an exception
        assert cache.invalidate("thumb:*") == 0
        t1 = time.monotonic()
        for _ in range(20):
            cache.get("wave:a")
        later = time.monotonic() - t1
        assert first < 2.0, f"the first failing call took {first:.2f}s"
        assert later < 0.5, "while Redis is known down, calls return at once"

        servers.ensure(postgres=False, redis=True)  # Redis is back (empty: it is a cache)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            cache.set("wave:c", b"3", 60)
            if cache.get("wave:c") == b"3":
                break
            time.sleep(0.2)
        assert cache.get("wave:c") == b"3", "the same cache object works again without a restart"
    finally:
        conn.close()
        servers.stop()


def test_no_redis_configured_is_a_quiet_miss() -> None:
    cache = RedisCache(RedisConnection(None))
    cache.set("metadata:x", b"1", 10)
    assert cache.get("metadata:x") is None


def test_disk_cache_expires_and_invalidates(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "blobs")
    cache.set("thumb:abc:0:1", b"\xff\xd8one", 60)
    cache.set("thumb:abc:1:1", b"\xff\xd8two", 60)
    cache.set("metadata:zzz", PROBED, 60)
    assert cache.get("thumb:abc:0:1") == b"\xff\xd8one"
    assert cache.invalidate("thumb:abc:*") == 2
    assert cache.get("thumb:abc:1:1") is None and cache.get("metadata:zzz") == PROBED
    cache.set("metadata:old", PROBED, 1)
    time.sleep(1.1)
    assert cache.get("metadata:old") is None


def test_sessions_slide_and_survive_a_redis_flush(store) -> None:
    sessions = store.sessions
    sid = sessions.create({"settings": {"zoom": 2}, "recent_projects": []})
    assert sessions.get(sid) == {"settings": {"zoom": 2}, "recent_projects": []}
    assert sessions.add_recent_project(sid, 7) == [7]
    assert sessions.add_recent_project(sid, 9) == [9, 7]
    assert sessions.add_recent_project(sid, 7) == [7, 9]
    if store.redis.configured:
        client = store.redis.client()
        assert 3500 < client.ttl(f"session:{sid}") <= 3600
        client.delete(f"session:{sid}")  # Redis lost it: the PostgreSQL backup answers
    assert sessions.get(sid)["recent_projects"] == [7, 9]
    assert sessions.get("not-a-uuid") is None
    assert sessions.get(str(uuid.uuid4())) is None


def test_unreachable_postgres_names_the_url_without_password() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    url = f"postgresql://editor:s3cret@127.0.0.1:{port}/cutline"
    t0 = time.monotonic()
    with pytest.raises(DatabaseUnavailable) as info:
        Database(url).open()
    assert time.monotonic() - t0 < 2.5
    message = str(info.value)
    assert f"127.0.0.1:{port}" in message and "s3cret" not in message and "\n" not in message


def test_silent_postgres_times_out_within_the_connect_timeout() -> None:
    """A server that accepts the TCP connection and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        t0 = time.monotonic()
        with pytest.raises(DatabaseUnavailable, match=f"127.0.0.1:{port}"):
            Database(f"postgresql://u:pw@127.0.0.1:{port}/db").open()
        assert time.monotonic() - t0 < 3.5
    finally:
        stop.set()
        thread.join()
        for s in held:
            s.close()
        listener.close()
