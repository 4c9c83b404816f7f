"""Timeline <-> JSON. Every node carries ``"schema": "Name.version"``; older versions are upgraded by
functions on plain dicts, one per version step; a newer version than this code knows is refused.

Gaps are not written: each clip and cue has an explicit ``start`` so a hand-edited or damaged file with
overlapping items is caught on load. Clips refer to the project's ``media`` list by fingerprint.
Errors name the offending field: ``tracks[0].items[3].source_in: expected an integer, got 'abc'``.

A loaded timeline may come from anyone who can write to the database or hand over a file, so loading is
bounded: text at most :data:`MAX_JSON_BYTES`, nesting too deep for the parser is an error (not a
crash), integers within ±2**53, rates and speeds as short ``"num/den"`` strings (``"1e99999999"`` would
make ``Fraction`` compute a hundred-million-digit number), and limits on counts and text lengths.
Every function here is pure; any thread.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from .errors import EditError, TimelineFormatError
from .picture_io import TITLE_SCHEMA, look_from, look_json, title_from, title_head
from .time import format_rate
from .timeline import (
    MARKER_COLORS,
    TRACK_KINDS,
    Clip,
    Gap,
    Item,
    Marker,
    MediaRef,
    Segment,
    SubtitleCue,
    Timeline,
    Title,
    Track,
    check_clip,
    source_factor,
)

__all__ = [
    "MAX_DEPTH",
    "MAX_JSON_BYTES",
    "json_depth_exceeds",
    "SCHEMA_VERSIONS",
    "SCHEMA_VERSION",
    "UPGRADES",
    "timeline_to_json",
    "timeline_to_dict",
    "timeline_from_json",
    "timeline_from_dict",
    "media_to_dict",
    "media_from_dict",
]

#: The version this code writes for each node type.
SCHEMA_VERSIONS: dict[str, int] = {
    "Timeline": 4,
    "Track": 1,
    "Clip": 1,
    "SubtitleCue": 2,
    "Marker": 1,
    "MediaRef": 1,
}
#: Node types added since the last version bump (the lead folds them into SCHEMA_VERSIONS).
_NEW_NODES: dict[str, int] = {"Title": int(TITLE_SCHEMA.rpartition(".")[2])}

#: The timeline document's version (stored in the projects table's schema_version column).
SCHEMA_VERSION = SCHEMA_VERSIONS["Timeline"]

MAX_JSON_BYTES = 256 << 20
MAX_DEPTH = 32  # a timeline nests 6 deep
MAX_INT = 1 << 53
MAX_RATE = Fraction(1_000_000)
MAX_TRACKS = 1000
MAX_ITEMS = 1_000_000
MAX_MEDIA = 100_000
MAX_MARKERS = 100_000
MAX_TEXT = 1 << 16  # names, labels, subtitle text, paths
_RATE_TEXT = re.compile(r"^\s*\d{1,12}(?:\s*/\s*\d{1,12}|\.\d{1,9})?\s*$")


_JSON_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"')  # possessive: linear even on hostile text
_INNERMOST = re.compile(rb"\[\]|\{\}")
_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")


def json_depth_exceeds(text: str | bytes, max_depth: int) -> bool:
    """Whether brackets nest deeper than ``max_depth`` outside strings, checked without parsing (so a
    hostile text cannot make ``json.loads`` recurse until RecursionError). Strings are cut out and the
    brackets left are peeled one level a pass, all in C: a few ms for megabytes. Malformed text gives
    False (the parser then says what is wrong). Pure; any thread."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
    if data.count(b"[") + data.count(b"{") <= max_depth:
        return False
    skeleton = _JSON_STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    for _ in range(max_depth):
        peeled = _INNERMOST.sub(b"", skeleton)
        if not peeled or peeled == skeleton:
            return False
        skeleton = peeled
    return True


def _timeline_1_to_2(d: dict[str, Any]) -> dict[str, Any]:
    """Timeline.1 wrote ``"rate": [num, den]`` and ``"in_out": [in, out] | null``."""
    d = dict(d)
    rate = d.pop("rate", None)
    if isinstance(rate, list) and len(rate) == 2 and all(type(x) is int for x in rate) and rate[1] != 0:
        d["rate"] = format_rate(Fraction(rate[0], rate[1]))
    else:
        d["rate"] = rate
    in_out = d.pop("in_out", None)
    d["in"], d["out"] = (
        (in_out[0], in_out[1]) if isinstance(in_out, list) and len(in_out) == 2 else (None, None)
    )
    d["schema"] = "Timeline.2"
    return d


