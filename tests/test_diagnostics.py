"""Support has something to go on: a private rotating log, crash reports of a segfault, --verbose, doctor."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _env(tmp_path: Path) -> dict[str, str]:
    return dict(os.environ, CUTLINE_LOG_DIR=str(tmp_path / "logs"))


def test_a_command_logs_to_a_private_file_and_leaves_no_crash_report(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "editor", "projects", "show", "no such project"], cwd=ROOT,
                          env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    logs = tmp_path / "logs"
    assert stat.S_IMODE(logs.stat().st_mode) == 0o700
    log = logs / "cutline.log"
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert " started: " in log.read_text(encoding="utf-8").split("cutline projects ", 1)[1]
    assert not list(logs.glob("crash-*.log"))  # a normal exit removes its own crash file


def test_a_segfault_leaves_a_crash_report_with_the_stack(tmp_path: Path) -> None:
    code = ("import faulthandler, editor.diagnostics as d; d.setup_logging(process='crash test'); "
            "faulthandler._sigsegv()")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(tmp_path), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0
    reports = list((tmp_path / "logs").glob("crash-*.log"))
    assert len(reports) == 1
    text = reports[0].read_text(encoding="utf-8")
    assert "Fatal Python error: Segmentation fault" in text and "crash test" in text
    assert stat.S_IMODE(reports[0].stat().st_mode) == 0o600
    # The next process lists it (the crashed process is gone) for doctor and bug reports.
    listed = subprocess.run([sys.executable, "-c", "import editor.diagnostics as d; print(d.crash_reports())"],
                            cwd=ROOT, env=_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert reports[0].name in listed.stdout


def test_verbose_prints_debug_lines_and_doctor_names_versions_and_paths(tmp_path: Path, store) -> None:
    done = subprocess.run([sys.executable, "-m", "editor", "doctor", "--json", "--verbose"], cwd=ROOT,
                          env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["versions"]["cutline"] and report["versions"]["av"]
    assert report["log_file"] == str(tmp_path / "logs" / "cutline.log")
    assert report["config_file"].endswith("config.json")
    assert "INFO editor: cutline doctor" in done.stderr  # --verbose: the log reaches stderr too
    quiet = subprocess.run([sys.executable, "-m", "editor", "doctor"], cwd=ROOT, env=_env(tmp_path),
                           capture_output=True, text=True, timeout=120)
    assert quiet.returncode == 0 and "INFO" not in quiet.stderr
    assert "Log file:" in quiet.stdout and "Versions: cutline" in quiet.stdout


def test_doctor_names_the_error_and_log_of_a_server_that_will_not_start(tmp_path: Path) -> None:
    import shutil
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="cl-doc-"))  # short, and crossable: the cluster stays inside it
    os.chmod(base, 0o755)
    env = {k: v for k, v in _env(tmp_path).items() if k not in ("CUTLINE_DATABASE_URL", "CUTLINE_REDIS_URL")}
    env.update(CUTLINE_DATA_DIR=str(base / "data"), CUTLINE_CONFIG_DIR=str(base / "config"))

    def cutline(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "editor", *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=150)

    try:
        assert cutline("servers", "start").returncode == 0
        assert cutline("servers", "stop").returncode == 0
        from editor.store.servers import EmbeddedServers

        conf = EmbeddedServers(base / "data" / "servers").pgdata / "postgresql.conf"  # as root: /var/lib/cutline
        with conf.open("a") as fh:
            fh.write("\nshared_buffers = 'a lot'\n")  # PostgreSQL refuses to start with this
        done = cutline("doctor")
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert "NOT reachable: PostgreSQL did not start" in done.stdout
        assert "Last lines of the postgres log:" in done.stdout and "shared_buffers" in done.stdout
        assert "Versions: " in done.stdout and "Log file: " in done.stdout
    finally:
        from editor.store.servers import EmbeddedServers

        EmbeddedServers(base / "data" / "servers").discard()
        shutil.rmtree(base, ignore_errors=True)


def test_the_log_rolls_over_to_numbered_private_files(tmp_path: Path) -> None:
    """Past its size the log moves to .1 (then .2 …, at most five kept); every file stays 0600."""
    import logging

    from editor.diagnostics import _PrivateRotatingHandler

    path = tmp_path / "cutline.log"
    handler = _PrivateRotatingHandler(path, max_bytes=1000, backup_count=3)
    log = logging.getLogger("test.rollover")
    log.propagate = False
    log.addHandler(handler)
    try:
        for n in range(200):
            log.warning("line %03d %s", n, "x" * 40)
    finally:
        log.removeHandler(handler)
        handler.close()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["cutline.log", "cutline.log.1", "cutline.log.2", "cutline.log.3"]
    for p in tmp_path.iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o600 and p.stat().st_size <= 1100
    assert "line 199" in path.read_text() and "line 199" not in (tmp_path / "cutline.log.1").read_text()
