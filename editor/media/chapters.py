"""Chapters: named ranges of an output (segments, markers) as the container stores them (MP4/MOV, MKV).

``Chapter`` is plain data in output seconds; ``to_av`` gives the dicts PyAV's ``set_chapters`` takes;
``read_chapters`` reads them back. Any thread; never touches Qt.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

import av

if TYPE_CHECKING:
    from av.container.core import Chapter as AvChapter

__all__ = ["Chapter", "CHAPTER_CONTAINERS", "to_av", "read_chapters", "segment_chapters"]

#: Muxers that store chapters (what FFmpeg writes and reads back).
CHAPTER_CONTAINERS = ("mp4", "mov", "matroska", "webm", "ipod")
_TB = Fraction(1, 1000)


@dataclass(frozen=True)
class Chapter:
    """[start, end) in output seconds, with a title."""

    start: Fraction
    end: Fraction
    title: str


def to_av(chapters: list[Chapter]) -> list[AvChapter]:
    """PyAV's chapter dicts (millisecond time base). Any thread."""
    return [{"id": n, "start": int(round(c.start / _TB)), "end": int(round(c.end / _TB)), "time_base": _TB,
             "metadata": {"title": c.title}} for n, c in enumerate(chapters, start=1)]


def read_chapters(path: str | os.PathLike[str]) -> list[Chapter]:
    """The chapters a file holds (seconds, titles). Worker thread."""
    with av.open(str(path)) as c:
        return [Chapter(d["start"] * Fraction(d["time_base"] or _TB), d["end"] * Fraction(d["time_base"] or _TB),
                        str(d.get("metadata", {}).get("title", ""))) for d in c.chapters()]


def segment_chapters(outputs: list[tuple[Fraction, Fraction]], names: list[str]) -> list[Chapter]:
    """One chapter per joined segment (output ranges), named by the segment or "Segment n". Any thread."""
    return [Chapter(a, b, (names[i] if i < len(names) and names[i] else f"Segment {i + 1}"))
            for i, (a, b) in enumerate(outputs)]
