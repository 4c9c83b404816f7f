"""Processes known by what they are, not by a number in a file.

A pid file is only a hint: the pid may have been reused by an unrelated process, or the file planted.
:func:`is_server` trusts a pid only when the process runs an executable of the server's name
(``postgres``, ``valkey-server``) with its working folder in the server's data folder (both servers
``chdir`` there), checked with psutil. The name, not the whole path: a server started by another
installation of Cutline (another venv, an older version) on the same data folder is still this server.
:func:`find_servers` finds every such process (an orphan whose pid file was overwritten, a frozen one),
and :func:`terminate` signals only a process that passes that check. :func:`lock_holders` names who
holds a ``flock`` (Linux ``/proc/locks``), for the one line a blocked start prints. Any thread. No Qt.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import psutil


def _same_program(a: str | None, b: Path) -> bool:
    return a is not None and a != "" and Path(a).name == b.name


def _same(a: str | os.PathLike[str] | None, b: Path) -> bool:
    if not a:
        return False
    try:
        return Path(a).resolve() == b.resolve()
    except OSError:
        return False


def is_server(pid: int, exe: Path, workdir: Path) -> bool:
    """True when ``pid`` is alive, runs ``exe`` and works in ``workdir``. Never raises."""
    if pid <= 0 or pid == os.getpid():
        return False
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return _same_program(proc.exe(), exe) and _same(proc.cwd(), workdir)
    except (psutil.Error, OSError):
        return False


def find_servers(exe: Path, workdir: Path) -> list[int]:
    """Every live process running ``exe`` in ``workdir`` (oldest first)."""
    found: list[tuple[float, int]] = []
    for proc in psutil.process_iter(["pid", "exe", "create_time"]):
        try:
            if _same_program(proc.info.get("exe"), exe) and is_server(proc.pid, exe, workdir):
                found.append((proc.info.get("create_time") or 0.0, proc.pid))
        except (psutil.Error, OSError):
            continue
    return [pid for _, pid in sorted(found)]


def terminate(pid: int, exe: Path, workdir: Path, timeout: float = 10.0) -> bool:
    """SIGTERM (and SIGCONT, so a frozen process sees it), then SIGKILL after ``timeout``; only if the
    process is the server. True when it was the server and is gone."""
    if not is_server(pid, exe, workdir):
        return False
    try:
        proc = psutil.Process(pid)
        proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(psutil.Error):
            proc.send_signal(signal.SIGCONT)
        try:
            proc.wait(timeout)
        except psutil.TimeoutExpired:
            if is_server(pid, exe, workdir):
                proc.kill()
                with contextlib.suppress(psutil.TimeoutExpired):
                    proc.wait(5)
    except psutil.NoSuchProcess:
        pass
    except psutil.Error:
        return False
    return not psutil.pid_exists(pid) or not is_server(pid, exe, workdir)


def runs_program(pid: int, exe: Path) -> bool:
    """Whether ``pid`` is alive and runs a program of ``exe``'s name (whatever its folder), or cannot be
    inspected at all (then it is treated as possibly that program). Never raises."""
    try:
        proc = psutil.Process(pid)
        return proc.status() != psutil.STATUS_ZOMBIE and _same_program(proc.exe(), exe)
    except psutil.NoSuchProcess:
        return False
    except (psutil.Error, OSError):
        return True


def same_user_alive(pid: int) -> bool:
    """Whether ``pid`` is alive and runs as this process's user."""
    try:
        return psutil.Process(pid).uids().real == os.getuid()
    except (psutil.Error, OSError, AttributeError):
        return False


def wait_gone(pids: list[int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(psutil.pid_exists(p) for p in pids):
        time.sleep(0.02)


def describe(pid: int) -> str:
    """``pid 123 (user bob, sleep 1000)`` for messages; what can be seen of it."""
    try:
        proc = psutil.Process(pid)
        user = proc.username()
        cmd = " ".join(proc.cmdline())[:60] or proc.name()
        return f"pid {pid} (user {user}, {cmd})"
    except (psutil.Error, OSError):
        return f"pid {pid}"


def lock_holders(fd: int) -> list[int]:
    """The pids holding a flock on the file open as ``fd`` (Linux; [] elsewhere or when unknown)."""
    try:
        st = os.fstat(fd)
        text = Path("/proc/locks").read_text()
    except OSError:
        return []
    want = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    holders = []
    for line in text.splitlines():
        parts = line.split()
        # "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF" (blocked waiters carry "->" first)
        if len(parts) >= 6 and "->" not in parts[1] and parts[1] == "FLOCK":
            dev_ino = parts[5]
            major, minor, ino = (dev_ino.split(":") + ["", "", ""])[:3]
            try:
                same = (int(major, 16), int(minor, 16), int(ino)) == (os.major(st.st_dev), os.minor(st.st_dev),
                                                                     st.st_ino)
            except ValueError:
                same = dev_ino == want
            if same and parts[4].isdigit() and int(parts[4]) != os.getpid():
                holders.append(int(parts[4]))
    return holders
