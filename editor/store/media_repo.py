"""Media rows in PostgreSQL: one per source file, keyed by fingerprint. Blocking; any thread. No Qt.

Rows read back are checked (:func:`check_media_row`: an absolute path without NUL, sizes, rates and a
duration in range); a planted row that fails is dropped with one logged line, as if it were not there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from editor.store.db import Database
from editor.store.validate import MAX_MEDIA_SECONDS, BadValue, drop, fraction_text, int_in, number_in, text_in


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


def check_media_row(row: MediaRow) -> MediaRow:
    """``row`` when every field is in range; BadValue otherwise. Pure."""
    text_in(row.fingerprint, "fingerprint", max_len=200)
    path = text_in(row.path, "path")
    if not path or "\0" in path or not path.startswith("/") and not (len(path) > 2 and path[1] == ":"):
        raise BadValue("path must be an absolute path")
    number_in(row.duration_seconds, 0, MAX_MEDIA_SECONDS, "duration_seconds", optional=True)
    int_in(row.width, 1, 1 << 16, "width", optional=True)
    int_in(row.height, 1, 1 << 16, "height", optional=True)
    if row.frame_rate is not None:
        fraction_text(row.frame_rate, max_value=1000)
    text_in(row.video_codec, "video_codec", max_len=100, optional=True)
    text_in(row.audio_codec, "audio_codec", max_len=100, optional=True)
    int_in(row.sample_rate, 1, 1_000_000, "sample_rate", optional=True)
    int_in(row.bitrate, 0, 10**11, "bitrate", optional=True)
    if row.rotation not in (0, 90, 180, 270):
        raise BadValue("rotation must be 0, 90, 180 or 270")
    if not isinstance(row.info, dict):
        raise BadValue("info must be an object")
    return row


def _checked(rows: list[MediaRow]) -> list[MediaRow]:
    good = []
    for row in rows:
        try:
            good.append(check_media_row(row))
        except BadValue as exc:
            drop("media row", row.fingerprint if isinstance(row.fingerprint, str) else "?", exc)
    return good


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
            row = cur.execute(f"SELECT {_COLUMNS} FROM media WHERE fingerprint = %s", (fingerprint,)).fetchone()
        found = _checked([row]) if row is not None else []
        return found[0] if found else None

    def by_path(self, path: str) -> list[MediaRow]:
        with self.db.connection() as conn:
            cur = conn.cursor(row_factory=class_row(MediaRow))
            rows = cur.execute(f"SELECT {_COLUMNS} FROM media WHERE path = %s", (path,)).fetchall()
        return _checked(rows)
