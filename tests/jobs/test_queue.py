"""Every job on Procrastinate, with real `cutline worker` processes on the run's servers: the schema through our
migrations, enqueue in a caller's transaction, queueing locks, encoder queues, kill -9 of a worker mid-job,
cancel mid-job, SIGTERM, `cutline jobs --json` naming the worker."""

from __future__ import annotations

import json
import os
import queue as stdqueue
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path

import av
import procrastinate
import pytest
from procrastinate.exceptions import AlreadyEnqueued

from editor.jobs import queue
from editor.jobs.paths import map_path
from editor.jobs.runner import JobRunner
from editor.jobs.state import read_redis
from editor.media.synth import read_frame_number
from editor.store.bus import RedisEventBus
from editor.store.jobs_repo import JobRepository, hold_project_revision
from editor.store.migrate import migrations_dir

from .conftest import cutline


@pytest.fixture()
def runner(store):
    if not store.redis.configured:
        pytest.skip("no Redis")
    r = JobRunner(store, RedisEventBus(store.redis, f"test-{uuid.uuid4().hex[:6]}"), f"test-{uuid.uuid4().hex[:8]}")
    yield r
    r.close(timeout=10)


def _lines(proc, stream: str = "stderr") -> stdqueue.Queue:
    q: stdqueue.Queue = stdqueue.Queue()

    def pump() -> None:
        for line in getattr(proc, stream):
            q.put(line.rstrip("\n"))
        q.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return q


class Worker:
    """A `cutline worker` process, started and awaited until it listens."""

    def __init__(self, name: str, *extra: str, env: dict[str, str] | None = None) -> None:
        self.name = name
        self.proc = cutline("worker", "--name", name, "--heartbeat", "0.5", "--stalled-after", "2", *extra,
                            **({"env": {**os.environ, **env}} if env else {}))
        self.err = _lines(self.proc)
        line = self.err.get(timeout=60)
        assert line and "listening" in line, line

    def drain(self) -> list[str]:
        got = []
        while not self.err.empty():
            got.append(self.err.get())
        return got

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


@pytest.fixture()
def workers():
    started: list[Worker] = []

    def start(name: str, *extra: str, env: dict[str, str] | None = None) -> Worker:
        w = Worker(f"{name}-{uuid.uuid4().hex[:4]}", *extra, env=env)
        started.append(w)
        return w

    yield start
    for w in started:
        w.stop()


