"""Limits on every value read back from Redis, PostgreSQL, the event channel or a file.

Anyone who can write to the servers can plant a value; a reader must never hang, crash or mislead on
one. :func:`parse_json` refuses text that is too big or nested too deeply *before* parsing it (a deeply
nested message otherwise raises RecursionError from ``json.loads``), and refuses NaN/Infinity;
:func:`check_probe_metadata` checks a ``metadata:{fingerprint}`` cache entry against the shape probe
writes (fractions as ``"num/den"`` with a few digits and a non-zero denominator, durations no longer than
a week, counts and sizes in range). :func:`escape_control` makes names and messages safe to print on a
terminal. A caller drops a bad value with one logged line (:func:`drop`). Pure; any thread. No Qt.
"""

from __future__ import annotations

import json
import logging
import math
import re
from fractions import Fraction
from typing import Any

from editor.model.serialize import json_depth_exceeds

log = logging.getLogger(__name__)

MAX_JSON_BYTES = 1 << 20
MAX_DEPTH = 32
MAX_TEXT = 4096
MAX_MEDIA_SECONDS = 7 * 24 * 3600  # a source file longer than a week is not a real one
MAX_INT = 1 << 53  # every integer the program stores fits in a double exactly

_FRACTION = re.compile(r"^\s*-?\d{1,12}\s*(/\s*\d{1,12}\s*)?$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


class BadValue(ValueError):
    """A stored or received value that does not have the shape it must have (message: why)."""


def drop(what: str, key: str, reason: object) -> None:
    """Log the one line that says a bad value was dropped."""
    log.warning("dropped a bad %s %s: %s", what, escape_control(str(key))[:120], escape_control(str(reason))[:200])


def _no_constant(name: str) -> Any:
    raise BadValue(f"{name} is not a number JSON allows here")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadValue(f"number {text[:30]} is out of range")
    return value


def parse_json(raw: bytes | str | memoryview, *, max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_DEPTH) -> Any:
    """Parse stored or received JSON within limits; BadValue (never RecursionError/MemoryError) otherwise."""
    if isinstance(raw, memoryview):
        raw = raw.tobytes()
    if not isinstance(raw, (bytes, bytearray, str)):
        raise BadValue(f"expected JSON text, got {type(raw).__name__}")
    size = len(raw)
    if size > max_bytes:
        raise BadValue(f"{size} bytes, more than the {max_bytes} allowed")
    if json_depth_exceeds(raw, max_depth):
        raise BadValue(f"nested deeper than {max_depth} levels")
    try:
        return json.loads(raw, parse_constant=_no_constant, parse_float=_finite_float)
    except BadValue:
        raise
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise BadValue(f"not valid JSON ({str(exc)[:80]})") from None


def escape_control(text: object) -> str:
    """``text`` with control characters (ESC, CR, BEL, bidi overrides…) shown as ``\\x1b`` escapes, so a
    name or a message cannot move the cursor, recolour or rewrite a terminal. Pure."""
    s = text if isinstance(text, str) else str(text)
    if not _CONTROL.search(s):
        return s
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), s)


_JSON_UNSAFE = {c: f"\\u{c:04x}" for c in [*range(0x7F, 0xA0), 0x2028, 0x2029, *range(0x202A, 0x202F),
                                             *range(0x2066, 0x206A)]}


