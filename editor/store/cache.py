"""Byte caches for probe metadata, thumbnails and waveforms.

:class:`RedisCache` is the shared one (keys ``metadata:{fingerprint}``, ``thumb:{fingerprint}:…``,
``wave:{fingerprint}:…``, every key with a TTL); when Redis is down a call is a miss or a no-op write,
never an exception. :class:`DiskCache` stands in where no Redis exists at all. Both satisfy the
media layer's ``BytesCache`` protocol (``get`` / ``set``). Thread: any. No Qt.

Anyone who can write to Redis can plant an entry: every value read is checked (``validate.check_cached``:
size, and for ``metadata:`` the shape and ranges of a probe result, for ``thumb:`` a JPEG) and a bad one is
a miss, deleted, with one logged line. The disk cache's folders are 0700 and its files 0600.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from editor.store.private import ensure_private_dir, write_private
from editor.store.validate import BLOB_MAX, BadValue, check_cached, drop

if TYPE_CHECKING:  # the annotation only: a disk cache or a quick cache need not load redis-py
    from editor.store.redis_conn import RedisConnection

SCAN_BATCH = 500


@dataclass(slots=True)
class CacheStats:
    hits: int = 0
    misses: int = 0
    writes: int = 0

    @property
    def hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


class ByteCache(Protocol):
    stats: CacheStats

    def get(self, key: str) -> bytes | None: ...
    def set(self, key: str, value: bytes, ttl_seconds: int) -> None: ...
    def delete(self, key: str) -> None: ...
    def invalidate(self, pattern: str) -> int: ...


class RedisCache:
    """Redis-backed byte cache with hit/miss counters. Thread: any."""

    def __init__(self, conn: RedisConnection) -> None:
        self.conn = conn
        self.stats = CacheStats()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        # GETRANGE reads at most BLOB_MAX + 1 bytes: a planted huge value cannot exhaust memory.
        value = self.conn.call(lambda c: c.getrange(key, 0, BLOB_MAX), None)
        if value is not None and not isinstance(value, bytes):
            value = str(value).encode()
        if value == b"":
            value = None  # a missing key (no entry is ever empty)
        if value is not None:
            try:
                check_cached(key, value)
            except BadValue as exc:
                drop("cache entry", key, exc)
                self.delete(key)
                value = None
        with self._lock:
            if value is None:
                self.stats.misses += 1
            else:
                self.stats.hits += 1
        return value

    def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        if ttl_seconds <= 0:
            raise ValueError("every cache key needs a positive TTL")
        if self.conn.call(lambda c: c.set(key, value, ex=int(ttl_seconds)), None):
            with self._lock:
                self.stats.writes += 1

    def delete(self, key: str) -> None:
        self.conn.call(lambda c: c.delete(key), 0)

    def invalidate(self, pattern: str) -> int:
        """Delete every key matching ``pattern`` (SCAN, never KEYS); return how many went."""

        def run(client) -> int:  # type: ignore[no-untyped-def]
            removed = 0
            batch: list[bytes] = []
            for key in client.scan_iter(match=pattern, count=SCAN_BATCH):
                batch.append(key)
                if len(batch) >= SCAN_BATCH:
                    removed += client.unlink(*batch)
                    batch.clear()
            if batch:
                removed += client.unlink(*batch)
            return removed

        return self.conn.call(run, 0)

    def invalidate_media(self, fingerprint: str) -> int:
        """Forget everything cached about one source file."""
        return sum(self.invalidate(f"{kind}:{fingerprint}*") for kind in ("metadata", "thumb", "wave"))


class DiskCache:
    """A byte cache in files, for machines without Redis. Thread: any; blocks on disk I/O."""

    def __init__(self, folder: Path, max_bytes: int = 512 * 1024 * 1024) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self.stats = CacheStats()
        ensure_private_dir(folder, tighten=True)

    def _path(self, key: str) -> Path:
        digest = hashlib.blake2b(key.encode(), digest_size=16).hexdigest()
        return self.folder / digest[:2] / digest

    def get(self, key: str) -> bytes | None:
        path = self._path(key)
        try:
            with open(path, "rb", opener=_nofollow) as fh:
                expires = float(fh.readline(64))
                stored_key = fh.readline(4096).rstrip(b"\n").decode("utf-8", "replace")
                data = fh.read(BLOB_MAX + 1)
        except (OSError, ValueError):
            self.stats.misses += 1
            return None
        if expires < time.time() or stored_key != key:
            self.stats.misses += 1
            return None
        try:
            check_cached(key, data)
        except BadValue as exc:
            drop("cache entry", key, exc)
            self.delete(key)
            self.stats.misses += 1
            return None
        self.stats.hits += 1
        return data

    def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        if ttl_seconds <= 0:
            raise ValueError("every cache key needs a positive TTL")
        path = self._path(key)
        try:
            ensure_private_dir(path.parent)
            header = f"{time.time() + ttl_seconds}\n".encode() + key.replace("\n", " ").encode() + b"\n"
            write_private(path, header + value, fsync=False)
            self.stats.writes += 1
        except OSError:
            pass

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def invalidate(self, pattern: str) -> int:
        import fnmatch

        removed = 0
        for path in self.folder.glob("*/*"):
            try:
                with open(path, "rb", opener=_nofollow) as fh:
                    fh.readline(64)
                    key = fh.readline(4096).rstrip(b"\n").decode("utf-8", "replace")
            except OSError:
                continue
            if fnmatch.fnmatchcase(key, pattern):
                path.unlink(missing_ok=True)
                removed += 1
        return removed


def _nofollow(path: str, flags: int) -> int:
    return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
