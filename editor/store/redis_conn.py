"""A Redis connection that never takes the program down.

Connects lazily and retries a refused connection (3 tries, 50 ms doubling up to 0.5 s apart); when Redis is
gone every call returns its fallback value instead of raising, within a total deadline: the first failing
call takes at most about ``connect_timeout + op_timeout`` (0.8 s) even when Redis accepts and never answers
(a timeout is never retried, and no handshake command beyond the client name is sent), and every call after
it returns at once while a background thread probes the server (0.5 s doubling to 5 s apart), so a Redis that
comes back is used again without a restart and no caller ever waits on one known to be down. Thread: any
(redis-py's pool is thread-safe). No Qt.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)

T = TypeVar("T")

CONNECT_TIMEOUT = 0.3
OP_TIMEOUT = 0.5
RETRY_MIN = 0.5
RETRY_MAX = 5.0


def no_handshake() -> dict[str, Any]:
    """redis-py keyword arguments that skip CLIENT SETINFO on each new connection (two round trips a hung
    server would hold): ``driver_info`` on redis-py 7.1+, ``lib_name``/``lib_version`` before."""
    try:
        from redis.driver_info import DriverInfo
    except ImportError:
        return {"lib_name": None, "lib_version": None}
    return {"driver_info": DriverInfo(name=None, lib_version=None)}


def redact_redis_url(url: str) -> str:
    from editor.store.db import redact_url

    return redact_url(url)


class RedisConnection:
    """Lazy, retried, self-healing access to one Redis server (or to none: ``url=None``)."""

    def __init__(self, url: str | None, *, name: str = "cutline", connect_timeout: float = CONNECT_TIMEOUT,
                 op_timeout: float = OP_TIMEOUT, retries: int = 3) -> None:
        if url is not None:
            from editor.store.config import check_redis_url

            check_redis_url(url, "the Redis URL")  # ConfigError (one line) for bogus://, a bad port, …
        self.url = url
        self._timeouts = (connect_timeout, op_timeout, retries)
        self._name = name
        self._client: redis.Redis | None = None
        self._lock = threading.Lock()
        self._down = False  # a call failed; the prober clears it when Redis answers again
        self._prober: threading.Thread | None = None
        self._closed = threading.Event()
        self._was_down = False
        self.failures = 0
        #: Called when Redis is found gone (the embedded servers' ``revive``: a crashed embedded Valkey is
        #: started again); True when it restarted it, and the next call tries at once.
        self.on_lost: Callable[[], bool] | None = None

    @property
    def display_url(self) -> str:
        """The URL without its password (computed when shown: a cache hit need not load the database code)."""
        return redact_redis_url(self.url) if self.url else "none"

    @property
    def configured(self) -> bool:
        return self.url is not None

    @property
    def available(self) -> bool:
        """False while Redis is believed down (until the prober finds it back); no I/O."""
        return self.url is not None and not self._down

    def client(self) -> redis.Redis:
        """The redis-py client (created on first use). Raises redis.RedisError if not configured."""
        if self.url is None:
            raise redis.ConnectionError("no Redis is configured")
        with self._lock:
            if self._client is None:
                connect_timeout, op_timeout, retries = self._timeouts
                self._client = redis.Redis.from_url(
                    self.url,
                    socket_connect_timeout=connect_timeout,
                    socket_timeout=op_timeout,
                    # Only a refused/reset connection is retried: a server that timed out once (hung) would
                    # time out again, and the caller's deadline is one timeout, not ``retries`` of them.
                    retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), retries,
                                supported_errors=(redis.ConnectionError,)),
                    retry_on_error=[redis.ConnectionError],
                    health_check_interval=15,
                    client_name=self._name,
                    **no_handshake(),
                )
            return self._client

    def call(self, fn: Callable[[redis.Redis], T], fallback: T) -> T:
        """Run ``fn(client)``; on any Redis failure log once, and return ``fallback``."""
        if self.url is None or self._down:
            return fallback
        try:
            result = fn(self.client())
        except redis.ResponseError as exc:
            # The server answered, with an error (a planted key of the wrong type, a refused command):
            # Redis is not down, the value is dropped.
            log.warning("Redis refused a request (%s); treated as a miss", str(exc)[:120])
            return fallback
        except (redis.RedisError, OSError) as exc:
            self.failures += 1
            if not self._was_down:
                log.warning("Redis at %s is unreachable (%s); caches fall back", self.display_url, exc)
            self._was_down = True
            if self.on_lost is not None and self.on_lost():
                return fallback  # restarted: the next call tries at once
            self._mark_down()
            return fallback
        if self._was_down:
            log.info("Redis at %s is back", self.display_url)
            self._was_down = False
        return result

    def _mark_down(self) -> None:
        """Calls return their fallback at once from now on; one prober thread looks for Redis coming back."""
        with self._lock:
            self._down = True
            if self._prober is not None or self._closed.is_set():
                return
            self._prober = threading.Thread(target=self._probe, name="cutline-redis-probe", daemon=True)
            self._prober.start()

    def _probe(self) -> None:
        """Prober thread: PING with back-off until Redis answers (then calls go through again) or close."""
        backoff, closed = RETRY_MIN, self._closed
        try:
            while not closed.wait(backoff):
                try:
                    if self.client().ping():
                        self._down = False
                        return
                except Exception:  # noqa: BLE001 - down, or the client closed under the probe: try again later
                    pass
                backoff = min(backoff * 2, RETRY_MAX)
        finally:
            with self._lock:
                self._prober = None

    def ping(self) -> bool:
        """True if Redis answers now (ignores that it was found down; at most one deadline)."""
        if self.url is None:
            return False
        try:
            ok = bool(self.client().ping())
        except (redis.RedisError, OSError):
            self._mark_down()
            return False
        self._down = False
        return ok

    def close(self) -> None:
        """Close the client and stop the prober (a later call connects again). Any thread; never waits on Redis."""
        with self._lock:
            self._closed.set()
            self._closed = threading.Event()
            self._down = False
            if self._client is not None:
                self._client.close()
                self._client = None
