"""The cache interface the media layer writes through, and a small in-memory implementation.

The application implements :class:`BytesCache` over Redis (get/set never raise; they return
``None`` / do nothing when Redis is down). Keys used by the media layer:

- ``metadata:{fingerprint}`` — probe result JSON (TTL 3600 s);
- ``thumb:{fingerprint}:{time}:{size}`` — JPEG bytes; ``time`` is seconds with 3 decimals, suffixed
  with ``k`` when the thumbnail is the nearest keyframe rather than the exact frame;
- ``wave:{fingerprint}:{buckets_per_second}`` — waveform peaks.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Protocol, runtime_checkable

METADATA_TTL = 3600
THUMBNAIL_TTL = 7 * 24 * 3600
WAVEFORM_TTL = 7 * 24 * 3600


@runtime_checkable
class BytesCache(Protocol):
    """A key → bytes store with a time to live; implementations never raise from get/set."""

    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: bytes, ttl_seconds: int) -> None: ...


class MemoryBytesCache:
    """A bounded, thread-safe in-process BytesCache (LRU by total bytes, honours TTLs).

    Any thread. Used by the bench and as a fallback when no shared cache is configured.
    """

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self._max = max_bytes
        self._items: OrderedDict[str, tuple[bytes, float]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            value, expires = item
            if expires < time.monotonic():
                self._drop(key)
                return None
            self._items.move_to_end(key)
            return value

    def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        with self._lock:
            if key in self._items:
                self._drop(key)
            self._items[key] = (bytes(value), time.monotonic() + ttl_seconds)
            self._size += len(value)
            while self._size > self._max and self._items:
                self._drop(next(iter(self._items)))

    def _drop(self, key: str) -> None:
        value, _ = self._items.pop(key)
        self._size -= len(value)


def cache_get(cache: BytesCache | None, key: str) -> bytes | None:
    """``cache.get(key)``, treating a missing cache or a misbehaving one as a miss. Any thread."""
    if cache is None:
        return None
    try:
        return cache.get(key)
    except Exception:  # noqa: BLE001 - a cache must never break media work
        return None


def cache_set(cache: BytesCache | None, key: str, value: bytes, ttl_seconds: int) -> None:
    """``cache.set(...)``, ignoring a missing or failing cache. Any thread."""
    if cache is None:
        return
    try:
        cache.set(key, value, ttl_seconds)
    except Exception:  # noqa: BLE001
        pass
