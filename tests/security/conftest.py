"""Helpers for the attack tests: a second local user (as root), private data folders, CLI runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def other_user() -> Iterator[tuple[str, int, int]]:
    """A second local user made for this run (name, uid, gid), removed at the end; skipped unless root."""
    if os.geteuid() != 0:
        pytest.skip("needs root to create a second local user")
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    if not os.path.exists(useradd):
        pytest.skip("no useradd on this machine")
    name = f"cuttest{uuid.uuid4().hex[:8]}"
    result = subprocess.run([useradd, "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                            capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot create a test user: {result.stderr.strip()}")
    import pwd

    entry = pwd.getpwnam(name)
    try:
        yield name, entry.pw_uid, entry.pw_gid
    finally:
        userdel = shutil.which("userdel") or "/usr/sbin/userdel"
        subprocess.run([userdel, name], capture_output=True)


def run_cli(data_dir: Path, *args: str, timeout: float = 120, env: dict[str, str] | None = None,
            ) -> subprocess.CompletedProcess[str]:
    """``cutline ARGS`` in a subprocess with its own data folder (its own embedded servers)."""
    full = {**os.environ, "CUTLINE_DATA_DIR": str(data_dir), **(env or {})}
    for key in ("CUTLINE_DATABASE_URL", "CUTLINE_REDIS_URL"):
        if env is None or key not in env:
            full.pop(key, None)
    return subprocess.run([sys.executable, "-m", "editor", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=full)


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a failed command (asserting there is no traceback)."""
    assert "Traceback" not in result.stderr, result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def cli():
    """``cli(data_dir, *args)``: run ``cutline`` in a subprocess with its own data folder."""
    return run_cli
