from __future__ import annotations

from fractions import Fraction

import pytest

from editor.model.navigate import timeline_from_media
from editor.model.timeline import Clip, MediaRef, Timeline, validate

A = MediaRef("fp-a", "/media/a.mov", 250, Fraction(25), True, True, 1920, 1080)
B = MediaRef("fp-b", "/media/b.wav", 100, Fraction(25), False, True)
C = MediaRef("fp-c", "/media/c.mov", 300, Fraction(25), True, False, 1280, 720)
NTSC = MediaRef("fp-n", "/media/n.mov", 600, Fraction(30000, 1001), True, True, 1920, 1080)


def layout(t: Timeline, track: int) -> list[tuple[int, int, object]]:
    """(start, end, what) for each item: what is ('clip', id, source_in) / ('cue', text) / 'gap'."""
    tr = t.tracks[track]
    s = tr.starts()
    out = []
    for i, it in enumerate(tr.items):
        if isinstance(it, Clip):
            what: object = ("clip", it.id, it.source_in)
        elif hasattr(it, "text"):
            what = ("cue", it.text)  # type: ignore[union-attr]
        else:
            what = "gap"
        out.append((s[i], s[i + 1], what))
    return out


def spans(t: Timeline, track: int) -> list[tuple[int, int]]:
    """(start, end) of every non-gap item on a track."""
    return [(a, b) for a, b, w in layout(t, track) if w != "gap"]


@pytest.fixture
def basic() -> Timeline:
    """V1: A[0,250) gap[250,350) A[350,600); A1: A[0,250) B[250,350) A[350,600). Rate 25."""
    t = timeline_from_media([A, B, A])
    validate(t)
    return t


def sample_timeline() -> Timeline:
    """A small timeline using every feature: two rates, speed, gaps, markers, cues, in/out."""
    from editor.model import edits, marks

    t = timeline_from_media([A, B], name="sample")
    t = edits.append_clip(t, 0, NTSC, source_in=30, duration=40, speed=Fraction(3, 2))
    t = edits.split(t, 0, 100)
    t = edits.add_track(t, "video")
    t = edits.append_clip(t, 2, C, source_in=5, duration=20)
    t = edits.move_clip(t, t.tracks[2].items[0].id, 2, 120)  # type: ignore[union-attr]
    t = marks.add_marker(t, 12, "Intro — 시작", "yellow")
    t = marks.add_marker(t, 200)
    t = marks.add_cue(t, 10, 60, "Hello\nworld")
    t = marks.add_cue(t, 80, 90, "안녕하세요")
    t = marks.set_in_out(t, 5, 300)
    validate(t)
    return t
