"""Edit operations: pure functions ``Timeline -> Timeline`` that keep every invariant or raise EditError.

Linked clips: a clip on a video track and one on an audio track are *linked* when they come from the
same media (same fingerprint) and line up exactly (same start, duration, source_in and speed), as
``timeline_from_media`` and ``append_media`` lay them out. Trims, splits, lifts, moves and speed changes
apply to linked partners too (``with_linked``), so picture and sound stay in sync.

Ripple: a ripple edit that removes or adds time does so on *all tracks* by default (``ripple_all=True``),
as in Shotcut's "ripple all tracks": removing ``[a, b)`` removes that range from every track (cutting
whatever spans it), adding time inserts a gap of the same length on every other track; markers and in/out
move with it. This is what a simple cut workflow expects: a ripple delete of a video clip takes its linked
audio with it and keeps everything after it in sync. With ``ripple_all=False`` only the clip's track and
its linked partners' tracks ripple, and markers stay.

Every function here is pure; any thread.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import replace
from fractions import Fraction

from ._trackops import Ids, region_free, replace_range, shift_marks_insert, shift_marks_remove, with_items
from .errors import EditError
from .time import format_rate, parse_rate, round_half_up
from .timeline import (
    Clip,
    Gap,
    Item,
    MediaRef,
    SubtitleCue,
    Timeline,
    Track,
    check_clip,
    source_factor,
    source_frames,
)

__all__ = [
    "append_clip",
    "append_media",
    "insert_clip",
    "trim_in",
    "trim_out",
    "ripple_trim_in",
    "ripple_trim_out",
    "split",
    "split_all",
    "ripple_delete",
    "ripple_delete_range",
    "lift",
    "move_clip",
    "set_speed",
    "add_track",
    "locate",
    "linked_partners",
]


# --- helpers ---------------------------------------------------------------------------------------------


def _track(t: Timeline, index: int) -> Track:
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(t.tracks):
        raise EditError(f"no track {index!r} (the timeline has {len(t.tracks)})")
    return t.tracks[index]


def locate(t: Timeline, item_id: int) -> tuple[int, int, int]:
    """(track index, item index, start frame) of the clip or cue with ``item_id``; EditError if none.
    Pure; any thread."""
    for ti, track in enumerate(t.tracks):
        i = track.index_of(item_id)
        if i is not None:
            return ti, i, track.starts()[i]
    raise EditError(f"no clip with id {item_id!r}")


def _clip(t: Timeline, clip_id: int) -> tuple[int, int, int, Clip]:
    ti, i, start = locate(t, clip_id)
    item = t.tracks[ti].items[i]
    if type(item) is not Clip:
        raise EditError(f"item {clip_id} is a subtitle cue, not a clip")
    return ti, i, start, item


def linked_partners(t: Timeline, track_index: int, item_index: int) -> list[tuple[int, int]]:
    """(track, item) indices of the clips linked to this one on tracks of the other kind (video <-> audio).
    Pure; any thread."""
    track = t.tracks[track_index]
    clip = track.items[item_index]
    if type(clip) is not Clip:
        return []
    start = track.starts()[item_index]
    out = []
    for tj, other in enumerate(t.tracks):
        if tj == track_index or other.kind == track.kind or other.kind == "subtitle":
            continue
        s = other.starts()
        k = bisect.bisect_left(s, start)
        if k < len(other.items) and s[k] == start:
            it = other.items[k]
            if (
                type(it) is Clip
                and it.media.fingerprint == clip.media.fingerprint
                and it.duration == clip.duration
                and it.source_in == clip.source_in
                and it.speed == clip.speed
            ):
                out.append((tj, k))
    return out


def _targets(t: Timeline, ti: int, i: int, with_linked: bool) -> list[tuple[int, int]]:
    return [(ti, i)] + (linked_partners(t, ti, i) if with_linked else [])


def _done(t: Timeline, tracks: dict[int, Track], ids: Ids, **changes: object) -> Timeline:
    new_tracks = tuple(tracks.get(i, tr) for i, tr in enumerate(t.tracks))
    return replace(t, tracks=new_tracks, next_id=ids.value, **changes)  # type: ignore[arg-type]


def _check_kind(track: Track, media: MediaRef, where: str) -> None:
    if track.kind == "subtitle":
        raise EditError(f"{where}: a media clip cannot go on subtitle track {track.name!r}")
    if track.kind == "video" and not media.has_video:
        raise EditError(f"{where}: {media.path!r} has no video for track {track.name!r}")
    if track.kind == "audio" and not media.has_audio:
        raise EditError(f"{where}: {media.path!r} has no audio for track {track.name!r}")


def _speed(speed: Fraction | int | str) -> Fraction:
    try:
        sp = Fraction(speed)
    except (ValueError, TypeError, ZeroDivisionError):
        raise EditError(f"speed: expected a number like '1' or '1/2', got {speed!r}") from None
    if sp <= 0:
        raise EditError(f"speed: must be positive, got {speed!r}")
    return sp


def _frame(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise EditError(f"{what}: expected a frame number >= 0, got {value!r}")
    return value


def _bin(t: Timeline, media: MediaRef) -> tuple[MediaRef, tuple[MediaRef, ...]]:
    """The bin's entry for ``media`` (the stored one wins) and the bin with it."""
    if not isinstance(media, MediaRef):
        raise EditError(f"media: expected a media reference, got {media!r}")
    known = t.media_by_fingerprint(media.fingerprint)
    if known is not None:
        return known, t.media
    return media, (*t.media, media)


