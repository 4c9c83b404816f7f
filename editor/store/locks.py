"""Advisory file locks on every platform, through portalocker (``flock`` on POSIX, ``LockFileEx`` on
Windows), on file descriptors Cutline opened itself (``editor.store.private.open_private``).

Exclusive locks serialise server starts and claim a journal; shared locks on ``users.lock`` tell
whether another Cutline process still uses the embedded servers. The operating system drops every
lock of a process when it dies, which is what makes them safe after a crash or ``kill -9``.

portalocker is imported on first use, so importing the store never needs ``fcntl`` (Windows has none).
Any thread; the blocking :func:`lock` only where a wait is wanted. No Qt.
"""

from __future__ import annotations

from typing import Any


def _portalocker() -> Any:
    import portalocker

    return portalocker


def try_lock(fd: int, *, shared: bool = False) -> bool:
    """Take the lock without waiting; False when another process (or descriptor) holds it."""
    pl = _portalocker()
    kind = pl.LockFlags.SHARED if shared else pl.LockFlags.EXCLUSIVE
    try:
        pl.lock(fd, kind | pl.LockFlags.NON_BLOCKING)
    except pl.exceptions.AlreadyLocked:
        return False
    except pl.exceptions.LockException as exc:  # e.g. a file system without locks
        raise OSError(f"cannot lock the file: {exc}") from None
    return True


def lock(fd: int, *, shared: bool = False) -> None:
    """Take the lock, waiting for it as long as it takes."""
    pl = _portalocker()
    try:
        pl.lock(fd, pl.LockFlags.SHARED if shared else pl.LockFlags.EXCLUSIVE)
    except pl.exceptions.LockException as exc:
        raise OSError(f"cannot lock the file: {exc}") from None


def unlock(fd: int) -> None:
    """Release this descriptor's lock (closing the descriptor releases it too)."""
    _portalocker().unlock(fd)