def escape_json_text(text: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``) with the C1 controls and bidi overrides that
    JSON leaves raw written as ``\\uXXXX`` escapes: still the same JSON, but safe on a terminal."""
    return text.translate(_JSON_UNSAFE)


def fraction_text(value: object, *, positive: bool = True, max_value: float = 1e9) -> Fraction:
    """A ``"num/den"`` (or whole number) string or an int, with at most 12 digits a side, as a Fraction;
    no exponents (``"1e99999999"`` would take forever), no zero denominator."""
    if type(value) is int:
        result = Fraction(value)
    elif isinstance(value, str) and _FRACTION.match(value):
        num, _, den = value.partition("/")
        if den and int(den) == 0:
            raise BadValue(f"fraction {value!r} divides by zero")
        result = Fraction(int(num), int(den) if den else 1)
    else:
        raise BadValue(f"expected a fraction like '30000/1001', got {str(value)[:40]!r}")
    if (positive and result <= 0) or abs(result) > max_value:
        raise BadValue(f"fraction {value!r} is out of range")
    return result


def int_in(value: object, low: int, high: int, what: str, *, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if type(value) is not int or not low <= value <= high:
        raise BadValue(f"{what} must be a whole number from {low} to {high}, got {str(value)[:40]}")
    return value


def text_in(value: object, what: str, *, max_len: int = MAX_TEXT, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or len(value) > max_len:
        raise BadValue(f"{what} must be a string of at most {max_len} characters")
    return value


def number_in(value: object, low: float, high: float, what: str, *, optional: bool = False) -> float | None:
    if value is None and optional:
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) \
            or not low <= value <= high:
        raise BadValue(f"{what} must be a number from {low} to {high}, got {str(value)[:40]}")
    return float(value)


_PROBE_KEYS = {"schema", "path", "fingerprint", "size_bytes", "container", "duration", "bit_rate", "video", "audio",
               "audio_streams", "subtitles", "timecode", "origin"}
_VIDEO_KEYS = {"codec", "profile", "width", "height", "rotation", "pix_fmt", "frame_rate", "variable_frame_rate",
               "frame_count", "time_base", "bit_rate"}
_AUDIO_KEYS = {"codec", "sample_rate", "channels", "layout", "bit_rate", "index", "language", "title"}
_SUBTITLE_KEYS = {"codec", "index", "language", "title"}
_MAX_STREAMS = 256


def check_probe_metadata(obj: Any) -> None:
    """Raise BadValue unless ``obj`` has the shape of a probe result (``editor.media.probe.MediaInfo``)
    with sane values: a 10 s clip cannot come back as a million years, a rate cannot be ``1/0``."""
    if not isinstance(obj, dict) or set(obj) != _PROBE_KEYS or obj.get("schema") != 2:
        raise BadValue("not a probe result")
    text_in(obj.get("timecode"), "timecode", max_len=100, optional=True)
    fraction_text(obj.get("origin"), positive=False, max_value=MAX_MEDIA_SECONDS)
    text_in(obj.get("path"), "path")
    text_in(obj.get("fingerprint"), "fingerprint", max_len=200)
    text_in(obj.get("container"), "container", max_len=200)
    size = int_in(obj.get("size_bytes"), 0, 1 << 50, "size_bytes")
    int_in(obj.get("bit_rate"), 0, 10**11, "bit_rate", optional=True)
    duration = None
    if obj.get("duration") is not None:
        duration = fraction_text(obj["duration"], max_value=MAX_MEDIA_SECONDS)
        if size is not None and duration > max(size, 1):  # under one byte a second is no media file
            raise BadValue(f"duration {float(duration):.0f} s is impossible for a file of {size} bytes")
    video = obj.get("video")
    if video is not None:
        if not isinstance(video, dict) or set(video) != _VIDEO_KEYS:
            raise BadValue("video: not a video stream description")
        text_in(video.get("codec"), "video.codec", max_len=100)
        text_in(video.get("profile"), "video.profile", max_len=100, optional=True)
        text_in(video.get("pix_fmt"), "video.pix_fmt", max_len=100, optional=True)
        int_in(video.get("width"), 1, 1 << 16, "video.width")
        int_in(video.get("height"), 1, 1 << 16, "video.height")
        if video.get("rotation") not in (0, 90, 180, 270):
            raise BadValue("video.rotation must be 0, 90, 180 or 270")
        rate = fraction_text(video.get("frame_rate"), max_value=1000)
        fraction_text(video.get("time_base"), max_value=1)
        if type(video.get("variable_frame_rate")) is not bool:
            raise BadValue("video.variable_frame_rate must be true or false")
        count = int_in(video.get("frame_count"), 0, 1 << 40, "video.frame_count", optional=True)
        int_in(video.get("bit_rate"), 0, 10**11, "video.bit_rate", optional=True)
        if count is not None and duration is not None and count > duration * rate * 2 + 100:
            raise BadValue(f"video.frame_count {count} does not fit a duration of {float(duration):.3f} s")
    streams, subs = obj.get("audio_streams"), obj.get("subtitles")
    if not isinstance(streams, list) or not isinstance(subs, list) or len(streams) + len(subs) > _MAX_STREAMS:
        raise BadValue("audio_streams and subtitles must be lists of streams")
    for audio in ([obj["audio"]] if obj.get("audio") is not None else []) + streams:
        if not isinstance(audio, dict) or set(audio) != _AUDIO_KEYS:
            raise BadValue("audio: not an audio stream description")
        text_in(audio.get("codec"), "audio.codec", max_len=100)
        text_in(audio.get("layout"), "audio.layout", max_len=100, optional=True)
        int_in(audio.get("sample_rate"), 1, 1_000_000, "audio.sample_rate")
        int_in(audio.get("channels"), 1, 64, "audio.channels")
        int_in(audio.get("bit_rate"), 0, 10**11, "audio.bit_rate", optional=True)
        int_in(audio.get("index"), 0, 1 << 16, "audio.index")
        text_in(audio.get("language"), "audio.language", max_len=100, optional=True)
        text_in(audio.get("title"), "audio.title", max_len=1000, optional=True)
    for sub in subs:
        if not isinstance(sub, dict) or set(sub) != _SUBTITLE_KEYS:
            raise BadValue("subtitles: not a subtitle stream description")
        text_in(sub.get("codec"), "subtitles.codec", max_len=100)
        int_in(sub.get("index"), 0, 1 << 16, "subtitles.index")
        text_in(sub.get("language"), "subtitles.language", max_len=100, optional=True)
        text_in(sub.get("title"), "subtitles.title", max_len=1000, optional=True)


THUMB_MAX = 8 << 20
BLOB_MAX = 64 << 20


def check_cached(key: str, value: bytes) -> None:
    """Raise BadValue unless ``value`` is a sane cache entry for ``key`` (by its prefix)."""
    if not value:
        raise BadValue("empty value")
    if len(value) > BLOB_MAX:
        raise BadValue(f"{len(value)} bytes, more than any cache entry")
    if key.startswith("metadata:"):
        check_probe_metadata(parse_json(value, max_bytes=256 * 1024, max_depth=4))
    elif key.startswith("thumb:"):
        if len(value) > THUMB_MAX or not value.startswith(b"\xff\xd8"):
            raise BadValue("not a JPEG thumbnail")
