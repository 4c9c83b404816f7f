"""Opens everything the store layer offers, from the settings, in one call.

``Store.open()`` starts or joins the embedded servers (unless external URLs are set), opens the
PostgreSQL pool, applies migrations, and wires the repositories and caches. Blocking (up to a few
seconds on a first start): call it on a worker thread or before the event loop runs. No Qt.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from editor.store.cache import DiskCache, RedisCache
from editor.store.config import (
    Settings,
    cache_dir,
    check_database_url,
    check_redis_url,
    data_dir,
    ensure_user_dirs,
    load_settings,
)
from editor.store.db import Database, describe_target
from editor.store.errors import ServerStartError, StoreError
from editor.store.media_repo import MediaRepository
from editor.store.migrate import current_version, latest_known_version, migrate
from editor.store.projects import ProjectRepository
from editor.store.redis_conn import RedisConnection
from editor.store.servers import EmbeddedServers, Endpoints, embedded_servers_supported, platform_name
from editor.store.sessions import SessionStore

log = logging.getLogger(__name__)


@dataclass
class Store:
    """The services of the store layer for one process. Thread: any; methods block."""

    settings: Settings
    endpoints: Endpoints
    db: Database
    redis: RedisConnection
    cache: RedisCache | DiskCache
    projects: ProjectRepository
    media: MediaRepository
    sessions: SessionStore
    servers: EmbeddedServers | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def open(cls, settings: Settings | None = None, *, migrate_schema: bool = True) -> Store:
        settings = settings or load_settings()
        if settings.database_url:
            check_database_url(settings.database_url, "database_url")
        if settings.redis_url:
            check_redis_url(settings.redis_url, "redis_url")
        ensure_user_dirs()
        servers: EmbeddedServers | None = None
        want_redis = settings.embedded_redis and embedded_servers_supported()
        if settings.embedded_database and not embedded_servers_supported():
            raise ServerStartError(
                f"Cutline cannot run its own PostgreSQL on {platform_name()}; set CUTLINE_DATABASE_URL "
                "(see the README, Team servers); Redis is optional"
            )
        if settings.embedded_redis and not want_redis:
            log.info("no embedded Redis on %s: caches on disk, events through PostgreSQL", platform_name())
        embedded = Endpoints("", None, embedded_database=False, embedded_redis=False)
        if settings.embedded_database or want_redis:
            servers = EmbeddedServers(data_dir() / "servers")
            embedded = servers.ensure(postgres=settings.embedded_database, redis=want_redis)
        endpoints = Endpoints(
            database_url=settings.database_url or embedded.database_url,
            redis_url=settings.redis_url or (embedded.redis_url if want_redis else None),
            embedded_database=settings.embedded_database,
            embedded_redis=want_redis and servers is not None and embedded.redis_url is not None,
        )
        db = Database(endpoints.database_url).open()
        if servers is not None and endpoints.embedded_database:
            db.on_lost = servers.revive
        try:
            if migrate_schema:
                migrate(db)
        except Exception:
            db.close()
            raise
        redis_conn = RedisConnection(endpoints.redis_url)
        if servers is not None and endpoints.embedded_redis:
            redis_conn.on_lost = servers.revive
        cache: RedisCache | DiskCache = (
            RedisCache(redis_conn) if endpoints.redis_url else DiskCache(cache_dir() / "blobs")
        )
        return cls(
            settings=settings,
            endpoints=endpoints,
            db=db,
            redis=redis_conn,
            cache=cache,
            projects=ProjectRepository(db),
            media=MediaRepository(db),
            sessions=SessionStore(db, redis_conn, settings.session_ttl),
            servers=servers,
        )

    def describe(self) -> dict[str, Any]:
        """What ``cutline doctor`` and the status bar show (no passwords)."""
        try:
            pg_version = self.db.server_version()
            pg_ok = True
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            pg_version, pg_ok = str(exc), False
        redis_info: dict[str, Any] = {}
        if self.redis.configured:
            info = self.redis.call(lambda c: c.info("server"), None)
            if info:
                redis_info = {
                    "version": info.get("valkey_version") or info.get("redis_version"),
                    "server": "valkey" if "valkey_version" in info else "redis",
                }
        return {
            "database": {
                "embedded": self.endpoints.embedded_database,
                "url": self.db.display_url,
                "where": describe_target(self.endpoints.database_url),
                "reachable": pg_ok,
                "version": pg_version if pg_ok else None,
                "error": None if pg_ok else pg_version,
                "schema_version": current_version(self.db) if pg_ok else None,
                "schema_latest": latest_known_version(),
            },
            "redis": {
                "configured": self.redis.configured,
                "embedded": self.endpoints.embedded_redis,
                "url": self.redis.display_url,
                "reachable": bool(redis_info),
                **redis_info,
                "fallback": None if self.redis.configured else "disk cache and PostgreSQL events",
            },
            "data_dir": str(data_dir()),
        }

    def close(self, *, stop_servers: bool | None = None) -> None:
        """Close pools; stop the embedded servers if asked and no other Cutline process uses them."""
        self.redis.close()
        self.db.close()
        if self.servers is not None:
            stop = self.settings.stop_servers_on_exit if stop_servers is None else stop_servers
            try:
                self.servers.release(stop_if_last=stop)
            except StoreError as exc:  # e.g. the start lock held by someone else: the servers keep running
                log.warning("the embedded servers were left running: %s", exc)
