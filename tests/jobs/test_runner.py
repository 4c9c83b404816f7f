"""JobRunner, presence and the reaper in one process, on the real servers."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import time
import uuid

import pytest

from editor.jobs.reaper import reap_orphaned_jobs
from editor.jobs.runner import JobRunner, request_cancel
from editor.jobs.state import ORPHANED_MESSAGE, cancel_key, progress_key, read_job, status_key
from editor.store.bus import RedisEventBus
from editor.store.jobs_repo import JobRepository
from editor.store.presence import Presence, instance_key, live_instances
from editor.store.redis_conn import RedisConnection


@pytest.fixture()
def bus(store):
    if not store.redis.configured:
        pytest.skip("no Redis")
    return RedisEventBus(store.redis, f"test-{uuid.uuid4().hex[:6]}")


def _events(bus, job_id: str):
    got: queue.Queue = queue.Queue()
    sub = bus.subscribe(lambda e: got.put(e) if e.get("operationId") == job_id or job_id == "*" else None)
    return sub, got


def _drain_until_final(got: queue.Queue, timeout: float = 20) -> list:
    events, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            e = got.get(timeout=0.2)
        except queue.Empty:
            continue
        events.append(e)
        if e.type in ("complete", "error") or (e.type == "cancelled" and not e.get("request")):
            break
    return events


def test_a_thread_job_reports_throttled_progress_and_writes_its_row_twice(store, bus) -> None:
    runner = JobRunner(store, bus, "inst-a")

    def work(progress, cancel):
        for i in range(1001):  # 1000 reports in about 0.6 s
            progress(i / 10, f"step {i}")
            time.sleep(0.0006)
        return "peaks"

    job_id_box: list[str] = []
    got: queue.Queue = queue.Queue()
    sub = bus.subscribe(lambda e: got.put(e) if job_id_box and e.get("operationId") == job_id_box[0]
                        else None)
    try:
        t0 = time.monotonic()
        job_id = runner.start_thread_job("waveform", work, {"path": "/x.wav"}, title="Waveform x.wav")
        job_id_box.append(job_id)
        final = runner.wait(job_id, 20)
        elapsed = time.monotonic() - t0
        events = _drain_until_final(got)
    finally:
        sub.close()
        runner.close()
    assert final is not None and final.status == "complete" and final.progress == 100
    assert runner.result(job_id) == "peaks"
    progress = [e for e in events if e.type == "progress"]
    assert len(progress) <= elapsed * 10 + 3, f"{len(progress)} progress events in {elapsed:.2f} s"
    assert progress[-1].get("progress") == 100 and events[-1].type == "complete"
    row = JobRepository(store.db).get(job_id)
    assert row is not None and (row.kind, row.status, row.owner) == ("waveform", "complete", "inst-a")
    assert row.started_at and row.finished_at and row.params["path"] == "/x.wav"
    client = store.redis.client()
    assert client.get(progress_key(job_id)) is None
    assert json.loads(client.get(status_key(job_id)))["status"] == "complete"
    assert 0 < client.ttl(status_key(job_id)) <= 3600


def test_errors_and_cancels_end_the_job_with_a_message(store, bus) -> None:
    runner = JobRunner(store, bus, "inst-b")

    def fails(progress, cancel):
        raise RuntimeError("the disk\nis full")

    def waits(progress, cancel):
        progress(5, "waiting")
        if not cancel.wait(20):
            return "not cancelled"
        raise InterruptedError("stopped")

    try:
        bad = runner.start_thread_job("probe", fails)
        assert runner.wait(bad, 10).status == "error"
        slow = runner.start_thread_job("thumbnails", waits)
        time.sleep(0.3)
        # Another process asks (its own Redis connection, no reference to this runner).
        other = RedisConnection(store.redis.url)
        request_cancel(other, None, slow)
        state = runner.wait(slow, 5)
        other.close()
    finally:
        runner.close()
    assert state is not None and state.status == "cancelled"
    rows = {r.id: r for r in JobRepository(store.db).recent(20)}
    assert (rows[bad].status, rows[bad].error_message) == ("error", "the disk is full")
    assert rows[slow].status == "cancelled"
    assert store.redis.client().get(cancel_key(slow)) is None


def test_status_reads_redis_first_then_postgres(store, bus) -> None:
    runner = JobRunner(store, bus, "inst-c")
    try:
        job_id = runner.start_thread_job("probe", lambda p, c: None)
        runner.wait(job_id, 10)
    finally:
        runner.close()
    repo = JobRepository(store.db)
    assert read_job(store.redis, repo, job_id).source == "redis"
    store.redis.client().delete(status_key(job_id))
    fallback = read_job(store.redis, repo, job_id)
    assert fallback is not None and (fallback.source, fallback.status) == ("postgres", "complete")
    assert read_job(store.redis, repo, str(uuid.uuid4())) is None
    assert read_job(store.redis, repo, "not-a-job") is None
    listed = JobRunner(store, bus, "inst-d").recent(50)
    assert listed and all(s.finished for s in listed[1:] if listed[0].finished)


def test_presence_lists_other_instances_and_forgets_a_stopped_one(store) -> None:
    if not store.redis.configured:
        pytest.skip("no Redis")
    a = Presence(store.redis, "win-a", project_id=7, project_name="Film").start()
    b = Presence(store.redis, "win-b", interval=0.2).start()
    try:
        others = {i.instance: i for i in b.others()}
        assert others["win-a"].project_name == "Film" and others["win-a"].project_id == 7
        assert "win-b" not in others
        assert 0 < store.redis.client().ttl(instance_key("win-a")) <= 30
        a.set_project(8, "Other")
        assert {i.instance: i.project_id for i in b.others()}["win-a"] == 8
        a.stop()
        assert "win-a" not in {i.instance for i in live_instances(store.redis)}
    finally:
        a.stop()
        b.stop()
    assert store.redis.client().get(instance_key("win-b")) is None


def test_the_reaper_fails_jobs_whose_owner_is_gone_and_spares_live_ones(store, bus) -> None:
    repo = JobRepository(store.db)
    names = ("old_ghost", "new_ghost", "dead_pid", "alive_far", "alive_here")
    ids = {name: str(uuid.uuid4()) for name in names}
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    repo.start(ids["old_ghost"], "export", {"host": "elsewhere", "pid": 1}, "ghost-1")
    repo.start(ids["new_ghost"], "export", {"host": "elsewhere", "pid": 1}, "ghost-2")
    repo.start(ids["dead_pid"], "thumbnails", {"host": __import__("socket").gethostname(), "pid": dead.pid},
               "ghost-3")
    repo.start(ids["alive_far"], "export", {"host": "elsewhere", "pid": 1}, "far-away")
    repo.start(ids["alive_here"], "export", {}, "here-live")
    with store.db.connection() as conn:  # test only: make two jobs look old
        conn.execute("UPDATE jobs SET started_at = now() - interval '90 seconds' WHERE id = ANY(%s::uuid[])",
                     ([ids["old_ghost"], ids["alive_far"]],))
    client = store.redis.client()
    client.set(instance_key("far-away"), json.dumps({"instance": "far-away", "host": "elsewhere", "pid": 1,
                                                     "started": time.time()}), ex=30)
    here = Presence(store.redis, "here-live").start()
    sub, got = _events(bus, "*")
    try:
        reaped = set(reap_orphaned_jobs(store, bus))
        seen = []
        deadline = time.monotonic() + 5
        while len(seen) < 2 and time.monotonic() < deadline:
            try:
                e = got.get(timeout=0.2)
            except queue.Empty:
                continue
            if e.type == "error":
                seen.append(e.get("operationId"))
    finally:
        sub.close()
        here.stop()
        client.delete(instance_key("far-away"))
    assert reaped == {ids["old_ghost"], ids["dead_pid"]}
    assert set(seen) == reaped
    for name, status in (("old_ghost", "error"), ("dead_pid", "error"), ("new_ghost", "running"),
                         ("alive_far", "running"), ("alive_here", "running")):
        row = repo.get(ids[name])
        assert row.status == status, name
        if status == "error":
            assert row.error_message == ORPHANED_MESSAGE
    for name in ("new_ghost", "alive_far", "alive_here"):  # leave the table clean for later tests
        repo.finish(ids[name], "cancelled")


def test_a_window_closed_while_its_jobs_start_stops_cleanly(store, bus) -> None:
    """The window starts its jobs service on a worker thread; closing at any moment of that start neither
    raises (joining a reaper thread not yet started did, once in ten suite runs) nor leaves a reaper
    running, nor a queue worker started after the close. Real threads on the real servers, closing at once and
    after growing delays."""
    import threading

    from editor.jobs.board import JobsService

    def reapers() -> set[threading.Thread]:
        return {t for t in threading.enumerate() if t.name == "cutline-jobs-reaper" and t.is_alive()}

    before = reapers()
    closed_first = JobsService(store, bus, f"closed-first-{uuid.uuid4().hex[:6]}")
    closed_first.close()
    closed_first.start()  # a start that comes after the close starts no reaper
    assert closed_first._reaper is None
    ids = []
    for k in range(8):
        ids.append(f"racing-{k}-{uuid.uuid4().hex[:6]}")
        service = JobsService(store, bus, ids[-1])
        failures: list[BaseException] = []

        def start(s: JobsService = service, failed: list[BaseException] = failures) -> None:
            try:
                s.start()
            except BaseException as exc:  # noqa: BLE001 - reported below
                failed.append(exc)

        starter = threading.Thread(target=start)
        starter.start()
        time.sleep(0.01 * k)
        service.close()
        starter.join(timeout=30)
        assert not starter.is_alive() and not failures, failures
        service.close()  # a second close (the window's shutdown after a failed start) is harmless too
    assert not reapers() - before
    deadline = time.monotonic() + 10
    while (left := [t.name for t in threading.enumerate() if t.is_alive() and any(i in t.name for i in ids)]) \
            and time.monotonic() < deadline:
        time.sleep(0.1)  # a queue worker stopped by close() ends its thread on its own
    assert not left, f"threads left running by closed windows: {left}"
