"""The store and caches for one CLI process, opened on first use and closed at exit.

A CLI process leaves the embedded servers running when it ends (the next command joins them in
milliseconds); the window stops them when the last Cutline process closes, and
``cutline servers stop`` stops them at once. Main thread of the CLI process.
"""

from __future__ import annotations

import atexit
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from editor.store.cache import DiskCache, RedisCache
    from editor.store.resp import QuickCache
    from editor.store.services import Store

_store: Store | None = None


def open_store() -> Store:
    """The process's Store (servers started or joined, schema migrated)."""
    global _store
    if _store is None:
        from editor.store.services import Store

        _store = Store.open()
        atexit.register(close_store)
    return _store


def close_store() -> None:
    global _store
    if _store is not None:
        _store.close(stop_servers=False)
        _store = None


_cache: RedisCache | DiskCache | QuickCache | None = None
_cache_servers: object | None = None  # the embedded servers started for the cache (holds the users lock)

#: A command that only caches must not wait on a Redis that does not answer: then it is a miss.
QUICK_TIMEOUT = 0.5


def open_cache() -> RedisCache | DiskCache | QuickCache:
    """The shared byte cache (Redis, or the disk cache where there is no Redis), for commands that need
    nothing else (probe, thumbnails). Never opens PostgreSQL: joins the embedded Valkey if it runs (else
    starts it alone), through a minimal client with a short deadline (redis-py alone takes longer to
    import than a small file takes to probe); a Redis that does not answer is a miss, once."""
    global _cache, _cache_servers
    if _store is not None:
        return _store.cache
    if _cache is None:
        from editor.store.config import cache_dir, data_dir, load_settings
        from editor.store.resp import QuickCache

        url = load_settings().redis_url
        if url is None:
            from editor.store.servers import EmbeddedServers, embedded_servers_supported

        if url is None and embedded_servers_supported():
            servers = EmbeddedServers(data_dir() / "servers")
            url = servers.running_valkey_url()
            if url is None:
                url = servers.ensure(postgres=False, redis=True).redis_url
                _cache_servers = servers
        if url is None:
            from editor.store.cache import DiskCache

            _cache = DiskCache(cache_dir() / "blobs")
        elif QuickCache.supports(url):
            _cache = QuickCache(url, timeout=QUICK_TIMEOUT)
        else:
            from editor.store.cache import RedisCache
            from editor.store.redis_conn import RedisConnection

            _cache = RedisCache(RedisConnection(url, connect_timeout=QUICK_TIMEOUT, op_timeout=QUICK_TIMEOUT,
                                                retries=0))
    return _cache
