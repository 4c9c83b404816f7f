"""Media paths between machines: ``path_map`` in the config turns one machine's mount into another's.

``{"/mnt/media": "/Volumes/media"}`` means a path starting with ``/mnt/media`` (as the editor that enqueued the
job saw it) is read as ``/Volumes/media/...`` on this worker. The longest matching prefix wins; a prefix matches
whole path components only. A worker that cannot read a mapped file fails that job with one line naming it.
Pure apart from :func:`check_readable`; any thread.
"""

from __future__ import annotations

import os
from dataclasses import replace

from editor.media.errors import RenderError
from editor.media.render import RenderSpec


def map_path(path: str, path_map: dict[str, str]) -> str:
    """``path`` with the longest matching prefix of ``path_map`` replaced."""
    best = ""
    for src in path_map:
        prefix = src.rstrip("/") or "/"
        if (path == prefix or path.startswith(prefix.rstrip("/") + "/")) and len(prefix) > len(best):
            best = prefix
    if not best:
        return path
    rest = path[len(best):].lstrip("/")
    target = path_map.get(best, path_map.get(best + "/", ""))
    return os.path.join(target, rest) if rest else target


def map_spec(spec: RenderSpec, path_map: dict[str, str]) -> RenderSpec:
    """The spec with every clip's path mapped."""
    return replace(spec, clips=tuple(replace(c, path=map_path(c.path, path_map)) for c in spec.clips))


def check_readable(spec: RenderSpec) -> None:
    """RenderError (one line) for the first clip file this machine cannot read."""
    for path in dict.fromkeys(c.path for c in spec.clips):
        if not os.access(path, os.R_OK):
            raise RenderError(f"this worker cannot read {path} (is the shared storage mounted? see path_map)", path)
