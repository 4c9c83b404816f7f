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


def open_cache() -> RedisCache | DiskCache:
    """The shared byte cache (Redis, or the disk cache where there is no Redis)."""
    return open_store().cache
