"""Where Cutline keeps its data and which servers it talks to.

Order of precedence for each setting: environment variable, then the config file
(``config.json`` in the per-user config directory, or ``$CUTLINE_CONFIG_DIR``), then the default.
No Qt, no network: safe on any thread.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import platformdirs

from editor.store.errors import ConfigError

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

    @property
    def embedded_database(self) -> bool:
        return not self.database_url

    @property
    def embedded_redis(self) -> bool:
        return not self.redis_url

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


_FIELDS = {f for f in Settings.__dataclass_fields__}


def load_settings(path: Path | None = None) -> Settings:
    """Read the config file (if any) and apply ``CUTLINE_DATABASE_URL`` / ``CUTLINE_REDIS_URL``.

    A broken config file raises :class:`ConfigError` naming the file and the problem.
    """
    path = path or config_dir() / CONFIG_FILE
    values: dict[str, Any] = {}
    if path.exists():
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(f"the config file {path} cannot be read: {exc}") from None
        if not isinstance(raw, dict):
            raise ConfigError(f"the config file {path} must hold a JSON object")
        values = {k: v for k, v in raw.items() if k in _FIELDS}
        for key in ("metadata_ttl", "thumbnail_ttl", "session_ttl"):
            if key in values and (not isinstance(values[key], int) or values[key] <= 0):
                raise ConfigError(f"the config file {path}: {key} must be a positive whole number of seconds")
        if "keymap" in values and not isinstance(values["keymap"], dict):
            raise ConfigError(f"the config file {path}: keymap must be an object of action: key")
    settings = Settings(**values)
    env_db = os.environ.get("CUTLINE_DATABASE_URL")
    env_redis = os.environ.get("CUTLINE_REDIS_URL")
    if env_db is not None:
        settings = replace(settings, database_url=env_db or None)
    if env_redis is not None:
        settings = replace(settings, redis_url=env_redis or None)
    return settings


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write the config file atomically, readable by the user alone (it may hold server passwords)."""
    path = path or config_dir() / CONFIG_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(settings.to_json(), fh, indent=2, ensure_ascii=False)
    os.replace(tmp, path)
    return path
