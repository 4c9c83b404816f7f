"""`cutline --smoke-test`, the check bundles and packages are held to, run as a user would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_smoke_test_passes(store) -> None:
    result = subprocess.run([sys.executable, "-m", "editor", "--smoke-test"], cwd=ROOT, capture_output=True,
                            text=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("smoke:")]
    assert any("exactly frame 42" in line for line in lines)
    assert any("rendered 10 frames" in line for line in lines)
    assert lines[-1].startswith("smoke: OK")
    # It leaves nothing behind for the next launch to open: no "smoke clip" project, none in recent projects.
    assert not [p for p in store.projects.list(200) if p.name == "smoke clip"]


def test_smoke_test_with_an_unusable_data_folder_fails_in_one_line(tmp_path: Path) -> None:
    import os

    env = dict(os.environ, CUTLINE_DATA_DIR="/proc/cutline-cannot-exist", CUTLINE_DATABASE_URL="",
               CUTLINE_REDIS_URL="")
    result = subprocess.run([sys.executable, "-m", "editor", "--smoke-test"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, env=env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    failed = [line for line in result.stderr.splitlines() if line.startswith("smoke: FAILED")]
    assert len(failed) == 1 and "server folder" in failed[0]


def test_window_start_with_an_unusable_data_folder_is_one_line_and_exit_1() -> None:
    import os

    env = dict(os.environ, CUTLINE_DATA_DIR="/proc/cutline-cannot-exist", CUTLINE_DATABASE_URL="",
               CUTLINE_REDIS_URL="", QT_QPA_PLATFORM="offscreen")
    result = subprocess.run([sys.executable, "-m", "editor"], cwd=ROOT, capture_output=True, text=True,
                            timeout=60, env=env)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("cutline:")]
    assert len(lines) == 1 and "server folder" in lines[0] and "Traceback" not in result.stderr


def test_opening_the_window_without_a_screen_says_so_in_one_line() -> None:
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run([sys.executable, "-m", "editor"], cwd=ROOT, capture_output=True, text=True,
                            timeout=60, env=env)
    assert result.returncode == 1
    assert result.stderr.strip().startswith("cutline: no screen") and result.stderr.count("\n") == 1
