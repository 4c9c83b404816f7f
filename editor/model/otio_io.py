"""OpenTimelineIO interchange: export a timeline as ``.otio`` JSON text and import one back. Pure; any thread.

Mapping: tracks -> otio Track (kind Video / Audio; subtitle tracks get kind "Subtitle" and their cues become
clips with a MissingReference and the text in metadata); clips -> otio Clip with an ExternalReference (path,
available range = the whole media) and ``source_range`` = (source_in at the media rate, duration at the
timeline rate); speed -> a LinearTimeWarp effect (negative when the clip plays backwards, OTIO's way of saying
reverse); titles -> gaps (other editors see empty time); markers -> markers on the timeline's stack. Exact
values and what OTIO has no word for (rate, speed, ids, fingerprints, in/out, segments; a clip's gain, mute,
fades, crossfade, reverse and picture look; a title's text and look; a cue's imported milliseconds; a track's
mute/solo/lock/hide/gain) are kept in ``metadata["cutline"]`` so a round trip is lossless; files from other
tools import with fingerprints made from the path.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from typing import Any

import opentimelineio as otio

from ._trackops import _canonical
from .errors import EditError, TimelineFormatError
from .picture_io import look_from, title_from
from .serialize import clip_options, item_node, media_from_dict, media_to_dict, segments_from, track_options
from .time import format_rate
from .timeline import (
    MARKER_COLORS,
    Clip,
    Gap,
    Item,
    Marker,
    MediaRef,
    SubtitleCue,
    Timeline,
    Title,
    Track,
    validate,
)

__all__ = ["to_otio", "from_otio", "export_otio", "import_otio"]

_KIND_TO_OTIO = {"video": "Video", "audio": "Audio", "subtitle": "Subtitle"}
_KIND_FROM_OTIO = {v: k for k, v in _KIND_TO_OTIO.items()}
_RT = otio.opentime.RationalTime
_TR = otio.opentime.TimeRange
_TRACK_FLAGS = ("muted", "solo", "locked", "hidden")
_CLIP_EXTRAS = ("look", "gain_db", "muted", "fade_in", "fade_out", "crossfade", "reverse")


def _rt(v: int, rate: Fraction) -> Any:
    return _RT(v, float(rate))


def _media_ref(m: MediaRef) -> Any:
    ref = otio.schema.ExternalReference(
        target_url=m.path, available_range=_TR(_rt(0, m.rate), _rt(m.duration, m.rate))
    )
    ref.metadata["cutline"] = {
        "fingerprint": m.fingerprint,
        "rate": format_rate(m.rate),
        "duration": m.duration,
        "has_video": m.has_video,
        "has_audio": m.has_audio,
        "width": m.width,
        "height": m.height,
    }
    return ref


def to_otio(timeline: Timeline) -> Any:
    """The timeline as an ``otio.schema.Timeline`` object. Pure; any thread."""
    r = timeline.rate
    tl = otio.schema.Timeline(name=timeline.name)
    tl.metadata["cutline"] = {
        "rate": format_rate(r),
        "in": timeline.in_point,
        "out": timeline.out_point,
        "next_id": timeline.next_id,
        "media": [media_to_dict(m) for m in timeline.media],  # the whole bin, in order, used or not
    }
    if timeline.segments:
        tl.metadata["cutline"]["segments"] = [
            {"id": g.id, "start": g.start, "end": g.end, "name": g.name, "color": g.color, "enabled": g.enabled}
            for g in timeline.segments
        ]
    for tr in timeline.tracks:
        ot = otio.schema.Track(name=tr.name, kind=_KIND_TO_OTIO[tr.kind])
        state: dict[str, Any] = {k: True for k in _TRACK_FLAGS if getattr(tr, k)}
        if tr.gain_db:
            state["gain_db"] = float(tr.gain_db)
        if state:
            ot.metadata["cutline"] = state
        for it in tr.items:
            if type(it) is Gap:
                ot.append(otio.schema.Gap(source_range=_TR(_rt(0, r), _rt(it.duration, r))))
            elif type(it) is Title:  # a title has no media: a gap for other editors, the title in metadata
                gap = otio.schema.Gap(source_range=_TR(_rt(0, r), _rt(it.duration, r)))
                gap.metadata["cutline"] = {"id": it.id, "title": item_node(it)}
                ot.append(gap)
            elif type(it) is Clip:
                c = otio.schema.Clip(
                    name=it.name,
                    media_reference=_media_ref(it.media),
                    source_range=_TR(_rt(it.source_in, it.media.rate), _rt(it.duration, r)),
                )
                node = item_node(it)
                c.metadata["cutline"] = {
                    "id": it.id,
                    "fingerprint": it.media.fingerprint,
                    "speed": format_rate(it.speed),
                    **{k: node[k] for k in _CLIP_EXTRAS if k in node},
                }
                if it.speed != 1 or it.reverse:
                    scalar = -float(it.speed) if it.reverse else float(it.speed)
                    c.effects.append(otio.schema.LinearTimeWarp(name="speed", time_scalar=scalar))
                ot.append(c)
            else:
                assert type(it) is SubtitleCue
                c = otio.schema.Clip(
                    name=it.text.splitlines()[0][:60] if it.text else "",
                    media_reference=otio.schema.MissingReference(),
                    source_range=_TR(_rt(0, r), _rt(it.duration, r)),
                )
                c.metadata["cutline"] = {"id": it.id, "text": it.text}
                if it.times_ms is not None:
                    c.metadata["cutline"]["ms"] = list(it.times_ms)
                ot.append(c)
        tl.tracks.append(ot)
    for m in timeline.markers:
        om = otio.schema.Marker(
            name=m.label, marked_range=_TR(_rt(m.frame, r), _rt(0, r)), color=m.color.upper()
        )
        om.metadata["cutline"] = {"id": m.id}
        tl.tracks.markers.append(om)
    return tl


def export_otio(timeline: Timeline) -> str:
    """The timeline as OTIO JSON text (what ``otio.adapters.read_from_string`` loads). Pure; any thread."""
    # The core serializer, not the adapter system: that one reads plugin manifests from disk.
    return str(otio.core.serialize_json_to_string(to_otio(timeline), indent=2))


def _rate_of(x: float) -> Fraction:
    return Fraction(x).limit_denominator(1001)


def _frames(t: Any, rate: Fraction) -> int:
    return int(round(t.value_rescaled_to(float(rate))))


def _plain(v: Any) -> Any:
    """OTIO's metadata containers (AnyDictionary, AnyVector) as plain dicts and lists, all the way down."""
    if isinstance(v, (str, bytes)):
        return v
    if hasattr(v, "items"):
        return {str(k): _plain(x) for k, x in v.items()}
    if hasattr(v, "__iter__"):
        return [_plain(x) for x in v]
    return v


