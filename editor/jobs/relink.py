"""Finding media that moved: a file with the same name and the same fingerprint near where it was.

Looks (in this order) in the folders of the project's other media, the old folder's sub-folders, the old
folder's parent and its sub-folders, and the old folder's siblings' sub-folders, never deeper; a candidate
counts only when its fingerprint (size, mtime, head and tail) matches, so a different file of the same name
is never taken.
Worker thread; never touches Qt.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from editor.media.errors import MediaError
from editor.media.probe import fingerprint
from editor.model.timeline import MediaRef

MAX_DIRS = 200


def candidate_dirs(old_path: str, other_media_paths: Iterable[str]) -> list[Path]:
    old_dir = Path(old_path).parent
    dirs: list[Path] = []

    def add(d: Path) -> None:
        if d not in dirs and d != old_dir and len(dirs) < MAX_DIRS:
            dirs.append(d)

    for other in other_media_paths:
        add(Path(other).parent)
    try:  # sorted into a sub-folder of where it was ("shoot/day 1/")
        for child in sorted(old_dir.iterdir()):
            if child.is_dir():
                add(child)
    except OSError:
        pass
    for base in (old_dir.parent, old_dir.parent.parent):
        add(base)
        try:
            for child in sorted(base.iterdir()):
                if child.is_dir():
                    add(child)
                    if base == old_dir.parent.parent:
                        continue
        except OSError:
            continue
    return [d for d in dirs if d.is_dir()]


def find_moved(media: MediaRef, other_media_paths: Iterable[str]) -> str | None:
    """The new path of ``media`` if a file with its name and fingerprint sits near the old path."""
    name = Path(media.path).name
    for folder in candidate_dirs(media.path, other_media_paths):
        candidate = folder / name
        if not candidate.is_file():
            continue
        try:
            if fingerprint(candidate) == media.fingerprint:
                return os.fspath(candidate)
        except MediaError:
            continue
    return None


def same_content(media: MediaRef, path: str) -> bool:
    """True when ``path`` has the fingerprint ``media`` was imported with."""
    try:
        return fingerprint(path) == media.fingerprint
    except MediaError:
        return False