def _timeline_2_to_3(d: dict[str, Any]) -> dict[str, Any]:
    """Timeline.3 may hold SubtitleCue.2 nodes (cues that keep their imported times); nothing else moved."""
    return {**d, "schema": "Timeline.3"}


def _cue_1_to_2(d: dict[str, Any]) -> dict[str, Any]:
    """SubtitleCue.2 adds ``"ms": [start, end] | null``, the times the cue was imported with."""
    return {**d, "ms": None, "schema": "SubtitleCue.2"}


def _timeline_3_to_4(d: dict[str, Any]) -> dict[str, Any]:
    """Timeline.4 may hold segments, titles, clip looks and sound settings, and track states (each written
    only when set); a Timeline.3 document has none of them, so only the version moves. The bump makes an
    older Cutline refuse a document it would otherwise save back without those fields."""
    return {**d, "schema": "Timeline.4"}


#: UPGRADES[name][v] turns a version-v dict of that node into a version v+1 dict.
UPGRADES: dict[str, dict[int, Callable[[dict[str, Any]], dict[str, Any]]]] = {
    "Timeline": {1: _timeline_1_to_2, 2: _timeline_2_to_3, 3: _timeline_3_to_4},
    "SubtitleCue": {1: _cue_1_to_2},
}


# --- writing -----------------------------------------------------------------------------------------------

_dumps = json.dumps


def media_to_dict(m: MediaRef) -> dict[str, Any]:
    """A media reference as a JSON-able dict (also used for edit parameters). Pure; any thread."""
    return {
        "schema": "MediaRef.1",
        "fingerprint": m.fingerprint,
        "path": m.path,
        "duration": m.duration,
        "rate": format_rate(m.rate),
        "has_video": m.has_video,
        "has_audio": m.has_audio,
        "width": m.width,
        "height": m.height,
    }


def _item_head(it: Clip | SubtitleCue | Title) -> str:
    """The item's JSON up to its ``start`` value, which comes last (the only field that an edit elsewhere on
    the track changes). Cached on the item: items are immutable."""
    head = it._json
    if head is None:
        if isinstance(it, Clip):
            sp = it.speed
            head = (
                f'{{"schema":"Clip.1","id":{it.id},"media":{_dumps(it.media.fingerprint)},'
                f'"source_in":{it.source_in},"duration":{it.duration},'
                f'"speed":"{format_rate(sp) if sp != 1 else 1}","name":{_dumps(it.name)},'
                f'{look_json(it.look)}{_clip_extras(it)}"start":'
            )
        elif type(it) is Title:
            head = title_head(it)
        else:
            ms = "null" if it.times_ms is None else f"[{it.times_ms[0]},{it.times_ms[1]}]"
            head = (
                f'{{"schema":"SubtitleCue.2","id":{it.id},"duration":{it.duration},'
                f'"text":{_dumps(it.text)},"ms":{ms},"start":'
            )
        object.__setattr__(it, "_json", head)
    return head


def item_node(it: Clip | SubtitleCue | Title) -> dict[str, Any]:
    """The item as a project document holds it (its ``start`` 0): what interchange formats keep beside their
    own fields so a round trip through them loses nothing. Pure; any thread."""
    node: dict[str, Any] = json.loads(_item_head(it) + "0}")
    return node


def _clip_extras(c: Clip) -> str:
    """The optional sound/reverse fields of a clip that differ from their defaults, each ending in ``,``."""
    out = ""
    if c.gain_db:
        out += f'"gain_db":{_dumps(float(c.gain_db))},'
    if c.muted:
        out += '"muted":true,'
    if c.fade_in:
        out += f'"fade_in":{c.fade_in},'
    if c.fade_out:
        out += f'"fade_out":{c.fade_out},'
    if c.crossfade:
        out += f'"crossfade":{c.crossfade},'
    if c.reverse:
        out += '"reverse":true,'
    return out


def _track_extras(tr: Track) -> str:
    """The optional state fields of a track that differ from their defaults, each ending in ``,``."""
    out = "".join(f'"{k}":true,' for k in ("muted", "solo", "locked", "hidden") if getattr(tr, k))
    if tr.gain_db:
        out += f'"gain_db":{_dumps(float(tr.gain_db))},'
    return out


