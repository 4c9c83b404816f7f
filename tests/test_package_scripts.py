"""The .deb's maintainer scripts, run for real: prerm stops the servers running from the package's own
binaries (and nothing else), postrm purge removes what root runs left. The whole package is built and
checked in test_packaging.py (behind CUTLINE_PACKAGING_TEST=1); these scripts are checked on every run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRERM = ROOT / "packaging" / "deb" / "prerm"
POSTRM = ROOT / "packaging" / "deb" / "postrm"

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Debian maintainer scripts")


def _fake_server(prefix: Path, name: str, handles: str) -> subprocess.Popen[bytes]:
    """A process whose executable is ``prefix/bin/name`` (a copy of Python) that exits on the signal a real
    server of that kind shuts down on, and ignores the other one."""
    exe = prefix / "bin" / name
    exe.parent.mkdir(parents=True, exist_ok=True)
    if not exe.exists():
        shutil.copy2(sys.executable, exe)
    code = ("import signal, sys, time\n"
            f"signal.signal(signal.{'SIGTERM' if handles == 'INT' else 'SIGINT'}, signal.SIG_IGN)\n"
            f"signal.signal(signal.SIG{handles}, lambda *a: sys.exit(0))\n"
            "print('ready', flush=True)\n"
            "time.sleep(300)\n")
    env = dict(os.environ, PYTHONHOME=sys.base_prefix)
    proc = subprocess.Popen([str(exe), "-c", code], stdout=subprocess.PIPE, env=env)
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
    return proc


def test_prerm_stops_the_package_servers_and_nothing_else(tmp_path: Path) -> None:
    prefix = tmp_path / "opt cutline"
    postmaster = _fake_server(prefix, "postgres", "INT")
    valkey = _fake_server(prefix, "valkey-server", "TERM")
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])  # not under the prefix
    try:
        done = subprocess.run(["sh", str(PRERM), "remove"], env=dict(os.environ, CUTLINE_PREFIX=str(prefix)),
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert postmaster.wait(timeout=20) == 0, "PostgreSQL is stopped with SIGINT (fast shutdown)"
        assert valkey.wait(timeout=20) == 0, "Valkey is stopped with SIGTERM"
        time.sleep(0.2)
        assert stranger.poll() is None, "a process that is not the package's server was signalled"
    finally:
        for proc in (postmaster, valkey, stranger):
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_postrm_purge_removes_root_clusters_and_remove_keeps_them(tmp_path: Path) -> None:
    var = tmp_path / "var-lib-cutline"
    (var / "0123456789ab" / "data").mkdir(parents=True)
    env = dict(os.environ, CUTLINE_VAR=str(var))
    assert subprocess.run(["sh", str(POSTRM), "remove"], env=env, timeout=30).returncode == 0
    assert var.exists(), "plain remove keeps data (Debian policy: only purge deletes it)"
    assert subprocess.run(["sh", str(POSTRM), "purge"], env=env, timeout=30).returncode == 0
    assert not var.exists()
