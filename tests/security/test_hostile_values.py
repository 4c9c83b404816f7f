"""Hostile values planted by anyone who can write to Redis, PostgreSQL or the event channel.

Each is dropped (one logged line), never a traceback, a hang, a wrong figure or a deleted file.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from psycopg.types.json import Jsonb

from editor.jobs.state import JobState, progress_key, read_redis
from editor.media.probe import probe
from editor.media.synth import make_clip
from editor.store.bus import CHANNEL, RedisEventBus, decode_event
from editor.store.cache import RedisCache
from editor.store.presence import live_instances
from editor.store.presence import this_host as host_name
from editor.store.validate import escape_control

ROOT = Path(__file__).resolve().parents[2]


def _needs_redis(store) -> None:
    if not isinstance(store.cache, RedisCache):
        pytest.skip("no Redis in this run")


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "ten.mp4"
    make_clip(path, frames=50)
    return path


@pytest.mark.parametrize("poison", ["zero-denominator", "a-million-years", "deep", "huge", "wrong-type"])
def test_poisoned_probe_cache_entries_are_dropped_and_the_file_probed_again(store, clip: Path, poison: str,
                                                                            caplog) -> None:
    _needs_redis(store)
    real = probe(clip)
    key = f"metadata:{real.fingerprint}"
    good = json.loads(real.to_json())
    client = store.redis.client()
    if poison == "zero-denominator":
        client.set(key, json.dumps({**good, "duration": "1/0"}), ex=60)
    elif poison == "a-million-years":
        client.set(key, json.dumps({**good, "duration": str(40_000_000_000_000)}), ex=60)
    elif poison == "deep":
        client.set(key, "[" * 100_000 + "]" * 100_000, ex=60)
    elif poison == "huge":
        client.set(key, "x" * (70 << 20), ex=60)
    else:
        client.delete(key)
        client.rpush(key, "not a string")
    caplog.set_level("WARNING")
    got = probe(clip, store.cache)
    assert got.duration == real.duration and got.video == real.video
    assert store.redis.available, "a bad value is not an outage"
    assert any("dropped a bad cache entry" in r.getMessage() or "refused" in r.getMessage() for r in caplog.records)
    assert all("\n" not in r.getMessage() for r in caplog.records)
    cached = store.cache.get(key)
    assert cached is not None and json.loads(cached)["duration"] == good["duration"], "the good entry is back"


def test_a_deeply_nested_event_drops_nothing_but_itself(store) -> None:
    _needs_redis(store)
    bus = RedisEventBus(store.redis, "hostile-test")
    got: queue.Queue = queue.Queue()
    listener = bus.subscribe(got.put)
    try:
        client = store.redis.client()
        client.publish(CHANNEL, '{"v":1,"type":"progress","x":' + "[" * 200_000 + "]" * 200_000 + "}")
        client.publish(CHANNEL, "\x1b[2J" + "{" * 50_000)
        bus.publish("progress", operationId="after-the-bad-ones", progress=5.0)
        event = got.get(timeout=10)
        assert event.get("operationId") == "after-the-bad-ones"
        assert listener.reconnects == 0, "the listener never dropped its connection"
    finally:
        listener.close()


def test_decode_event_refuses_deep_huge_and_non_finite_messages() -> None:
    assert decode_event('{"v":1,"type":"progress","p":' + "[" * 5000 + "]" * 5000 + "}") is None
    assert decode_event('{"v":1,"type":"progress","progress":NaN}') is None
    assert decode_event('{"v":1,"type":"progress","progress":1e99999}') is None
    assert decode_event('{"v":1,"type":"progress","m":"' + "x" * 100_000 + '"}') is None
    assert decode_event('{"v":1,"type":"progress","operationId":"a","progress":5}') is not None


def test_planted_job_states_and_heartbeats_in_redis_are_dropped(store) -> None:
    _needs_redis(store)
    client = store.redis.client()
    job_id = str(uuid.uuid4())
    for planted in ({"id": job_id, "operation": "export", "status": "running", "progress": 1e308},
                    {"id": "\x1b[31m", "operation": "export", "status": "running"},
                    {"id": job_id, "operation": "export", "status": "running", "started_at": -1e300},
                    {"id": job_id, "operation": ["x"], "status": "running"}):
        client.set(progress_key(job_id), json.dumps(planted), ex=60)
        assert read_redis(store.redis, job_id) is None
    client.delete(progress_key(job_id))
    bad = f"instance:hostile-{uuid.uuid4().hex[:6]}"
    client.set(bad, json.dumps({"instance": "x", "pid": 10**30, "host": "h", "started": 1.0}), ex=60)
    client.set(bad + "b", "[" * 10_000, ex=60)
    try:
        names = [i.instance for i in live_instances(store.redis)]
        assert "x" not in names
    finally:
        client.delete(bad, bad + "b")


def test_planted_sessions_are_dropped(store) -> None:
    _needs_redis(store)
    sid = str(uuid.uuid4())
    client = store.redis.client()
    client.set(f"session:{sid}", "[" * 100_000, ex=60)
    assert store.sessions.get(sid) is None
    client.set(f"session:{sid}", json.dumps({"recent_projects": ["\x1b[2J", 10**40]}), ex=60)
    assert store.sessions.get(sid) is None
    with store.db.connection() as conn:
        conn.execute("INSERT INTO sessions (id, data, expires_at) VALUES (%s, %s, now() + interval '1 minute')",
                     (sid, Jsonb({"recent_projects": "all"})))
    client.delete(f"session:{sid}")
    assert store.sessions.get(sid) is None


def _cutline(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "editor", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def _plant_job(store, out: str, pid: int, started_ago: float = 60.0, params: object = None) -> str:
    job_id = str(uuid.uuid4())
    with store.db.connection() as conn:
        conn.execute(
            "INSERT INTO jobs (id, kind, params, status, owner, output_path, started_at)"
            " VALUES (%s, 'export', %s, 'running', %s, %s, now() - make_interval(secs => %s))",
            (job_id, Jsonb(params if params is not None else {"out": out, "host": host_name(), "pid": pid}),
             f"planted-{job_id[:6]}", out, started_ago),
        )
    return job_id


def test_planted_job_rows_never_make_cutline_jobs_delete_files(store, tmp_path: Path, other_user_or_none) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    victims = tmp_path / "documents"
    victims.mkdir()
    keep = {
        # a row naming a file that is not a video: nothing beside it is touched
        ".report.partial-deadbeef.txt": "report.txt",
        ".report.spec-{pid}-1.json": "report.txt",
        "report.txt": "report.txt",
        # shaped like a render's leftover, but older than the job the row claims
        ".film.partial-0123abcd.mp4": "film.mp4",
    }
    for name in keep:
        (victims / name.format(pid=dead.pid)).write_text("precious")
    old = time.time() - 3600
    os.utime(victims / ".film.partial-0123abcd.mp4", (old, old))
    # a symlink shaped like a leftover, pointing at a file elsewhere
    outside = tmp_path / "outside.txt"
    outside.write_text("precious")
    os.symlink(outside, victims / ".clip.partial-feedf00d.mp4")
    # a leftover-shaped file that a live process holds open
    held = victims / ".live.partial-cafe1234.mp4"
    held.write_text("being written")
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; f = open(sys.argv[1], 'ab');"
                               " print('open', flush=True); time.sleep(600)", str(held)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
    foreign = None
    if other_user_or_none is not None:
        _, uid, gid = other_user_or_none
        foreign = victims / ".shared.partial-abad1dea.mp4"
        foreign.write_text("someone else's")
        os.chown(foreign, uid, gid)
    jobs = [_plant_job(store, str(victims / target), dead.pid, started_ago=60)
            for target in ("report.txt", "film.mp4", "clip.mp4", "live.mp4", "shared.mp4")]
    jobs.append(_plant_job(store, str(victims / "x" / ".." / "film.mp4"), dead.pid))
    jobs.append(_plant_job(store, "", dead.pid, params=["not", "an", "object"]))
    jobs.append(_plant_job(store, "", dead.pid, params={"out": {"x": 1}, "host": host_name(), "pid": 10**40}))
    try:
        result = _cutline("jobs")
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        for name in keep:
            assert (victims / name.format(pid=dead.pid)).read_text() == "precious", name
        assert outside.read_text() == "precious" and os.path.islink(victims / ".clip.partial-feedf00d.mp4")
        assert held.exists()
        if foreign is not None:
            assert foreign.exists()
    finally:
        holder.kill()
        holder.wait()
        with store.db.connection() as conn:
            conn.execute("DELETE FROM jobs WHERE id = ANY(%s)", (jobs,))


@pytest.fixture
def other_user_or_none(request):
    if os.geteuid() != 0:
        return None
    return request.getfixturevalue("other_user")


def test_names_and_events_with_terminal_escapes_are_printed_escaped(store) -> None:
    evil = f"evil\x1b[2J\x1b]0;owned\x07\u202e{uuid.uuid4().hex[:6]}"
    created = _cutline("projects", "new", evil)
    assert created.returncode == 0, created.stderr
    for args in (("projects", "list"), ("projects", "list", "--json"), ("projects", "show", evil)):
        result = _cutline(*args)
        assert result.returncode == 0, result.stderr
        assert "\x1b" not in result.stdout and "\x07" not in result.stdout and "\u202e" not in result.stdout
        assert "x1b" in result.stdout or "u001b" in result.stdout
    missing = _cutline("projects", "show", "nope\x1b[2J")
    assert missing.returncode == 1 and "\x1b" not in missing.stderr
    if isinstance(store.cache, RedisCache):
        events = subprocess.Popen([sys.executable, "-m", "editor", "events", "--count", "1", "--timeout", "60"],
                                  cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        bus = RedisEventBus(store.redis, "hostile-test")
        deadline = time.monotonic() + 60
        while events.poll() is None and time.monotonic() < deadline:
            bus.publish("progress", operationId="\x1b[31mred", operation="export", progress=1.0,
                        message="\x1b]0;title\x07\x9b2J")
            time.sleep(0.2)
        out, err = events.communicate(timeout=10)
        assert events.returncode == 0, err
        assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out and "x1b" in out


def test_escape_control_keeps_text_and_shows_controls() -> None:
    assert escape_control("Schnitt – ok") == "Schnitt – ok"
    assert escape_control("a\x1b[2Jb\r\n") == "a\\x1b[2Jb\\r\\n"
    assert escape_control("\u202eevil") == "\\u202eevil"


def test_job_state_from_an_event_with_absurd_values_is_dropped() -> None:
    from editor.store.bus import Event

    assert JobState.from_event(Event("progress", "x", {"operationId": "a", "progress": 1e308})) is None
    assert JobState.from_event(Event("progress", "x", {"operationId": "a", "message": ["x"]})) is None
    assert JobState.from_event(Event("progress", "x", {"operationId": "a" * 500})) is None
    assert JobState.from_event(Event("progress", "x", {"operationId": "a", "progress": 42})).progress == 42


def test_planted_project_rows_are_one_line_never_a_hang(store) -> None:
    tag = uuid.uuid4().hex[:6]
    good = {"schema": "Timeline.2", "name": "x", "rate": "25", "next_id": 1, "in": None, "out": None,
            "media": [], "markers": [], "tracks": []}
    rows = {
        f"deep-{tag}": ("(repeat('[', 3000) || repeat(']', 3000))::jsonb", "{}"),
        f"rate-{tag}": (None, "{}"),
        f"summary-{tag}": (None, '{"rate": "1e99999999", "duration_frames": 1e300}'),
    }
    ids = []
    with store.db.connection() as conn:
        for name, (state_sql, summary) in rows.items():
            state = {**good, "rate": "1e99999999"} if name.startswith("rate") else good
            if state_sql:
                row = conn.execute(f"INSERT INTO projects (name, timeline_state, schema_version, summary)"
                                   f" VALUES (%s, {state_sql}, 2, %s::jsonb) RETURNING id", (name, summary)).fetchone()
            else:
                row = conn.execute("INSERT INTO projects (name, timeline_state, schema_version, summary)"
                                   " VALUES (%s, %s, 2, %s::jsonb) RETURNING id", (name, Jsonb(state), summary)
                                   ).fetchone()
            ids.append(row[0])
    try:
        listed = _cutline("projects", "list", "--limit", "20", timeout=60)
        assert listed.returncode == 0, listed.stderr
        assert f"summary-{tag}" in listed.stdout and "Traceback" not in listed.stderr
        for name in (f"deep-{tag}", f"rate-{tag}"):
            shown = _cutline("projects", "show", name, timeout=60)
            assert shown.returncode == 1, shown.stderr
            assert "Traceback" not in shown.stderr and len(shown.stderr.strip().splitlines()) == 1, shown.stderr
    finally:
        with store.db.connection() as conn:
            conn.execute("DELETE FROM projects WHERE id = ANY(%s)", (ids,))


def test_planted_media_rows_are_dropped(store) -> None:
    fp = f"planted-{uuid.uuid4().hex}"
    with store.db.connection() as conn:
        conn.execute("INSERT INTO media (fingerprint, path, duration_seconds, frame_rate, rotation, info)"
                     " VALUES (%s, %s, 1e300, '1e99999999', 0, '[]'::jsonb)", (fp, "../../etc/passwd"))
    try:
        assert store.media.get(fp) is None
        assert store.media.by_path("../../etc/passwd") == []
        good = store.media.upsert(f"{fp}-ok", "/media/ok.mp4", duration_seconds=2.0, frame_rate="25/1")
        assert store.media.get(good.fingerprint) == good
    finally:
        with store.db.connection() as conn:
            conn.execute("DELETE FROM media WHERE fingerprint LIKE %s", (f"{fp}%",))
