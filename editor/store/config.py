"""Where Cutline keeps its data and which servers it talks to.

Order of precedence for each setting: environment variable, then the config file
(``config.json`` in the per-user config directory, or ``$CUTLINE_CONFIG_DIR``), then the default.
Every value is checked before use (type, range, URL scheme, size of the file; a FIFO or a device in place
of the file is refused at once, not read). Cutline's own folders are made private (0700) and refused with
one line when another user owns them or can write to them. No Qt, no network: safe on any thread.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import platformdirs

from editor.store.errors import ConfigError
from editor.store.private import UnsafePathError, ensure_private_dir, read_regular_file, write_private

APP_NAME = "cutline"
CONFIG_FILE = "config.json"


def data_dir() -> Path:
    """The per-user data directory (servers' data live below it), ``$CUTLINE_DATA_DIR`` if set."""
    env = os.environ.get("CUTLINE_DATA_DIR")
    return Path(env).expanduser() if env else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    """The per-user config directory, ``$CUTLINE_CONFIG_DIR`` if set."""
    env = os.environ.get("CUTLINE_CONFIG_DIR")
    return Path(env).expanduser() if env else Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    """The per-user cache directory (disk fallback of the Redis caches), ``$CUTLINE_CACHE_DIR`` if set."""
    env = os.environ.get("CUTLINE_CACHE_DIR")
    return Path(env).expanduser() if env else Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


@dataclass(frozen=True, slots=True)
class Settings:
    """What the user can set in the preferences dialog or the config file."""

    database_url: str | None = None  # None: the embedded PostgreSQL
    redis_url: str | None = None  # None: the embedded Redis-protocol server
    metadata_ttl: int = 3600
    thumbnail_ttl: int = 7 * 24 * 3600
    session_ttl: int = 3600
    stop_servers_on_exit: bool = True
    keymap: dict[str, str] = field(default_factory=dict)  # action name -> key sequence override
    #: media paths between machines for queue workers: {"/mnt/media": "/Volumes/media"} (see editor/jobs/paths.py)
    path_map: dict[str, str] = field(default_factory=dict)

    @property
    def embedded_database(self) -> bool:
        return not self.database_url

    @property
    def embedded_redis(self) -> bool:
        return not self.redis_url

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


_FIELDS = {f for f in Settings.__dataclass_fields__}
MAX_CONFIG_BYTES = 1 << 20
MAX_TTL = 10 * 365 * 24 * 3600
MAX_URL = 4096
DATABASE_SCHEMES = ("postgresql", "postgres")
REDIS_SCHEMES = ("redis", "rediss", "unix")


def check_database_url(url: str, where: str = "CUTLINE_DATABASE_URL") -> str:
    """The URL when it is one PostgreSQL can be given (a libpq URL or conninfo); ConfigError otherwise."""
    if not isinstance(url, str) or len(url) > MAX_URL or any(ord(c) < 32 for c in url):
        raise ConfigError(f"{where}: not a usable PostgreSQL URL")
    if "://" in url:
        scheme = url.split("://", 1)[0].lower()
        if scheme not in DATABASE_SCHEMES:
            raise ConfigError(f"{where}: unsupported scheme {scheme[:20]!r}:// (use postgresql://)")
        return url
    from psycopg import ProgrammingError
    from psycopg import conninfo as pg_conninfo

    try:
        pg_conninfo.conninfo_to_dict(url)
    except ProgrammingError:
        raise ConfigError(f"{where}: not a PostgreSQL URL or connection string") from None
    return url


def check_redis_url(url: str, where: str = "CUTLINE_REDIS_URL") -> str:
    """The URL when redis-py can use it (redis://, rediss://, unix://); ConfigError otherwise."""
    if not isinstance(url, str) or len(url) > MAX_URL or any(ord(c) < 32 for c in url) or "://" not in url:
        raise ConfigError(f"{where}: not a Redis URL (expected redis://host:port/db or unix:///path)")
    scheme = url.split("://", 1)[0].lower()
    if scheme not in REDIS_SCHEMES:
        raise ConfigError(f"{where}: unsupported scheme {scheme[:20]!r}:// (use redis://, rediss:// or unix://)")
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        _ = parts.port  # ValueError for a port that is not a number or out of range
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    if scheme != "unix" and not parts.hostname:
        raise ConfigError(f"{where}: the Redis URL names no host")
    return url


def _check_values(values: dict[str, Any], path: Path) -> None:
    for key in ("metadata_ttl", "thumbnail_ttl", "session_ttl"):
        if key in values and (type(values[key]) is not int or not 0 < values[key] <= MAX_TTL):
            raise ConfigError(f"the config file {path}: {key} must be a whole number of seconds from 1 to {MAX_TTL}")
    if "stop_servers_on_exit" in values and type(values["stop_servers_on_exit"]) is not bool:
        raise ConfigError(f"the config file {path}: stop_servers_on_exit must be true or false")
    for key, check in (("database_url", check_database_url), ("redis_url", check_redis_url)):
        v = values.get(key)
        if v is not None and v != "":
            if not isinstance(v, str):
                raise ConfigError(f"the config file {path}: {key} must be a string or null")
            check(v, f"the config file {path}: {key}")
    if "keymap" in values:
        keymap = values["keymap"]
        if not isinstance(keymap, dict) or len(keymap) > 1000 or not all(
            isinstance(k, str) and isinstance(v, str) and 0 < len(k) <= 100 and len(v) <= 100
            and k.isprintable() and v.isprintable()
            for k, v in keymap.items()
        ):
            raise ConfigError(f"the config file {path}: keymap must be an object of action: key (short strings)")
    if "path_map" in values:
        pm = values["path_map"]
        if not isinstance(pm, dict) or len(pm) > 100 or not all(
            isinstance(k, str) and isinstance(v, str) and k.startswith("/") and 0 < len(v) <= 4096
            and len(k) <= 4096 and "\0" not in k + v for k, v in pm.items()
        ):
            raise ConfigError(f"the config file {path}: path_map must be an object of absolute path: path")


def ensure_user_dirs() -> None:
    """Make the data, config and cache folders private (0700; 0711 for the data folder as root, whose
    PostgreSQL service user must cross it). ConfigError (one line) for a folder of another user or one
    that others can write to. Blocks briefly; any thread."""
    as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    folders = ((data_dir(), as_root, "the data folder", ", which holds the server folder and the journals"),
               (config_dir(), False, "the config folder", ""), (cache_dir(), False, "the cache folder", ""))
    for folder, traverse, name, holds in folders:
        try:
            ensure_private_dir(folder.expanduser().absolute(), traverse=traverse, tighten=True)
        except UnsafePathError as exc:
            raise ConfigError(str(exc)) from None
        except OSError as exc:
            raise ConfigError(f"cannot create {name} {folder}{holds}: {exc.strerror}") from None


def load_settings(path: Path | None = None) -> Settings:
    """Read the config file (if any) and apply ``CUTLINE_DATABASE_URL`` / ``CUTLINE_REDIS_URL``.

    A broken config file raises :class:`ConfigError` naming the file and the problem.
    """
    path = path or config_dir() / CONFIG_FILE
    values: dict[str, Any] = {}
    if os.path.lexists(path):
        try:
            raw = json.loads(read_regular_file(path, MAX_CONFIG_BYTES).decode("utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValueError, RecursionError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)[:200]
            if isinstance(exc, RecursionError):
                reason = "nested too deeply"
            raise ConfigError(f"the config file {path} cannot be read: {reason}") from None
        if not isinstance(raw, dict):
            raise ConfigError(f"the config file {path} must hold a JSON object")
        values = {k: v for k, v in raw.items() if k in _FIELDS}
        _check_values(values, path)
        values = {k: (None if k.endswith("_url") and v == "" else v) for k, v in values.items()}
    settings = Settings(**values)
    env_db = os.environ.get("CUTLINE_DATABASE_URL")
    env_redis = os.environ.get("CUTLINE_REDIS_URL")
    if env_db:
        check_database_url(env_db)
    if env_redis:
        check_redis_url(env_redis)
    if env_db is not None:
        settings = replace(settings, database_url=env_db or None)
    if env_redis is not None:
        settings = replace(settings, redis_url=env_redis or None)
    return settings


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write the config file atomically, readable by the user alone (it may hold server passwords)."""
    path = path or config_dir() / CONFIG_FILE
    try:
        ensure_private_dir(path.parent.expanduser().absolute(), tighten=True)
    except UnsafePathError as exc:
        raise ConfigError(str(exc)) from None
    write_private(path, json.dumps(settings.to_json(), indent=2, ensure_ascii=False))
    return path
