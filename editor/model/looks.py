"""Picture edits: fades, dissolves, opacity / position / scale, and title clips.

Each is a pure ``Timeline -> Timeline`` function registered by name in ``registry`` (so it is undoable,
saved, synced and usable from ``cutline edit``). Numbers may be given as ints, Fractions or ``"n/d"``
strings (as edit records store them). Pure; any thread.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

from ._trackops import Ids, region_free, replace_range
from .edits import add_track, locate, text_field
from .errors import EditError
from .picture import DEFAULT_LOOK, DEFAULT_TITLE_SIZE, MAX_TITLE_SIZE, Look, Title, check_color, check_look
from .timeline import Clip, Gap, Timeline, Track

__all__ = ["set_look", "set_fade", "set_dissolve", "add_title", "edit_title", "retime_title", "remove_title",
           "item_look"]


def _number(v: object, what: str) -> Fraction:
    if isinstance(v, bool):
        raise EditError(f"{what}: expected a number, got {v!r}")
    try:
        return Fraction(v)  # type: ignore[arg-type]
    except (ValueError, TypeError, ZeroDivisionError):
        raise EditError(f"{what}: expected a number like 1 or '1/2', got {v!r}") from None


def _frames(v: object, what: str) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or v < 0:
        raise EditError(f"{what}: expected a number of frames >= 0, got {v!r}")
    return v


def _picture_item(t: Timeline, item_id: int) -> tuple[int, int, Clip | Title]:
    ti, i, _ = locate(t, item_id)
    item = t.tracks[ti].items[i]
    if t.tracks[ti].kind != "video" or type(item) not in (Clip, Title):
        raise EditError(f"item {item_id} is not a clip or title on a video track")
    return ti, i, item  # type: ignore[return-value]


def _put(t: Timeline, ti: int, i: int, item: Clip | Title, look: Look) -> Timeline:
    check_look(look, item.duration, f"item {item.id}")
    if look == item.look:
        return t
    new = replace(item, look=DEFAULT_LOOK if look == DEFAULT_LOOK else look)
    tr = t.tracks[ti]
    items = tr.items[:i] + (new,) + tr.items[i + 1:]
    tracks = t.tracks[:ti] + (Track(tr.kind, tr.name, items),) + t.tracks[ti + 1:]
    return replace(t, tracks=tracks)


def item_look(t: Timeline, item_id: int) -> Look:
    """The look of the clip or title ``item_id``. Pure; any thread."""
    return _picture_item(t, item_id)[2].look


def set_look(
    timeline: Timeline,
    item_id: int,
    opacity: Fraction | str | int | None = None,
    x: Fraction | str | int | None = None,
    y: Fraction | str | int | None = None,
    scale: Fraction | str | int | None = None,
) -> Timeline:
    """Set opacity (0..1), position (centre offset in canvas widths/heights) and scale of a clip or title
    on a video track; None keeps a value. Pure; any thread."""
    ti, i, item = _picture_item(timeline, item_id)
    look = item.look
    changes = {}
    for name, v in (("opacity", opacity), ("x", x), ("y", y), ("scale", scale)):
        if v is not None:
            changes[name] = _number(v, name)
    return _put(timeline, ti, i, item, replace(look, **changes))  # type: ignore[arg-type]


def set_fade(timeline: Timeline, item_id: int, fade_in: int | None = None, fade_out: int | None = None) -> Timeline:
    """Fade a clip or title in from / out to transparent (black on the bottom track) over that many
    frames (0 = none; None keeps it). Pure; any thread."""
    ti, i, item = _picture_item(timeline, item_id)
    look = item.look
    if fade_in is not None:
        look = replace(look, fade_in=_frames(fade_in, "fade_in"))
    if fade_out is not None:
        look = replace(look, fade_out=_frames(fade_out, "fade_out"))
    return _put(timeline, ti, i, item, look)


def set_dissolve(timeline: Timeline, item_id: int, frames: int) -> Timeline:
    """A cross-dissolve of ``frames`` frames (0 removes it) from the clip or title just before ``item_id``
    on its track, centred on the cut between them. EditError unless the item before touches it and both
    are long enough for their half. Pure; any thread."""
    frames = _frames(frames, "frames")
    ti, i, item = _picture_item(timeline, item_id)
    if frames:
        prev = timeline.tracks[ti].items[i - 1] if i > 0 else None
        if prev is None or type(prev) is Gap:
            raise EditError(f"item {item_id}: a dissolve needs a clip or title right before it on the track")
        before, after = frames // 2, frames - frames // 2
        if before > prev.duration or after > item.duration:
            raise EditError(
                f"a dissolve of {frames} frames needs {before} frames of the clip before and {after} of "
                f"this one (they have {prev.duration} and {item.duration})")
    return _put(timeline, ti, i, item, replace(item.look, dissolve=frames))


def _title_fields(text: object, font: object, size: object, color: object) -> tuple[str, str, int, str]:
    text = text_field(text, "text")
    if not text.strip():
        raise EditError("text: a title needs some text")
    font = text_field(font, "font")
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= MAX_TITLE_SIZE:
        raise EditError(f"size: expected a text size from 1 to {MAX_TITLE_SIZE}, got {size!r}")
    return text, font, size, check_color(color)


def add_title(
    timeline: Timeline,
    track: int | None,
    frame: int,
    duration: int,
    text: str,
    font: str = "",
    size: int = DEFAULT_TITLE_SIZE,
    color: str = "#ffffff",
) -> Timeline:
    """Put a title clip of ``duration`` frames at ``frame`` on video track ``track``, where that time is
    empty (or past the track's end); ``track`` None: on a new video track above the others. Pure; any thread."""
    if track is None:
        timeline = add_track(timeline, "video")
        track = len(timeline.tracks) - 1
    if not isinstance(track, int) or isinstance(track, bool) or not 0 <= track < len(timeline.tracks):
        raise EditError(f"no track {track!r} (the timeline has {len(timeline.tracks)})")
    tr = timeline.tracks[track]
    if tr.kind != "video":
        raise EditError(f"track {tr.name!r} is a {tr.kind} track: titles go on video tracks")
    frame = _frames(frame, "frame")
    if not isinstance(duration, int) or isinstance(duration, bool) or duration <= 0:
        raise EditError(f"duration: expected a positive number of frames, got {duration!r}")
    text, font, size, color = _title_fields(text, font, size, color)
    if not region_free(tr, frame, frame + duration):
        raise EditError(f"track {tr.name!r} is not empty at frames {frame}..{frame + duration}; "
                        "put the title on a free stretch or another video track")
    ids = Ids(timeline.next_id)
    title = Title(ids.take(), duration, text, font, size, color)
    new = replace_range(tr, frame, frame + duration, (title,), ids, timeline.rate)
    if new.end > max(tr.end, frame + duration):
        raise EditError("add_title: the track would move")  # region_free guarantees this never happens
    tracks = timeline.tracks[:track] + (new,) + timeline.tracks[track + 1:]
    return replace(timeline, tracks=tracks, next_id=ids.value)


def edit_title(
    timeline: Timeline,
    title_id: int,
    text: str | None = None,
    font: str | None = None,
    size: int | None = None,
    color: str | None = None,
) -> Timeline:
    """Change a title's text, font, size or colour (None keeps it). Pure; any thread."""
    ti, i, item = _picture_item(timeline, title_id)
    if type(item) is not Title:
        raise EditError(f"item {title_id} is a clip, not a title")
    fields = _title_fields(item.text if text is None else text, item.font if font is None else font,
                           item.size if size is None else size, item.color if color is None else color)
    new = replace(item, text=fields[0], font=fields[1], size=fields[2], color=fields[3])
    if new == item:
        return timeline
    tr = timeline.tracks[ti]
    tracks = timeline.tracks[:ti] + (Track(tr.kind, tr.name, tr.items[:i] + (new,) + tr.items[i + 1:]),) \
        + timeline.tracks[ti + 1:]
    return replace(timeline, tracks=tracks)


def retime_title(timeline: Timeline, title_id: int, start: int | None = None, end: int | None = None) -> Timeline:
    """Move a title's start and/or end (timeline frames, end exclusive; None keeps it) on its track, into free
    frames only; its fades are kept within its new length. Pure; any thread."""
    ti, i, item = _picture_item(timeline, title_id)
    if type(item) is not Title:
        raise EditError(f"item {title_id} is a clip, not a title")
    s = timeline.tracks[ti].starts()[i]
    a = s if start is None else start
    b = s + item.duration if end is None else end
    for name, v in (("start", a), ("end", b)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise EditError(f"retime_title: {name} must be a frame number (>= 0), got {v!r}")
    if b <= a:
        raise EditError(f"retime_title: the end {b} is not after the start {a}")
    if (a, b) == (s, s + item.duration):
        return timeline
    tr = timeline.tracks[ti]
    ids = Ids(timeline.next_id)
    lifted = replace_range(tr, s, s + item.duration, (Gap(item.duration),), ids, timeline.rate)
    if not region_free(lifted, a, b):
        raise EditError(f"retime_title: frames {a}..{b} on track {tr.name!r} are not empty")
    look = item.look
    fade_in, fade_out = min(look.fade_in, b - a), min(look.fade_out, b - a)
    if (fade_in, fade_out) != (look.fade_in, look.fade_out):
        look = replace(look, fade_in=fade_in, fade_out=fade_out)
    new = replace(item, duration=b - a, look=look)
    placed = replace_range(lifted, a, b, (new,), ids, timeline.rate)
    return replace(timeline, tracks=timeline.tracks[:ti] + (placed,) + timeline.tracks[ti + 1:], next_id=ids.value)


def remove_title(timeline: Timeline, title_id: int) -> Timeline:
    """Take a title off its track, leaving a gap. Pure; any thread."""
    ti, i, item = _picture_item(timeline, title_id)
    if type(item) is not Title:
        raise EditError(f"item {title_id} is a clip, not a title")
    tr = timeline.tracks[ti]
    start = tr.starts()[i]
    new = replace_range(tr, start, start + item.duration, (Gap(item.duration),), Ids(timeline.next_id),
                        timeline.rate)
    return replace(timeline, tracks=timeline.tracks[:ti] + (new,) + timeline.tracks[ti + 1:])
