"""Across real processes: one `cutline render`, watchers running `cutline events --json`, a window-side
JobBoard, remote cancel, Ctrl+C and kill -9. All on the run's real servers."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import av
import pytest

from editor.jobs.board import JobBoard
from editor.jobs.reaper import reap_orphaned_jobs
from editor.jobs.runner import JobRunner
from editor.jobs.state import ORPHANED_MESSAGE, read_redis
from editor.store.bus import RedisEventBus
from editor.store.jobs_repo import JobRepository

from .conftest import cutline


@pytest.fixture()
def bus(store):
    if not store.redis.configured:
        pytest.skip("no Redis")
    return RedisEventBus(store.redis, f"test-{uuid.uuid4().hex[:6]}")


def _lines(proc, stream: str = "stdout") -> queue.Queue:
    q: queue.Queue = queue.Queue()

    def pump() -> None:
        for line in getattr(proc, stream):
            q.put(line.rstrip("\n"))
        q.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return q


def _watcher():
    proc = cutline("events", "--json", "--timeout", "60")
    err = _lines(proc, "stderr")
    line = err.get(timeout=30)
    assert line and line.startswith("listening"), line
    return proc, _lines(proc)


def _job_id(render_err: queue.Queue) -> str:
    line = render_err.get(timeout=30)
    assert line and line.startswith("job "), line
    return line.split()[1].rstrip(":")


@contextlib.contextmanager
def _jobs_audit(store) -> Iterator[Callable[[], list[tuple[str, str]]]]:
    """Record every write of the ``jobs`` table, row by row, while the block runs.

    A trigger made for this test appends (operation, job id) to a table made for this test; both are dropped
    after. Yields a function returning the writes so far, so a test can count the writes of one job's row
    while other tests' jobs finish around it (pg_stat counts are table-wide).
    """
    tag = uuid.uuid4().hex[:10]
    table, func = f"test_jobs_audit_{tag}", f"test_jobs_audit_fn_{tag}"
    with store.db.connection() as conn:
        conn.execute(f"CREATE TABLE {table} (n bigserial PRIMARY KEY, op text NOT NULL, job_id uuid NOT NULL)")
        conn.execute(f"""CREATE FUNCTION {func}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO {table} (op, job_id) VALUES (TG_OP, coalesce(NEW.id, OLD.id));
                RETURN NULL;
            END $$""")
        conn.execute(f"CREATE TRIGGER {table} AFTER INSERT OR UPDATE OR DELETE ON jobs"
                     f" FOR EACH ROW EXECUTE FUNCTION {func}()")

    def writes() -> list[tuple[str, str]]:
        with store.db.connection() as conn:
            rows = conn.execute(f"SELECT op, job_id::text FROM {table} ORDER BY n").fetchall()
        return [(str(op), str(job)) for op, job in rows]

    try:
        yield writes
    finally:
        with store.db.connection() as conn:
            conn.execute(f"DROP TRIGGER IF EXISTS {table} ON jobs")
            conn.execute(f"DROP FUNCTION IF EXISTS {func}()")
            conn.execute(f"DROP TABLE IF EXISTS {table}")


def _wait_progress(store, job_id: str, above: float, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = read_redis(store.redis, job_id)
        if state is not None and state.progress > above:
            return state
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} never passed {above} %")


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_every_watcher_sees_the_render_to_100_and_postgres_sees_two_writes(store, long_project,
                                                                             tmp_path: Path) -> None:
    with _jobs_audit(store) as writes:
        _render_watched_by_two(store, long_project, tmp_path, writes)


def _render_watched_by_two(store, long_project, tmp_path: Path, writes) -> None:
    watchers = [_watcher(), _watcher()]
    out = tmp_path / "synced.mp4"
    render = cutline("render", str(long_project.project_id), str(out), "--preset", "fast",
                     "--range", "0f-250f")
    err = _lines(render, "stderr")
    job_id = _job_id(err)
    assert render.wait(timeout=60) == 0, [err.get() for _ in range(err.qsize())]
    for proc, lines in watchers:
        events = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                continue
            if line is None:
                break
            event = json.loads(line)
            if event.get("operationId") == job_id:
                events.append(event)
                if event["type"] == "complete":
                    break
        proc.terminate()
        proc.wait(timeout=10)
        types = [e["type"] for e in events]
        assert types[0] == "job_started" and types[-1] == "complete", types
        progress = [e["progress"] for e in events if e["type"] == "progress"]
        assert len(progress) >= 3 and progress == sorted(progress) and progress[-1] == 100
        assert events[-1]["progress"] == 100 and events[-1]["outputPath"] == str(out)
    with av.open(str(out)) as c:
        assert sum(1 for _ in c.decode(video=0)) == 250
    assert _leftovers(tmp_path) == ["synced.mp4"]
    # PostgreSQL: one INSERT at the start, one UPDATE (found by primary key) at the end of this job's row,
    # nothing else (other tests' jobs may finish meanwhile: their rows are not counted).
    def mine() -> list[str]:
        return [op for op, job in writes() if job == job_id]

    deadline = time.monotonic() + 15
    while mine() != ["INSERT", "UPDATE"] and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)  # a third write would land by now
    assert mine() == ["INSERT", "UPDATE"], writes()
    # Reads are not asserted: PostgreSQL counts them per table, for every process of the test run (a window's
    # jobs board opening, the reaper), so a count is noise on a busy machine. The watchers above got every
    # update from the event channel, and the row was written exactly twice.
    row = JobRepository(store.db).get(job_id)
    assert row.status == "complete" and row.output_path == str(out) and row.owner.startswith("render-")


def test_a_window_opened_mid_job_sees_it_at_once_and_cancels_it_remotely(store, bus, long_project,
                                                                        tmp_path: Path) -> None:
    out = tmp_path / "cancelled.mp4"
    render = cutline("render", long_project.name, str(out), "--preset", "high")
    err = _lines(render, "stderr")
    job_id = _job_id(err)
    _wait_progress(store, job_id, 3)
    changes: queue.Queue = queue.Queue()
    board = JobBoard(store, bus, on_change=changes.put)
    window = JobRunner(store, bus, "window-x")
    try:
        board.start()
        shown = board.get(job_id)  # no event awaited: straight from the Redis keys
        assert shown is not None and shown.status == "running" and shown.progress > 3
        assert shown.title.startswith("Export cancelled.mp4") and shown.owner.startswith("render-")
        assert window.cancel(job_id) is False  # not this window's job: asked across processes
        assert render.wait(timeout=20) == 1
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (board.get(job_id) is None or not board.get(job_id).finished):
            time.sleep(0.05)
        assert board.get(job_id).status == "cancelled"
    finally:
        board.close()
        window.close()
    assert JobRepository(store.db).get(job_id).status == "cancelled"
    assert _leftovers(tmp_path) == []


def test_ctrl_c_cancels_the_render_and_exits_130(store, long_project, tmp_path: Path) -> None:
    out = tmp_path / "interrupted.mp4"
    render = cutline("render", long_project.name, str(out), "--preset", "high")
    job_id = _job_id(_lines(render, "stderr"))
    _wait_progress(store, job_id, 3)
    render.send_signal(signal.SIGINT)
    assert render.wait(timeout=20) == 130
    assert JobRepository(store.db).get(job_id).status == "cancelled"
    assert _leftovers(tmp_path) == []


def test_a_render_killed_mid_way_ends_failed_and_leaves_no_partial_file(store, bus, long_project,
                                                                        tmp_path: Path) -> None:
    out = tmp_path / "killed.mp4"
    render = cutline("render", long_project.name, str(out), "--preset", "high")
    job_id = _job_id(_lines(render, "stderr"))
    _wait_progress(store, job_id, 10)
    children = _children(render.pid)
    os.kill(render.pid, signal.SIGKILL)
    render.wait(timeout=10)
    assert JobRepository(store.db).get(job_id).status == "running"  # nobody has noticed yet
    deadline = time.monotonic() + 10  # the orphaned render child stops at its next progress line
    while time.monotonic() < deadline and any(Path(f"/proc/{c}").exists() and
                                              "zombie" not in _state(c) for c in children):
        time.sleep(0.05)
    reaped = reap_orphaned_jobs(store, bus)
    assert job_id in reaped
    row = JobRepository(store.db).get(job_id)
    assert (row.status, row.error_message) == ("error", ORPHANED_MESSAGE)
    assert read_redis(store.redis, job_id).status == "error"
    assert not out.exists()
    assert _leftovers(tmp_path) == []
    assert reap_orphaned_jobs(store, bus) == []  # once only


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split("\n")[0].lower()
    except (OSError, IndexError):
        return "zombie"
