"""Redis restarted while a job runs: the window's board reconnects, catches up, and sees the end."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from editor.jobs.board import JobBoard
from editor.jobs.runner import JobRunner
from editor.store.bus import RedisEventBus
from editor.store.jobs_repo import JobRepository
from editor.store.redis_conn import RedisConnection
from editor.store.servers import EmbeddedServers, valkey_binary


@pytest.mark.skipif(valkey_binary() is None, reason="no embedded Valkey")
def test_a_redis_restart_mid_job_freezes_nothing_and_the_board_catches_up(store, tmp_path: Path) -> None:
    servers = EmbeddedServers(tmp_path / "redis-only")
    url = servers.ensure(postgres=False).redis_url
    own = SimpleNamespace(redis=RedisConnection(url), db=store.db)
    window = SimpleNamespace(redis=RedisConnection(url), db=store.db)
    runner = JobRunner(own, RedisEventBus(own.redis, "renderer"), "renderer")
    board = JobBoard(window, RedisEventBus(window.redis, "window"))
    board.start()

    def work(progress, cancel):
        for i in range(60):  # about 6 s
            progress(i * 100 / 60, f"step {i}")
            time.sleep(0.1)

    try:
        job_id = runner.start_thread_job("proxy", work, title="Proxy")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (board.get(job_id) is None or board.get(job_id).progress < 10):
            time.sleep(0.05)
        assert board.get(job_id).progress >= 10
        servers.stop()
        t0 = time.monotonic()
        time.sleep(0.5)
        assert board.snapshot()[0].id == job_id  # the window still answers from memory
        assert time.monotonic() - t0 < 1.0
        servers.ensure(postgres=False)
        final = runner.wait(job_id, 30)
        assert final is not None and final.status == "complete"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and (board.get(job_id) is None or not board.get(job_id).finished):
            time.sleep(0.1)
        assert board.reconnects >= 1, "the board's subscriber reconnected and caught up"
        assert board.get(job_id).status == "complete"
    finally:
        board.close()
        runner.close()
        own.redis.close()
        window.redis.close()
        servers.stop()
    assert JobRepository(store.db).get(job_id).status == "complete"
