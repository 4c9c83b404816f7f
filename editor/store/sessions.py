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

RECENT_LIMIT = 10


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
                value = json.loads(raw)
                if isinstance(value, dict):
                    self._touch_backup(session_id)
                    return value
            except ValueError:
                pass
        with self.db.connection() as conn:
            row = conn.execute(
                "UPDATE sessions SET expires_at = now() + make_interval(secs => %s)"
                " WHERE id = %s AND expires_at > now() RETURNING data",
                (self.ttl, session_id),
            ).fetchone()
        if row is None:
            return None
        data = dict(row[0])
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