def text_field(value: object, what: str) -> str:
    """``value`` if it is text that PostgreSQL's JSONB can store (no NUL character); else EditError."""
    if not isinstance(value, str):
        raise EditError(f"{what}: expected text, got {value!r}")
    if "\x00" in value:
        raise EditError(f"{what}: must not contain a NUL character")
    return value


def _basename(path: str) -> str:
    return re.split(r"[\\/]", path)[-1]


def _new_clip(
    t: Timeline,
    ids: Ids,
    media: MediaRef,
    source_in: int,
    duration: int | None,
    speed: Fraction | int | str,
    name: str | None,
) -> Clip:
    sp = _speed(speed)
    source_in = _frame(source_in, "source_in")
    if duration is None:
        n, d = source_factor(media.rate, sp, t.rate)
        duration = (media.duration - source_in) * d // n
        if duration <= 0:
            raise EditError(
                f"source_in {source_in} leaves nothing of {media.path!r} ({media.duration} frames)"
            )
    elif not isinstance(duration, int) or isinstance(duration, bool) or duration <= 0:
        raise EditError(f"duration: expected a positive number of frames, got {duration!r}")
    label = _basename(media.path) if name is None else text_field(name, "name")
    clip = Clip(ids.take(), media, source_in, duration, sp, label)
    check_clip(clip, t.rate, "new clip")
    return clip


def _ripple_remove(
    t: Timeline, a: int, b: int, track_indices: Iterable[int], ids: Ids, marks: bool
) -> Timeline:
    tracks = {}
    for ti in track_indices:
        tr = t.tracks[ti]
        if a < tr.end:
            tracks[ti] = replace_range(tr, a, b, (), ids, t.rate)
    out = _done(t, tracks, ids)
    return shift_marks_remove(out, a, b) if marks else out


def _gap_others(t: Timeline, tracks: dict[int, Track], p: int, d: int, ids: Ids, skip: set[int]) -> None:
    for ti, tr in enumerate(t.tracks):
        if ti not in skip and p < tr.end:
            tracks[ti] = replace_range(tr, p, p, (Gap(d),), ids, t.rate)


# --- operations ------------------------------------------------------------------------------------------


