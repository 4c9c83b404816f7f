"""The store where Windows differs from Linux, walked on Linux as far as it can be.

Windows has no ``fcntl`` and no ``pwd``, no unix sockets for the embedded servers, and ``os.kill(pid, 0)``
there terminates the process it probes. These tests import the store without those modules, take
Cutline's file locks across real processes through portalocker, probe pids without signals, and run the
Windows configuration (external PostgreSQL, no Redis: disk cache and PostgreSQL events) on this machine's
test servers with ``CUTLINE_NO_EMBEDDED_SERVERS=1``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from editor.store import locks
from editor.store.presence import pid_alive
from editor.store.private import open_private

ROOT = Path(__file__).resolve().parents[2]


def _python(code: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_the_store_imports_without_fcntl_or_pwd() -> None:
    done = _python("""
        import sys
        sys.modules["fcntl"] = None  # as on Windows: "import fcntl" raises ImportError
        sys.modules["pwd"] = None
        import editor.store.services, editor.store.journal, editor.store.servers, editor.store.presence
        import editor.store.autosave, editor.store.editing, editor.store.locks, editor.cli.context
        print("imported")
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "imported"


def test_locks_exclude_across_processes_and_shared_locks_share(tmp_path: Path) -> None:
    path = tmp_path / "users.lock"
    fd = open_private(path, os.O_RDWR | os.O_CREAT)
    try:
        assert locks.try_lock(fd, shared=True)
        probe = f"""
            import os
            from editor.store import locks
            fd = os.open({str(path)!r}, os.O_RDWR)
            print(locks.try_lock(fd, shared=True), end=" ")
            locks.unlock(fd)
            print(locks.try_lock(fd), end="")
        """
        done = _python(probe)
        assert done.returncode == 0, done.stderr
        assert done.stdout == "True False"  # a second user joins; nobody may take it alone
        locks.unlock(fd)
        done = _python(probe)
        assert done.stdout == "True True"
    finally:
        os.close(fd)


def test_pid_alive_never_signals() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert pid_alive(child.pid)
        assert child.poll() is None  # probed, not touched
    finally:
        child.kill()
        child.wait()
    assert not pid_alive(child.pid)
    assert not pid_alive(0) and not pid_alive(-1) and not pid_alive(1 << 40)


def _windows_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CUTLINE_DATABASE_URL", "CUTLINE_REDIS_URL")}
    env.update(CUTLINE_NO_EMBEDDED_SERVERS="1", CUTLINE_DATA_DIR=str(tmp_path / "data"),
               CUTLINE_CONFIG_DIR=str(tmp_path / "config"), CUTLINE_CACHE_DIR=str(tmp_path / "cache"), **extra)
    return env


def test_without_embedded_servers_an_external_database_alone_is_enough(store: Any, tmp_path: Path) -> None:
    env = _windows_env(tmp_path, CUTLINE_DATABASE_URL=store.endpoints.database_url)
    done = subprocess.run([sys.executable, "-m", "editor", "doctor", "--json"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["database"]["reachable"] and not report["database"]["embedded"]
    assert not report["redis"]["configured"]
    assert report["redis"]["fallback"] == "disk cache and PostgreSQL events"
    assert not (tmp_path / "data" / "servers").exists()  # nothing was started or made for servers

    # Projects work end to end there: made, edited through the window's save path, read back.
    made = subprocess.run([sys.executable, "-m", "editor", "projects", "new", "Portable ✓ 'q'"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    listed = subprocess.run([sys.executable, "-m", "editor", "projects", "list"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert "Portable ✓ 'q'" in listed.stdout


def test_without_embedded_servers_and_no_database_url_one_line_says_what_to_set(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "editor", "projects", "list"], cwd=ROOT,
                          env=_windows_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert "CUTLINE_DATABASE_URL" in lines[0] and "Redis is optional" in lines[0]
