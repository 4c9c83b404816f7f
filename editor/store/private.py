"""Files and folders only the user can reach, checked before every use.

Everything Cutline writes under the user's folders is private: folders 0700, files 0600. A folder
Cutline is about to trust (its server folder, the socket folder, the lock and pid files in them) is
checked with ``lstat`` each time: it must not be a symbolic link, it must belong to this user (or, when
Cutline runs as root, to the PostgreSQL service user), and nobody else may write to it. A folder that
fails is refused with one line (:class:`UnsafePathError`), never used; a fresh private folder with a
random name (``tempfile.mkdtemp``) replaces one that Cutline itself put outside the data folder.

Files are opened with ``O_NOFOLLOW`` (a planted symlink is refused, not followed) and ``O_NONBLOCK``
(a FIFO planted in place of a file cannot hang a read). Any thread. No Qt.

On Windows there are no owners or mode bits to check (``st_uid`` is always 0, and access is governed
by the ACLs of the user's profile folder, where the data folder lives): the checks that need them are
skipped there, the symbolic-link and regular-file checks stay.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from editor.store.errors import StoreError

FILE_MODE = 0o600
DIR_MODE = 0o700
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
POSIX_OWNERS = hasattr(os, "geteuid")  # False on Windows: no uid or mode bits to trust


def _euid() -> int:
    return os.geteuid() if POSIX_OWNERS else 0


class UnsafePathError(StoreError):
    """A file or folder that someone other than the user could have planted or can change."""


def user_name(uid: int) -> str:
    """``name (uid N)`` for messages."""
    try:
        import pwd

        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except (ImportError, KeyError):
        return f"uid {uid}"


def my_uids(extra: Iterable[int] = ()) -> frozenset[int]:
    """The owners Cutline trusts: this process's effective uid, plus ``extra`` (the service user)."""
    return frozenset({_euid(), *extra})


def dir_problem(path: Path, owners: frozenset[int], *, traverse: bool = False) -> str | None:
    """Why ``path`` is not a private folder of ``owners`` (None when it is). ``traverse`` allows the
    search (x) bit for others: the folder must be crossed by the service user when running as root."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return "does not exist"
    except OSError as exc:
        return f"cannot be checked ({exc.strerror})"
    if stat.S_ISLNK(st.st_mode):
        return "is a symbolic link"
    if not stat.S_ISDIR(st.st_mode):
        return "is not a folder"
    if not POSIX_OWNERS:
        return None
    if st.st_uid not in owners:
        return f"belongs to {user_name(st.st_uid)}, not to {user_name(_euid())}"
    forbidden = 0o066 if traverse else 0o077
    if st.st_mode & forbidden:
        return f"has mode {stat.S_IMODE(st.st_mode):04o}: other users can reach it"
    return None


def ensure_private_dir(path: Path, owners: frozenset[int] | None = None, *, traverse: bool = False,
                       tighten: bool = False) -> Path:
    """Create ``path`` (mode 0700, or 0711 with ``traverse``) or check the one that exists.

    ``tighten``: a folder that belongs to the user and that nobody else can write to, but that others
    may read (made by an older version), is made private instead of refused. Anything else that fails
    the check raises UnsafePathError with one line. Parents are created private too.
    """
    owners = owners or my_uids()
    mode = 0o711 if traverse else DIR_MODE
    if not os.path.lexists(path):
        path.parent.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        try:
            os.mkdir(path, mode)
        except FileExistsError:
            pass  # made meanwhile: checked below like any other
        else:
            os.chmod(path, mode)  # the umask may have removed bits we want (it never adds any)
    problem = dir_problem(path, owners, traverse=traverse)
    if problem is not None and tighten:
        st = os.lstat(path)
        if stat.S_ISDIR(st.st_mode) and st.st_uid == _euid() and not st.st_mode & 0o022:
            os.chmod(path, mode)
            problem = dir_problem(path, owners, traverse=traverse)
    if problem is not None:
        raise UnsafePathError(f"refusing to use the folder {path}: it {problem}")
    return path


def fresh_private_dir(prefix: str, parent: Path | None = None) -> Path:
    """A new folder with a random name, mode 0700, made atomically (nobody can have made it first)."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir=str(parent) if parent else None))