def _track_json(tr: Track) -> str:
    """A track's JSON, cached on the (immutable) track: an edit re-joins only the tracks it changed, and
    each item costs one string concatenation (its cached head + its start)."""
    cached = tr._json
    if cached is not None:
        return cached
    parts = [
        (it._json or _item_head(it)) + str(st)  # type: ignore[union-attr,arg-type]
        for it, st in zip(tr.items, tr.starts())  # noqa: B905 - starts has one more entry (the end)
        if type(it) is not Gap
    ]
    text = (
        f'{{"schema":"Track.1","kind":{_dumps(tr.kind)},"name":{_dumps(tr.name)},{_track_extras(tr)}"items":['
        + "},".join(parts)
        + ("}]}" if parts else "]}")
    )
    object.__setattr__(tr, "_json", text)
    return text


def timeline_to_json(timeline: Timeline, indent: int | None = None) -> str:
    """The timeline as JSON text (compact unless ``indent``). Fast: per-item JSON is cached on the immutable
    items, so re-serializing after an edit costs a string join. Pure; any thread.
    """
    if indent is not None:
        return json.dumps(timeline_to_dict(timeline), indent=indent, ensure_ascii=False)
    t = timeline
    markers = [
        {"schema": "Marker.1", "id": m.id, "frame": m.frame, "label": m.label, "color": m.color}
        for m in t.markers
    ]
    head = {
        "schema": f"Timeline.{SCHEMA_VERSION}",
        "name": t.name,
        "rate": format_rate(t.rate),
        "next_id": t.next_id,
        "in": t.in_point,
        "out": t.out_point,
        "media": [media_to_dict(m) for m in t.media],
        "markers": markers,
    }
    if t.segments:  # written only when there are some, so documents without them stay as they were
        head["segments"] = [{"id": g.id, "start": g.start, "end": g.end, "name": g.name, "color": g.color,
                             "enabled": g.enabled} for g in t.segments]
    text = _dumps(head, separators=(",", ":"))
    return text[:-1] + ',"tracks":[' + ",".join(_track_json(tr) for tr in t.tracks) + "]}"


def timeline_to_dict(timeline: Timeline) -> dict[str, Any]:
    """The timeline as plain JSON-able dicts and lists (same content as ``timeline_to_json``).
    Pure; any thread."""
    result: dict[str, Any] = json.loads(timeline_to_json(timeline))
    return result


# --- reading -----------------------------------------------------------------------------------------------


def _fail(path: str, msg: str) -> TimelineFormatError:
    return TimelineFormatError(f"{path}: {msg}" if path else msg)


def _show(v: object) -> str:
    if isinstance(v, (list, dict)):
        return f"a {'list' if isinstance(v, list) else 'object'} of {len(v)} entries"
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) > MAX_INT:
        return "a number too large"
    s = repr(v[:80]) if isinstance(v, str) else repr(v)
    return s if len(s) <= 60 else s[:57] + "..."


_TYPE_NAMES = {int: "an integer", str: "a string", bool: "true or false", list: "a list", dict: "an object"}


def _any(v: Any) -> Any:
    return v


def _get(d: dict[str, Any], key: str, typ: type, path: str, optional: bool = False) -> Any:
    if key not in d:
        if optional:
            return None
        raise _fail(f"{path}.{key}" if path else key, "missing field")
    v = d[key]
    if v is None and optional:
        return None
    if type(v) is not typ:
        p = f"{path}.{key}" if path else key
        raise _fail(p, f"expected {_TYPE_NAMES[typ]}{' or null' if optional else ''}, got {_show(v)}")
    v = _any(v)
    if typ is int and not -MAX_INT <= v <= MAX_INT:
        raise _fail(f"{path}.{key}" if path else key, f"out of range (at most {MAX_INT})")
    if typ is str and len(v) > MAX_TEXT:
        raise _fail(f"{path}.{key}" if path else key, f"longer than {MAX_TEXT} characters")
    if typ is list:
        limit = {"tracks": MAX_TRACKS, "items": MAX_ITEMS, "media": MAX_MEDIA, "markers": MAX_MARKERS}.get(key)
        if limit is not None and len(v) > limit:
            raise _fail(f"{path}.{key}" if path else key, f"more than {limit} entries")
    return v


