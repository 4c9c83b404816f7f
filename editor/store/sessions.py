"""User sessions: settings and recent projects.

Live in Redis as ``session:{uuid}`` with a sliding TTL of one hour (every read renews it), and are
backed up to PostgreSQL (``sessions`` with ``expires_at``) so a Redis restart loses nothing.
Blocking; any thread. No Qt.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from psycopg.types.json import Jsonb

from editor.store.db import Database
from editor.store.redis_conn import RedisConnection
from editor.store.validate import BadValue, drop, json_depth_exceeds, parse_json

RECENT_LIMIT = 10
MAX_SESSION_BYTES = 1 << 20


def check_session(value: Any) -> dict[str, Any]:
    """A session's data when it has the right shape (an object; ``recent_projects`` a short list of
    project ids; ``settings`` an object; small and shallow); BadValue otherwise. Pure."""
    if not isinstance(value, dict):
        raise BadValue("a session must be an object")
    recent = value.get("recent_projects", [])
    if not isinstance(recent, list) or len(recent) > 100 or not all(
        type(p) is int and 0 < p < 1 << 63 for p in recent
    ):
        raise BadValue("recent_projects must be a short list of project ids")
    if not isinstance(value.get("settings", {}), dict):
        raise BadValue("settings must be an object")
    text = json.dumps(value)
    if len(text) > MAX_SESSION_BYTES or json_depth_exceeds(text, 16):
        raise BadValue("too large or nested too deeply")
    return value


class SessionStore:
    """Thread: any; blocks on Redis and PostgreSQL."""

    def __init__(self, db: Database, redis_conn: RedisConnection, ttl_seconds: int = 3600) -> None:
        self.db = db
        self.redis = redis_conn
        self.ttl = ttl_seconds

    @staticmethod
    def _key(session_id: str) -> str:
        return f"session:{session_id}"

    def create(self, data: dict[str, Any] | None = None) -> str:
        """A new session (UUID v4) holding ``data``; returns its id."""
        session_id = str(uuid.uuid4())
        self.save(session_id, data or {"settings": {}, "recent_projects": []})
        return session_id

    def get(self, session_id: str) -> dict[str, Any] | None:
        """The session's data (renewing its TTL), from Redis or else from the PostgreSQL backup."""
        try:
            uuid.UUID(session_id)
        except ValueError:
            return None
        key = self._key(session_id)
        raw = self.redis.call(lambda c: c.getex(key, ex=self.ttl), None)
        if raw is not None:
            try:
                value = check_session(parse_json(raw, max_bytes=MAX_SESSION_BYTES, max_depth=16))
                self._touch_backup(session_id)
                return value
            except BadValue as exc:
                drop("session", key, exc)
        try:
            with self.db.connection() as conn:
                row = conn.execute(
                    "UPDATE sessions SET expires_at = now() + make_interval(secs => %s)"
                    " WHERE id = %s AND expires_at > now() RETURNING data",
                    (self.ttl, session_id),
                ).fetchone()
        except RecursionError:  # a planted row nested too deeply for the JSON loader
            drop("stored session", session_id, "nested too deeply")
            return None
        if row is None:
            return None
        try:
            data = check_session(row[0])
        except (BadValue, RecursionError, TypeError) as exc:
            drop("stored session", session_id, exc)
            return None
        self.redis.call(lambda c: c.set(key, json.dumps(data), ex=self.ttl), None)
        return data

    def save(self, session_id: str, data: dict[str, Any]) -> None:
        text = json.dumps(data, ensure_ascii=False)
        self.redis.call(lambda c: c.set(self._key(session_id), text, ex=self.ttl), None)
        with self.db.connection() as conn:
            conn.execute(
                "INSERT INTO sessions (id, data, expires_at) VALUES (%s, %s, now() + make_interval(secs => %s))"
                " ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data, expires_at = EXCLUDED.expires_at,"
                " updated_at = now()",
                (session_id, Jsonb(data), self.ttl),
            )

    def add_recent_project(self, session_id: str, project_id: int) -> list[int]:
        """Put ``project_id`` first in the session's recent projects; return the new list."""
        data = self.get(session_id) or {"settings": {}, "recent_projects": []}
        recent = [p for p in data.get("recent_projects", []) if p != project_id]
        data["recent_projects"] = [project_id, *recent][:RECENT_LIMIT]
        self.save(session_id, data)
        return list(data["recent_projects"])

    def delete_expired(self) -> int:
        with self.db.connection() as conn:
            return conn.execute("DELETE FROM sessions WHERE expires_at <= now()").rowcount

    def _touch_backup(self, session_id: str) -> None:
        with self.db.connection() as conn:
            conn.execute(
                "UPDATE sessions SET expires_at = now() + make_interval(secs => %s) WHERE id = %s",
                (self.ttl, session_id),
            )
