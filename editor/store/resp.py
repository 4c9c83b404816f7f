"""A byte cache over the Redis protocol for short commands: GET and SET EX on one socket, nothing else.

``cutline probe`` and ``cutline thumbnails`` look one key up and end. Importing redis-py costs ~100 ms
(it loads its asyncio client), more than probing a small file, so a cached probe was slower than an
uncached one. :class:`QuickCache` speaks just enough RESP2 (AUTH, SELECT, GET, SET … EX) over a unix
socket or TCP, with a total deadline per call; any failure is a miss (or a dropped write) and turns the
cache off for the rest of the process. Long-lived processes use :class:`editor.store.cache.RedisCache`.

Thread: one at a time (calls are serialized by a lock). No Qt.
"""

from __future__ import annotations

import socket
import threading
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from editor.store.cache import CacheStats


class RespError(Exception):
    """The server answered with an error, or something that is not RESP."""


def _encode(*args: bytes | str | int) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


class QuickCache:
    """``get``/``set`` of the media layer's BytesCache over RESP, for a process that makes a few calls.

    ``url``: ``unix:///path?password=…&db=N`` or ``redis://[user:password@]host[:port][/db]``
    (TLS is not supported: :func:`supports` says so). ``timeout`` bounds each call (connect included).
    """

    def __init__(self, url: str, *, timeout: float = 0.5) -> None:
        self.url = url
        self.timeout = timeout
        self.stats = CacheStats()
        self._sock: socket.socket | None = None
        self._reader: Any = None
        self._down = False
        self._lock = threading.Lock()

    @staticmethod
    def supports(url: str) -> bool:
        """True for the URL schemes this client speaks (not ``rediss://``). Any thread."""
        return urlsplit(url).scheme in ("unix", "redis")

    # -- the BytesCache interface -----------------------------------------------------------------
    def get(self, key: str) -> bytes | None:
        value = self._call("GET", key)
        if isinstance(value, bytes):
            from editor.store.validate import BadValue, check_cached, drop

            try:
                check_cached(key, value)  # anyone who can write to Redis can plant an entry
            except BadValue as exc:
                drop("cache entry", key, exc)
                value = None
        if isinstance(value, bytes):
            self.stats.hits += 1
            return value
        self.stats.misses += 1
        return None

    def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        if ttl_seconds <= 0:
            raise ValueError("every cache key needs a positive TTL")
        if self._call("SET", key, bytes(value), "EX", int(ttl_seconds)) == b"OK":
            self.stats.writes += 1

    def delete(self, key: str) -> None:
        self._call("DEL", key)

    def close(self) -> None:
        with self._lock:
            self._drop()

    # -- protocol ---------------------------------------------------------------------------------
    def _call(self, *args: bytes | str | int) -> Any:
        with self._lock:
            if self._down:
                return None
            try:
                if self._sock is None:
                    self._connect()
                return self._command(*args)
            except (OSError, RespError, ValueError):
                self._down = True  # a miss now and for the rest of this process: never wait twice
                self._drop()
                return None

    def _connect(self) -> None:
        parts = urlsplit(self.url)
        query = parse_qs(parts.query)
        password = unquote(parts.password) if parts.password else (query.get("password") or [""])[0]
        user = unquote(parts.username) if parts.username else None
        if parts.scheme == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            address: Any = unquote(parts.path)
            db = (query.get("db") or ["0"])[0]
        elif parts.scheme == "redis":
            sock = socket.socket(socket.AF_INET6 if ":" in (parts.hostname or "") else socket.AF_INET)
            address = (parts.hostname or "localhost", parts.port or 6379)
            db = parts.path.strip("/") or "0"
        else:
            raise ValueError(f"unsupported Redis URL scheme {parts.scheme!r}")
        sock.settimeout(self.timeout)
        sock.connect(address)
        self._sock, self._reader = sock, sock.makefile("rb")
        if password:
            self._command(*(("AUTH", user, password) if user else ("AUTH", password)))
        if db not in ("", "0"):
            self._command("SELECT", db)

    def _command(self, *args: bytes | str | int) -> Any:
        assert self._sock is not None
        self._sock.sendall(_encode(*args))
        return self._reply()

    def _reply(self) -> Any:
        line = self._reader.readline()
        if not line.endswith(b"\r\n"):
            raise RespError("connection closed")
        kind, body = line[:1], line[1:-2]
        if kind == b"+":
            return body
        if kind == b"-":
            raise RespError(body.decode(errors="replace"))
        if kind == b":":
            return int(body)
        if kind == b"$":
            n = int(body)
            if n < 0:
                return None
            data = self._reader.read(n + 2)
            if len(data) != n + 2:
                raise RespError("connection closed")
            return data[:-2]
        if kind == b"*":
            n = int(body)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise RespError(f"not a RESP reply: {line[:20]!r}")

    def _drop(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            except OSError:
                pass
        self._sock = self._reader = None
