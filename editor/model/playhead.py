"""The editor's keys as single calls taking the playhead frame and an optional selected track.

``track=None`` means the top-most track with something under the playhead (see ``navigate.top_track_at``).
Each is also a registered edit, so a key press is one history entry. Every function is pure; any thread.

- S  ``split_at_playhead``          Shift+S ``split_all_at_playhead``
- Q  ``trim_start_to_playhead``     (ripple: removes clip start..playhead, later content moves up)
- W  ``trim_end_to_playhead``       (ripple: removes playhead..clip end, later content moves up)
- X  ``ripple_delete_at_playhead``  the in/out range when both points are set (then they are cleared),
                                     otherwise the clip under the playhead
- Delete ``lift_at_playhead``       leaves a gap
- M  ``marks.add_marker``   I ``marks.set_in``   O ``marks.set_out``
"""

from __future__ import annotations

from .edits import lift, ripple_delete, ripple_delete_range, ripple_trim_in, ripple_trim_out, split, split_all
from .errors import EditError
from .navigate import Placed, item_at, top_track_at
from .timeline import Timeline

__all__ = [
    "split_at_playhead",
    "split_all_at_playhead",
    "trim_start_to_playhead",
    "trim_end_to_playhead",
    "ripple_delete_at_playhead",
    "lift_at_playhead",
]


def _under(t: Timeline, frame: int, track: int | None, what: str, inside: bool = False) -> Placed:
    ti = top_track_at(t, frame, inside) if track is None else track
    p = item_at(t, ti, frame) if ti is not None else None
    if p is None:
        where = "any track" if track is None else f"track {track}"
        raise EditError(f"{what}: nothing on {where} at frame {frame}")
    return p


def split_at_playhead(timeline: Timeline, frame: int, track: int | None = None) -> Timeline:
    """S: split the clip under the playhead on ``track`` (default: top-most track with a clip to split).
    Pure; any thread."""
    p = _under(timeline, frame, track, "split", inside=True)
    return split(timeline, p.track, frame)


def split_all_at_playhead(timeline: Timeline, frame: int) -> Timeline:
    """Shift+S: split every clip under the playhead on all tracks. Pure; any thread."""
    return split_all(timeline, frame)


def trim_start_to_playhead(timeline: Timeline, frame: int, track: int | None = None) -> Timeline:
    """Q: remove from the clip's start up to the playhead and close the gap (ripple on all tracks).
    Pure; any thread."""
    p = _under(timeline, frame, track, "trim start")
    if p.start == frame:
        raise EditError(f"trim start: the playhead is at the clip's start ({frame}); nothing to remove")
    return ripple_trim_in(timeline, p.item.id, frame)  # type: ignore[union-attr]


def trim_end_to_playhead(timeline: Timeline, frame: int, track: int | None = None) -> Timeline:
    """W: remove from the playhead to the clip's end and close the gap (ripple on all tracks).
    Pure; any thread."""
    p = _under(timeline, frame, track, "trim end")
    if p.start == frame:
        raise EditError(f"trim end: the playhead is at the clip's start ({frame}); use X to delete the clip")
    return ripple_trim_out(timeline, p.item.id, frame)  # type: ignore[union-attr]


def ripple_delete_at_playhead(timeline: Timeline, frame: int, track: int | None = None) -> Timeline:
    """X: with in and out set, remove that range from all tracks and clear them; otherwise ripple-delete the
    clip under the playhead (on all tracks). Pure; any thread."""
    if timeline.in_point is not None and timeline.out_point is not None:
        return ripple_delete_range(timeline, timeline.in_point, timeline.out_point)
    p = _under(timeline, frame, track, "ripple delete")
    return ripple_delete(timeline, p.item.id)  # type: ignore[union-attr]


def lift_at_playhead(timeline: Timeline, frame: int, track: int | None = None) -> Timeline:
    """Delete: remove the clip under the playhead (and its linked partners), leaving a gap.
    Pure; any thread."""
    p = _under(timeline, frame, track, "lift")
    return lift(timeline, p.item.id)  # type: ignore[union-attr]
