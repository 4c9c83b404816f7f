"""SubRip (SRT) import and export of a subtitle track: text in, text out, no file I/O. Pure; any thread.

Cue times are snapped to the nearest timeline frame for editing, and each cue also keeps the milliseconds
the file gave it: an export gives those back exactly (0.500 stays 0.500 at 25 fps, not 0.520) as long as
the cue keeps its length; a cue moved by an edit elsewhere keeps its offset from the frame grid; a cue
re-timed in the editor is written at its frames. Cues that overlap after snapping are shortened to end where
the next one starts (a track cannot hold overlapping cues); a cue that would vanish is an error.
"""

from __future__ import annotations

import codecs
import datetime as _dt
from fractions import Fraction

import srt

from .errors import EditError, SubtitleFormatError
from .marks import set_cues, subtitle_track
from .time import round_half_up
from .timeline import SubtitleCue, Timeline

__all__ = ["decode_subtitle_bytes", "parse_srt", "parse_srt_timed", "import_srt", "export_srt"]

_FALLBACK_ENCODINGS = ("utf-8-sig", "cp949", "latin-1")


def decode_subtitle_bytes(data: bytes | str, encoding: str | None = None) -> str:
    """Text of a subtitle file: ``encoding`` if given, else UTF-8 (with or without BOM), then CP949 (a
    superset of EUC-KR), then Latin-1. SubtitleFormatError when an explicit encoding fails. Pure; any thread.
    """
    if isinstance(data, str):
        return data[1:] if data.startswith("\ufeff") else data
    if not isinstance(data, (bytes, bytearray)):
        raise SubtitleFormatError(f"subtitles: expected bytes or text, got {type(data).__name__}")
    if encoding is not None:
        try:
            codecs.lookup(encoding)
            text = bytes(data).decode(encoding)
        except LookupError:
            raise SubtitleFormatError(f"subtitles: unknown encoding {encoding!r}") from None
        except UnicodeDecodeError as e:
            raise SubtitleFormatError(f"subtitles: not valid {encoding} at byte {e.start}") from None
        return text[1:] if text.startswith("\ufeff") else text
    for enc in _FALLBACK_ENCODINGS:
        try:
            return bytes(data).decode(enc)
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover


def _frames(td: _dt.timedelta, rate: Fraction) -> int:
    us = (td.days * 86400 + td.seconds) * 1_000_000 + td.microseconds
    return round_half_up(Fraction(us, 1_000_000) * rate)


def _delta(frames: int, rate: Fraction) -> _dt.timedelta:
    return _dt.timedelta(microseconds=round_half_up(Fraction(frames) * 1_000_000 / rate))


def _ms(td: _dt.timedelta) -> int:
    return round_half_up(Fraction((td.days * 86400 + td.seconds) * 1_000_000 + td.microseconds, 1000))


def _snapped(times_ms: tuple[int, int], rate: Fraction) -> tuple[int, int]:
    """The frames an imported cue is put on (the rule ``parse_srt_timed`` applies)."""
    a = round_half_up(Fraction(times_ms[0], 1000) * rate)
    b = round_half_up(Fraction(times_ms[1], 1000) * rate)
    return a, max(b, a + 1)


def parse_srt(data: bytes | str, rate: Fraction, encoding: str | None = None) -> list[tuple[int, int, str]]:
    """``(start, end, text)`` cues in frames at ``rate``, sorted, not overlapping. SubtitleFormatError names
    the cue and what is wrong. Pure; any thread.
    """
    return [(a, b, text) for a, b, text, _ in parse_srt_timed(data, rate, encoding)]


def parse_srt_timed(data: bytes | str, rate: Fraction,
                    encoding: str | None = None) -> list[tuple[int, int, str, tuple[int, int]]]:
    """``(start, end, text, (start_ms, end_ms))``: the cues of :func:`parse_srt` with the milliseconds the
    file gave them, for ``set_cues``. Pure; any thread.
    """
    text = decode_subtitle_bytes(data, encoding)
    try:
        subs = list(srt.parse(text))
    except srt.SRTParseError as e:
        bad = [ln for ln in text[e.expected_start : e.actual_start].strip().splitlines() if ln.strip()]
        shown = next((ln for ln in bad if "-->" in ln), bad[0] if bad else "")
        line = text[: e.expected_start].count("\n") + 1
        raise SubtitleFormatError(
            f"subtitles: cannot parse the SRT block at line {line}: {shown[:60]!r} "
            "(broken timestamp or block)"
        ) from None
    except (ValueError, TypeError) as e:
        raise SubtitleFormatError(f"subtitles: cannot parse the SRT text: {e}") from None
    cues: list[list[object]] = []
    for sub in sorted(subs, key=lambda s: (s.start, s.end)):
        a, b = _frames(sub.start, rate), _frames(sub.end, rate)
        if sub.end < sub.start or a < 0:
            raise SubtitleFormatError(
                f"subtitles: cue {sub.index} ends ({sub.end}) before it starts ({sub.start})"
            )
        if b <= a:
            b = a + 1
        if cues and a < cues[-1][1]:  # type: ignore[operator]
            if a <= cues[-1][0]:  # type: ignore[operator]
                raise SubtitleFormatError(
                    f"subtitles: cue {sub.index} starts at the same frame as the cue before it ({sub.start})"
                )
            cues[-1][1] = a
        cues.append([a, b, sub.content, (_ms(sub.start), _ms(sub.end))])
    return [(int(c[0]), int(c[1]), str(c[2]), c[3]) for c in cues]  # type: ignore[call-overload,misc]


def import_srt(
    timeline: Timeline, data: bytes | str, encoding: str | None = None, track: int | None = None
) -> Timeline:
    """Replace the cues of a subtitle track (default: the first, created when missing) by those of an SRT
    file. On error (SubtitleFormatError) nothing is changed. Pure; any thread.
    """
    cues = parse_srt_timed(data, timeline.rate, encoding)
    try:
        return set_cues(timeline, cues, track)
    except EditError as e:
        raise SubtitleFormatError(f"subtitles: {e}") from None


def export_srt(timeline: Timeline, track: int | None = None) -> str:
    """The cues of a subtitle track (default: the first) as SRT text; an empty string when there are none.
    Pure; any thread.
    """
    ti = subtitle_track(timeline) if track is None else track
    if ti is None:
        return ""
    if not 0 <= ti < len(timeline.tracks) or timeline.tracks[ti].kind != "subtitle":
        raise EditError(f"track {ti!r} is not a subtitle track")
    tr = timeline.tracks[ti]
    s = tr.starts()
    subs: list[srt.Subtitle] = []
    rate = timeline.rate
    for i, it in enumerate(tr.items):
        if type(it) is SubtitleCue:
            start, end = _delta(s[i], rate), _delta(s[i + 1], rate)
            if it.times_ms is not None:
                a, b = _snapped(it.times_ms, rate)
                if b - a == it.duration:  # its length is as imported: give its own times back
                    shift = Fraction(s[i] - a) * 1000 / rate  # moved by edits elsewhere: same offset
                    start = _dt.timedelta(milliseconds=round_half_up(it.times_ms[0] + shift))
                    end = _dt.timedelta(milliseconds=round_half_up(it.times_ms[1] + shift))
            subs.append(srt.Subtitle(len(subs) + 1, start, end, it.text))
    return str(srt.compose(subs, reindex=False, strict=False))
