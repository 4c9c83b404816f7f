"""Media rows in PostgreSQL: one per source file, keyed by fingerprint. Blocking; any thread. No Qt."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from editor.store.db import Database


@dataclass(frozen=True, slots=True)
class MediaRow:
    id: int
    fingerprint: str
    path: str
    duration_seconds: float | None
    width: int | None
    height: int | None
    frame_rate: str | None
    video_codec: str | None
    audio_codec: str | None
    sample_rate: int | None
    bitrate: int | None
    rotation: int
    info: dict[str, Any]
    probed_at: dt.datetime


_COLUMNS = (
    "id, fingerprint, path, duration_seconds, width, height, frame_rate, video_codec, audio_codec,"
    " sample_rate, bitrate, rotation, info, probed_at"
)


class MediaRepository:
    """Thread: any; blocks on PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def upsert(
        self,
        fingerprint: str,
        path: str,
        *,
        duration_seconds: float | None = None,
        width: int | None = None,
        height: int | None = None,
        frame_rate: str | None = None,
        video_codec: str | None = None,
        audio_codec: str | None = None,
        sample_rate: int | None = None,
        bitrate: int | None = None,
        rotation: int = 0,
        info: dict[str, Any] | None = None,
    ) -> MediaRow:
        """Insert or update the row for ``fingerprint`` (the path follows a moved file)."""
        with self.db.connection() as conn:
            cur = conn.cursor(row_factory=class_row(MediaRow))
            row = cur.execute(
                "INSERT INTO media (fingerprint, path, duration_seconds, width, height, frame_rate, video_codec,"
                " audio_codec, sample_rate, bitrate, rotation, info)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (fingerprint) DO UPDATE SET path = EXCLUDED.path,"
                " duration_seconds = EXCLUDED.duration_seconds, width = EXCLUDED.width, height = EXCLUDED.height,"
                " frame_rate = EXCLUDED.frame_rate, video_codec = EXCLUDED.video_codec,"
                " audio_codec = EXCLUDED.audio_codec, sample_rate = EXCLUDED.sample_rate,"
                " bitrate = EXCLUDED.bitrate, rotation = EXCLUDED.rotation, info = EXCLUDED.info,"
                f" probed_at = now() RETURNING {_COLUMNS}",
                (
                    fingerprint, path, duration_seconds, width, height, frame_rate, video_codec,
                    audio_codec, sample_rate, bitrate, rotation, Jsonb(info or {}),
                ),  # fmt: skip
            ).fetchone()
            assert row is not None
            return row

    def get(self, fingerprint: str) -> MediaRow | None:
        with self.db.connection() as conn:
            cur = conn.cursor(row_factory=class_row(MediaRow))
            return cur.execute(f"SELECT {_COLUMNS} FROM media WHERE fingerprint = %s", (fingerprint,)).fetchone()

    def by_path(self, path: str) -> list[MediaRow]:
        with self.db.connection() as conn:
            cur = conn.cursor(row_factory=class_row(MediaRow))
            return cur.execute(f"SELECT {_COLUMNS} FROM media WHERE path = %s", (path,)).fetchall()
