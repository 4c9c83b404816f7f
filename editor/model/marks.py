"""Markers, the in/out range and subtitle cues. Every function is pure; any thread."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from ._trackops import Ids, region_free, replace_range, sorted_markers, with_items
from .edits import _frame, _track, locate, text_field
from .errors import EditError
from .timeline import MARKER_COLORS, Gap, Marker, SubtitleCue, Timeline, Track

__all__ = [
    "add_marker",
    "move_marker",
    "edit_marker",
    "remove_marker",
    "set_in",
    "set_out",
    "set_in_out",
    "clear_in_out",
    "subtitle_track",
    "add_cue",
    "edit_cue",
    "remove_cue",
    "set_cues",
]


def _color(color: object) -> str:
    if not isinstance(color, str) or color.lower() not in MARKER_COLORS:
        raise EditError(f"color: expected one of {', '.join(MARKER_COLORS)}, got {color!r}")
    return color.lower()


def _label(label: object) -> str:
    return text_field(label, "label")


def _marker(t: Timeline, marker_id: int) -> Marker:
    for m in t.markers:
        if m.id == marker_id:
            return m
    raise EditError(f"no marker with id {marker_id!r}")


def add_marker(timeline: Timeline, frame: int, label: str = "", color: str = "red") -> Timeline:
    """Add a marker at ``frame`` (the M key); it gets id ``timeline.next_id``. Pure; any thread."""
    m = Marker(timeline.next_id, _frame(frame, "frame"), _label(label), _color(color))
    return replace(timeline, markers=sorted_markers([*timeline.markers, m]), next_id=timeline.next_id + 1)


def move_marker(timeline: Timeline, marker_id: int, frame: int) -> Timeline:
    """Move a marker to ``frame``. Pure; any thread."""
    m = _marker(timeline, marker_id)
    new = replace(m, frame=_frame(frame, "frame"))
    return replace(timeline, markers=sorted_markers([new if x is m else x for x in timeline.markers]))


def edit_marker(
    timeline: Timeline, marker_id: int, label: str | None = None, color: str | None = None
) -> Timeline:
    """Change a marker's label and/or colour. Pure; any thread."""
    m = _marker(timeline, marker_id)
    new = replace(
        m,
        label=m.label if label is None else _label(label),
        color=m.color if color is None else _color(color),
    )
    return replace(timeline, markers=tuple(new if x is m else x for x in timeline.markers))


def remove_marker(timeline: Timeline, marker_id: int) -> Timeline:
    """Remove a marker. Pure; any thread."""
    m = _marker(timeline, marker_id)
    return replace(timeline, markers=tuple(x for x in timeline.markers if x is not m))


def set_in(timeline: Timeline, frame: int) -> Timeline:
    """Set the in point (the I key); an out point at or before it is cleared. Pure; any thread."""
    frame = _frame(frame, "frame")
    out = timeline.out_point if timeline.out_point is not None and timeline.out_point > frame else None
    return replace(timeline, in_point=frame, out_point=out)


def set_out(timeline: Timeline, frame: int) -> Timeline:
    """Set the out point; it is exclusive, so the O key passes ``playhead + 1`` to keep the frame under the
    playhead in the range. An in point at or after it is cleared. Pure; any thread."""
    frame = _frame(frame, "frame")
    i = timeline.in_point if timeline.in_point is not None and timeline.in_point < frame else None
    return replace(timeline, in_point=i, out_point=frame)


def set_in_out(timeline: Timeline, in_point: int | None, out_point: int | None) -> Timeline:
    """Set both points at once (None clears one); EditError unless in < out. Pure; any thread."""
    i = None if in_point is None else _frame(in_point, "in_point")
    o = None if out_point is None else _frame(out_point, "out_point")
    if i is not None and o is not None and i >= o:
        raise EditError(f"set_in_out: in point {i} must be before out point {o}")
    return replace(timeline, in_point=i, out_point=o)


def clear_in_out(timeline: Timeline) -> Timeline:
    """Clear the in and out points. Pure; any thread."""
    return replace(timeline, in_point=None, out_point=None)


def subtitle_track(timeline: Timeline) -> int | None:
    """Index of the first subtitle track, or None. Pure; any thread."""
    for i, tr in enumerate(timeline.tracks):
        if tr.kind == "subtitle":
            return i
    return None


def _sub_track(t: Timeline, track: int | None) -> tuple[Timeline, int]:
    if track is None:
        found = subtitle_track(t)
        if found is not None:
            return t, found
        n = sum(1 for tr in t.tracks if tr.kind == "subtitle") + 1
        return replace(t, tracks=(*t.tracks, Track("subtitle", f"S{n}"))), len(t.tracks)
    if _track(t, track).kind != "subtitle":
        raise EditError(f"track {track} is not a subtitle track")
    return t, track


def _text(text: object) -> str:
    return text_field(text, "text")


