"""Numbered SQL migrations, applied in order, once, under a PostgreSQL advisory lock.

Files are ``migrations/NNN_name.sql``. Each runs in its own transaction and is recorded in
``schema_migrations``. A database migrated by a newer Cutline is refused (:class:`SchemaTooNew`).
Blocking; any thread. No Qt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from editor.store.db import Database
from editor.store.errors import SchemaTooNew, StoreError

ADVISORY_LOCK_KEY = 0x6375746C696E65  # "cutline"
_NAME = re.compile(r"^(\d{3,})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations_dir() -> Path:
    """The folder of SQL files: the installed ``cutline_migrations`` package, or the checkout's."""
    checkout = Path(__file__).resolve().parents[2] / "migrations"
    if checkout.is_dir():
        return checkout
    return Path(str(resources.files("cutline_migrations")))


def load_migrations(folder: Path | None = None) -> list[Migration]:
    folder = folder or migrations_dir()
    found: list[Migration] = []
    for path in sorted(folder.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise StoreError(f"migration file {path.name} is not named NNN_name.sql")
        found.append(Migration(int(match.group(1)), match.group(2), path.read_text(encoding="utf-8")))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise StoreError("two migration files share a number")
    return found


def current_version(db: Database) -> int:
    """The schema version recorded in the database (0 when it has never been migrated)."""
    with db.connection() as conn:
        exists = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
        if not exists or not exists[0]:
            return 0
        row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
        return int(row[0]) if row else 0


def latest_known_version(folder: Path | None = None) -> int:
    return max((m.version for m in load_migrations(folder)), default=0)


def migrate(db: Database, folder: Path | None = None) -> list[int]:
    """Apply the pending migrations; return the versions applied by this call."""
    migrations = load_migrations(folder)
    known = max((m.version for m in migrations), default=0)
    applied: list[int] = []
    with db.connection() as conn:
        conn.autocommit = True
        try:
            conn.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version integer PRIMARY KEY, name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {int(r[0]) for r in conn.execute("SELECT version FROM schema_migrations").fetchall()}
            newest = max(done, default=0)
            if newest > known:
                raise SchemaTooNew(
                    f"the database schema is version {newest}, newer than this Cutline knows ({known}); "
                    "update Cutline"
                )
            for migration in migrations:
                if migration.version in done:
                    continue
                with conn.transaction():
                    conn.execute(migration.sql.encode())
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                        (migration.version, migration.name),
                    )
                applied.append(migration.version)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))
            conn.autocommit = False
    return applied
