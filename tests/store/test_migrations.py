"""Migrations: applied once, concurrently safe, and a newer schema is refused."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from editor.store.db import Database
from editor.store.errors import SchemaTooNew
from editor.store.migrate import current_version, latest_known_version, load_migrations, migrate


def _fresh_database(store, name: str) -> str:
    """A new empty database on the same server, returning its URL."""
    import psycopg

    with psycopg.connect(store.endpoints.database_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    base = store.endpoints.database_url
    if "://" in base:
        head, rest = base.split("@", 1)
        path_and_query = rest.split("/", 1)[1]
        query = path_and_query.split("?", 1)[1] if "?" in path_and_query else ""
        host = rest.split("/", 1)[0]
        return f"{head}@{host}/{name}" + (f"?{query}" if query else "")
    return base + f" dbname={name}"


def test_migrations_apply_once_even_when_two_run_together(store) -> None:
    url = _fresh_database(store, "cutline_migrate_test")
    dbs = [Database(url).open() for _ in range(2)]
    results: list[list[int]] = []
    threads = [threading.Thread(target=lambda d=d: results.append(migrate(d))) for d in dbs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(map(len, results)) == [0, len(load_migrations())], "one applies them all, the other none"
    assert current_version(dbs[0]) == latest_known_version()
    assert migrate(dbs[0]) == []
    for d in dbs:
        d.close()


def test_a_newer_schema_is_refused(store, tmp_path: Path) -> None:
    url = _fresh_database(store, "cutline_newer_test")
    db = Database(url).open()
    try:
        migrate(db)
        with db.connection() as conn:
            conn.execute("INSERT INTO schema_migrations (version, name) VALUES (999, 'from_the_future')")
        with pytest.raises(SchemaTooNew, match="newer than this Cutline"):
            migrate(db)
    finally:
        db.close()


def test_indexes_exist_for_the_queries(store) -> None:
    with store.db.connection() as conn:
        names = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")}
    assert {"projects_updated_idx", "jobs_status_idx", "edit_history_project_id_revision_key"} <= names