def _range(start: object, end: object) -> tuple[int, int]:
    a, b = _frame(start, "start"), _frame(end, "end")
    if b <= a:
        raise EditError(f"cue end {b} must be after its start {a}")
    return a, b


def add_cue(timeline: Timeline, start: int, end: int, text: str, track: int | None = None) -> Timeline:
    """Add a subtitle cue over ``[start, end)`` on ``track`` (default: the first subtitle track, created when
    there is none). EditError when it would overlap another cue. Pure; any thread.
    """
    a, b = _range(start, end)
    t, ti = _sub_track(timeline, track)
    tr = t.tracks[ti]
    if not region_free(tr, a, b):
        raise EditError(f"add_cue: frames {a}..{b} overlap another cue on track {tr.name!r}")
    ids = Ids(t.next_id)
    cue = SubtitleCue(ids.take(), b - a, _text(text))
    new = replace_range(tr, a, b, (cue,), ids, t.rate)
    return replace(t, tracks=t.tracks[:ti] + (new,) + t.tracks[ti + 1 :], next_id=ids.value)


def edit_cue(
    timeline: Timeline, cue_id: int, text: str | None = None, start: int | None = None, end: int | None = None
) -> Timeline:
    """Change a cue's text and/or times (it keeps its id and track). Pure; any thread."""
    ti, i, s = locate(timeline, cue_id)
    tr = timeline.tracks[ti]
    cue = tr.items[i]
    if type(cue) is not SubtitleCue:
        raise EditError(f"item {cue_id} is a clip, not a subtitle cue")
    a, b = _range(s if start is None else start, s + cue.duration if end is None else end)
    ids = Ids(timeline.next_id)
    lifted = replace_range(tr, s, s + cue.duration, (Gap(cue.duration),), ids, timeline.rate)
    if not region_free(lifted, a, b):
        raise EditError(f"edit_cue: frames {a}..{b} overlap another cue on track {tr.name!r}")
    same_times = a == s and b == s + cue.duration  # a text edit keeps the cue's imported times
    new_cue = SubtitleCue(cue.id, b - a, cue.text if text is None else _text(text),
                          cue.times_ms if same_times else None)
    new = replace_range(lifted, a, b, (new_cue,), ids, timeline.rate)
    return replace(
        timeline, tracks=timeline.tracks[:ti] + (new,) + timeline.tracks[ti + 1 :], next_id=ids.value
    )


def remove_cue(timeline: Timeline, cue_id: int) -> Timeline:
    """Remove a subtitle cue, leaving a gap. Pure; any thread."""
    ti, i, s = locate(timeline, cue_id)
    tr = timeline.tracks[ti]
    cue = tr.items[i]
    if type(cue) is not SubtitleCue:
        raise EditError(f"item {cue_id} is a clip, not a subtitle cue")
    new = replace_range(tr, s, s + cue.duration, (Gap(cue.duration),), Ids(timeline.next_id), timeline.rate)
    return replace(timeline, tracks=timeline.tracks[:ti] + (new,) + timeline.tracks[ti + 1 :])


def _times_ms(value: object, n: int) -> tuple[int, int] | None:
    if value is None:
        return None
    if (not isinstance(value, (tuple, list)) or len(value) != 2 or not all(type(x) is int for x in value)
            or not 0 <= value[0] <= value[1]):
        raise EditError(f"cues[{n}]: times must be [start_ms, end_ms] with 0 <= start <= end, got {value!r}")
    return int(value[0]), int(value[1])


def set_cues(timeline: Timeline, cues: Iterable[Sequence[Any]], track: int | None = None) -> Timeline:
    """Replace all cues of a subtitle track by ``(start, end, text)`` triples, or ``(start, end, text,
    (start_ms, end_ms))`` with the times the cue was imported with (sorted, not overlapping; else EditError
    naming the cue). Used by SRT import. Pure; any thread.
    """
    t, ti = _sub_track(timeline, track)
    ids = Ids(t.next_id)
    items: list[Gap | SubtitleCue] = []
    pos = 0
    for n, cue in enumerate(cues):
        if not isinstance(cue, (tuple, list)) or len(cue) not in (3, 4):
            raise EditError(f"cues[{n}]: expected [start, end, text] or [start, end, text, [start_ms, end_ms]], "
                            f"got {cue!r}")
        a, b = _range(cue[0], cue[1])
        ms = _times_ms(cue[3], n) if len(cue) == 4 else None
        if a < pos:
            raise EditError(f"cues[{n}]: starts at frame {a}, before the previous cue ends at {pos}")
        if a > pos:
            items.append(Gap(a - pos))
        items.append(SubtitleCue(ids.take(), b - a, _text(cue[2]), ms))
        pos = b
    tr = t.tracks[ti]
    new = with_items(tr, tuple(items))
    return replace(t, tracks=t.tracks[:ti] + (new,) + t.tracks[ti + 1 :], next_id=ids.value)
