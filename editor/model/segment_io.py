"""Segment lists as text: CSV (LosslessCut's ``start,end,name`` and ours) and LosslessCut ``.llc`` projects.

Pure string functions, no file I/O. A time in a list is a ``TimeRef``: seconds (``12.5``,
``00:01:02.250``) or a frame (``f300``), counted from the start of the file, or from its end when it is
written with a leading ``-`` (``-5`` is five seconds before the end) or as ``end``/``end-5``. An empty end is
the end of the file. Any thread.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .errors import UserError

__all__ = ["SegmentListError", "TimeRef", "SegmentSpec", "parse_time_ref", "parse_segments_csv",
           "format_segments_csv", "parse_llc", "format_llc"]


class SegmentListError(UserError):
    """A segment list that cannot be read: one line naming the row and what is wrong."""


@dataclass(frozen=True)
class TimeRef:
    """A position in a file: ``value`` seconds (Fraction) or frames (int), from the start or the end."""

    value: Fraction | int
    from_end: bool = False

    def resolve(self, duration: Fraction, fps: Fraction) -> Fraction:
        """Seconds from the start of a file ``duration`` long at ``fps`` (clamped to [0, duration])."""
        secs = Fraction(self.value) / fps if isinstance(self.value, int) else Fraction(self.value)
        t = duration - secs if self.from_end else secs
        return max(Fraction(0), min(duration, t))

    def text(self) -> str:
        """The form ``parse_time_ref`` reads back."""
        body = f"f{self.value}" if isinstance(self.value, int) else _seconds_text(self.value)
        return f"-{body}" if self.from_end else body


@dataclass(frozen=True)
class SegmentSpec:
    """One row of a segment list: [start, end) and an optional name (``end`` None: the end of the file)."""

    start: TimeRef
    end: TimeRef | None
    name: str = ""


def _seconds_text(v: Fraction) -> str:
    text = f"{float(v):.6f}".rstrip("0").rstrip(".")
    return text or "0"


_CLOCK = re.compile(r"(?:(?:(\d+):)?(\d+):)?(\d+(?:\.\d+)?)")


def parse_time_ref(text: str) -> TimeRef:
    """``12.5``, ``1:02.5``, ``01:02:03.250``, ``f300``, ``-5``, ``end``, ``end-5``, ``-f25`` -> TimeRef.
    ValueError with a one-line message for anything else."""
    t = text.strip().lower()
    from_end = False
    if t == "end":
        return TimeRef(Fraction(0), True)
    if t.startswith("end-"):
        t, from_end = t[4:].strip(), True
    elif t.startswith("-"):
        t, from_end = t[1:].strip(), True
    m = re.fullmatch(r"f(\d+)", t)
    if m:
        return TimeRef(int(m.group(1)), from_end)
    m = _CLOCK.fullmatch(t)
    if not m:
        raise ValueError(f"'{text}' is not a time: use seconds (12.5), HH:MM:SS.mmm, f123, or -5 / end-5 "
                         "(before the end)")
    hours, minutes, seconds = m.groups()
    return TimeRef(Fraction(int(hours or 0) * 3600 + int(minutes or 0) * 60) + Fraction(seconds), from_end)


def parse_segments_csv(text: str) -> list[SegmentSpec]:
    """Rows of ``start,end[,name]`` (a header row naming ``start`` is skipped, ``#`` lines and blank lines
    too; ``;`` or tab separators are accepted). SegmentListError naming the row for a bad one."""
    text = text.lstrip("\ufeff")
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise SegmentListError("the segment list is empty")
    sample = lines[0]
    delim = ";" if sample.count(";") > sample.count(",") else ("\t" if "\t" in sample else ",")
    out: list[SegmentSpec] = []
    for n, row in enumerate(csv.reader(io.StringIO("\n".join(lines)), delimiter=delim), start=1):
        cells = [c.strip() for c in row]
        if n == 1 and cells and cells[0].lower() in ("start", "begin", "in", "from"):
            continue
        if len(cells) < 2:
            raise SegmentListError(f"segment list row {n}: expected start,end[,name], got {delim.join(row)!r}")
        try:
            start = parse_time_ref(cells[0]) if cells[0] else TimeRef(Fraction(0))
            end = parse_time_ref(cells[1]) if cells[1] else None
        except ValueError as exc:
            raise SegmentListError(f"segment list row {n}: {exc}") from None
        out.append(SegmentSpec(start, end, delim.join(cells[2:]) if len(cells) > 2 else ""))
    if not out:
        raise SegmentListError("the segment list has a header and no segments")
    return out


def format_segments_csv(rows: list[tuple[Fraction, Fraction, str]]) -> str:
    """``start,end,name`` lines in seconds (LosslessCut's CSV export form), no header."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for a, b, name in rows:
        w.writerow([_seconds_text(a), _seconds_text(b), name])
    return buf.getvalue()


def _json5_to_json(text: str) -> str:
    """Enough of JSON5 for LosslessCut's files: comments, unquoted keys, single quotes, trailing commas."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "\"'":
            j, buf = i + 1, []
            while j < n and text[j] != ch:
                if text[j] == "\\" and j + 1 < n:
                    buf.append(text[j:j + 2])
                    j += 2
                    continue
                buf.append('\\"' if text[j] == '"' else text[j])
                j += 1
            out.append('"' + "".join(buf).replace("\\'", "'") + '"')
            i = j + 1
        elif text.startswith("//", i):
            i = text.find("\n", i) if "\n" in text[i:] else n
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif ch.isalpha() or ch in "_$":
            m = re.match(r"[A-Za-z_$][A-Za-z0-9_$]*", text[i:])
            assert m
            word = m.group(0)
            rest = text[i + len(word):].lstrip()
            out.append(f'"{word}"' if rest.startswith(":") else word)
            i += len(word)
        else:
            out.append(ch)
            i += 1
    joined = "".join(out)
    return re.sub(r",\s*([}\]])", r"\1", joined)


def parse_llc(text: str) -> tuple[str, list[SegmentSpec]]:
    """A LosslessCut project (``.llc``, JSON5): (its media file name, its cut segments). Segments without an
    end run to the end of the file. SegmentListError for what is not one."""
    try:
        data: Any = json.loads(_json5_to_json(text.lstrip("\ufeff")))
    except (ValueError, AssertionError) as exc:
        raise SegmentListError(f"not a LosslessCut project (.llc): {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("cutSegments", []), list):
        raise SegmentListError("not a LosslessCut project (.llc): no cutSegments list")
    out: list[SegmentSpec] = []
    for n, seg in enumerate(data.get("cutSegments", []), start=1):
        if not isinstance(seg, dict):
            raise SegmentListError(f".llc segment {n}: not an object")
        try:
            start = Fraction(str(seg.get("start", 0) or 0))
            end = seg.get("end")
            end_ref = TimeRef(Fraction(str(end))) if end is not None else None
        except (ValueError, ZeroDivisionError):
            raise SegmentListError(f".llc segment {n}: start/end are not numbers") from None
        if start < 0:
            raise SegmentListError(f".llc segment {n}: negative start")
        out.append(SegmentSpec(TimeRef(start), end_ref, str(seg.get("name", "") or "")))
    return str(data.get("mediaFileName", "") or ""), out


def format_llc(media_file_name: str, rows: list[tuple[Fraction, Fraction, str]]) -> str:
    """A LosslessCut project (``.llc``) holding ``rows`` as its cut segments (plain JSON is valid JSON5)."""
    doc = {"version": 1, "mediaFileName": media_file_name,
           "cutSegments": [{"start": float(a), "end": float(b), "name": name} for a, b, name in rows]}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
