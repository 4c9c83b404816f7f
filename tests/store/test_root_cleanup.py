"""Runs as root keep PostgreSQL's cluster in /var/lib/cutline (the service user must reach it); a cluster
whose data folder was deleted is removed by the next root start, so temporary runs do not pile up."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from editor.store.servers import OWNER_RECORD, EmbeddedServers, postgres_bin_dir

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="only root runs keep clusters outside the data folder"),
    pytest.mark.skipif(postgres_bin_dir() is None, reason="no embedded PostgreSQL"),
    pytest.mark.timeout(240),
]


def _doctor(data: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("CUTLINE_DATABASE_URL", "CUTLINE_REDIS_URL")}
    env.update(CUTLINE_DATA_DIR=str(data), CUTLINE_CONFIG_DIR=str(data.parent / "config"))
    done = subprocess.run([sys.executable, "-m", "editor", "doctor", "--json"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=150)
    assert done.returncode == 0, done.stdout + done.stderr
    subprocess.run([sys.executable, "-m", "editor", "servers", "stop"], cwd=ROOT, env=env, capture_output=True,
                   timeout=60)


def test_the_cluster_of_a_deleted_data_folder_is_removed_by_the_next_root_start() -> None:
    first, second = (Path(tempfile.mkdtemp(prefix="cl-root-")) for _ in range(2))
    for base in (first, second):
        os.chmod(base, 0o700)  # not crossable by the service user: the cluster goes to /var/lib/cutline
    try:
        _doctor(first / "data")
        home = EmbeddedServers(first / "data" / "servers").pg_home
        assert home.parent == Path("/var/lib/cutline") and (home / "data" / "PG_VERSION").exists()
        assert (home / OWNER_RECORD).read_text().strip() == str((first / "data" / "servers").resolve())
        shutil.rmtree(first)
        _doctor(second / "data")
        assert not home.exists()
        kept = EmbeddedServers(second / "data" / "servers")
        assert (kept.pg_home / "data" / "PG_VERSION").exists()  # a live data folder's cluster stays
        kept.discard()
        assert not kept.pg_home.exists()
    finally:
        for base in (first, second):
            shutil.rmtree(base, ignore_errors=True)
