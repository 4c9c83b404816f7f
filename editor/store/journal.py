"""One writer's journal: the edits it made that PostgreSQL has not confirmed yet, on local disk.

A journal belongs to one live writer (one :class:`~editor.store.autosave.AutoSaver` of one process):
``<journal dir>/project-<id>.<writer>.jsonl``, private to the user (file 0600, folder 0700), and locked
(``flock``) by that writer for as long as it lives. Another process, or another session of this one, never
touches a journal whose lock it cannot take; the next opener of the project takes over a journal whose lock is
free (its owner is gone: killed, crashed, closed while offline) and saves what it holds.

Lines, each one JSON object, appended (never rewritten while the writer lives):

- ``{"base": revision, "writer": id}``: first line; the revision the journal's edits were made from;
- ``{"edit": {"id", "name", "params", "merge_key"}}``: one edit, written before it is sent to PostgreSQL;
- ``{"done": [edit ids], "revision": n}``: those edits are saved (or were refused by the rebase).

When nothing is pending the saver starts the file again with a new ``base`` line (a truncate, O(1)), so the
journal stays as long as the backlog. Thread: any (the owner's thread appends, the saver marks; a small lock
orders the writes and is never held across fsync). No Qt.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from editor.model.errors import TimelineError
from editor.model.registry import EditRecord
from editor.store import locks
from editor.store.errors import JournalError


def _try_lock(fd: int) -> bool:
    """Claim the journal for this process (released by the OS when the process dies)."""
    try:
        return locks.try_lock(fd)
    except OSError:
        return False


log = logging.getLogger(__name__)

DIR_MODE, FILE_MODE = 0o700, 0o600


@dataclass(frozen=True, slots=True)
class JournaledEdit:
    """An edit with the id that makes its save idempotent."""

    edit_id: str
    record: EditRecord

    @staticmethod
    def new(record: EditRecord) -> JournaledEdit:
        return JournaledEdit(str(uuid.uuid4()), record)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.edit_id, **self.record.to_dict()}


def encode_line(obj: dict[str, Any]) -> bytes:
    """One journal line; JournalError for text that cannot be written (it never reaches the file)."""
    try:
        return (json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
    except (UnicodeEncodeError, TypeError, ValueError) as exc:
        raise JournalError(f"an edit cannot be written to the journal: {exc}") from None


def private_folder(folder: Path) -> Path:
    """Create the journal folder (0700) if needed and make an existing one private."""
    folder.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    if (folder.stat().st_mode & 0o777) != DIR_MODE:
        os.chmod(folder, DIR_MODE)
    return folder


class Journal:
    """The live writer's journal (locked while open). Thread: any; see the module docstring."""

    def __init__(self, folder: Path, project_id: int, writer: str, base_revision: int) -> None:
        """Create and lock the writer's journal; JournalError if the folder or file cannot be written."""
        self.writer = writer
        try:
            private_folder(folder)
            self.path = folder / f"project-{project_id}.{writer}.jsonl"
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_TRUNC, FILE_MODE)
        except OSError as exc:
            raise JournalError(f"cannot write the journal in {folder}: {exc.strerror or exc}") from None
        if not _try_lock(self._fd):  # a fresh name: only a clash of writer ids could do this
            os.close(self._fd)
            raise JournalError(f"{self.path} is in use by another writer")
        self._lock = threading.Lock()
        self._dirty = False
        self.lines = 0
        self._write(encode_line({"base": base_revision, "writer": writer}))

    def _write(self, data: bytes) -> None:
        try:
            with self._lock:
                if self._fd < 0:
                    raise JournalError("the journal is closed")
                os.write(self._fd, data)
                self._dirty = True
                self.lines += 1
        except OSError as exc:
            raise JournalError(f"cannot write the journal {self.path}: {exc.strerror or exc}") from None

    def append(self, edit: JournaledEdit) -> None:
        """Append one edit (written through to the OS: a killed process loses nothing; fsync'd by :meth:`sync`
        on the saver's thread). JournalError if it cannot be written."""
        self._write(encode_line({"edit": edit.to_dict()}))

    def append_many(self, edits: list[JournaledEdit]) -> None:
        if edits:
            self._write(b"".join(encode_line({"edit": e.to_dict()}) for e in edits))

    def mark_done(self, edit_ids: list[str], revision: int) -> None:
        """Those edits are settled (saved at ``revision``, or refused): recovery skips them."""
        if edit_ids:
            self._write(encode_line({"done": edit_ids, "revision": revision}))

    def restart(self, base_revision: int) -> None:
        """Nothing is pending: start the file again from ``base_revision`` (keeps the journal short)."""
        try:
            with self._lock:
                os.ftruncate(self._fd, 0)
                os.write(self._fd, encode_line({"base": base_revision, "writer": self.writer}))
                self._dirty = True
                self.lines = 1
        except OSError as exc:
            raise JournalError(f"cannot write the journal {self.path}: {exc.strerror or exc}") from None

    def sync(self) -> None:
        """fsync what was written (saver thread; no lock held, a write may run meanwhile)."""
        if not self._dirty or self._fd < 0:
            return
        self._dirty = False
        try:
            os.fsync(self._fd)
        except OSError as exc:
            raise JournalError(f"cannot write the journal {self.path}: {exc.strerror or exc}") from None

    def close(self, remove: bool) -> None:
        """Unlock (and delete, when nothing in it is pending) the journal."""
        with self._lock:
            if self._fd < 0:
                return
            if remove:
                self.path.unlink(missing_ok=True)
            os.close(self._fd)
            self._fd = -1