def add_track(timeline: Timeline, kind: str, name: str | None = None) -> Timeline:
    """Add an empty track of ``kind`` (video, audio, subtitle) after the others. Pure; any thread."""
    if kind not in ("video", "audio", "subtitle"):
        raise EditError(f"kind: expected video, audio or subtitle, got {kind!r}")
    if name is None:
        count = sum(1 for tr in timeline.tracks if tr.kind == kind) + 1
        name = f"{kind[0].upper()}{count}"
    return replace(timeline, tracks=(*timeline.tracks, Track(kind, text_field(name, "name"))))


def append_clip(
    timeline: Timeline,
    track: int,
    media: MediaRef,
    source_in: int = 0,
    duration: int | None = None,
    speed: Fraction | int | str = 1,
    name: str | None = None,
) -> Timeline:
    """Put a clip of ``media`` at the end of ``track``; ``duration`` None = the rest of the media.

    The media joins the project's bin if new (an entry with the same fingerprint already there wins).
    Pure; any thread.
    """
    tr = _track(timeline, track)
    media, bin_ = _bin(timeline, media)
    _check_kind(tr, media, "append_clip")
    ids = Ids(timeline.next_id)
    clip = _new_clip(timeline, ids, media, source_in, duration, speed, name)
    new = with_items(tr, (*tr.items, clip))
    return _done(timeline, {track: new}, ids, media=bin_)


def is_blank(timeline: Timeline) -> bool:
    """True for a timeline that holds nothing yet: no clip, cue or gap, no marker, no in/out (a new
    project). Pure; any thread."""
    return (not timeline.markers and timeline.in_point is None and timeline.out_point is None
            and all(not tr.items for tr in timeline.tracks))


def set_rate(timeline: Timeline, rate: Fraction | str | int) -> Timeline:
    """Run a blank timeline (a new project, see :func:`is_blank`) at ``rate``: a project made before any
    media was chosen takes the rate of its first video. Refused once it holds anything, whose frames are at
    the old rate. Pure; any thread."""
    new = parse_rate(rate)
    if new == timeline.rate:
        return timeline
    if not is_blank(timeline):
        raise EditError("set_rate: the timeline already holds clips, cues or marks at "
                        f"{format_rate(timeline.rate)} fps; its rate can only change while it is empty")
    return replace(timeline, rate=new)


def append_media(
    timeline: Timeline,
    media: MediaRef,
    video_track: int | None = None,
    audio_track: int | None = None,
) -> Timeline:
    """Append the whole of ``media``: its picture on the video track and its sound, linked and aligned, on the
    audio track (default: the first of each kind), both starting after the later of the two track ends.
    Pure; any thread.
    """
    media, bin_ = _bin(timeline, media)
    vt = video_track if video_track is not None else _first(timeline, "video")
    at = audio_track if audio_track is not None else _first(timeline, "audio")
    use = [ti for ti, ok in ((vt, media.has_video), (at, media.has_audio)) if ok and ti is not None]
    if not use:
        raise EditError(
            f"append_media: no track for {media.path!r} (video={media.has_video}, audio={media.has_audio})"
        )
    for ti in use:
        _check_kind(_track(timeline, ti), media, "append_media")
    start = max(timeline.tracks[ti].end for ti in use)
    ids = Ids(timeline.next_id)
    proto = _new_clip(timeline, ids, media, 0, None, 1, None)
    tracks = {}
    for k, ti in enumerate(use):
        clip = proto if k == 0 else replace(proto, id=ids.take())
        tracks[ti] = replace_range(timeline.tracks[ti], start, start, (clip,), ids, timeline.rate)
    return _done(timeline, tracks, ids, media=bin_)


