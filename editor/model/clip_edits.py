"""Edits of a clip beyond cutting: roll, slip, overwrite (paste), sound (gain, mute, fades, crossfade) and
reverse. Linked partners (see :mod:`editor.model.edits`) follow, so picture and sound stay in sync.
Pure; any thread.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

from ._trackops import Ids, piece, replace_range
from .edits import (
    _bin,
    _check_kind,
    _clip,
    _done,
    _extended_head,
    _frame,
    _new_clip,
    _targets,
    _track,
    linked_partners,
)
from .errors import EditError
from .timeline import Clip, Timeline, Track, check_clip, source_frames
from .track_edits import gain_value

__all__ = ["roll_edit", "slip_clip", "overwrite_clip", "set_clip_audio", "crossfade", "set_reverse"]


def _next_clip(t: Timeline, ti: int, i: int, what: str) -> Clip:
    tr = t.tracks[ti]
    if i + 1 >= len(tr.items) or type(tr.items[i + 1]) is not Clip:
        raise EditError(f"{what}: no clip right after this one on track {tr.name!r} (a cut between two clips)")
    return tr.items[i + 1]  # type: ignore[return-value]


def roll_edit(timeline: Timeline, clip_id: int, frame: int) -> Timeline:
    """Move the cut between the clip and the clip right after it to ``frame``: one gets longer, the other
    shorter, nothing else moves. Linked partners roll too. Pure; any thread."""
    ti, i, start, clip = _clip(timeline, clip_id)
    frame = _frame(frame, "frame")
    nxt = _next_clip(timeline, ti, i, "roll_edit")
    cut = start + clip.duration
    end = cut + nxt.duration
    if not start < frame < end:
        raise EditError(f"roll_edit: frame {frame} must be inside the two clips ({start + 1}..{end - 1})")
    if frame == cut:
        return timeline
    pairs = [(ti, i)]
    after = {tj: j for tj, j in linked_partners(timeline, ti, i + 1)}
    pairs += [(tj, j) for tj, j in linked_partners(timeline, ti, i) if after.get(tj) == j + 1]
    ids = Ids(timeline.next_id)
    tracks: dict[int, Track] = {}
    rate = timeline.rate
    for tj, j in pairs:
        tr = timeline.tracks[tj]
        a, b = tr.items[j], tr.items[j + 1]
        assert type(a) is Clip and type(b) is Clip
        if frame < cut:
            a2 = piece(a, 0, frame - start, True, ids, rate)
            b2 = _extended_head(b, cut - frame, rate)
        else:
            a2 = replace(a, duration=frame - start)
            b2 = piece(b, frame - cut, end - frame, True, ids, rate)
        check_clip(a2, rate, "roll_edit")  # type: ignore[arg-type]
        check_clip(b2, rate, "roll_edit")  # type: ignore[arg-type]
        tracks[tj] = replace_range(tr, start, end, (a2, b2), ids, rate)
    return _done(timeline, tracks, ids)


def slip_clip(timeline: Timeline, clip_id: int, frames: int) -> Timeline:
    """Show other source frames in the same place: the clip's source moves by ``frames`` (source frames,
    negative = earlier) and its position and length stay. Linked partners slip too. Pure; any thread."""
    if not isinstance(frames, int) or isinstance(frames, bool):
        raise EditError(f"slip_clip: frames must be a whole number, got {frames!r}")
    ti, i, start, clip = _clip(timeline, clip_id)
    if frames == 0:
        return timeline
    ids = Ids(timeline.next_id)
    tracks: dict[int, Track] = {}
    for tj, j in _targets(timeline, ti, i, True):
        tr = timeline.tracks[tj]
        c = tr.items[j]
        assert type(c) is Clip
        new = replace(c, source_in=c.source_in + frames)
        if new.source_in < 0 or new.source_in + source_frames(new, timeline.rate) > c.media.duration:
            room = (-c.source_in, c.media.duration - c.source_in - source_frames(c, timeline.rate))
            raise EditError(f"slip_clip: the source has room for {room[0]}..{room[1]} frames, not {frames}")
        tracks[tj] = replace_range(tr, start, start + c.duration, (new,), ids, timeline.rate)
    return _done(timeline, tracks, ids)


def overwrite_clip(timeline: Timeline, track: int, frame: int, media: object, source_in: int = 0,
                   duration: int | None = None, speed: Fraction | int | str = 1, name: str | None = None,
                   gain_db: float = 0.0, muted: bool = False, fade_in: int = 0, fade_out: int = 0,
                   reverse: bool = False) -> Timeline:
    """Put a clip of ``media`` at ``frame`` on ``track`` over whatever is there (paste): what it covers is
    replaced, nothing moves. Pure; any thread."""
    tr = _track(timeline, track)
    frame = _frame(frame, "frame")
    ref, bin_ = _bin(timeline, media)  # type: ignore[arg-type]
    _check_kind(tr, ref, "overwrite_clip")
    ids = Ids(timeline.next_id)
    clip = _new_clip(timeline, ids, ref, source_in, duration, speed, name)
    clip = replace(clip, gain_db=gain_value(gain_db), muted=bool(muted), fade_in=_frame(fade_in, "fade_in"),
                   fade_out=_frame(fade_out, "fade_out"), reverse=bool(reverse))
    check_clip(clip, timeline.rate, "overwrite_clip")
    new = replace_range(tr, frame, frame + clip.duration, (clip,), ids, timeline.rate)
    return _done(timeline, {track: new}, ids, media=bin_)


def _audio_targets(t: Timeline, ti: int, i: int) -> list[tuple[int, int]]:
    return _targets(t, ti, i, True)


def set_clip_audio(timeline: Timeline, clip_id: int, gain_db: float | None = None, muted: bool | None = None,
                   fade_in: int | None = None, fade_out: int | None = None) -> Timeline:
    """Set a clip's sound: gain (dB), mute, fade in / fade out lengths (timeline frames; at most the clip's
    length); None leaves a field. Linked partners get the same. Pure; any thread."""
    ti, i, start, clip = _clip(timeline, clip_id)
    changes: dict[str, object] = {}
    if gain_db is not None:
        changes["gain_db"] = gain_value(gain_db)
    if muted is not None:
        if not isinstance(muted, bool):
            raise EditError(f"set_clip_audio: muted must be true or false, got {muted!r}")
        changes["muted"] = muted
    for key, value in (("fade_in", fade_in), ("fade_out", fade_out)):
        if value is not None:
            v = _frame(value, key)
            if v > clip.duration:
                raise EditError(f"set_clip_audio: {key} {v} is longer than the clip ({clip.duration} frames)")
            changes[key] = v
    if not changes:
        raise EditError("set_clip_audio: nothing to set (give gain_db, muted, fade_in or fade_out)")
    return _change(timeline, _audio_targets(timeline, ti, i), start, changes)


def _change(t: Timeline, targets: list[tuple[int, int]], start: int, changes: dict[str, object]) -> Timeline:
    ids = Ids(t.next_id)
    tracks: dict[int, Track] = {}
    for tj, j in targets:
        tr = tracks.get(tj, t.tracks[tj])
        c = tr.items[j]
        assert type(c) is Clip
        s = tr.starts()[j]
        new = replace(c, **changes)  # type: ignore[arg-type]
        check_clip(new, t.rate, "clip")
        tracks[tj] = replace_range(tr, s, s + c.duration, (new,), ids, t.rate)
    return _done(t, tracks, ids)


def crossfade(timeline: Timeline, clip_id: int, frames: int) -> Timeline:
    """Cross-fade the clip's sound into the clip right after it over ``frames``: the clip's sound goes on
    for ``frames`` under the next one (source after its end, fading out) while the next one fades in.
    0 removes it. Linked partners (the sound of a picture clip) get it too. Pure; any thread."""
    frames = _frame(frames, "frames")
    ti, i, start, clip = _clip(timeline, clip_id)
    nxt = _next_clip(timeline, ti, i, "crossfade")
    if frames > nxt.duration:
        raise EditError(f"crossfade: {frames} frames is longer than the next clip ({nxt.duration} frames)")
    after = {tj: j for tj, j in linked_partners(timeline, ti, i + 1)}
    pairs = [(ti, i)] + [(tj, j) for tj, j in linked_partners(timeline, ti, i) if after.get(tj) == j + 1]
    for tj, j in pairs:
        a = timeline.tracks[tj].items[j]
        assert type(a) is Clip
        longer = replace(a, duration=a.duration + frames)
        if a.source_in + source_frames(longer, timeline.rate) > a.media.duration and not a.reverse:
            room = a.media.duration - a.source_in - source_frames(a, timeline.rate)
            raise EditError(f"crossfade: the clip's source has {room} frame(s) after its end, not {frames}")
    out = timeline
    for tj, j in pairs:
        s = out.tracks[tj].starts()
        out = _change(out, [(tj, j)], s[j], {"crossfade": frames})
        out = _change(out, [(tj, j + 1)], s[j + 1], {"fade_in": frames})
    return out


def set_reverse(timeline: Timeline, clip_id: int, reverse: bool) -> Timeline:
    """Play the clip's source range backwards (or forwards again); linked partners too. Pure; any thread."""
    if not isinstance(reverse, bool):
        raise EditError(f"set_reverse: reverse must be true or false, got {reverse!r}")
    ti, i, start, _clip_ = _clip(timeline, clip_id)
    return _change(timeline, _targets(timeline, ti, i, True), start, {"reverse": reverse})