def _meta(obj: Any) -> dict[str, Any]:
    m = obj.metadata.get("cutline") if hasattr(obj, "metadata") else None
    plain = _plain(m) if m is not None else {}
    return plain if isinstance(plain, dict) else {}


def from_otio(tl: Any) -> Timeline:
    """A timeline from an ``otio.schema.Timeline``; TimelineFormatError for what Cutline cannot represent
    (transitions, nested stacks) or what breaks an invariant. Pure; any thread.
    """
    if not isinstance(tl, otio.schema.Timeline):
        raise TimelineFormatError(f"OTIO: expected a Timeline, got {type(tl).__name__}")
    meta = _meta(tl)
    rate: Fraction | None = Fraction(meta["rate"]) if isinstance(meta.get("rate"), str) else None
    if rate is None:
        for clip in tl.find_clips():
            if clip.source_range is not None:
                rate = _rate_of(clip.source_range.duration.rate)
                break
    rate = rate or Fraction(24)
    used: set[int] = set()
    pending: list[Any] = []  # items waiting for an id: [track index, item index]
    media: dict[str, MediaRef] = {}
    bin_meta = meta.get("media")
    if bin_meta is not None and not isinstance(bin_meta, (str, bytes)):  # an OTIO AnyVector of dicts
        for k, md in enumerate(list(bin_meta)):
            m = media_from_dict(dict(md), f"OTIO metadata media[{k}]")
            media[m.fingerprint] = m
    tracks: list[Track] = []
    built: list[list[Item]] = []
    for ti, ot in enumerate(tl.tracks):
        path = f"OTIO tracks[{ti}]"
        if not isinstance(ot, otio.schema.Track):
            raise TimelineFormatError(f"{path}: nested stacks are not supported")
        kind = _KIND_FROM_OTIO.get(ot.kind)
        if kind is None:
            raise TimelineFormatError(f"{path}: unknown track kind {ot.kind!r}")
        items: list[Item] = []
        for k, child in enumerate(ot):
            p = f"{path}.items[{k}]"
            if isinstance(child, otio.schema.Transition):
                raise TimelineFormatError(f"{p}: transitions are not supported")
            dur = _frames(child.trimmed_range().duration, rate)
            if isinstance(child, otio.schema.Gap):
                title = _meta(child).get("title")
                if kind != "video" or not isinstance(title, dict) or dur <= 0:
                    items.append(Gap(dur))
                    continue
                items.append(title_from(title, 0, dur, f"{p}.metadata.cutline.title"))
                _claim_id(_meta(child).get("id"), items, used, pending, len(built))
                continue
            if not isinstance(child, otio.schema.Clip):
                raise TimelineFormatError(f"{p}: unsupported OTIO item {type(child).__name__}")
            cm = _meta(child)
            if kind == "subtitle":
                items.append(SubtitleCue(0, dur, str(cm.get("text", child.name)), _cue_ms(cm)))
            else:
                items.append(_clip_from(child, cm, rate, media, p, dur))
            _claim_id(cm.get("id"), items, used, pending, len(built))
        built.append(items)
        tracks.append(Track(kind, ot.name, (), **track_options(_meta(ot), f"{path}.metadata.cutline")))
    next_id = max([*used, 0]) + 1
    for bi, ii in pending:
        built[bi][ii] = _with_id(built[bi][ii], next_id)
        next_id += 1
    markers = []
    for om in [*tl.tracks.markers, *[m for ot in tl.tracks for m in ot.markers]]:
        want = _meta(om).get("id")
        if type(want) is int and want > 0 and want not in used:
            mid = want
        else:
            mid, next_id = next_id, next_id + 1
        used.add(mid)
        color = str(om.color).lower()
        markers.append(
            Marker(
                mid,
                _frames(om.marked_range.start_time, rate),
                om.name,
                color if color in MARKER_COLORS else "red",
            )
        )
    meta_next = meta.get("next_id")
    next_id = max(next_id, max([*used, 0]) + 1, meta_next if isinstance(meta_next, int) else 0)
    in_p, out_p = meta.get("in"), meta.get("out")
    segments = segments_from(meta.get("segments", []), used)
    next_id = max(next_id, max([*used, 0]) + 1)
    t = Timeline(
        rate=rate,
        tracks=tuple(
            replace(tr, items=tuple(_canonical(items, True))) for tr, items in zip(tracks, built, strict=True)
        ),
        markers=tuple(sorted(markers, key=lambda m: (m.frame, m.id))),
        in_point=in_p if type(in_p) is int else None,
        out_point=out_p if type(out_p) is int else None,
        media=tuple(media.values()),
        name=tl.name or "",
        next_id=next_id,
        segments=segments,
    )
    try:
        validate(t)
    except EditError as e:
        raise TimelineFormatError(f"OTIO: {e}") from None
    return t