@dataclass(slots=True)
class Orphan:
    """A journal whose writer is gone, locked by the process that found it until :meth:`release`."""

    path: Path
    base: int | None  # None: a journal of an older Cutline (no base line)
    edits: list[JournaledEdit] = field(default_factory=list)
    done: set[str] = field(default_factory=set)
    _fd: int = -1

    @property
    def pending(self) -> list[JournaledEdit]:
        return [e for e in self.edits if e.edit_id not in self.done]

    def release(self, remove: bool) -> None:
        if self._fd >= 0:
            if remove:
                self.path.unlink(missing_ok=True)
            os.close(self._fd)
            self._fd = -1


def orphans(folder: Path, project_id: int) -> Iterator[Orphan]:
    """The project's journals whose owner is gone, oldest first, each locked for the caller (who must
    :meth:`Orphan.release` it). A journal still locked by a live writer is left alone. Blocking; any thread."""
    if not folder.is_dir():
        return
    found = sorted(
        (p for p in folder.glob(f"project-{project_id}.*jsonl") if p.name.split(".")[0] == f"project-{project_id}"),
        key=lambda p: p.stat().st_mtime if p.exists() else 0,
    )
    for path in found:
        try:
            fd = os.open(path, os.O_RDWR)
        except OSError:
            continue
        try:
            if not _try_lock(fd) or os.fstat(fd).st_ino != path.stat().st_ino:  # live, or taken over and removed
                os.close(fd)
                continue
            data = b""
            while chunk := os.read(fd, 1 << 20):
                data += chunk
        except OSError:
            os.close(fd)
            continue
        orphan = Orphan(path, None, _fd=fd)
        _parse(orphan, data)
        yield orphan


def _parse(orphan: Orphan, data: bytes) -> None:
    legacy = 0
    for line in data.decode("utf-8", errors="replace").splitlines():
        try:
            obj = json.loads(line)
            if "base" in obj and orphan.base is None and not orphan.edits:
                orphan.base = int(obj["base"])
            elif "edit" in obj:
                e = obj["edit"]
                orphan.edits.append(JournaledEdit(str(uuid.UUID(str(e["id"]))), EditRecord.from_dict(e)))
            elif "done" in obj:
                orphan.done.update(str(i) for i in obj["done"])
            elif "record" in obj:  # an older Cutline's line: {"record", "state"}; given an id now
                legacy += 1
                orphan.edits.append(JournaledEdit.new(EditRecord.from_dict(obj["record"])))
        except (ValueError, KeyError, TypeError, AttributeError, TimelineError):
            log.warning("skipped a damaged journal line in %s", orphan.path)
    if legacy:
        log.info("%s: %d edit(s) from an older Cutline's journal", orphan.path, legacy)
