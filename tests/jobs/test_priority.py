"""Playback first: background work waits while playback is active and resumes after; lower OS priority."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from editor.jobs.priority import BackgroundExecutor, PlaybackGate, lower_thread_priority, thread_nice

WAIT = 20.0  # generous: the CI machine is busy


def test_a_background_job_pauses_while_playback_is_active_and_resumes_after() -> None:
    gate = PlaybackGate()
    cancel = threading.Event()
    progressed = threading.Event()
    finished = threading.Event()
    pieces: list[int] = []
    lock = threading.Lock()

    def job() -> None:
        pause = gate.pause_point(cancel)
        for n in range(6):
            pause()
            with lock:
                pieces.append(n)
            progressed.set()
        finished.set()

    gate.set_playing(True)
    worker = threading.Thread(target=job, daemon=True)
    worker.start()
    # while playing, the job is parked in its first pause point: wait until the gate counts it
    deadline = threading.Event()
    for _ in range(400):
        if gate.waits >= 1:
            break
        deadline.wait(0.05)
    assert gate.waits == 1
    assert not progressed.is_set() and pieces == []
    gate.set_playing(False)
    assert finished.wait(WAIT)
    assert pieces == list(range(6))
    worker.join(WAIT)


def test_playback_starting_mid_job_parks_it_at_its_next_pause_point() -> None:
    gate = PlaybackGate()
    at_piece = [threading.Event() for _ in range(4)]
    go_on = threading.Event()
    done = threading.Event()

    def job() -> None:
        pause = gate.pause_point()
        for n in range(4):
            pause()
            at_piece[n].set()
            if n == 1:
                go_on.wait(WAIT)  # the test starts playback here
        done.set()

    worker = threading.Thread(target=job, daemon=True)
    worker.start()
    assert at_piece[1].wait(WAIT)
    gate.set_playing(True)
    go_on.set()
    waited = threading.Event()
    for _ in range(400):
        if gate.waits:
            break
        waited.wait(0.05)
    assert gate.waits == 1 and not at_piece[2].is_set()
    gate.set_playing(False)
    assert done.wait(WAIT) and all(e.is_set() for e in at_piece)


def test_cancel_wakes_a_paused_job() -> None:
    gate = PlaybackGate()
    gate.set_playing(True)
    cancel = threading.Event()
    result: list[bool] = []
    worker = threading.Thread(target=lambda: result.append(gate.wait_idle(cancel)), daemon=True)
    worker.start()
    cancel.set()
    worker.join(WAIT)
    assert result == [False]
    assert gate.wait_idle(None, timeout=0.01) is False  # still playing: a timeout says so
    gate.set_playing(False)
    assert gate.wait_idle(None) is True


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread nice is Linux only")
def test_background_threads_and_the_processes_they_start_run_at_a_lower_priority() -> None:
    before = thread_nice()
    pool = BackgroundExecutor()
    try:
        nice_there = pool.run(thread_nice)
        child = pool.run(lambda: subprocess.run(
            [sys.executable, "-c", "import os; print(os.getpriority(os.PRIO_PROCESS, 0))"],
            capture_output=True, text=True, check=True).stdout)
    finally:
        pool.shutdown()
    assert before is not None and nice_there is not None
    assert nice_there == min(19, before + 19)
    assert int(child) == nice_there, "a render child started from a background thread inherits its nice"
    assert thread_nice() == before, "only that thread was lowered, not the player's"
    assert os.getpriority(os.PRIO_PROCESS, 0) == before
    assert lower_thread_priority(0) is None


def test_a_window_runner_starts_thread_jobs_only_when_playback_stops_and_below_the_player(store) -> None:
    """The job runner of a window, on the real servers: a waveform job waits for the gate, runs niced."""
    from editor.jobs.runner import JobRunner
    from editor.store.bus import RedisEventBus

    if not store.redis.configured:
        pytest.skip("no Redis")
    runner = JobRunner(store, RedisEventBus(store.redis, "test-priority"), "inst-priority")
    gate = PlaybackGate()
    runner.run_below_playback(gate)
    started = threading.Event()
    seen_nice: list[int | None] = []

    def work(progress, cancel) -> str:
        seen_nice.append(thread_nice())
        started.set()
        return "peaks"

    gate.set_playing(True)
    base = thread_nice()
    job = runner.start_thread_job("waveform", work, title="Waveform")
    try:
        waiting = threading.Event()
        for _ in range(400):  # until the job's thread is parked at the gate
            if gate.waits:
                break
            waiting.wait(0.05)
        assert gate.waits == 1 and not started.is_set()
        gate.set_playing(False)
        state = runner.wait(job, WAIT)
        assert state is not None and state.status == "complete"
        assert base is not None and seen_nice == [min(19, base + 19)]
    finally:
        runner.close()


def _render_children() -> dict[int, int]:
    """pid → nice of this process's children whose command line holds the render spec (Linux)."""
    found: dict[int, int] = {}
    for task in os.listdir("/proc/self/task"):
        try:
            kids = open(f"/proc/self/task/{task}/children").read().split()
        except OSError:
            continue
        for pid in map(int, kids):
            try:
                cmdline = open(f"/proc/{pid}/cmdline", "rb").read()
                if b".spec-" in cmdline:
                    found[pid] = os.getpriority(os.PRIO_PROCESS, pid)
            except OSError:
                continue
    return found


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread nice is Linux only")
def test_a_window_export_renders_in_a_child_below_the_player(store, long_project, tmp_path) -> None:
    from editor.jobs.priority import EXPORT_NICE
    from editor.jobs.runner import JobRunner
    from editor.store.bus import RedisEventBus

    if not store.redis.configured:
        pytest.skip("no Redis")
    if not os.path.exists(f"/proc/self/task/{threading.get_native_id()}/children"):
        pytest.skip("this kernel does not list children per thread")
    runner = JobRunner(store, RedisEventBus(store.redis, "test-priority-export"), "inst-export")
    runner.run_below_playback(PlaybackGate())
    base = thread_nice()
    job = runner.start_export(long_project.timeline, tmp_path / "out.mp4", "high")
    seen: dict[int, int] = {}
    try:
        waiter = threading.Event()
        for _ in range(600):  # until the render child is there (or the job is over)
            seen.update(_render_children())
            state = runner.local_state(job)
            if seen or (state is not None and state.finished):
                break
            waiter.wait(0.05)
    finally:
        runner.cancel(job)
        runner.wait(job, WAIT)
        runner.close()
    assert base is not None and seen, "the render child was seen"
    assert set(seen.values()) == {min(19, base + EXPORT_NICE)}
