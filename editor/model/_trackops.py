"""Private building blocks for edits: replace a time range of a track, shift markers, allocate ids.

Every edit in ``edits.py`` is a few calls to ``replace_range``, which touches only the items around the range
(the rest of the tuple is copied by reference) and keeps the track canonical. Pure; any thread.
"""

from __future__ import annotations

import bisect
from dataclasses import replace
from fractions import Fraction

from .picture import DEFAULT_LOOK, Look
from .timeline import Clip, Gap, Item, Marker, SubtitleCue, Timeline, Title, Track, source_factor


class Ids:
    """Hands out new item ids during one edit; ``value`` becomes the timeline's ``next_id``."""

    __slots__ = ("value",)

    def __init__(self, start: int) -> None:
        self.value = start

    def take(self) -> int:
        v = self.value
        self.value += 1
        return v


def piece(item: Item, offset: int, length: int, keep_id: bool, ids: Ids, rate: Fraction) -> Item:
    """The part ``[offset, offset + length)`` of an item (a new id unless ``keep_id``)."""
    if type(item) is Gap:
        return Gap(length)
    new_id = item.id if keep_id else ids.take()  # type: ignore[union-attr]
    if type(item) is Clip:
        n, d = source_factor(item.media.rate, item.speed, rate)
        look = piece_look(item.look, offset, length, item.duration)
        if item.gain_db or item.muted or item.fade_in or item.fade_out or item.crossfade or item.reverse:
            return replace(_clip_piece(item, new_id, offset, length, n, d), look=look)
        return Clip(new_id, item.media, item.source_in + offset * n // d, length, item.speed, item.name, look)
    if type(item) is Title:
        return replace(item, id=new_id, duration=length, look=piece_look(item.look, offset, length, item.duration))
    assert type(item) is SubtitleCue
    whole = offset == 0 and length == item.duration  # moved, not cut: it keeps its imported times
    return SubtitleCue(new_id, length, item.text, item.times_ms if whole else None)


def piece_look(look: Look, offset: int, length: int, duration: int) -> Look:
    """The look of the part ``[offset, offset + length)`` of an item: the head keeps its fade in and
    dissolve, the tail its fade out (each shortened to fit the part)."""
    if look is DEFAULT_LOOK or (offset == 0 and length == duration):
        return look
    head, tail = offset == 0, offset + length == duration
    out = replace(look, fade_in=min(look.fade_in, length) if head else 0,
                  dissolve=look.dissolve if head else 0,
                  fade_out=min(look.fade_out, length) if tail else 0)
    if out.fade_in + out.fade_out > length:
        out = replace(out, fade_out=length - out.fade_in)
    return DEFAULT_LOOK if out == DEFAULT_LOOK else out


def _clip_piece(item: Clip, new_id: int, offset: int, length: int, n: int, d: int) -> Clip:
    """A piece of a clip with sound settings or reversed: the head keeps the fade in, the tail the fade out
    and the crossfade; a reversed clip's piece takes the mirrored source range."""
    head = offset == 0
    tail = offset + length == item.duration
    if item.reverse:  # timeline offset k shows source frame (end - 1 - k): a piece keeps the far part
        src = item.source_in + (item.duration - offset - length) * n // d
    else:
        src = item.source_in + offset * n // d
    return replace(item, id=new_id, source_in=src, duration=length,
                   fade_in=min(item.fade_in, length) if head else 0,
                   fade_out=min(item.fade_out, length) if tail else 0,
                   crossfade=item.crossfade if tail else 0)


def _canonical(middle: list[Item], at_end: bool) -> list[Item]:
    out: list[Item] = []
    for it in middle:
        if type(it) is Gap:
            if it.duration <= 0:
                continue
            if out and type(out[-1]) is Gap:
                out[-1] = Gap(out[-1].duration + it.duration)
                continue
        out.append(it)
    if at_end:
        while out and type(out[-1]) is Gap:
            out.pop()
    return out


def splice(
    items: tuple[Item, ...], lo: int, hi: int, middle: tuple[Item, ...] | list[Item]
) -> tuple[Item, ...]:
    """``items[:lo] + middle + items[hi:]``, merging and dropping gaps next to the seams."""
    mid = list(middle)
    if lo > 0 and type(items[lo - 1]) is Gap:
        lo -= 1
        mid.insert(0, items[lo])
    if hi < len(items) and type(items[hi]) is Gap:
        mid.append(items[hi])
        hi += 1
    return items[:lo] + tuple(_canonical(mid, hi == len(items))) + items[hi:]


def replace_range(track: Track, a: int, b: int, middle: tuple[Item, ...], ids: Ids, rate: Fraction) -> Track:
    """Replace the time ``[a, b)`` of ``track`` by ``middle`` (longer or shorter: later items move).

    Items cut at ``a`` keep their id for the left part; an item cut at ``b`` gets a new id for its right part
    unless its left part was removed. ``a`` past the end pads with a gap.
    """
    items = track.items
    s = track.starts()
    n = len(items)
    end = s[-1]
    pre: tuple[Item, ...] = ()
    post: tuple[Item, ...] = ()
    if a >= end:
        lo = hi = n
        if a > end:
            pre = (Gap(a - end),)
    else:
        lo = bisect.bisect_right(s, a) - 1
        if s[lo] < a:
            pre = (piece(items[lo], 0, a - s[lo], True, ids, rate),)
        if b >= end:
            hi = n
        else:
            j = bisect.bisect_right(s, b) - 1
            if s[j] == b:
                hi = j
            else:
                hi = j + 1
                keep = not (j == lo and pre)
                post = (piece(items[j], b - s[j], s[j + 1] - b, keep, ids, rate),)
    return with_items(track, splice(items, lo, hi, pre + middle + post))


def with_items(track: Track, items: tuple[Item, ...]) -> Track:
    """``track`` holding ``items``, its state (mute, solo, lock, hide, gain) kept."""
    if track.muted or track.solo or track.locked or track.hidden or track.gain_db:
        return replace(track, items=items)
    return Track(track.kind, track.name, items)


def region_free(track: Track, a: int, b: int) -> bool:
    """True when ``[a, b)`` of the track holds only gaps (or lies past its end)."""
    s = track.starts()
    if a >= s[-1]:
        return True
    i = bisect.bisect_right(s, a) - 1
    n = len(track.items)
    while i < n and s[i] < b:
        if type(track.items[i]) is not Gap:
            return False
        i += 1
    return True


def shift_marks_remove(t: Timeline, a: int, b: int) -> Timeline:
    """Markers and in/out after removing ``[a, b)``: inside ones go (points move to ``a``), later ones
    move up."""
    d = b - a
    markers = tuple(
        m if m.frame < a else replace(m, frame=m.frame - d) for m in t.markers if not a <= m.frame < b
    )

    def move(p: int | None) -> int | None:
        if p is None or p < a:
            return p
        return a if p < b else p - d

    i, o = move(t.in_point), move(t.out_point)
    if i is not None and o is not None and i >= o:
        i = o = None
    return replace(t, markers=markers, in_point=i, out_point=o)


def shift_marks_insert(t: Timeline, p: int, d: int) -> Timeline:
    """Markers and in/out after inserting ``d`` frames at ``p``: those at or after ``p`` move later."""
    markers = tuple(m if m.frame < p else replace(m, frame=m.frame + d) for m in t.markers)
    i = t.in_point if t.in_point is None or t.in_point < p else t.in_point + d
    o = t.out_point if t.out_point is None or t.out_point <= p else t.out_point + d
    return replace(t, markers=markers, in_point=i, out_point=o)


def sorted_markers(markers: list[Marker] | tuple[Marker, ...]) -> tuple[Marker, ...]:
    return tuple(sorted(markers, key=lambda m: (m.frame, m.id)))
