"""A data folder with spaces and non-ASCII letters (macOS's "Application Support", a user named "José"):
the embedded servers start there and the database answers (PostgreSQL's -k option was split on spaces)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from editor.store.servers import postgres_bin_dir

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(postgres_bin_dir() is None, reason="no embedded PostgreSQL on this platform")
@pytest.mark.timeout(180)
def test_servers_start_in_a_folder_with_spaces_and_accents(tmp_path: Path) -> None:
    # Short enough that the sockets stay inside it (a long path moves them to a private /tmp folder).
    base = Path(tempfile.mkdtemp(prefix="App Support é "))
    os.chmod(base, 0o755)  # the PostgreSQL service user must reach it when the tests run as root
    data = base / "données é"
    env = {k: v for k, v in os.environ.items() if k not in ("CUTLINE_DATABASE_URL", "CUTLINE_REDIS_URL")}
    env.update(CUTLINE_DATA_DIR=str(data), CUTLINE_CONFIG_DIR=str(tmp_path / "config"))
    try:
        done = subprocess.run([sys.executable, "-m", "editor", "doctor", "--json"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=150)
        assert done.returncode == 0, done.stdout + done.stderr
        assert '"reachable": true' in done.stdout
    finally:
        subprocess.run([sys.executable, "-m", "editor", "servers", "stop"], cwd=ROOT, env=env,
                       capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)
