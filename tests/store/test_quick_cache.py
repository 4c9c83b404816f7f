"""QuickCache (the CLI's Redis-only cache) against the run's real Valkey, and a probe served from Redis with
PostgreSQL unreachable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from editor.media.synth import make_clip
from editor.store.resp import QuickCache

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def redis_url(store) -> str:
    url = store.endpoints.redis_url
    if not url:
        pytest.skip("this run has no Redis")
    return url


def test_get_set_and_ttl_against_the_real_server(store, redis_url) -> None:
    cache = QuickCache(redis_url)
    assert QuickCache.supports(redis_url)
    key = f"test:quick:{os.getpid()}"
    assert cache.get(key) is None
    value = bytes(range(256)) * 40 + b"\r\n$-1\r\n"  # binary, with protocol-looking bytes
    cache.set(key, value, 60)
    assert cache.get(key) == value
    assert 0 < store.redis.call(lambda c: c.ttl(key), -2) <= 60  # written with its TTL
    assert store.cache.get(key) == value  # the same key space as the window's cache
    assert (cache.stats.hits, cache.stats.misses, cache.stats.writes) == (1, 1, 1)
    with pytest.raises(ValueError):
        cache.set(key, b"x", 0)
    cache.delete(key)
    assert cache.get(key) is None
    cache.close()


def test_an_unreachable_or_refusing_server_is_a_quick_miss(tmp_path, redis_url) -> None:
    for url in (f"unix://{tmp_path / 'nothing.sock'}", "redis://127.0.0.1:1/0",
                redis_url.replace("password=", "password=wrong")):
        cache = QuickCache(url, timeout=0.5)
        t = time.monotonic()
        assert cache.get("metadata:x") is None
        cache.set("metadata:x", b"1", 10)  # dropped, no exception
        assert cache.get("metadata:x") is None
        assert time.monotonic() - t < 5  # generous: the deadline is 0.5 s, and it gives up after one failure
    assert not QuickCache.supports("rediss://example.org:6380")


def test_cached_probe_needs_no_database(store, redis_url, tmp_path) -> None:
    clip = make_clip(tmp_path / "p.mp4", frames=30)

    def probe(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "editor", "probe", str(clip.path), "--json"], cwd=ROOT,
                              capture_output=True, text=True, timeout=120, env=env)

    first = probe(dict(os.environ))
    assert first.returncode == 0, first.stderr
    info = json.loads(first.stdout)
    # Doctor the cached entry: the second command must show it (served from Redis, not re-probed) while the
    # database URL points at nothing.
    key = f"metadata:{info['fingerprint']}"
    cached = json.loads(store.cache.get(key))
    cached["container"] = "served-from-redis"
    store.cache.set(key, json.dumps(cached).encode(), 60)
    env = dict(os.environ, CUTLINE_DATABASE_URL="postgresql://cutline@127.0.0.1:1/none", CUTLINE_REDIS_URL=redis_url)
    second = probe(env)
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["container"] == "served-from-redis"