def insert_media(
    timeline: Timeline,
    media: MediaRef,
    frame: int,
    video_track: int | None = None,
    audio_track: int | None = None,
) -> Timeline:
    """Insert the whole of ``media`` at ``frame``: picture and sound, linked and aligned, on the first video
    and audio tracks; every track, marker and in/out at or after ``frame`` moves later by its duration (a
    clip spanning ``frame`` is split). At or past the end it is ``append_media``. Pure; any thread.
    """
    frame = _frame(frame, "frame")
    vt = video_track if video_track is not None else _first(timeline, "video")
    at = audio_track if audio_track is not None else _first(timeline, "audio")
    media_in_bin, bin_ = _bin(timeline, media)
    use = [ti for ti, ok in ((vt, media_in_bin.has_video), (at, media_in_bin.has_audio)) if ok and ti is not None]
    if not use or frame >= max(timeline.tracks[ti].end for ti in use):
        return append_media(timeline, media, video_track, audio_track)
    for ti in use:
        _check_kind(_track(timeline, ti), media_in_bin, "insert_media")
    ids = Ids(timeline.next_id)
    proto = _new_clip(timeline, ids, media_in_bin, 0, None, 1, None)
    tracks = {}
    for k, ti in enumerate(use):
        clip = proto if k == 0 else replace(proto, id=ids.take())
        tracks[ti] = replace_range(timeline.tracks[ti], frame, frame, (clip,), ids, timeline.rate)
    _gap_others(timeline, tracks, frame, proto.duration, ids, set(use))
    return shift_marks_insert(_done(timeline, tracks, ids, media=bin_), frame, proto.duration)


def _first(t: Timeline, kind: str) -> int | None:
    for i, tr in enumerate(t.tracks):
        if tr.kind == kind:
            return i
    return None


def insert_clip(
    timeline: Timeline,
    track: int,
    frame: int,
    media: MediaRef,
    source_in: int = 0,
    duration: int | None = None,
    speed: Fraction | int | str = 1,
    name: str | None = None,
    ripple_all: bool = True,
) -> Timeline:
    """Insert a clip at ``frame`` on ``track``, pushing later items (and, with ``ripple_all``, every other
    track, markers and in/out) later by its duration; a clip spanning ``frame`` is split. Pure; any thread.
    """
    tr = _track(timeline, track)
    frame = _frame(frame, "frame")
    media, bin_ = _bin(timeline, media)
    _check_kind(tr, media, "insert_clip")
    ids = Ids(timeline.next_id)
    clip = _new_clip(timeline, ids, media, source_in, duration, speed, name)
    tracks = {track: replace_range(tr, frame, frame, (clip,), ids, timeline.rate)}
    if ripple_all:
        _gap_others(timeline, tracks, frame, clip.duration, ids, {track})
    out = _done(timeline, tracks, ids, media=bin_)
    return shift_marks_insert(out, frame, clip.duration) if ripple_all else out


def _extended_head(clip: Clip, k: int, rate: Fraction) -> Clip:
    n, d = source_factor(clip.media.rate, clip.speed, rate)
    if clip.reverse:  # a reversed clip's head shows the source's end: later frames, same source_in
        return replace(clip, duration=clip.duration + k)
    return replace(clip, source_in=clip.source_in - round_half_up(Fraction(k * n, d)), duration=clip.duration + k)


def trim_in(timeline: Timeline, clip_id: int, frame: int, with_linked: bool = True) -> Timeline:
    """Move the clip's start to ``frame`` and leave its end where it is (no ripple): trimming later leaves a
    gap, trimming earlier uses the gap before the clip and earlier source frames. Pure; any thread.
    """
    ti, i, start, clip = _clip(timeline, clip_id)
    frame = _frame(frame, "frame")
    end = start + clip.duration
    if frame >= end:
        raise EditError(f"trim_in: frame {frame} is not before the clip's end {end}")
    if frame == start:
        return timeline
    ids = Ids(timeline.next_id)
    tracks = {}
    for tj, j in _targets(timeline, ti, i, with_linked):
        tr = timeline.tracks[tj]
        c = tr.items[j]
        assert type(c) is Clip
        if frame > start:
            tracks[tj] = replace_range(tr, start, frame, (Gap(frame - start),), ids, timeline.rate)
        else:
            if not region_free(tr, frame, start):
                raise EditError(f"trim_in: frames {frame}..{start} on track {tr.name!r} are not empty")
            new = _extended_head(c, start - frame, timeline.rate)
            check_clip(new, timeline.rate, "trim_in")
            tracks[tj] = replace_range(tr, frame, end, (new,), ids, timeline.rate)
    return _done(timeline, tracks, ids)