def _with_id(it: Item, new_id: int) -> Item:
    assert not isinstance(it, Gap)
    return replace(it, id=new_id)


def _claim_id(want: object, items: list[Item], used: set[int], pending: list[Any], track: int) -> None:
    """Give the last item its id from the file when that id is free, or queue it for a new one."""
    if type(want) is int and want > 0 and want not in used:
        used.add(want)
        items[-1] = _with_id(items[-1], want)
    else:
        pending.append((track, len(items) - 1))


def _cue_ms(cm: dict[str, Any]) -> tuple[int, int] | None:
    """A cue's imported milliseconds (an SRT export uses them only while they match the cue's length)."""
    ms = cm.get("ms")
    if not (isinstance(ms, list) and len(ms) == 2 and all(type(x) is int for x in ms) and 0 <= ms[0] <= ms[1]):
        return None
    return (ms[0], ms[1])


def _clip_from(
    child: Any, cm: dict[str, Any], rate: Fraction, media: dict[str, MediaRef], p: str, dur: int
) -> Clip:
    ref = child.media_reference
    rm = _meta(ref)
    url = getattr(ref, "target_url", None)
    if not isinstance(url, str):
        raise TimelineFormatError(f"{p}: clip {child.name!r} has no media file (only external references)")
    sr = child.source_range or child.available_range()
    if isinstance(rm.get("rate"), str):
        mrate = Fraction(rm["rate"])
    elif ref.available_range is not None:
        mrate = _rate_of(ref.available_range.duration.rate)
    else:
        mrate = _rate_of(sr.start_time.rate)
    fp = str(cm.get("fingerprint") or rm.get("fingerprint") or f"path:{url}")
    if fp not in media:
        if type(rm.get("duration")) is int:
            mdur = rm["duration"]
        elif ref.available_range is not None:
            mdur = _frames(ref.available_range.end_time_exclusive(), mrate)
        else:
            mdur = _frames(sr.end_time_exclusive(), mrate)
        media[fp] = MediaRef(
            fp,
            url,
            mdur,
            mrate,
            bool(rm.get("has_video", True)),
            bool(rm.get("has_audio", True)),
            rm.get("width"),
            rm.get("height"),
        )
    extras: dict[str, Any] = {}
    if isinstance(cm.get("speed"), str):
        speed = Fraction(cm["speed"])
        where = f"{p}.metadata.cutline"
        extras = clip_options(cm, where)
        extras["look"] = look_from(cm, dur, where)
    else:  # another tool's file: a negative time warp is OTIO's reverse
        warps = [e for e in child.effects if isinstance(e, otio.schema.LinearTimeWarp)]
        scalar = Fraction(warps[0].time_scalar).limit_denominator(1000) if warps else Fraction(1)
        if scalar == 0:
            raise TimelineFormatError(f"{p}: a freeze frame (speed 0) is not supported")
        speed = abs(scalar)
        if scalar < 0:
            extras["reverse"] = True
    return Clip(0, media[fp], _frames(sr.start_time, mrate), dur, speed, child.name, **extras)


def import_otio(text: str) -> Timeline:
    """A timeline from OTIO JSON text; TimelineFormatError when it is not OTIO or cannot be represented.
    Pure; any thread."""
    try:
        tl = otio.core.deserialize_json_from_string(text)
    except Exception as e:  # OTIO raises its own exception types from C++; any of them means "bad file"
        raise TimelineFormatError(f"not a valid OTIO file: {e}") from None
    return from_otio(tl)
