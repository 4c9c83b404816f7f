"""Questions the UI asks about a timeline: what is where, where the next cut is. Pure; any thread."""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from .edits import append_media, is_blank
from .errors import EditError
from .time import parse_rate
from .timeline import Clip, Gap, Item, Marker, MediaRef, Timeline, Track, source_factor

__all__ = [
    "Placed",
    "duration",
    "item_at",
    "clip_at",
    "edit_points",
    "next_edit_point",
    "previous_edit_point",
    "next_marker",
    "previous_marker",
    "keyframe_points",
    "next_point",
    "previous_point",
    "top_track_at",
    "timeline_from_media",
]


@dataclass(frozen=True, slots=True)
class Placed:
    """An item with where it is: track index, item index, start and end frame (exclusive)."""

    track: int
    index: int
    start: int
    end: int
    item: Item


def duration(timeline: Timeline) -> int:
    """Length of the timeline in frames: the end of its longest track. Pure; any thread."""
    return max((tr.end for tr in timeline.tracks), default=0)


def item_at(timeline: Timeline, track_index: int, frame: int) -> Placed | None:
    """The clip or cue covering ``frame`` on a track (None in a gap, past the end, or for a bad track
    index). Pure; any thread."""
    if not 0 <= track_index < len(timeline.tracks):
        return None
    tr = timeline.tracks[track_index]
    i = tr.index_at(frame)
    if i is None or type(tr.items[i]) is Gap:
        return None
    s = tr.starts()
    return Placed(track_index, i, s[i], s[i + 1], tr.items[i])


def clip_at(timeline: Timeline, track_index: int, frame: int) -> Placed | None:
    """Like ``item_at`` but only for media clips (subtitle cues give None). Pure; any thread."""
    p = item_at(timeline, track_index, frame)
    return p if p is not None and type(p.item) is Clip else None


def top_track_at(timeline: Timeline, frame: int, inside: bool = False) -> int | None:
    """The top-most track with a clip or cue at ``frame``: video tracks from the last (top) down, then audio
    tracks, then subtitle tracks. With ``inside`` the item must start before ``frame`` (so it can be split).
    Pure; any thread.
    """
    order = [i for i in reversed(range(len(timeline.tracks))) if timeline.tracks[i].kind == "video"]
    order += [i for i, tr in enumerate(timeline.tracks) if tr.kind == "audio"]
    order += [i for i, tr in enumerate(timeline.tracks) if tr.kind == "subtitle"]
    for ti in order:
        p = item_at(timeline, ti, frame)
        if p is not None and (not inside or p.start < frame):
            return ti
    return None


def _boundaries(tr: Track) -> list[int]:
    s = tr.starts()
    return [s[i] for i, it in enumerate(tr.items) if type(it) is not Gap] + [
        s[i + 1] for i, it in enumerate(tr.items) if type(it) is not Gap
    ]


def edit_points(timeline: Timeline) -> list[int]:
    """Sorted, distinct frames where a clip or cue starts or ends, on any track. Pure; any thread."""
    points: set[int] = set()
    for tr in timeline.tracks:
        points.update(_boundaries(tr))
    return sorted(points)


def next_edit_point(timeline: Timeline, frame: int) -> int | None:
    """The first edit point after ``frame``, or None. Pure; any thread."""
    return next_point(edit_points(timeline), frame)


def previous_edit_point(timeline: Timeline, frame: int) -> int | None:
    """The last edit point before ``frame``, or None. Pure; any thread."""
    return previous_point(edit_points(timeline), frame)


def keyframe_points(timeline: Timeline, keyframes: Mapping[str, Sequence[int]]) -> list[int]:
    """Timeline frames where a clip of a video track shows a keyframe of its source (``keyframes``: the sorted
    keyframe frame numbers of each media file, by fingerprint; a file not there has none yet): where a copy
    cut starts exactly. A clip played faster shows the first frame at or after each keyframe; a reversed
    clip, the keyframes backwards. Sorted, no repeats. Pure; any thread."""
    out: set[int] = set()
    for track in timeline.tracks:
        if track.kind != "video":
            continue
        for start, item in zip(track.starts(), track.items, strict=False):  # starts() ends with the end
            if type(item) is not Clip or not (keys := keyframes.get(item.media.fingerprint)):
                continue
            n, d = source_factor(item.media.rate, item.speed, timeline.rate)
            used = -(-item.duration * n // d)  # source frames the clip shows
            lo = bisect.bisect_left(keys, item.source_in)
            hi = bisect.bisect_left(keys, item.source_in + used)
            for k in keys[lo:hi]:
                offset = k - item.source_in
                if item.reverse:
                    offset = used - 1 - offset
                t = -(-offset * d // n)  # the first timeline frame showing source offset >= offset
                if 0 <= t < item.duration:
                    out.add(start + t)
    return sorted(out)


def next_point(points: Sequence[int], frame: int) -> int | None:
    """The first of the sorted ``points`` (edit points, :func:`keyframe_points`) after ``frame``, or None.
    Pure; any thread."""
    k = bisect.bisect_right(points, frame)
    return points[k] if k < len(points) else None


def previous_point(points: Sequence[int], frame: int) -> int | None:
    """The last of the sorted ``points`` before ``frame``, or None. Pure; any thread."""
    k = bisect.bisect_left(points, frame)
    return points[k - 1] if k > 0 else None


def next_marker(timeline: Timeline, frame: int) -> Marker | None:
    """The first marker after ``frame``, or None. Pure; any thread."""
    frames = [m.frame for m in timeline.markers]
    k = bisect.bisect_right(frames, frame)
    return timeline.markers[k] if k < len(frames) else None


def previous_marker(timeline: Timeline, frame: int) -> Marker | None:
    """The last marker before ``frame``, or None. Pure; any thread."""
    frames = [m.frame for m in timeline.markers]
    k = bisect.bisect_left(frames, frame)
    return timeline.markers[k - 1] if k > 0 else None


def rate_for_import(timeline: Timeline, media_refs: list[MediaRef] | tuple[MediaRef, ...]) -> Fraction | None:
    """The rate a timeline should switch to before ``media_refs`` go on it: the first video's, when the
    timeline is blank (a project made with no file, Ctrl+N) and runs at another rate; else None.
    Pure; any thread."""
    first = next((m.rate for m in media_refs if m.has_video and m.rate > 0), None)
    if first is None or first == timeline.rate or not is_blank(timeline):
        return None
    return first


def timeline_from_media(
    media_refs: list[MediaRef] | tuple[MediaRef, ...],
    rate: Fraction | str | int | None = None,
    name: str = "",
) -> Timeline:
    """A new project's timeline: tracks V1 and A1, the files one after another, each file's picture on V1 and
    its sound on A1, linked and aligned. ``rate`` defaults to the first video's rate (30 fps when no file has
    video). Pure; any thread.
    """
    if rate is None:
        rate = next((m.rate for m in media_refs if m.has_video), Fraction(30))
    r = parse_rate(rate)
    t = Timeline(rate=r, tracks=(Track("video", "V1"), Track("audio", "A1")), name=name)
    for m in media_refs:
        if not (m.has_video or m.has_audio):
            raise EditError(f"timeline_from_media: {m.path!r} has neither video nor audio")
        t = append_media(t, m)
    return t
