"""Edits of whole tracks: remove, rename, reorder, and their state (mute, solo, lock, hide, gain).

Tracks are named by index, as in every other edit. Locked tracks: :func:`locked_tracks_changed` says whether
an edit touched the items of a track that is locked (the registry refuses such an edit). Pure; any thread.
"""

from __future__ import annotations

import math
from dataclasses import replace

from .edits import _track, text_field
from .errors import EditError
from .timeline import Timeline

__all__ = ["remove_track", "rename_track", "move_track", "set_track", "locked_tracks_changed", "gain_value",
           "TRACK_EDITS"]

#: Edits that change which track has which index (the lock check compares tracks by index, so not these).
TRACK_EDITS = frozenset({"add_track", "remove_track", "move_track", "set_track", "rename_track"})

MIN_GAIN_DB = -60.0
MAX_GAIN_DB = 24.0


def gain_value(value: object, what: str = "gain_db") -> float:
    """A gain in dB within MIN_GAIN_DB..MAX_GAIN_DB, rounded to 0.1 dB; EditError otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise EditError(f"{what}: expected a number of dB, got {value!r}")
    if not MIN_GAIN_DB <= value <= MAX_GAIN_DB:
        raise EditError(f"{what}: must be from {MIN_GAIN_DB:g} to {MAX_GAIN_DB:g} dB, got {value:g}")
    return round(float(value), 1)


def remove_track(timeline: Timeline, track: int) -> Timeline:
    """Remove a track and everything on it. Pure; any thread."""
    _track(timeline, track)
    return replace(timeline, tracks=timeline.tracks[:track] + timeline.tracks[track + 1:])


def rename_track(timeline: Timeline, track: int, name: str) -> Timeline:
    """Give a track a new name. Pure; any thread."""
    tr = _track(timeline, track)
    name = text_field(name, "name").strip()
    if not name:
        raise EditError("rename_track: the name must not be empty")
    if len(name) > 100:
        raise EditError("rename_track: the name must be at most 100 characters")
    return _put(timeline, track, replace(tr, name=name))


def move_track(timeline: Timeline, track: int, to: int) -> Timeline:
    """Move a track to index ``to`` (the others keep their order). Pure; any thread."""
    tr = _track(timeline, track)
    _track(timeline, to)
    rest = list(timeline.tracks[:track] + timeline.tracks[track + 1:])
    rest.insert(to, tr)
    return replace(timeline, tracks=tuple(rest))


def set_track(timeline: Timeline, track: int, muted: bool | None = None, solo: bool | None = None,
              locked: bool | None = None, hidden: bool | None = None, gain_db: float | None = None) -> Timeline:
    """Set a track's state; None leaves a field as it is. Mute and solo act on sound (when any track is solo,
    only solo tracks sound), hidden leaves the track out of preview and export, locked refuses edits of its
    items. Pure; any thread."""
    tr = _track(timeline, track)
    changes: dict[str, object] = {}
    for key, value in (("muted", muted), ("solo", solo), ("locked", locked), ("hidden", hidden)):
        if value is not None:
            if not isinstance(value, bool):
                raise EditError(f"set_track: {key} must be true or false, got {value!r}")
            changes[key] = value
    if gain_db is not None:
        changes["gain_db"] = gain_value(gain_db)
    if not changes:
        raise EditError("set_track: nothing to set (give muted, solo, locked, hidden or gain_db)")
    return _put(timeline, track, replace(tr, **changes))  # type: ignore[arg-type]


def _put(t: Timeline, index: int, track: object) -> Timeline:
    return replace(t, tracks=t.tracks[:index] + (track,) + t.tracks[index + 1:])  # type: ignore[operator]


def locked_tracks_changed(before: Timeline, after: Timeline) -> str | None:
    """The name of a track locked before and after whose items differ, or None. Pure; any thread."""
    if len(before.tracks) != len(after.tracks):
        return None
    for a, b in zip(before.tracks, after.tracks, strict=True):
        if a.locked and b.locked and a.items is not b.items and a.items != b.items:
            return a.name
    return None