def trim_out(timeline: Timeline, clip_id: int, frame: int, with_linked: bool = True) -> Timeline:
    """Move the clip's end to ``frame`` (exclusive) and leave its start (no ripple): trimming earlier leaves a
    gap, trimming later uses the gap after the clip and later source frames. Pure; any thread.
    """
    ti, i, start, clip = _clip(timeline, clip_id)
    frame = _frame(frame, "frame")
    end = start + clip.duration
    if frame <= start:
        raise EditError(f"trim_out: frame {frame} is not after the clip's start {start}")
    if frame == end:
        return timeline
    ids = Ids(timeline.next_id)
    tracks = {}
    for tj, j in _targets(timeline, ti, i, with_linked):
        tr = timeline.tracks[tj]
        c = tr.items[j]
        assert type(c) is Clip
        if frame < end:
            tracks[tj] = replace_range(tr, frame, end, (Gap(end - frame),), ids, timeline.rate)
        else:
            if not region_free(tr, end, frame):
                raise EditError(f"trim_out: frames {end}..{frame} on track {tr.name!r} are not empty")
            new = replace(c, duration=frame - start)
            check_clip(new, timeline.rate, "trim_out")
            tracks[tj] = replace_range(tr, start, frame, (new,), ids, timeline.rate)
    return _done(timeline, tracks, ids)


def _ripple_tracks(t: Timeline, ti: int, i: int, ripple_all: bool) -> list[int]:
    if ripple_all:
        return list(range(len(t.tracks)))
    return sorted({tj for tj, _ in _targets(t, ti, i, True)})


def _ripple_extend(
    t: Timeline, ti: int, i: int, start: int, end: int, make: object, at: int, d: int, ripple_all: bool
) -> Timeline:
    """Replace the clip (and partners) by longer ones from ``make(clip)``; others get ``d`` frames at
    ``at``."""
    ids = Ids(t.next_id)
    tracks: dict[int, Track] = {}
    for tj, j in _targets(t, ti, i, True):
        tr = t.tracks[tj]
        new = make(tr.items[j])  # type: ignore[operator]
        check_clip(new, t.rate, "ripple edit")
        tracks[tj] = replace_range(tr, start, end, (new,), ids, t.rate)
    if ripple_all:
        _gap_others(t, tracks, at, d, ids, set(tracks))
    out = _done(t, tracks, ids)
    return shift_marks_insert(out, at, d) if ripple_all else out


def ripple_trim_in(timeline: Timeline, clip_id: int, frame: int, ripple_all: bool = True) -> Timeline:
    """Trim the clip's head so the content at ``frame`` starts where the clip started, closing the gap.

    ``frame`` inside the clip removes ``[start, frame)`` (the Q key); ``frame`` before the clip extends its
    head by ``start - frame`` source frames and pushes later content. Linked partners follow.
    Pure; any thread.
    """
    ti, i, start, clip = _clip(timeline, clip_id)
    frame = _frame(frame, "frame")
    end = start + clip.duration
    if frame >= end:
        raise EditError(f"ripple_trim_in: frame {frame} is not before the clip's end {end}")
    if frame == start:
        return timeline
    if frame > start:
        ids = Ids(timeline.next_id)
        return _ripple_remove(
            timeline, start, frame, _ripple_tracks(timeline, ti, i, ripple_all), ids, ripple_all
        )
    k = start - frame
    return _ripple_extend(
        timeline, ti, i, start, end, lambda c: _extended_head(c, k, timeline.rate), start, k, ripple_all
    )