def _wait(store, job_id: str, pred, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    state = None
    while time.monotonic() < deadline:
        state = read_redis(store.redis, job_id)
        if state is not None and pred(state):
            return state
        time.sleep(0.05)
    raise AssertionError(f"job {job_id}: gave up waiting, last {state}")


def _frames(path: Path) -> list[int]:
    with av.open(str(path)) as c:
        return [read_frame_number(f.to_ndarray(format="rgb24")) for f in c.decode(video=0)]


def test_the_queue_schema_is_the_package_schema_applied_by_our_migrations(store) -> None:
    ours = (migrations_dir() / "010_procrastinate.sql").read_text()
    theirs = (Path(procrastinate.__file__).parent / "sql" / "schema.sql").read_text()
    assert ours.endswith(theirs)
    with store.db.connection() as conn:
        assert conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()[0]
        assert conn.execute("SELECT 1 FROM schema_migrations WHERE version = 10").fetchone()


def test_an_enqueue_rolled_back_with_its_transaction_leaves_no_job(store, runner, short_project, tmp_path) -> None:
    class Abandon(Exception):
        pass

    with pytest.raises(Abandon):
        with store.db.connection() as conn, conn.transaction():
            assert hold_project_revision(conn, short_project.project_id) is not None
            job_id = runner.start_export(short_project.timeline, tmp_path / "never.mp4", "fast",
                                         project_id=short_project.project_id, farm=True, conn=conn)
            assert queue.procrastinate_id(store.db, job_id) is None  # not visible outside the transaction
            with conn.cursor() as cur:
                cur.execute("SELECT count(*) FROM procrastinate_jobs WHERE args->>'job_id' = %s", (job_id,))
                assert cur.fetchone()[0] == 1  # inside it, it is there
            raise Abandon
    assert queue.procrastinate_id(store.db, job_id) is None
    assert read_redis(store.redis, job_id) is None
    with store.db.connection() as conn, conn.transaction():
        kept = runner.start_export(short_project.timeline, tmp_path / "kept.mp4", "fast", farm=True, conn=conn)
    assert queue.queue_status(store.db, kept) == "todo"
    queue.cancel(runner.app, store.db, kept)
    assert queue.queue_status(store.db, kept) == "cancelled"


def test_a_local_export_runs_through_the_queue_on_the_in_process_worker(store, runner, short_project,
                                                                        tmp_path) -> None:
    out = tmp_path / "local.mp4"
    job_id = runner.start_export(short_project.timeline, out, "fast", project_id=short_project.project_id)
    state = runner.wait(job_id, timeout=60)
    assert state is not None and state.status == "complete", state
    assert state.worker == runner.worker_name
    deadline = time.monotonic() + 10  # the worker records the queue's end just after the job's
    while queue.queue_status(store.db, job_id) != "succeeded" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert queue.queue_status(store.db, job_id) == "succeeded"
    assert _frames(out) == list(range(100))
    row = JobRepository(store.db).get(job_id)
    assert row.status == "complete" and row.params["worker"] == runner.worker_name


def test_one_proxy_per_media_file_is_queued_at_a_time(store, runner, tmp_path) -> None:
    path = str(tmp_path / f"{uuid.uuid4().hex}.mp4")
    # on the farm queue no worker runs during this test: the first stays queued, the second is refused
    one = runner.enqueue_media("proxy", path, out=str(tmp_path / "p.mp4"))
    with pytest.raises(AlreadyEnqueued):
        runner.enqueue_media("proxy", path, out=str(tmp_path / "p2.mp4"))
    runner.enqueue_media("waveform", path)  # another kind of the same file is its own lock
    assert queue.queue_status(store.db, one) == "todo"
    with store.db.connection() as conn:
        conn.execute("UPDATE procrastinate_jobs SET status = 'cancelled' WHERE args->>'path' = %s", (path,))


def test_a_worker_without_the_encoder_never_takes_the_export_and_one_with_it_does(store, runner, workers,
                                                                                   short_project, tmp_path) -> None:
    no_x264 = workers("nox264", "--without-encoder", "libx264")
    out = tmp_path / "farm.mp4"
    job_id = runner.start_export(short_project.timeline, out, "fast", project_id=short_project.project_id, farm=True)
    time.sleep(3)
    assert queue.queue_status(store.db, job_id) == "todo"  # seen by a live worker, never fetched
    able = workers("x264")
    state = _wait(store, job_id, lambda s: s.finished)
    assert state.status == "complete" and state.worker == able.name, state
    assert _frames(out) == list(range(100))
    assert no_x264.proc.poll() is None
    listed = json.loads(subprocess.run(
        [*cutline_cmd(), "jobs", "--json", "--limit", "50"], capture_output=True, text=True, timeout=60).stdout)
    mine = [j for j in listed if j["id"] == job_id]
    assert mine and mine[0]["worker"] == able.name and mine[0]["status"] == "complete"


def cutline_cmd() -> list[str]:
    import sys

    return [sys.executable, "-m", "editor"]


def test_a_worker_killed_mid_job_has_its_job_rerun_by_another(store, runner, workers, long_project,
                                                               tmp_path) -> None:
    first = workers("first")
    out = tmp_path / "survives.mp4"
    job_id = runner.start_export(long_project.timeline, out, "fast", (0, 250), project_id=long_project.project_id,
                                 farm=True)
    running = _wait(store, job_id, lambda s: s.status == "running" and s.progress > 5)
    assert running.worker == first.name
    os.kill(first.proc.pid, signal.SIGKILL)
    first.proc.wait(timeout=10)
    from editor.jobs.reaper import reap_orphaned_jobs

    # its process is gone, but the queue owns the job: a window's reaper leaves it to the stalled-job retrieval
    assert job_id not in reap_orphaned_jobs(store, runner.bus)
    assert job_id not in reap_orphaned_jobs(store, runner.bus, source="redis")
    second = workers("second")
    state = _wait(store, job_id, lambda s: s.finished and s.worker == second.name, timeout=120)
    assert state.status == "complete", state
    assert _frames(out) == list(range(250))
    assert JobRepository(store.db).get(job_id).params["worker"] == second.name


def test_cancel_of_a_running_farm_job_stops_it(store, runner, workers, long_project, tmp_path) -> None:
    w = workers("cancel")
    out = tmp_path / "cancelled.mp4"
    job_id = runner.start_export(long_project.timeline, out, "high", project_id=long_project.project_id, farm=True)
    _wait(store, job_id, lambda s: s.status == "running" and s.progress > 3)
    assert runner.cancel(job_id) is False  # not this process's: asked through Redis and the queue
    state = _wait(store, job_id, lambda s: s.finished, timeout=30)
    assert state.status == "cancelled" and state.worker == w.name
    deadline = time.monotonic() + 10
    while queue.queue_status(store.db, job_id) not in ("aborted", "cancelled") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert queue.queue_status(store.db, job_id) in ("aborted", "cancelled")
    assert not out.exists()


def test_sigterm_hands_the_job_back_and_exits_within_10_s(store, runner, workers, long_project, tmp_path) -> None:
    w = workers("term", "--graceful", "0")
    out = tmp_path / "handed.mp4"
    job_id = runner.start_export(long_project.timeline, out, "high", farm=True)
    _wait(store, job_id, lambda s: s.status == "running" and s.progress > 3)
    began = time.monotonic()
    w.proc.send_signal(signal.SIGTERM)
    assert w.proc.wait(timeout=10) == 0
    assert time.monotonic() - began < 10
    assert queue.queue_status(store.db, job_id) == "todo", (read_redis(store.redis, job_id), w.drain())
    other = workers("after-term")
    state = _wait(store, job_id, lambda s: s.finished and s.worker == other.name, timeout=90)
    assert state.status == "complete"
    assert len(_frames(out)) == 500


def test_path_map_maps_whole_components_longest_first() -> None:
    pm = {"/mnt/media": "/Volumes/media", "/mnt/media/raw": "/raw"}
    assert map_path("/mnt/media/a.mp4", pm) == "/Volumes/media/a.mp4"
    assert map_path("/mnt/media/raw/b.mp4", pm) == "/raw/b.mp4"
    assert map_path("/mnt/mediax/c.mp4", pm) == "/mnt/mediax/c.mp4"
    assert map_path("/elsewhere/d.mp4", pm) == "/elsewhere/d.mp4"


# ---- chunked export ------------------------------------------------------------------------------------

def _parts_of(store, parent: str) -> list[dict]:
    listed = json.loads(subprocess.run([*cutline_cmd(), "jobs", "--json", "--limit", "200"], capture_output=True,
                                       text=True, timeout=60).stdout)
    return [j for j in listed if j.get("parent") == parent]


def _audio_seconds(path: Path) -> float:
    with av.open(str(path)) as c:
        samples = sum(f.samples for f in c.decode(audio=0))
        return samples / c.streams.audio[0].rate


def test_a_chunked_export_spreads_parts_over_two_workers_and_joins_every_frame(store, runner, workers,
                                                                               long_project, tmp_path) -> None:
    from editor.jobs.export import render_spec_for
    from editor.media.chapters import read_chapters
    from editor.model.marks import add_marker

    names = {workers("one").name, workers("two").name}
    out = tmp_path / "chunked.mp4"
    marked = add_marker(long_project.timeline, 150, "Half", "red")  # the joined file's chapters, not the parts'
    spec = render_spec_for(marked, preset="fast", in_out=(0, 300), chapters=True)
    job_id = runner.start_export(spec, out, "fast", project_id=long_project.project_id, farm=True, chunks=4)
    progress: list[float] = []
    runner.add_listener(lambda s: progress.append(s.progress) if s.id == job_id else None)
    state = runner.wait(job_id, timeout=180)
    assert state is not None and state.status == "complete", state
    assert _frames(out) == list(range(300))  # every frame once, in order, across the seams
    assert abs(_audio_seconds(out) - 12.0) < 0.1  # the sound part covers the whole range
    assert progress == sorted(progress) and progress[-1] == 100
    parts = _parts_of(store, job_id)
    assert len(parts) == 5 and all(p["status"] == "complete" for p in parts)  # 4 picture parts + the sound
    assert {p["worker"] for p in parts} == names  # both workers rendered parts
    assert [p.name for p in tmp_path.iterdir()] == ["chunked.mp4"]  # the parts are gone
    assert [(float(c.start), float(c.end), c.title) for c in read_chapters(out)] == [(0.0, 6.0, "Start"),
                                                                                   (6.0, 12.0, "Half")]


def test_a_worker_killed_mid_part_has_that_part_rerun_and_the_chunked_export_completes(store, runner, workers,
                                                                                        long_project, tmp_path) -> None:
    doomed, survivor = workers("doomed"), workers("survivor")
    out = tmp_path / "survived.mp4"
    job_id = runner.start_export(long_project.timeline, out, "high", (0, 200), farm=True, chunks=2)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        mine = [p for p in _running_parts(store, job_id) if p.worker == doomed.name and p.progress > 5]
        if mine:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the doomed worker never rendered a part")
    os.kill(doomed.proc.pid, signal.SIGKILL)
    state = runner.wait(job_id, timeout=180)
    assert state is not None and state.status == "complete", state
    assert _frames(out) == list(range(200))
    parts = {p["id"]: p for p in _parts_of(store, job_id)}
    assert len(parts) == 3 and all(p["status"] == "complete" for p in parts.values())
    assert parts[mine[0].id]["worker"] == survivor.name  # the part it was rendering was re-run by the other


def _running_parts(store, parent: str) -> list:
    from editor.jobs.state import recent_from_redis

    return [s for s in recent_from_redis(store.redis, 200) or [] if s.parent == parent and s.status == "running"]


def test_cancelling_a_chunked_export_stops_every_part(store, runner, workers, long_project, tmp_path) -> None:
    workers("c1")
    workers("c2")
    out = tmp_path / "stopped.mp4"
    job_id = runner.start_export(long_project.timeline, out, "high", farm=True, chunks=3)
    deadline = time.monotonic() + 60
    while len([p for p in _running_parts(store, job_id) if p.progress > 2]) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert runner.cancel(job_id) is True
    state = runner.wait(job_id, timeout=30)
    assert state is not None and state.status == "cancelled"
    deadline = time.monotonic() + 20
    parts = _parts_of(store, job_id)
    while time.monotonic() < deadline and [p for p in parts if p["status"] == "running"]:
        time.sleep(0.2)
        parts = _parts_of(store, job_id)
    assert parts and not [p for p in parts if p["status"] == "running"], parts
    with store.db.connection() as conn:
        left = conn.execute("SELECT count(*) FROM procrastinate_jobs WHERE args->'params'->>'parent' = %s"
                            " AND status IN ('todo', 'doing')", (job_id,)).fetchone()[0]
    assert left == 0
    assert not out.exists()


# ---- shared storage ---------------------------------------------------------------------------------------

def test_a_worker_reads_media_through_its_path_map_and_fails_one_line_without_it(store, runner, workers,
                                                                                  short_project, tmp_path) -> None:
    from editor.jobs.export import render_spec_for
    from editor.jobs.paths import map_spec

    real = str(short_project.media.parent)
    seen_elsewhere = f"/mnt/cutline-test-{uuid.uuid4().hex[:6]}"  # how the editor's machine names the folder
    spec = map_spec(render_spec_for(short_project.timeline, preset="fast"), {real: seen_elsewhere})
    assert spec.clips[0].path.startswith(seen_elsewhere)
    config = tmp_path / "worker-config"
    config.mkdir()
    (config / "config.json").write_text(json.dumps({"path_map": {seen_elsewhere: real}}))
    out = tmp_path / "mapped.mp4"
    job_id = runner.start_export(spec, out, "fast", farm=True)
    unmapped = workers("unmapped")
    failed = _wait(store, job_id, lambda s: s.finished)
    assert failed.status == "error" and failed.worker == unmapped.name
    assert failed.message == (f"this worker cannot read {seen_elsewhere}/short.mp4 (is the shared storage mounted? "
                              "see path_map)")
    unmapped.stop()
    mapped = workers("mapped", env={"CUTLINE_CONFIG_DIR": str(config)})
    job_id = runner.start_export(spec, out, "fast", farm=True)
    state = _wait(store, job_id, lambda s: s.finished)
    assert state.status == "complete" and state.worker == mapped.name, state
    assert _frames(out) == list(range(100))


def test_cutline_render_farm_from_the_command_line(store, workers, short_project, tmp_path) -> None:
    w = workers("cli")
    out = tmp_path / "cli.mp4"
    done = subprocess.run([*cutline_cmd(), "render", str(short_project.project_id), str(out), "--preset", "fast",
                           "--farm", "--json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    final = json.loads(done.stdout)
    assert final["status"] == "complete" and final["worker"] == w.name
    assert _frames(out) == list(range(100))
    bad = subprocess.run([*cutline_cmd(), "render", str(short_project.project_id), str(tmp_path / "x.mp4"),
                          "--chunks", "3"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and bad.stderr.strip() == "cutline: --chunks must be from 1 to 256, and needs --farm"


def test_doctor_lists_the_live_workers(workers) -> None:
    w = workers("doctor")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        report = json.loads(subprocess.run([*cutline_cmd(), "doctor", "--json"], capture_output=True, text=True,
                                           timeout=60).stdout)
        names = {x["name"] for x in report["workers"]}
        if w.name in names:
            break
        time.sleep(0.3)
    mine = [x for x in report["workers"] if x["name"] == w.name][0]
    assert "libx264" in mine["encoders"] and "export.libx264" in mine["queues"]
    w.stop()


def test_cancelling_a_queued_farm_job_no_worker_took_ends_it_for_every_window(store, runner, short_project,
                                                                             tmp_path) -> None:
    job_id = runner.start_export(short_project.timeline, tmp_path / "never.mp4", "fast", farm=True)
    assert read_redis(store.redis, job_id).status == "pending"
    assert runner.cancel(job_id) is False
    state = _wait(store, job_id, lambda s: s.finished, timeout=10)
    assert state.status == "cancelled" and state.message == "cancelled before a worker took it"
    assert queue.queue_status(store.db, job_id) == "cancelled"


def test_media_tasks_run_on_a_worker_and_leave_their_results_in_the_shared_cache(store, runner, workers,
                                                                                short_project) -> None:
    from editor.media.waveform import cached_peaks

    workers("media")
    path = str(short_project.media)
    store.cache.invalidate("wave:*")
    wave = runner.enqueue_media("waveform", path)
    thumbs = runner.enqueue_media("filmstrip", path, count=5, size=[64, 48])
    for job_id in (wave, thumbs):
        state = _wait(store, job_id, lambda s: s.finished)
        assert state.status == "complete", state
    assert cached_peaks(path, cache=store.cache) is not None


def test_bad_worker_arguments_and_a_bad_path_map_are_one_line(tmp_path) -> None:
    from editor.store.config import ConfigError, load_settings

    for args, message in ((["--concurrency", "0"], "cutline: --concurrency must be from 1 to 64"),
                          (["--queues", "gpu"], "cutline: this worker cannot serve gpu (it can: media,"),
                          (["--graceful", "20"], "cutline: --graceful must be from 0 to 8 seconds")):
        done = subprocess.run([*cutline_cmd(), "worker", *args], capture_output=True, text=True, timeout=60)
        assert done.returncode == 1 and done.stderr.startswith(message), done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
    bad = tmp_path / "config.json"
    bad.write_text(json.dumps({"path_map": {"relative/path": "/x"}}))
    with pytest.raises(ConfigError, match="path_map must be an object of absolute path: path"):
        load_settings(bad)


def test_the_joined_sound_is_continuous_and_in_sync_with_the_pictures(store, runner, workers, tmp_path) -> None:
    from fractions import Fraction

    from editor.jobs.importing import import_files
    from editor.media.synth import make_clip, measure_sync
    from editor.model.navigate import timeline_from_media

    src = tmp_path / "flash.mp4"
    make_clip(src, frames=150, fps=Fraction(25), size=(320, 240), flash=True)  # a flash and a beep every second
    timeline = timeline_from_media(import_files([src], store.cache, store.media).refs, name="flash")
    workers("sync")
    out = tmp_path / "flash-chunked.mp4"
    job_id = runner.start_export(timeline, out, "fast", farm=True, chunks=3)
    state = runner.wait(job_id, timeout=120)
    assert state is not None and state.status == "complete", state
    report = measure_sync(out)
    assert len(report.flashes) == 6 and report.unmatched_flashes == () and report.unmatched_beeps == ()
    assert report.worst_ms < 1.0, report.offsets_ms  # measured 0.1 ms at every second, across both seams
    assert abs(_audio_seconds(out) - 6.0) < 0.05


def test_chunks_cover_every_frame_once_and_a_copy_export_is_refused_in_one_line(runner, short_project,
                                                                               tmp_path) -> None:
    from editor.jobs.chunked import plan_chunks
    from editor.media.errors import RenderError

    for frames, chunks in ((100, 4), (7, 3), (5, 8), (1, 1), (90_000, 16)):
        plan = plan_chunks(frames, chunks)
        assert plan[0][0] == 0 and plan[-1][1] == frames
        assert all(a < b for a, b in plan) and all(p[1] == q[0] for p, q in zip(plan, plan[1:], strict=False))
        assert len(plan) == min(chunks, frames)
        assert max(b - a for a, b in plan) - min(b - a for a, b in plan) <= 1
    with pytest.raises(RenderError, match="^a chunked export re-encodes pictures: use the high or fast preset"):
        runner.start_export(short_project.timeline, tmp_path / "c.mp4", "copy", farm=True, chunks=2)


QUEUE_AND_DIE = """
import os, sys, uuid
from editor.jobs import queue
from editor.store.presence import this_host
from editor.store.services import Store
store = Store.open()
app = queue.make_app(store.endpoints.database_url)
job_id = str(uuid.uuid4())
args = {"job_id": job_id, "path": sys.argv[1], "params": {"title": "Proxy", "host": this_host(), "pid": os.getpid()}}
with store.db.connection() as conn:
    queue.defer(app, "proxy", args, queue=queue.local_queue("window-" + uuid.uuid4().hex[:8]), conn=conn)
print(job_id, flush=True)
sys.stdin.readline()  # killed here, its job still queued for its own in-process worker
"""


def test_a_job_left_on_the_local_queue_of_a_killed_window_is_taken_off_it(store, tmp_path) -> None:
    """Only a window's own worker runs its local queue: when the window dies first, the next reaper ends the
    job instead of leaving it queued forever; a live window's queued job is left alone."""
    import sys

    from editor.jobs.reaper import reap_orphaned_jobs

    dying = subprocess.Popen([sys.executable, "-c", QUEUE_AND_DIE, str(tmp_path / "a.mp4")], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    living = subprocess.Popen([sys.executable, "-c", QUEUE_AND_DIE, str(tmp_path / "b.mp4")], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        dead_job, live_job = dying.stdout.readline().strip(), living.stdout.readline().strip()
        assert queue.queue_status(store.db, dead_job) == "todo" and queue.queue_status(store.db, live_job) == "todo"
        dying.kill()
        dying.wait(timeout=10)
        reap_orphaned_jobs(store)
        assert queue.queue_status(store.db, dead_job) == "failed"
        assert queue.queue_status(store.db, live_job) == "todo"  # its process lives: its worker may yet run it
    finally:
        living.kill()
        living.wait(timeout=10)
    reap_orphaned_jobs(store)
    assert queue.queue_status(store.db, live_job) == "failed"
