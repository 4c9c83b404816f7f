"""Attacks on the embedded servers by a second local user, and by stale or planted files.

Each test runs its own EmbeddedServers in a private temporary data folder, never the test run's servers.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import psycopg
import pytest

from editor.store.errors import ServerStartError
from editor.store.private import non_private_paths
from editor.store.procs import find_servers
from editor.store.servers import EmbeddedServers, valkey_binary

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("CUTLINE_DATABASE_URL")), reason="embedded servers are not used with external URLs"
)
needs_valkey = pytest.mark.skipif(valkey_binary() is None, reason="no embedded Valkey on this platform")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[EmbeddedServers]:
    made = EmbeddedServers(tmp_path / "servers")
    yield made
    made.stop()


@pytest.fixture
def long_root(tmp_path: Path) -> Iterator[Path]:
    """A server folder whose path is too long for unix sockets inside it."""
    root = tmp_path / ("d" * 80) / "servers"
    yield root
    EmbeddedServers(root).stop()


def _old_predictable_socket_dir(root: Path) -> Path:
    digest = hashlib.sha1(str(root.resolve()).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"cutline-{os.getuid()}-{digest}"


def _assert_private(path: Path, *, traverse: bool = False) -> None:
    st = os.lstat(path)
    assert not stat.S_ISLNK(st.st_mode)
    assert st.st_uid == os.geteuid()
    assert stat.S_IMODE(st.st_mode) & (0o066 if traverse else 0o077) == 0, oct(st.st_mode)


def test_long_data_path_uses_a_fresh_random_private_socket_folder(long_root: Path) -> None:
    planted = _old_predictable_socket_dir(long_root)
    planted.mkdir(mode=0o777, exist_ok=True)
    os.chmod(planted, 0o777)  # what the attacker made first, world-writable
    try:
        servers = EmbeddedServers(long_root)
        endpoints = servers.ensure()
        sock = servers.socket_dir
        assert sock != planted and sock.parent == Path(tempfile.gettempdir())
        assert sock.name.startswith(f"cutline-{os.getuid()}-") and len(sock.name) > len(f"cutline-{os.getuid()}-") + 6
        _assert_private(sock, traverse=os.geteuid() == 0)
        assert list(planted.iterdir()) == [], "nothing of Cutline's lands in the planted folder"
        with psycopg.connect(endpoints.database_url, connect_timeout=5) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        # A second process joins through the recorded folder.
        assert EmbeddedServers(long_root).ensure() == endpoints
    finally:
        os.rmdir(planted)


def test_a_socket_folder_made_world_writable_is_replaced_never_used(long_root: Path, request) -> None:
    servers = EmbeddedServers(long_root)
    servers.ensure()
    first = servers.socket_dir
    os.chmod(first, 0o777)  # someone loosened it (or it was swapped for one that is not private)
    request.addfinalizer(lambda: shutil.rmtree(first, ignore_errors=True))
    again = EmbeddedServers(long_root)
    endpoints = again.ensure()
    assert again.socket_dir != first
    assert str(first) not in endpoints.database_url and str(first) not in (endpoints.redis_url or "")
    _assert_private(again.socket_dir, traverse=os.geteuid() == 0)
    with psycopg.connect(endpoints.database_url, connect_timeout=5) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    assert "not used" in " ".join(again.notices)


def test_a_socket_folder_owned_by_another_user_is_replaced(long_root: Path, other_user, request) -> None:
    _, uid, gid = other_user
    servers = EmbeddedServers(long_root)
    servers.ensure()
    first = servers.socket_dir
    os.chown(first, uid, gid)
    request.addfinalizer(lambda: shutil.rmtree(first, ignore_errors=True))
    again = EmbeddedServers(long_root)
    endpoints = again.ensure()
    assert again.socket_dir != first and str(first) not in endpoints.database_url
    assert any("belongs to" in n for n in again.notices)


def test_a_socket_folder_swapped_for_a_symlink_is_replaced(long_root: Path, tmp_path: Path) -> None:
    servers = EmbeddedServers(long_root)
    servers.ensure()
    first = servers.socket_dir
    os.rename(first, tmp_path / "moved")
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o700)
    os.symlink(target, first)
    try:
        again = EmbeddedServers(long_root)
        again.ensure()
        assert again.socket_dir != first and list(target.iterdir()) == []
        assert any("symbolic link" in n for n in again.notices)
    finally:
        os.unlink(first)


def test_a_server_folder_precreated_world_writable_by_another_user_is_refused(tmp_path: Path, other_user) -> None:
    _, uid, gid = other_user
    root = tmp_path / "servers"
    root.mkdir()
    os.chown(root, uid, gid)
    os.chmod(root, 0o777)
    with pytest.raises(ServerStartError, match="refusing to use the folder .*belongs to"):
        EmbeddedServers(root).ensure()
    assert list(root.iterdir()) == [], "nothing was written into it"


def test_a_server_folder_writable_by_others_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "servers"
    root.mkdir()
    os.chmod(root, 0o777)
    with pytest.raises(ServerStartError, match="other users can reach it"):
        EmbeddedServers(root).ensure()
    assert list(root.iterdir()) == []


def test_a_lock_file_planted_as_a_symlink_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "servers"
    root.mkdir(mode=0o700)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    os.symlink(victim, root / "start.lock")
    with pytest.raises(ServerStartError, match="symbolic link"):
        EmbeddedServers(root).ensure()
    assert victim.read_text() == "keep me"


def test_a_lock_file_of_another_user_is_refused(tmp_path: Path, other_user) -> None:
    _, uid, gid = other_user
    root = tmp_path / "servers"
    root.mkdir(mode=0o700)
    (root / "start.lock").write_text("")
    os.chown(root / "start.lock", uid, gid)
    with pytest.raises(ServerStartError, match="belongs to"):
        EmbeddedServers(root).ensure()


def test_a_start_lock_held_by_another_process_gives_up_naming_it(tmp_path: Path) -> None:
    root = tmp_path / "servers"
    root.mkdir(mode=0o700)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600);"
         "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); time.sleep(600)", str(root / "start.lock")],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        began = time.monotonic()
        with pytest.raises(ServerStartError) as caught:
            EmbeddedServers(root).ensure()
        message = str(caught.value)
        assert "\n" not in message
        assert f"pid {holder.pid}" in message and "start lock" in message
        assert time.monotonic() - began < 60, "it gives up (the bound is a few seconds; generous under load)"
    finally:
        holder.kill()
        holder.wait()


@needs_valkey
def test_a_stale_valkey_pid_naming_an_unrelated_process_is_never_signalled(servers: EmbeddedServers) -> None:
    servers.ensure()
    bystander = subprocess.Popen(["sleep", "1000"])
    try:
        real = servers._valkey_pid()
        assert real is not None
        servers.stop()
        (servers.root / "valkey").mkdir(exist_ok=True)
        pidfile = servers.root / "valkey" / "valkey.pid"
        pidfile.write_text(f"{bystander.pid}\n")
        os.chmod(pidfile, 0o600)
        assert servers.status()["valkey_running"] is False, "the pid is not Valkey's"
        servers.stop()
        servers.ensure()
        servers.stop()
        assert bystander.poll() is None, "the unrelated process is alive"
        assert psutil.Process(bystander.pid).status() != psutil.STATUS_ZOMBIE
    finally:
        bystander.kill()
        bystander.wait()


@needs_valkey
def test_a_frozen_valkey_is_found_and_stopped_even_when_its_pid_file_is_gone(servers: EmbeddedServers) -> None:
    servers.ensure()
    frozen = servers._valkey_pid()
    assert frozen is not None
    os.kill(frozen, signal.SIGSTOP)
    try:
        # The next start finds it not answering, stops it, starts a fresh one.
        servers.ensure()
        fresh = servers._valkey_pid()
        assert fresh is not None and fresh != frozen
        assert not psutil.pid_exists(frozen) or psutil.Process(frozen).status() == psutil.STATUS_ZOMBIE
        os.kill(fresh, signal.SIGSTOP)
        (servers.root / "valkey" / "valkey.pid").unlink()  # the orphan is known by nothing but itself
        servers.stop()
        assert not psutil.pid_exists(fresh) or psutil.Process(fresh).status() == psutil.STATUS_ZOMBIE
    finally:
        for pid in (frozen,):
            if psutil.pid_exists(pid):
                os.kill(pid, signal.SIGCONT)


def test_a_killed_postgres_is_started_again_by_the_next_cli_call(tmp_path: Path, cli) -> None:
    data = tmp_path / "data"
    first = cli(data, "projects", "list")
    assert first.returncode == 0, first.stderr
    servers = EmbeddedServers(data / "servers")
    pid = servers._postgres_pid()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    psutil.Process(pid).wait(10) if psutil.pid_exists(pid) else None
    try:
        again = cli(data, "projects", "list")
        assert again.returncode == 0, again.stderr
        assert "starting it again" in again.stderr and len(again.stderr.strip().splitlines()) == 1, again.stderr
        assert servers._postgres_pid() not in (None, pid)
    finally:
        servers.stop()


def test_a_killed_postgres_is_started_again_by_the_next_call_in_a_running_process(tmp_path: Path,
                                                                                 monkeypatch) -> None:
    from editor.store.config import Settings
    from editor.store.errors import DatabaseUnavailable
    from editor.store.services import Store

    monkeypatch.setenv("CUTLINE_DATA_DIR", str(tmp_path / "data"))
    store = Store.open(Settings(redis_url="redis://127.0.0.1:1/0"))
    try:
        assert store.servers is not None
        pid = store.servers._postgres_pid()
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        exe = store.servers._postgres_exe()
        assert exe is not None
        deadline = time.monotonic() + 30
        while find_servers(exe, store.servers.pgdata) and time.monotonic() < deadline:
            time.sleep(0.05)  # its backends notice the postmaster's death and leave
        answered = False
        while time.monotonic() < deadline and not answered:
            try:
                store.projects.list(limit=1)
                answered = True
            except DatabaseUnavailable:
                time.sleep(0.2)
        assert answered, "a later call found the server started again"
        assert any("starting it again" in n for n in store.servers.notices)
    finally:
        store.close(stop_servers=True)
        store.servers.stop()


def test_everything_written_in_the_data_folder_is_private(tmp_path: Path, cli) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    result = cli(data, "projects", "new", "private check")
    assert result.returncode == 0, result.stderr
    srt = tmp_path / "subs.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:01,000\nhello\n\n")
    result = cli(data, "import-subtitles", "private check", str(srt))  # edits go through the journal
    assert result.returncode == 0, result.stderr
    config = tmp_path / "config"
    result = cli(data, "doctor", env={"CUTLINE_CONFIG_DIR": str(config), "CUTLINE_CACHE_DIR": str(tmp_path / "c")})
    assert result.returncode == 0, result.stderr
    assert non_private_paths(config) == [] and non_private_paths(tmp_path / "c") == []
    servers = EmbeddedServers(data / "servers")
    try:
        traverse = [data / "servers"] if os.geteuid() == 0 else []
        found = non_private_paths(data, traverse_ok=traverse)
        found += non_private_paths(servers.pg_home)
        journals = [(p, m) for p, m in found if "journal" in str(p)]
        others = [(p, m) for p, m in found if (p, m) not in journals]
        assert others == [], others
        if journals:
            pytest.xfail(f"journal files are issue 11's: {journals[:3]}")
    finally:
        servers.stop()


def test_server_identity_is_program_name_and_data_folder_not_install_path(tmp_path: Path) -> None:
    from editor.store.procs import is_server

    sleep = Path(shutil.which("sleep") or "/bin/sleep")
    one, two, work = tmp_path / "install-one", tmp_path / "install-two", tmp_path / "work"
    for folder in (one, two, work):
        folder.mkdir()
    shutil.copy2(sleep, one / "sleep")
    proc = subprocess.Popen([str(one / "sleep"), "1000"], cwd=work)
    try:
        assert is_server(proc.pid, two / "sleep", work), "another installation of the same program"
        assert not is_server(proc.pid, two / "postgres", work), "another program"
        assert not is_server(proc.pid, one / "sleep", tmp_path), "another data folder"
    finally:
        proc.kill()
        proc.wait()
    assert not is_server(proc.pid, one / "sleep", work), "a dead process"


@needs_valkey
def test_a_killed_valkey_is_started_again_by_the_next_call_in_a_running_process(tmp_path: Path,
                                                                                 monkeypatch) -> None:
    from editor.store.services import Store

    monkeypatch.setenv("CUTLINE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("CUTLINE_REDIS_URL", raising=False)
    store = Store.open()
    try:
        assert store.servers is not None and store.endpoints.embedded_redis
        pid = store.servers._valkey_pid()
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        psutil.Process(pid).wait(10) if psutil.pid_exists(pid) else None
        thumb = b"\xff\xd8thumb"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            store.cache.set("thumb:revive:0:1", thumb, 60)
            if store.cache.get("thumb:revive:0:1") == thumb:
                break
            time.sleep(0.2)
        assert store.cache.get("thumb:revive:0:1") == thumb, "Valkey is back without a restart of the process"
        assert any("Valkey had stopped" in n for n in store.servers.notices)
    finally:
        store.close(stop_servers=True)
        if store.servers is not None:
            store.servers.stop()


@needs_valkey
def test_cutline_servers_stop_stops_a_frozen_orphan_valkey(tmp_path: Path, cli) -> None:
    data = tmp_path / "data"
    started = cli(data, "servers", "start")
    assert started.returncode == 0, started.stderr
    servers = EmbeddedServers(data / "servers")
    frozen = servers._valkey_pid()
    assert frozen is not None
    os.kill(frozen, signal.SIGSTOP)
    (data / "servers" / "valkey" / "valkey.pid").unlink()  # an orphan: no pid file names it
    try:
        stopped = cli(data, "servers", "stop")
        assert stopped.returncode == 0, stopped.stderr
        assert not psutil.pid_exists(frozen) or psutil.Process(frozen).status() == psutil.STATUS_ZOMBIE
        assert "Valkey:     stopped" in stopped.stdout
    finally:
        if psutil.pid_exists(frozen):
            os.kill(frozen, signal.SIGKILL)
        servers.stop()
