"""A Redis that accepts connections and never answers (a hung server, a half-open tunnel) costs a bounded
time once, then nothing: opening, importing, editing and closing do not wait on it."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from editor.store.cache import RedisCache
from editor.store.redis_conn import RedisConnection


@pytest.fixture
def hung_redis() -> Iterator[str]:
    """The URL of a real listener that accepts every connection and never sends a byte."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
        assert held, "the client did connect: the server hung, it did not refuse"
    finally:
        stop.set()
        thread.join()
        for s in held:
            s.close()
        listener.close()


def test_a_hung_redis_costs_one_deadline_then_calls_return_at_once(hung_redis: str) -> None:
    conn = RedisConnection(hung_redis)
    cache = RedisCache(conn)
    try:
        t0 = time.monotonic()
        assert cache.get("metadata:x") is None
        first = time.monotonic() - t0
        t1 = time.monotonic()
        for n in range(200):
            cache.set(f"thumb:x:{n}", b"\xff\xd8", 60)
            assert cache.get(f"thumb:x:{n}") is None
        assert cache.invalidate("thumb:*") == 0
        later = time.monotonic() - t1
        assert first < 1.5, f"the first call to a hung Redis took {first:.2f} s (one deadline: < 1.5 s)"
        assert later < 0.5, f"400 calls while Redis is known hung took {later:.2f} s"
        assert not conn.available
        t2 = time.monotonic()
        assert conn.ping() is False and time.monotonic() - t2 < 1.5, "an explicit ping has one deadline too"
    finally:
        t3 = time.monotonic()
        conn.close()
        assert time.monotonic() - t3 < 0.5, "closing never waits on Redis"


def test_importing_editing_and_closing_with_redis_hung_are_bounded(store, hung_redis: str, tmp_path: Path) -> None:
    from editor.jobs.board import JobsService
    from editor.jobs.importing import import_files
    from editor.media.synth import make_clip
    from editor.media.thumbnails import filmstrip
    from editor.model.navigate import timeline_from_media
    from editor.model.serialize import SCHEMA_VERSION, timeline_to_json
    from editor.store.bus import RedisEventBus
    from editor.store.editing import EditingSession
    from editor.store.sessions import SessionStore

    clip = make_clip(tmp_path / "a.mp4", frames=50, size=(160, 120))
    conn = RedisConnection(hung_redis)
    hung = dataclasses.replace(store, redis=conn, cache=RedisCache(conn),
                               sessions=SessionStore(store.db, conn, 3600))
    bus = RedisEventBus(conn, "hung-test")
    t0 = time.monotonic()
    session_id = hung.sessions.create({"recent": []})
    hung.sessions.add_recent_project(session_id, 1)
    result = import_files([clip.path], hung.cache, hung.media)
    assert not result.failures and len(result.refs) == 1
    assert len(filmstrip(clip.path, 5, (80, 60), cache=hung.cache)) == 5
    timeline = timeline_from_media(result.refs)
    project = hung.projects.create("hung redis", timeline_to_json(timeline), SCHEMA_VERSION)
    jobs = JobsService(hung, bus, "hung-window", project_id=project.id, project_name=project.name).start()
    session = EditingSession.open(hung.projects, tmp_path / "journal", project.id, bus=bus)
    for frame in (10, 20, 30):
        session.apply("split", {"track": 0, "frame": frame})
    assert session.saver.flush(10)
    opened = time.monotonic() - t0
    t1 = time.monotonic()
    assert session.close()
    jobs.close()
    conn.close()
    closed = time.monotonic() - t1
    assert opened < 5.0, f"importing and opening took {opened:.1f} s with Redis hung"
    assert closed < 3.0, f"closing took {closed:.1f} s with Redis hung"
    assert len(hung.projects.get(project.id).timeline_state["tracks"][0]["items"]) == 4, "every edit saved"
