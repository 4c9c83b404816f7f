"""A Redis connection that never takes the program down.

Connects lazily, retries (3 tries, 50 ms doubling up to 2 s apart), and when Redis is gone every call
returns its fallback value within a bounded time (about 1.5 s on the first failure, at once after
that) instead of raising. After a failure it waits a little (growing up to 5 s) before trying again,
so a Redis that comes back is used again without a restart. Thread: any (redis-py's pool is
thread-safe). No Qt.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)

T = TypeVar("T")

CONNECT_TIMEOUT = 0.3
OP_TIMEOUT = 1.0
RETRY_MIN = 0.5
RETRY_MAX = 5.0


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
        self._down_until = 0.0
        self._backoff = RETRY_MIN
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
        """False while Redis is believed down (until the next retry); no I/O."""
        return self.url is not None and time.monotonic() >= self._down_until

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
                    retry=Retry(ExponentialBackoff(cap=2.0, base=0.05), retries),
                    retry_on_error=[redis.ConnectionError, redis.TimeoutError],
                    health_check_interval=15,
                    client_name=self._name,
                )
            return self._client

    def call(self, fn: Callable[[redis.Redis], T], fallback: T) -> T:
        """Run ``fn(client)``; on any Redis failure log once, and return ``fallback``."""
        if self.url is None or time.monotonic() < self._down_until:
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
            self._down_until = time.monotonic() + self._backoff
            self._backoff = min(self._backoff * 2, RETRY_MAX)
            if not self._was_down:
                log.warning("Redis at %s is unreachable (%s); caches fall back", self.display_url, exc)
            self._was_down = True
            if self.on_lost is not None and self.on_lost():
                self._down_until = 0.0
                self._backoff = RETRY_MIN
            return fallback
        if self._was_down:
            log.info("Redis at %s is back", self.display_url)
            self._was_down = False
        self._backoff = RETRY_MIN
        return result

    def ping(self) -> bool:
        """True if Redis answers now (ignores the back-off window)."""
        self._down_until = 0.0
        return self.call(lambda c: bool(c.ping()), False)

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