def _node(d: object, name: str | tuple[str, ...], path: str) -> tuple[str, dict[str, Any]]:
    """Check a node's schema, upgrade it to the current version, return (name, dict)."""
    if type(d) is not dict:
        raise _fail(path, f"expected an object, got {_show(d)}")
    schema = _get(d, "schema", str, path)
    nm, _, ver = schema.rpartition(".")
    names = (name,) if isinstance(name, str) else name
    if nm not in names or not ver.isdigit():
        raise _fail(
            f"{path}.schema" if path else "schema",
            f"expected {' or '.join(n + '.N' for n in names)}, got {_show(schema)}",
        )
    v, current = int(ver), SCHEMA_VERSIONS.get(nm) or _NEW_NODES[nm]
    if v > current:
        raise _fail(
            path,
            f"{schema} is newer than this version of Cutline understands ({nm}.{current}); "
            "update Cutline to open it",
        )
    while v < current:
        step = UPGRADES.get(nm, {}).get(v)
        if step is None:
            raise _fail(path, f"{nm}.{v} is too old to upgrade (no upgrade from version {v})")
        d = step(d)
        v += 1
    return nm, d


def _rate(v: object, path: str) -> Fraction:
    if type(v) is int and 0 < v <= MAX_RATE:
        return Fraction(v)
    if type(v) is str and _RATE_TEXT.match(v):  # no exponents: Fraction("1e99999999") never ends
        try:
            r = Fraction(v.replace(" ", ""))
        except (ValueError, ZeroDivisionError):
            r = Fraction(0)
        if 0 < r <= MAX_RATE:
            return r
    raise _fail(path, f'expected a positive rate like "25" or "30000/1001", got {_show(v)}')


def media_from_dict(d: object, path: str = "media") -> MediaRef:
    """A MediaRef from its dict; TimelineFormatError naming the bad field. Pure; any thread."""
    _, d = _node(d, "MediaRef", path)
    duration = _get(d, "duration", int, path)
    if duration <= 0:
        raise _fail(f"{path}.duration", f"must be positive, got {duration}")
    return MediaRef(
        fingerprint=_get(d, "fingerprint", str, path),
        path=_get(d, "path", str, path),
        duration=duration,
        rate=_rate(d.get("rate"), f"{path}.rate"),
        has_video=_get(d, "has_video", bool, path),
        has_audio=_get(d, "has_audio", bool, path),
        width=_get(d, "width", int, path, optional=True),
        height=_get(d, "height", int, path, optional=True),
    )


_SPEEDS: dict[str, Fraction] = {"1": Fraction(1)}