def open_private(path: Path, flags: int, owners: frozenset[int] | None = None) -> int:
    """Open (or create, with ``os.O_CREAT`` in ``flags``) a private regular file; returns the fd.

    Never follows a symbolic link, never blocks on a FIFO; a file that is not a regular file or that
    belongs to someone else raises UnsafePathError. A file of the user with a looser mode is made 0600.
    """
    owners = owners or my_uids()
    try:
        fd = os.open(path, flags | _O_NOFOLLOW | _O_NONBLOCK | _O_CLOEXEC, FILE_MODE)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafePathError(f"refusing to use {path}: it is a symbolic link") from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafePathError(f"refusing to use {path}: it is not a regular file")
        if POSIX_OWNERS and st.st_uid not in owners:
            raise UnsafePathError(f"refusing to use {path}: it belongs to {user_name(st.st_uid)}")
        if POSIX_OWNERS and st.st_mode & 0o077:
            os.fchmod(fd, FILE_MODE)
        if _O_NONBLOCK:
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_private(path: Path, max_bytes: int = 1 << 20, owners: frozenset[int] | None = None) -> bytes:
    """The content of a small private file (UnsafePathError when it is not one, OSError when missing)."""
    fd = open_private(path, os.O_RDONLY, owners)
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UnsafePathError(f"refusing to read {path}: larger than {max_bytes} bytes")
    return data


def write_private(path: Path, data: str | bytes, *, fsync: bool = True) -> None:
    """Replace ``path`` atomically by a 0600 file holding ``data`` (a random temporary name, O_EXCL)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=str(path.parent))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def read_regular_file(path: Path, max_bytes: int) -> bytes:
    """A small file the user points Cutline at (config, a timeline): it may be a symlink, but it must be a
    regular file no bigger than ``max_bytes``; a FIFO or a device is refused at once instead of hanging.
    Raises OSError (missing, unreadable) or ValueError (not a regular file, too big)."""
    fd = os.open(path, os.O_RDONLY | _O_NONBLOCK | _O_CLOEXEC)
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise ValueError("is a folder, not a file")
        if not stat.S_ISREG(st.st_mode):
            raise ValueError("is not a regular file (a pipe, socket or device)")
        if st.st_size > max_bytes:
            raise ValueError(f"is too large ({st.st_size} bytes; at most {max_bytes})")
        if _O_NONBLOCK:
            os.set_blocking(fd, True)
        chunks = []
        total = 0
        while True:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            total += len(chunk)
            if total > max_bytes:
                raise ValueError(f"is too large (more than {max_bytes} bytes)")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def non_private_paths(root: Path, *, traverse_ok: Iterable[Path] = ()) -> list[tuple[Path, str]]:
    """Every file or folder below ``root`` (and ``root`` itself) that another user could read or write:
    ``[(path, "mode 0644")]``. Folders in ``traverse_ok`` may have the search bit for others. Sockets
    and symlinks are reported when their folder is not private. For tests and ``cutline doctor``."""
    allowed = {Path(p) for p in traverse_ok}
    found: list[tuple[Path, str]] = []

    def check(path: Path) -> None:
        try:
            st = os.lstat(path)
        except OSError:
            return
        mode = stat.S_IMODE(st.st_mode)
        if stat.S_ISLNK(st.st_mode) or stat.S_ISSOCK(st.st_mode):
            return  # reached only through its folder, which is checked
        forbidden = 0o066 if stat.S_ISDIR(st.st_mode) and path in allowed else 0o077
        if mode & forbidden:
            found.append((path, f"mode {mode:04o}"))

    check(root)
    for dirpath, dirnames, filenames in _walk(root):
        for name in [*dirnames, *filenames]:
            check(Path(dirpath) / name)
    return found


def _walk(root: Path) -> Iterator[tuple[str, list[str], list[str]]]:
    yield from os.walk(root, followlinks=False)
