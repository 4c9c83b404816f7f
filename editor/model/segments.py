"""Segments: the ranges to keep, in the LosslessCut spirit (named, coloured, enabled, in export order).

Every function is a pure edit (``Timeline -> Timeline``) registered in ``registry`` so the window and
``cutline edit`` share them; EditError (one line) for what cannot be done. Frames are timeline frames,
``end`` exclusive. Any thread.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .edits import _frame, text_field
from .errors import EditError
from .timeline import MARKER_COLORS, Segment, Timeline

__all__ = ["add_segment", "remove_segment", "rename_segment", "color_segment", "enable_segment",
           "move_segment", "split_segment", "merge_segments", "invert_segments", "set_segments",
           "segment_index", "enabled_segments"]


def _color(color: object) -> str:
    if not isinstance(color, str) or color.lower() not in MARKER_COLORS:
        raise EditError(f"color: expected one of {', '.join(MARKER_COLORS)}, got {color!r}")
    return color.lower()


def segment_index(timeline: Timeline, segment_id: int) -> int:
    """Position of the segment with this id; EditError when there is none. Pure."""
    for i, g in enumerate(timeline.segments):
        if g.id == segment_id:
            return i
    raise EditError(f"no segment with id {segment_id!r}")


def enabled_segments(timeline: Timeline) -> tuple[Segment, ...]:
    """The segments an export keeps, in order. Pure."""
    return tuple(g for g in timeline.segments if g.enabled)


def _range(start: object, end: object) -> tuple[int, int]:
    a, b = _frame(start, "start"), _frame(end, "end")
    if b <= a:
        raise EditError(f"segment: the end ({b}) must be after the start ({a})")
    return a, b


def _with(timeline: Timeline, i: int, seg: Segment) -> Timeline:
    segs = list(timeline.segments)
    segs[i] = seg
    return replace(timeline, segments=tuple(segs))


def add_segment(timeline: Timeline, start: int, end: int, label: str = "", color: str = "blue") -> Timeline:
    """Add the segment [start, end) at the end of the list (an in/out pair becomes a segment); it gets id
    ``timeline.next_id``. Pure; any thread."""
    a, b = _range(start, end)
    seg = Segment(timeline.next_id, a, b, text_field(label, "label"), _color(color))
    return replace(timeline, segments=(*timeline.segments, seg), next_id=timeline.next_id + 1)


def remove_segment(timeline: Timeline, segment_id: int) -> Timeline:
    """Remove a segment. Pure; any thread."""
    i = segment_index(timeline, segment_id)
    return replace(timeline, segments=timeline.segments[:i] + timeline.segments[i + 1:])


def rename_segment(timeline: Timeline, segment_id: int, label: str) -> Timeline:
    """Name a segment (``label``: its new name). Pure; any thread."""
    i = segment_index(timeline, segment_id)
    return _with(timeline, i, replace(timeline.segments[i], name=text_field(label, "label")))


def color_segment(timeline: Timeline, segment_id: int, color: str) -> Timeline:
    """Colour a segment (a marker colour). Pure; any thread."""
    i = segment_index(timeline, segment_id)
    return _with(timeline, i, replace(timeline.segments[i], color=_color(color)))


def enable_segment(timeline: Timeline, segment_id: int, enabled: bool) -> Timeline:
    """Enable or disable a segment (a disabled one is kept in the list, not exported). Pure; any thread."""
    if not isinstance(enabled, bool):
        raise EditError(f"enabled: expected true or false, got {enabled!r}")
    i = segment_index(timeline, segment_id)
    return _with(timeline, i, replace(timeline.segments[i], enabled=enabled))


def move_segment(timeline: Timeline, segment_id: int, index: int) -> Timeline:
    """Move a segment to position ``index`` of the export order (clamped to the list). Pure; any thread."""
    if not isinstance(index, int) or isinstance(index, bool):
        raise EditError(f"index: expected a position, got {index!r}")
    i = segment_index(timeline, segment_id)
    segs = list(timeline.segments)
    seg = segs.pop(i)
    segs.insert(max(0, min(len(segs), index)), seg)
    return replace(timeline, segments=tuple(segs))


def split_segment(timeline: Timeline, segment_id: int, frame: int) -> Timeline:
    """Split a segment at ``frame`` (strictly inside it): the second part gets a new id, the same name,
    colour and state, and follows the first. Pure; any thread."""
    i = segment_index(timeline, segment_id)
    seg = timeline.segments[i]
    f = _frame(frame, "frame")
    if not seg.start < f < seg.end:
        raise EditError(f"split_segment: frame {f} is not inside the segment ({seg.start}-{seg.end})")
    first, second = replace(seg, end=f), replace(seg, id=timeline.next_id, start=f)
    segs = timeline.segments[:i] + (first, second) + timeline.segments[i + 1:]
    return replace(timeline, segments=segs, next_id=timeline.next_id + 1)


def merge_segments(timeline: Timeline, segment_id: int, other_id: int) -> Timeline:
    """Merge two segments into one covering both (and what lies between), in the first one's place, with
    its name, colour and state. Pure; any thread."""
    if segment_id == other_id:
        raise EditError("merge_segments: give two different segments")
    i, j = segment_index(timeline, segment_id), segment_index(timeline, other_id)
    a, b = timeline.segments[i], timeline.segments[j]
    merged = replace(a, start=min(a.start, b.start), end=max(a.end, b.end))
    segs = [merged if k == i else g for k, g in enumerate(timeline.segments) if k != j]
    return replace(timeline, segments=tuple(segs))


def invert_segments(timeline: Timeline, length: int) -> Timeline:
    """Keep everything but the enabled segments: they are replaced by the gaps between them within
    [0, length), in time order, enabled, named "" (LosslessCut's invert). Pure; any thread."""
    n = _frame(length, "length")
    ranges = sorted((g.start, min(g.end, n)) for g in enabled_segments(timeline) if g.start < n)
    if not ranges:
        raise EditError("invert_segments: there are no enabled segments to invert")
    gaps, at = [], 0
    for a, b in ranges:
        if a > at:
            gaps.append((at, a))
        at = max(at, b)
    if at < n:
        gaps.append((at, n))
    if not gaps:
        raise EditError("invert_segments: the segments cover everything; nothing would be left")
    nid = timeline.next_id
    segs = tuple(Segment(nid + k, a, b) for k, (a, b) in enumerate(gaps))
    return replace(timeline, segments=segs, next_id=nid + len(segs))


def set_segments(timeline: Timeline, segments: list[Any]) -> Timeline:
    """Replace every segment (an import from CSV or .llc, one undo step): each item
    ``[start, end, name, color, enabled]`` (name, colour and state optional). Pure; any thread."""
    if not isinstance(segments, (list, tuple)):
        raise EditError(f"segments: expected a list, got {segments!r}")
    out, nid = [], timeline.next_id
    for k, item in enumerate(segments):
        if not isinstance(item, (list, tuple)) or not 2 <= len(item) <= 5:
            raise EditError(f"segments[{k}]: expected [start, end, name, color, enabled], got {item!r}")
        a, b = _range(item[0], item[1])
        name = text_field(item[2], "name") if len(item) > 2 else ""
        color = _color(item[3]) if len(item) > 3 else "blue"
        enabled = item[4] if len(item) > 4 else True
        if not isinstance(enabled, bool):
            raise EditError(f"segments[{k}]: enabled must be true or false")
        out.append(Segment(nid, a, b, name, color, enabled))
        nid += 1
    return replace(timeline, segments=tuple(out), next_id=nid)