def _track_from(d: object, path: str, rate: Fraction, bin_: dict[str, MediaRef], ids: set[int]) -> Track:
    _, d = _node(d, "Track", path)
    kind = _get(d, "kind", str, path)
    if kind not in TRACK_KINDS:
        raise _fail(f"{path}.kind", f"expected one of {', '.join(TRACK_KINDS)}, got {_show(kind)}")
    name = _get(d, "name", str, path)
    raw = _get(d, "items", list, path)
    items: list[Item] = []
    pos = 0
    factors: dict[tuple[str, str], tuple[int, int]] = {}
    for k, node in enumerate(raw):
        # Fast path for a well-formed current clip; anything unusual goes the careful way below, which names
        # the problem precisely.
        if type(node) is dict and len(node) == 8 and node.get("schema") == "Clip.1" and kind != "subtitle":
            start, item_id, dur = node.get("start"), node.get("id"), node.get("duration")
            src, fp, sp, nm = node.get("source_in"), node.get("media"), node.get("speed"), node.get("name")
            if (
                type(start) is int
                and type(item_id) is int
                and type(dur) is int
                and type(src) is int
                and type(fp) is str
                and type(sp) is str
                and type(nm) is str
                and start >= pos
                and 0 < dur < MAX_INT
                and 0 <= src < MAX_INT
                and start < MAX_INT
                and 0 < item_id < MAX_INT
                and item_id not in ids
            ):
                media = bin_.get(fp)
                speed = _SPEEDS.get(sp)
                if media is not None and speed is not None:
                    f = factors.get((fp, sp))
                    if f is None:
                        f = factors[(fp, sp)] = source_factor(media.rate, speed, rate)
                    if src - (-dur * f[0] // f[1]) <= media.duration:
                        ids.add(item_id)
                        if start > pos:
                            items.append(Gap(start - pos))
                        pos = start + dur
                        items.append(Clip(item_id, media, src, dur, speed, nm))
                        continue
        p = f"{path}.items[{k}]"
        nm, node = _node(node, ("Clip", "SubtitleCue", "Title"), p)
        start = _get(node, "start", int, p)
        item_id = _get(node, "id", int, p)
        dur = _get(node, "duration", int, p)
        if dur <= 0:
            raise _fail(f"{p}.duration", f"must be positive, got {dur}")
        if start < pos:
            raise _fail(
                p, f"overlaps {path}.items[{k - 1}] (starts at {start}, the item before ends at {pos})"
            )
        if item_id in ids or item_id <= 0:
            raise _fail(f"{p}.id", f"duplicate or invalid id {item_id}")
        ids.add(item_id)
        if start > pos:
            items.append(Gap(start - pos))
        pos = start + dur
        if nm == "Clip":
            if kind == "subtitle":
                raise _fail(p, "a media clip on a subtitle track")
            fp = _get(node, "media", str, p)
            media = bin_.get(fp)
            if media is None:
                raise _fail(
                    f"{p}.media", f"no media with fingerprint {_show(fp)} in the project's media list"
                )
            sp_text = _get(node, "speed", str, p)
            speed = _SPEEDS.get(sp_text)
            if speed is None:
                speed = _rate(sp_text, f"{p}.speed")
                if len(_SPEEDS) < 1000:
                    _SPEEDS[sp_text] = speed
            clip = Clip(
                item_id, media, _get(node, "source_in", int, p), dur, speed, _get(node, "name", str, p),
                look_from(node, dur, p),
                **clip_options(node, p),
            )
            try:
                check_clip(clip, rate, p)
            except EditError as e:
                raise TimelineFormatError(str(e)) from None
            items.append(clip)
        elif nm == "Title":
            if kind != "video":
                raise _fail(p, f"a title on a {kind} track")
            items.append(title_from(node, item_id, dur, p))
        else:
            if kind != "subtitle":
                raise _fail(p, f"a subtitle cue on a {kind} track")
            items.append(SubtitleCue(item_id, dur, _get(node, "text", str, p), _cue_ms(node, p)))
    return Track(kind, name, tuple(items), **track_options(d, path))


_MAX_GAIN_DB = 60.0


def _gain(node: dict[str, Any], path: str) -> float:
    v = node.get("gain_db", 0)
    if type(v) not in (int, float) or not -_MAX_GAIN_DB * 4 <= v <= _MAX_GAIN_DB:
        raise _fail(f"{path}.gain_db", f"expected a number of dB from -240 to 60, got {_show(v)}")
    return float(v)


def clip_options(node: dict[str, Any], path: str) -> dict[str, Any]:
    """The optional fields of a clip (absent: the default)."""
    out: dict[str, Any] = {}
    if "gain_db" in node:
        out["gain_db"] = _gain(node, path)
    for key in ("muted", "reverse"):
        if key in node:
            out[key] = _get(node, key, bool, path)
    for key in ("fade_in", "fade_out", "crossfade"):
        if key in node:
            v = _get(node, key, int, path)
            if v < 0:
                raise _fail(f"{path}.{key}", f"must be >= 0, got {v}")
            out[key] = v
    return out


def track_options(node: dict[str, Any], path: str) -> dict[str, Any]:
    """The optional state fields of a track (absent: the default)."""
    out: dict[str, Any] = {k: _get(node, k, bool, path) for k in ("muted", "solo", "locked", "hidden") if k in node}
    if "gain_db" in node:
        out["gain_db"] = _gain(node, path)
    return out


def _cue_ms(node: dict[str, Any], path: str) -> tuple[int, int] | None:
    ms = _get(node, "ms", list, path, optional=True)
    if ms is None:
        return None
    if len(ms) != 2 or not all(type(x) is int for x in ms) or not 0 <= ms[0] <= ms[1]:
        raise _fail(f"{path}.ms", f"expected [start, end] in milliseconds (0 <= start <= end) or null, got {_show(ms)}")
    return ms[0], ms[1]


def timeline_from_dict(data: object) -> Timeline:
    """Load a timeline from parsed JSON, upgrading older schema versions.

    TimelineFormatError names the first bad field; nothing else is changed. Pure; any thread.
    """
    _, d = _node(data, "Timeline", "")
    rate = _rate(d.get("rate"), "rate")
    name = _get(d, "name", str, "")
    next_id = _get(d, "next_id", int, "")
    media_list = _get(d, "media", list, "")
    bin_: dict[str, MediaRef] = {}
    media: list[MediaRef] = []
    for k, md in enumerate(media_list):
        m = media_from_dict(md, f"media[{k}]")
        if m.fingerprint in bin_:
            raise _fail(f"media[{k}].fingerprint", f"duplicate fingerprint {_show(m.fingerprint)}")
        bin_[m.fingerprint] = m
        media.append(m)
    ids: set[int] = set()
    tracks = tuple(
        _track_from(td, f"tracks[{k}]", rate, bin_, ids) for k, td in enumerate(_get(d, "tracks", list, ""))
    )
    markers = []
    for k, md in enumerate(_get(d, "markers", list, "")):
        p = f"markers[{k}]"
        _, md = _node(md, "Marker", p)
        mid = _get(md, "id", int, p)
        frame = _get(md, "frame", int, p)
        color = _get(md, "color", str, p)
        if frame < 0:
            raise _fail(f"{p}.frame", f"must be >= 0, got {frame}")
        if color not in MARKER_COLORS:
            raise _fail(f"{p}.color", f"expected one of {', '.join(MARKER_COLORS)}, got {_show(color)}")
        if mid in ids or mid <= 0:
            raise _fail(f"{p}.id", f"duplicate or invalid id {mid}")
        ids.add(mid)
        markers.append(Marker(mid, frame, _get(md, "label", str, p), color))
    if ids and max(ids) >= next_id:
        raise _fail(
            "next_id", f"must be greater than every id in the file (largest is {max(ids)}), got {next_id}"
        )
    in_point = _get(d, "in", int, "", optional=True)
    out_point = _get(d, "out", int, "", optional=True)
    for key, v in (("in", in_point), ("out", out_point)):
        if v is not None and v < 0:
            raise _fail(key, f"must be >= 0, got {v}")
    if in_point is not None and out_point is not None and in_point >= out_point:
        raise _fail("in", f"in point {in_point} must be before out point {out_point}")
    markers.sort(key=lambda m: (m.frame, m.id))
    segments = segments_from(d.get("segments", []), ids)
    if ids and max(ids) >= next_id:
        raise _fail(
            "next_id", f"must be greater than every id in the file (largest is {max(ids)}), got {next_id}"
        )
    return Timeline(
        rate=rate,
        tracks=tracks,
        markers=tuple(markers),
        in_point=in_point,
        out_point=out_point,
        media=tuple(media),
        name=name,
        next_id=next_id,
        segments=segments,
    )


def segments_from(value: object, ids: set[int]) -> tuple[Segment, ...]:
    """The optional ``segments`` list (absent: none). TimelineFormatError names a bad field."""
    if not isinstance(value, list):
        raise _fail("segments", f"expected a list, got {_show(value)}")
    if len(value) > MAX_MARKERS:
        raise _fail("segments", f"more than {MAX_MARKERS} segments")
    out = []
    for k, sd in enumerate(value):
        p = f"segments[{k}]"
        if not isinstance(sd, dict):
            raise _fail(p, f"expected an object, got {_show(sd)}")
        sid = _get(sd, "id", int, p)
        start, end = _get(sd, "start", int, p), _get(sd, "end", int, p)
        color = _get(sd, "color", str, p)
        enabled = sd.get("enabled", True)
        if not isinstance(enabled, bool):
            raise _fail(f"{p}.enabled", f"expected true or false, got {_show(enabled)}")
        if start < 0 or end <= start:
            raise _fail(f"{p}.start", f"expected 0 <= start < end, got {start}-{end}")
        if color not in MARKER_COLORS:
            raise _fail(f"{p}.color", f"expected one of {', '.join(MARKER_COLORS)}, got {_show(color)}")
        if sid in ids or sid <= 0:
            raise _fail(f"{p}.id", f"duplicate or invalid id {sid}")
        ids.add(sid)
        out.append(Segment(sid, start, end, _get(sd, "name", str, p), color, enabled))
    return tuple(out)


def timeline_from_json(text: str | bytes) -> Timeline:
    """Parse JSON text (or UTF-8 bytes) into a timeline; TimelineFormatError with line/column for bad JSON and
    the field path for bad content. Pure; any thread.
    """
    if not isinstance(text, (str, bytes, bytearray)):
        raise TimelineFormatError(f"not valid JSON: expected text, got {type(text).__name__}")
    if len(text) > MAX_JSON_BYTES:
        raise TimelineFormatError(f"too large: {len(text)} bytes (at most {MAX_JSON_BYTES})")
    try:
        # Deep nesting ends as RecursionError inside the C parser, at once; the loader below walks only
        # the fields it knows, so no prescan is needed here (it would cost on every large project).
        data = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as e:
        raise TimelineFormatError(f"not valid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    except (UnicodeDecodeError, TypeError, ValueError, RecursionError) as e:
        raise TimelineFormatError(f"not valid JSON: {str(e)[:100]}") from None
    return timeline_from_dict(data)


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a number a timeline can hold")