def ripple_trim_out(timeline: Timeline, clip_id: int, frame: int, ripple_all: bool = True) -> Timeline:
    """Move the clip's end to ``frame`` and move everything after it by the same amount.

    ``frame`` inside the clip removes ``[frame, end)`` (the W key); ``frame`` after the end extends the clip
    with later source frames and pushes later content. Linked partners follow. Pure; any thread.
    """
    ti, i, start, clip = _clip(timeline, clip_id)
    frame = _frame(frame, "frame")
    end = start + clip.duration
    if frame <= start:
        raise EditError(f"ripple_trim_out: frame {frame} is not after the clip's start {start}")
    if frame == end:
        return timeline
    if frame < end:
        ids = Ids(timeline.next_id)
        return _ripple_remove(
            timeline, frame, end, _ripple_tracks(timeline, ti, i, ripple_all), ids, ripple_all
        )
    k = frame - end
    return _ripple_extend(
        timeline, ti, i, start, end, lambda c: replace(c, duration=c.duration + k), end, k, ripple_all
    )


def split(timeline: Timeline, track: int, frame: int, with_linked: bool = True) -> Timeline:
    """Cut the clip or cue that ``frame`` falls strictly inside on ``track`` in two; the right part gets a new
    id. Linked partners are cut too. EditError when ``frame`` is on a boundary, in a gap or past the end.
    Pure; any thread.
    """
    tr = _track(timeline, track)
    frame = _frame(frame, "frame")
    i = tr.index_at(frame)
    if i is None or type(tr.items[i]) is Gap or tr.starts()[i] == frame:
        raise EditError(f"split: no clip on track {tr.name!r} spans frame {frame}")
    ids = Ids(timeline.next_id)
    tracks = {}
    targets = [(track, i)] + (linked_partners(timeline, track, i) if with_linked else [])
    for tj, _ in targets:
        tracks[tj] = replace_range(timeline.tracks[tj], frame, frame, (), ids, timeline.rate)
    return _done(timeline, tracks, ids)


def split_all(timeline: Timeline, frame: int) -> Timeline:
    """Cut every clip and cue that ``frame`` falls strictly inside, on all tracks (Shift+S).

    EditError when no track has one. Pure; any thread.
    """
    frame = _frame(frame, "frame")
    ids = Ids(timeline.next_id)
    tracks = {}
    for ti, tr in enumerate(timeline.tracks):
        i = tr.index_at(frame)
        if i is not None and type(tr.items[i]) is not Gap and tr.starts()[i] < frame:
            tracks[ti] = replace_range(tr, frame, frame, (), ids, timeline.rate)
    if not tracks:
        raise EditError(f"split_all: no clip spans frame {frame}")
    return _done(timeline, tracks, ids)


def ripple_delete(timeline: Timeline, clip_id: int, ripple_all: bool = True) -> Timeline:
    """Remove a clip (or cue) and close the gap: its time range is removed from every track
    (``ripple_all``) or from its own and its linked partners' tracks only. Pure; any thread.
    """
    ti, i, start = locate(timeline, clip_id)
    end = start + timeline.tracks[ti].items[i].duration
    ids = Ids(timeline.next_id)
    return _ripple_remove(timeline, start, end, _ripple_tracks(timeline, ti, i, ripple_all), ids, ripple_all)


def ripple_delete_range(
    timeline: Timeline, start: int, end: int, tracks: list[int] | None = None
) -> Timeline:
    """Remove the time ``[start, end)`` from ``tracks`` (None = all tracks, then markers and in/out move too),
    cutting items that span its edges, and close the gap. Pure; any thread.
    """
    start, end = _frame(start, "start"), _frame(end, "end")
    if end <= start:
        raise EditError(f"ripple_delete_range: end {end} must be after start {start}")
    indices = (
        list(range(len(timeline.tracks))) if tracks is None else [_check_index(timeline, t) for t in tracks]
    )
    return _ripple_remove(timeline, start, end, indices, Ids(timeline.next_id), tracks is None)


def _check_index(t: Timeline, index: int) -> int:
    _track(t, index)
    return index


def lift(timeline: Timeline, clip_id: int, with_linked: bool = True) -> Timeline:
    """Remove a clip or cue and leave a gap in its place (Delete); linked partners go too.
    Pure; any thread."""
    ti, i, start = locate(timeline, clip_id)
    end = start + timeline.tracks[ti].items[i].duration
    ids = Ids(timeline.next_id)
    tracks = {}
    for tj, _ in _targets(timeline, ti, i, with_linked):
        tracks[tj] = replace_range(timeline.tracks[tj], start, end, (Gap(end - start),), ids, timeline.rate)
    return _done(timeline, tracks, ids)


