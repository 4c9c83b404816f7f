"""The embedded servers: start, join, races, crashes, credentials, stop."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
import redis

from editor.store.servers import EmbeddedServers, valkey_binary

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("CUTLINE_DATABASE_URL")), reason="embedded servers are not used with external URLs"
)

ROOT = Path(__file__).resolve().parents[2]


def _start_in_subprocess(root: Path, hold: bool = False) -> subprocess.Popen[str]:
    code = (
        "import sys, time; from pathlib import Path; from editor.store.servers import EmbeddedServers;"
        f"e = EmbeddedServers(Path({str(root)!r})).ensure(); print('ready', flush=True);"
        + ("time.sleep(600)" if hold else "")
    )
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)


def _pids(servers: EmbeddedServers) -> tuple[int | None, int | None]:
    return servers._postgres_pid(), servers._valkey_pid()


def test_start_join_and_stop(tmp_path: Path) -> None:
    root = tmp_path / "servers"
    first = EmbeddedServers(root)
    t0 = time.perf_counter()
    endpoints = first.ensure()
    first_start = time.perf_counter() - t0
    assert endpoints.embedded_database
    with psycopg.connect(endpoints.database_url) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    if valkey_binary() is not None:
        assert endpoints.redis_url and redis.Redis.from_url(endpoints.redis_url).ping()

    second = EmbeddedServers(root)
    t0 = time.perf_counter()
    again = second.ensure()
    join = time.perf_counter() - t0
    assert again == endpoints, "a second process joins the same servers"
    assert join < first_start
    # Two users: releasing one does not stop the servers; releasing the last does.
    assert second.release() is False
    assert _pids(first)[0] is not None
    assert first.release() is True
    assert _pids(first) == (None, None)


def test_credentials_are_private_and_required(tmp_path: Path) -> None:
    servers = EmbeddedServers(tmp_path / "servers")
    endpoints = servers.ensure()
    try:
        creds = tmp_path / "servers" / "credentials.json"
        assert stat.S_IMODE(creds.stat().st_mode) == 0o600
        secrets = json.loads(creds.read_text())
        bad_pg = endpoints.database_url.replace(secrets["postgres_password"], "wrong")
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(bad_pg, connect_timeout=2)
        if endpoints.redis_url:
            no_pw = endpoints.redis_url.split("?")[0]
            with pytest.raises(redis.AuthenticationError):
                redis.Redis.from_url(no_pw).get("x")
        # No TCP listener: PostgreSQL is told to listen on no address, and Valkey on port 0.
        conf = (tmp_path / "servers" / "valkey" / "valkey.conf").read_text()
        assert "port 0" in conf
        assert secrets["postgres_password"] not in " ".join(_cmdlines())
    finally:
        servers.stop()


def _cmdlines() -> list[str]:
    out = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                out.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode())
            except OSError:
                pass
    return out


def test_four_processes_starting_at_once_share_one_server_each(tmp_path: Path) -> None:
    root = tmp_path / "servers"
    procs = [_start_in_subprocess(root) for _ in range(4)]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    servers = EmbeddedServers(root)
    try:
        lines = _cmdlines()
        pgdata = str(servers.pgdata)
        assert sum(1 for c in lines if "postgres -D" in c and pgdata in c) == 1
        if valkey_binary() is not None:
            assert sum(1 for c in lines if "valkey-server" in c and str(root) in c) <= 1
            assert servers._valkey_pid() is not None
    finally:
        servers.stop()


def test_servers_outlive_a_killed_starter_and_are_found_again(tmp_path: Path) -> None:
    root = tmp_path / "servers"
    proc = _start_in_subprocess(root, hold=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    servers = EmbeddedServers(root)
    before = _pids(servers)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    try:
        assert servers._postgres_pid() == before[0], "PostgreSQL survives its starter's kill -9"
        endpoints = servers.ensure()
        assert _pids(servers) == before, "the next start joins, it starts no second copy"
        with psycopg.connect(endpoints.database_url) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        # The killed process held no lock any more: this process is the last user and may stop them.
        assert servers.release() is True
    finally:
        servers.stop()


def test_unwritable_data_folder_gives_a_clear_message(tmp_path: Path) -> None:
    from editor.store.errors import ServerStartError

    if os.geteuid() == 0:
        target = Path("/proc/cutline-cannot-exist/servers")  # not creatable even by root
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        target = locked / "servers"
    with pytest.raises(ServerStartError, match="server folder"):
        EmbeddedServers(target).ensure()
