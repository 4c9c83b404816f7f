"""The one PostgreSQL connection pool of a process.

Reference behaviour (DESIGN.md "Servers"): at most 20 connections, connect timeout 2 s, idle
connections closed after 30 s, parameterized queries only. Every call blocks: from the UI, run it in
an executor (``loop.run_in_executor``), never inside a slot. No Qt.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import psycopg
import psycopg_pool
from psycopg import conninfo as pg_conninfo

from editor.store.errors import CorruptStateError, DatabaseUnavailable

log = logging.getLogger(__name__)

MAX_CONNECTIONS = 20
CONNECT_TIMEOUT = 2.0
MAX_IDLE = 30.0
MAX_STORED_JSON = 256 << 20


def stored_json(data: str | bytes) -> Any:
    """The JSON loader of every connection: a value planted in a JSONB column (nested too deeply for the
    parser, a number Python will not convert) is one CorruptStateError line, not a RecursionError."""
    if len(data) > MAX_STORED_JSON:
        raise CorruptStateError(f"a value stored in the database is too large to read ({len(data)} bytes)")
    try:
        return json.loads(data)
    except RecursionError:
        raise CorruptStateError("a value stored in the database is nested too deeply to read") from None
    except ValueError as exc:
        raise CorruptStateError(f"a value stored in the database cannot be read: {str(exc)[:100]}") from None


def _configure(conn: psycopg.Connection) -> None:
    from psycopg.types.json import set_json_loads

    set_json_loads(stored_json, conn)


def redact_url(url: str) -> str:
    """The URL or conninfo string without its password, for messages and ``cutline doctor``."""
    if "://" in url:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, host = netloc.rsplit("@", 1)
            user = userinfo.split(":", 1)[0]
            netloc = f"{user}:***@{host}" if ":" in userinfo else f"{user}@{host}"
        query = parts.query
        if query:
            pairs = [p for p in query.split("&") if not p.lower().startswith("password=")]
            if len(pairs) != len(query.split("&")):
                pairs.append("password=***")
            query = "&".join(pairs)
        redacted = urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
        if not netloc and url.startswith(f"{parts.scheme}://") and not redacted.startswith(f"{parts.scheme}://"):
            redacted = f"{parts.scheme}://" + redacted[len(parts.scheme) + 1 :]
        return redacted
    try:
        params = pg_conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "<unparsable connection string>"
    if "password" in params:
        params["password"] = "***"
    return pg_conninfo.make_conninfo(**{k: str(v) for k, v in params.items()})


def describe_target(url: str) -> str:
    """A short human description of where a PostgreSQL URL points ("unix socket /x", "db.example:5432")."""
    try:
        params = pg_conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return redact_url(url)
    host = str(params.get("host") or "")
    if not host and "://" in url:
        host = parse_qs(urlsplit(url).query).get("host", [""])[0]
    if host.startswith("/"):
        return f"unix socket in {host}"
    return f"{host or 'localhost'}:{params.get('port') or 5432}"


class Database:
    """A psycopg 3 connection pool. Thread: any (the pool is thread-safe); calls block."""

    def __init__(self, url: str, *, max_size: int = MAX_CONNECTIONS, min_size: int = 1) -> None:
        self.url = url
        self.display_url = redact_url(url)
        #: Called when the server is found gone (the embedded servers' ``revive``: a crashed embedded
        #: PostgreSQL is started again, so the next call works). Returns True when it restarted it.
        self.on_lost: Callable[[], bool] | None = None
        self._pool = psycopg_pool.ConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            max_idle=MAX_IDLE,
            timeout=CONNECT_TIMEOUT * 2,
            reconnect_timeout=0,
            kwargs={"connect_timeout": int(CONNECT_TIMEOUT), "application_name": "cutline", "autocommit": False},
            open=False,
            name="cutline",
            configure=_configure,
        )

    def open(self) -> Database:
        """Open the pool and check that the server answers within the connect timeout."""
        try:
            with psycopg.connect(self.url, connect_timeout=int(CONNECT_TIMEOUT)) as conn:
                conn.execute("SELECT 1")
        except psycopg.Error as exc:
            raise DatabaseUnavailable(
                f"cannot reach PostgreSQL at {self.display_url}: {_first_line(exc)}"
            ) from None
        self._pool.open(wait=False)
        return self

    def close(self) -> None:
        """Close every connection (graceful shutdown)."""
        self._pool.close(timeout=5)

    @contextlib.contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """A pooled connection; the block commits on success and rolls back on an exception."""
        try:
            with self._pool.connection() as conn:
                yield conn
        except (psycopg.OperationalError, psycopg_pool.PoolTimeout) as exc:
            if self.on_lost is not None and self.on_lost():
                with contextlib.suppress(Exception):
                    self._pool.check()  # drop the connections to the dead server
            raise DatabaseUnavailable(
                f"lost the connection to PostgreSQL at {self.display_url}: {_first_line(exc)}"
            ) from exc

    def server_version(self) -> str:
        with self.connection() as conn:
            row = conn.execute("SHOW server_version").fetchone()
            return str(row[0]) if row else "?"

    def stats(self) -> dict[str, int]:
        return dict(self._pool.get_stats())


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
