"""Byte caches for probe metadata, thumbnails and waveforms.

:class:`RedisCache` is the shared one (keys ``metadata:{fingerprint}``, ``thumb:{fingerprint}:…``,
``wave:{fingerprint}:…``, every key with a TTL); when Redis is down a call is a miss or a no-op write,
never an exception. :class:`DiskCache` stands in where no Redis exists at all. Both satisfy the
media layer's ``BytesCache`` protocol (``get`` / ``set``). Thread: any. No Qt.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

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
        value = self.conn.call(lambda c: c.get(key), None)
        with self._lock:
            if value is None:
                self.stats.misses += 1
            else:
                self.stats.hits += 1
        if value is None:
            return None
        return value if isinstance(value, bytes) else str(value).encode()

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
        folder.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        digest = hashlib.blake2b(key.encode(), digest_size=16).hexdigest()
        return self.folder / digest[:2] / digest

    def get(self, key: str) -> bytes | None:
        path = self._path(key)
        try:
            with open(path, "rb") as fh:
                expires = float(fh.readline())
                stored_key = fh.readline().rstrip(b"\n").decode("utf-8", "replace")
                data = fh.read()
        except (OSError, ValueError):
            self.stats.misses += 1
            return None
        if expires < time.time() or stored_key != key:
            self.stats.misses += 1
            return None
        self.stats.hits += 1
        return data

    def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        if ttl_seconds <= 0:
            raise ValueError("every cache key needs a positive TTL")
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}")
            with open(tmp, "wb") as fh:
                fh.write(f"{time.time() + ttl_seconds}\n".encode())
                fh.write(key.replace("\n", " ").encode() + b"\n")
                fh.write(value)
            os.replace(tmp, path)
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
                with open(path, "rb") as fh:
                    fh.readline()
                    key = fh.readline().rstrip(b"\n").decode("utf-8", "replace")
            except OSError:
                continue
            if fnmatch.fnmatchcase(key, pattern):
                path.unlink(missing_ok=True)
                removed += 1
        return removed
