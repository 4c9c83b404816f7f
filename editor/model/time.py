"""Frame-exact time: rational rates, frame <-> seconds conversion, timecode parsing and formatting.

Positions and durations are ints at a rate given as a ``Fraction`` of frames per second
(``Fraction(30000, 1001)`` for 29.97). No float seconds. Every function here is pure; any thread.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

from .errors import TimecodeError

__all__ = [
    "parse_rate",
    "format_rate",
    "frames_to_seconds",
    "seconds_to_frames",
    "rescale",
    "nominal_fps",
    "is_drop_frame_rate",
    "format_timecode",
    "format_clock",
    "parse_timecode",
    "round_half_up",
]

_COMMON_RATES = {
    "23.976": Fraction(24000, 1001),
    "23.98": Fraction(24000, 1001),
    "29.97": Fraction(30000, 1001),
    "47.952": Fraction(48000, 1001),
    "59.94": Fraction(60000, 1001),
    "119.88": Fraction(120000, 1001),
}


def round_half_up(x: Fraction) -> int:
    """Nearest integer to ``x``, halves rounded up. Pure; any thread."""
    return math.floor(x + Fraction(1, 2))


_RATE_TEXT = re.compile(r"^\d{1,12}(?:\.\d{1,12})?(?:/\d{1,12}(?:\.\d{1,12})?)?$")


def parse_rate(value: str | int | Fraction) -> Fraction:
    """Parse a frame rate: ``"30000/1001"``, ``"25"``, ``"29.97"`` (= 30000/1001), an int or a Fraction.

    Raises TimecodeError for anything that is not a positive rate. Pure; any thread.
    """
    if isinstance(value, bool):
        raise TimecodeError(f"frame rate: expected a positive number, got {value!r}")
    if isinstance(value, (int, Fraction)):
        rate = Fraction(value)
    elif isinstance(value, str):
        text = value.strip()
        if text in _COMMON_RATES:
            return _COMMON_RATES[text]
        if not _RATE_TEXT.match(text):  # no exponent: Fraction("1e99999999") would compute for ever
            raise TimecodeError(
                f"frame rate: expected a number like '25', '29.97' or '30000/1001', got {value[:40]!r}"
            )
        try:
            rate = Fraction(text)
        except (ValueError, ZeroDivisionError):
            raise TimecodeError(
                f"frame rate: expected a number like '25' or '30000/1001', got {value!r}"
            ) from None
    else:
        raise TimecodeError(f"frame rate: expected a number like '25' or '30000/1001', got {value!r}")
    if rate <= 0:
        raise TimecodeError(f"frame rate: must be positive, got {value!r}")
    return rate


def format_rate(rate: Fraction) -> str:
    """``Fraction(30000, 1001)`` -> ``"30000/1001"``, ``Fraction(25)`` -> ``"25"``. Pure; any thread."""
    return str(rate.numerator) if rate.denominator == 1 else f"{rate.numerator}/{rate.denominator}"


def frames_to_seconds(frames: int, rate: Fraction) -> Fraction:
    """Exact start time in seconds of frame ``frames`` at ``rate``. Pure; any thread."""
    return Fraction(frames) / rate


def seconds_to_frames(seconds: Fraction | int | str, rate: Fraction) -> int:
    """The frame nearest to ``seconds`` (a Fraction, int or decimal string) at ``rate``. Pure; any thread."""
    return round_half_up(Fraction(seconds) * rate)


def rescale(frames: int, from_rate: Fraction, to_rate: Fraction) -> int:
    """Convert a frame count between rates, to the nearest frame. Pure; any thread."""
    if from_rate == to_rate:
        return frames
    return round_half_up(Fraction(frames) * to_rate / from_rate)


def nominal_fps(rate: Fraction) -> int:
    """The integer frames-per-second label a timecode counts with (30 for 29.97). Pure; any thread."""
    return max(1, round_half_up(rate))


def is_drop_frame_rate(rate: Fraction) -> bool:
    """True for the NTSC rates (30000/1001, 60000/1001) that drop-frame timecode exists for.
    Pure; any thread."""
    return rate.denominator == 1001 and rate.numerator in (30000, 60000)


def _drop_count(rate: Fraction) -> int:
    return 2 * nominal_fps(rate) // 30


def format_timecode(frames: int, rate: Fraction, drop_frame: bool = False) -> str:
    """``HH:MM:SS:FF`` for a frame position (``HH:MM:SS;FF`` with drop-frame at 29.97/59.94).

    Non-drop-frame counts ``nominal_fps(rate)`` frames a second. Pure; any thread.
    """
    if frames < 0:
        return "-" + format_timecode(-frames, rate, drop_frame)
    fps = nominal_fps(rate)
    sep = ":"
    if drop_frame and is_drop_frame_rate(rate):
        sep = ";"
        drop = _drop_count(rate)
        per_10min = fps * 600 - drop * 9
        per_min = fps * 60 - drop
        tens, rem = divmod(frames, per_10min)
        extra = 0 if rem < drop else drop * ((rem - drop) // per_min)
        frames = frames + drop * 9 * tens + extra
    ff = frames % fps
    total_s = frames // fps
    return f"{total_s // 3600:02d}:{total_s // 60 % 60:02d}:{total_s % 60:02d}{sep}{ff:02d}"


def format_clock(frames: int, rate: Fraction) -> str:
    """``HH:MM:SS.mmm`` (milliseconds, nearest) for a frame position. Pure; any thread."""
    if frames < 0:
        return "-" + format_clock(-frames, rate)
    ms = round_half_up(Fraction(frames) * 1000 / rate)
    s, ms = divmod(ms, 1000)
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.{ms:03d}"


_TC_RE = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2})([:;])(\d{1,3})$")
_CLOCK_RE = re.compile(r"^(?:(?:(\d+):)?(\d{1,2}):)?(\d{1,2})(?:[.,](\d{1,9}))?$")


def parse_timecode(text: str, rate: Fraction) -> int:
    """Parse a position to a frame at ``rate``.

    Accepts ``HH:MM:SS:FF`` (``;`` before FF means drop-frame), ``HH:MM:SS.mmm`` / ``MM:SS.mmm`` /
    ``SS.mmm`` (clock time, to the nearest frame) and a bare frame count ``"123f"``.
    Raises TimecodeError naming the text. Pure; any thread.
    """
    if not isinstance(text, str):
        raise TimecodeError(f"timecode: expected text, got {text!r}")
    s = text.strip()
    if s.endswith("f") and s[:-1].isdigit():
        return int(s[:-1])
    m = _TC_RE.match(s)
    if m:
        hh, mm, ss, sep, ff = (
            int(m.group(1) or 0),
            int(m.group(2)),
            int(m.group(3)),
            m.group(4),
            int(m.group(5)),
        )
        fps = nominal_fps(rate)
        if mm >= 60 or ss >= 60 or ff >= fps:
            raise TimecodeError(f"timecode {text!r}: field out of range at {fps} frames a second")
        total_min = hh * 60 + mm
        frames = (total_min * 60 + ss) * fps + ff
        if sep == ";" and is_drop_frame_rate(rate):
            drop = _drop_count(rate)
            if ss == 0 and ff < drop and mm % 10 != 0:
                raise TimecodeError(f"timecode {text!r}: frame number dropped in drop-frame timecode")
            frames -= drop * (total_min - total_min // 10)
        return frames
    m = _CLOCK_RE.match(s)
    if m and (m.group(2) is not None or m.group(4) is not None or s.isdigit()):
        hh, mm, ss = int(m.group(1) or 0), int(m.group(2) or 0), int(m.group(3))
        if (m.group(2) is not None and ss >= 60) or (m.group(1) is not None and mm >= 60):
            raise TimecodeError(f"timecode {text!r}: field out of range")
        frac = Fraction(int(m.group(4)), 10 ** len(m.group(4))) if m.group(4) else Fraction(0)
        return seconds_to_frames((hh * 60 + mm) * 60 + ss + frac, rate)
    raise TimecodeError(
        f"timecode: expected HH:MM:SS:FF, HH:MM:SS.mmm or a frame count like '12f', got {text!r}"
    )