def move_clip(timeline: Timeline, clip_id: int, track: int, frame: int, with_linked: bool = True) -> Timeline:
    """Move a clip (or cue) to start at ``frame`` on ``track`` (same or another track of a fitting kind),
    leaving a gap where it was. The destination must be empty. Linked partners move by the same amount on
    their own tracks. Pure; any thread.
    """
    ti, i, start = locate(timeline, clip_id)
    dest = _track(timeline, track)
    frame = _frame(frame, "frame")
    item = timeline.tracks[ti].items[i]
    if type(item) is Clip:
        _check_kind(dest, item.media, "move_clip")
    elif type(item) is SubtitleCue and dest.kind != "subtitle":
        raise EditError(f"move_clip: a subtitle cue cannot go on {dest.kind} track {dest.name!r}")
    elif type(item) not in (Clip, SubtitleCue) and dest.kind != "video":  # a title
        raise EditError(f"move_clip: a title cannot go on {dest.kind} track {dest.name!r}")
    delta = frame - start
    movers: list[tuple[int, Item, int]] = [(track, item, ti)]
    if with_linked:
        movers += [(tj, timeline.tracks[tj].items[j], tj) for tj, j in linked_partners(timeline, ti, i)]
    ids = Ids(timeline.next_id)
    work = dict(enumerate(timeline.tracks))
    for _, it, src in movers:
        work[src] = replace_range(
            work[src], start, start + it.duration, (Gap(it.duration),), ids, timeline.rate
        )
    for dst, it, _ in movers:
        a = start + delta
        if not region_free(work[dst], a, a + it.duration):
            raise EditError(
                f"move_clip: frames {a}..{a + it.duration} on track {work[dst].name!r} are not empty"
            )
        work[dst] = replace_range(work[dst], a, a + it.duration, (it,), ids, timeline.rate)
    changed = {k: v for k, v in work.items() if v is not timeline.tracks[k]}
    return _done(timeline, changed, ids)


def set_speed(
    timeline: Timeline, clip_id: int, speed: Fraction | int | str, ripple_all: bool = True
) -> Timeline:
    """Play the clip's source range at ``speed`` (2 = twice as fast, 1/2 = slow motion): its source frames
    stay, its duration becomes ``source frames / speed`` (at least one frame), and later content ripples by
    the difference (on all tracks with ``ripple_all``). Linked partners change too. Pure; any thread.
    """
    ti, i, start, clip = _clip(timeline, clip_id)
    sp = _speed(speed)
    src = source_frames(clip, timeline.rate)
    n, d = source_factor(clip.media.rate, sp, timeline.rate)
    new_dur = src * d // n
    if new_dur < 1:
        raise EditError(f"set_speed: at speed {sp} the clip would be shorter than one frame")
    end = start + clip.duration
    delta = new_dur - clip.duration
    if delta == 0 and sp == clip.speed:
        return timeline
    if delta <= 0:
        ids = Ids(timeline.next_id)
        tracks = {}
        targets = _targets(timeline, ti, i, True)
        for tj, j in targets:
            c = timeline.tracks[tj].items[j]
            assert isinstance(c, Clip)
            new = replace(c, speed=sp, duration=new_dur)
            check_clip(new, timeline.rate, "set_speed")
            tracks[tj] = replace_range(timeline.tracks[tj], start, end, (new,), ids, timeline.rate)
        out = _done(timeline, tracks, ids)
        if delta < 0 and ripple_all:
            others = [k for k in range(len(timeline.tracks)) if k not in tracks]
            out = _ripple_remove(out, start + new_dur, end, others, ids, True)
        return out
    return _ripple_extend(
        timeline, ti, i, start, end, lambda c: replace(c, speed=sp, duration=new_dur), end, delta, ripple_all
    )
