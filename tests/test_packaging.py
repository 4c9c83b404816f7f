"""The PyInstaller bundle (issue 7): it builds, passes its own smoke test, and fails cleanly on bad ground.

Slow (a build takes about a minute on 2 cores) and needs PyInstaller, so it runs only with
``CUTLINE_PACKAGING_TEST=1``:

    CUTLINE_PACKAGING_TEST=1 .venv/bin/python -m pytest tests/test_packaging.py -v

It builds with ``packaging/build-linux.sh --bundle-only --skip-smoke`` into ``packaging/out/dist/cutline``
(the tests run the smoke test themselves). ``CUTLINE_PACKAGING_BUNDLE=/path/to/cutline`` tests an existing
bundle's executable instead of building one.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.skipif(os.environ.get("CUTLINE_PACKAGING_TEST") != "1", reason="set CUTLINE_PACKAGING_TEST=1"),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux bundle"),
    pytest.mark.timeout(1200),
]

ROOT = Path(__file__).resolve().parents[1]
BUILD_SCRIPT = ROOT / "packaging" / "build-linux.sh"


@pytest.fixture(scope="module")
def bundle() -> Path:
    """The bundle's `cutline` executable (built once for this module)."""
    given = os.environ.get("CUTLINE_PACKAGING_BUNDLE")
    if given:
        exe = Path(given)
    else:
        result = subprocess.run(
            ["bash", str(BUILD_SCRIPT), "--bundle-only", "--skip-smoke"],
            cwd=ROOT, capture_output=True, text=True, timeout=1200,
        )
        assert result.returncode == 0, f"build failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        exe = ROOT / "packaging" / "out" / "dist" / "cutline" / "cutline"
    assert exe.is_file() and os.access(exe, os.X_OK), exe
    assert (exe.parent / "_internal" / "cutline_migrations" / "001_initial.sql").is_file()
    assert (exe.parent / "_internal" / "cutline_resources" / "cutline.desktop").is_file()
    return exe


@pytest.fixture
def scratch() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="cutline-pkgtest-"))
    folder.chmod(0o711)  # as root, the PostgreSQL service user must traverse it
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _env(data: Path, config: Path, **extra: str) -> dict[str, str]:
    """A clean environment: no outside servers, private folders, no screen."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CUTLINE_", "PYTHON", "QT_", "LD_LIBRARY_PATH"))}
    env.update(
        CUTLINE_DATA_DIR=str(data),
        CUTLINE_CONFIG_DIR=str(config),
        CUTLINE_CACHE_DIR=str(config / "cache"),
        QT_QPA_PLATFORM="offscreen",
    )
    env.update(extra)
    return env


class _Listener:
    """A plain TCP listener on a fixed loopback port, standing in for another user's server there. Counts
    the connections it gets: Cutline must make none."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connections = 0
        self.sock: socket.socket | None = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            self.sock.bind(("127.0.0.1", port))
        except OSError:  # somebody's real server is already there: that is the situation under test anyway
            self.sock.close()
            self.sock = None
            return
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        assert self.sock is not None
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        if self.sock is not None:
            self._stop.set()
            self._thread.join(timeout=2)
            self.sock.close()


def _stop_servers(exe: Path, env: dict[str, str]) -> None:
    subprocess.run([str(exe), "servers", "stop"], env=env, capture_output=True, timeout=120)


def test_bundle_smoke_test_passes_with_the_default_ports_taken(bundle: Path, scratch: Path) -> None:
    """`cutline --smoke-test` on the bundle, while something else listens on 127.0.0.1:5432 and :6379:
    Cutline's servers use unix sockets in its own data folder, so there is no clash and no connection."""
    listeners = [_Listener(5432), _Listener(6379)]
    env = _env(scratch / "data", scratch / "config")
    try:
        result = subprocess.run([str(bundle), "--smoke-test"], env=env, capture_output=True, text=True,
                                timeout=600)
    finally:
        _stop_servers(bundle, env)
        for listener in listeners:
            listener.close()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "smoke: OK" in result.stdout, output
    assert "Traceback" not in output, output
    assert all(listener.connections == 0 for listener in listeners), "Cutline connected to a TCP port"
    assert (scratch / "data" / "servers").is_dir()  # its servers lived in its own folder


def test_bundle_cli_uses_the_bundled_data(bundle: Path, scratch: Path) -> None:
    """Migrations, servers, the version, and the EDL adapter (an OTIO plugin found through entry points
    and a manifest) all work from inside the bundle."""
    env = _env(scratch / "data", scratch / "config")
    version = subprocess.run([str(bundle), "--version"], env=env, capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("cutline ") and "dev" not in version.stdout
    clip = scratch / "clip.mp4"
    make = subprocess.run(
        [sys.executable, "-c",
         "import sys; from fractions import Fraction; from editor.media.synth import make_clip; "
         "make_clip(sys.argv[1], frames=25, fps=Fraction(25), size=(160, 120), gop=25)", str(clip)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert make.returncode == 0, make.stderr
    try:
        steps = [["projects", "new", "pkg", str(clip)], ["export", "pkg", str(scratch / "out.edl")],
                 ["export", "pkg", str(scratch / "out.otio")], ["doctor"]]
        for args in steps:
            result = subprocess.run([str(bundle), *args], env=env, capture_output=True, text=True, timeout=300)
            assert result.returncode == 0, f"{args}: {result.stdout}{result.stderr}"
            assert "Traceback" not in result.stderr
    finally:
        _stop_servers(bundle, env)
    assert (scratch / "out.edl").read_text().startswith("TITLE: pkg")
    assert '"OTIO_SCHEMA"' in (scratch / "out.otio").read_text()


def _as_unprivileged() -> list[str]:
    """A command prefix that drops root (root writes into read-only folders regardless)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot make a folder read-only for the bundle")
    return [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


@pytest.mark.parametrize("args", [["--smoke-test"], ["projects", "list"]], ids=["smoke-test", "cli"])
def test_bundle_with_a_read_only_data_folder_fails_with_one_clear_line(
    bundle: Path, scratch: Path, args: list[str]
) -> None:
    prefix = _as_unprivileged()
    scratch.chmod(0o755)
    data = scratch / "read-only"
    data.mkdir(mode=0o555)
    data.chmod(0o555)
    config = scratch / "config"
    config.mkdir(mode=0o777)
    config.chmod(0o777)
    home = scratch / "home"
    home.mkdir(mode=0o777)
    home.chmod(0o777)
    before = sorted(p.name for p in data.iterdir())
    result = subprocess.run([*prefix, str(bundle), *args], env=_env(data, config, HOME=str(home)),
                            capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output, output
    errors = [line for line in result.stderr.splitlines()
              if line.startswith(("smoke: FAILED", "cutline:"))]
    assert len(errors) == 1, output
    assert str(data) in errors[0] and ("denied" in errors[0] or "not writable" in errors[0]), errors[0]
    if args == ["--smoke-test"]:
        assert errors[0].startswith("smoke: FAILED: ")
    assert sorted(p.name for p in data.iterdir()) == before  # nothing written
    assert stat.S_IMODE(data.stat().st_mode) == 0o555
