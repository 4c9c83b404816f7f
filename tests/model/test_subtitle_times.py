"""Subtitles keep their times: SRT import then export gives every cue back to the millisecond unless it was
re-timed; the times survive saving (Timeline.3 / SubtitleCue.2) and older files still load."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from editor.model import edits
from editor.model.errors import EditError, TimelineFormatError
from editor.model.marks import add_cue, edit_cue
from editor.model.registry import apply_edit, edit
from editor.model.serialize import (
    SCHEMA_VERSION,
    timeline_from_dict,
    timeline_from_json,
    timeline_to_dict,
    timeline_to_json,
)
from editor.model.srt_io import export_srt, import_srt, parse_srt_timed
from editor.model.timeline import MediaRef, SubtitleCue, Timeline, Track, validate

from .conftest import sample_timeline

BASELINES = Path(__file__).resolve().parent.parent / "baselines"

SRT = """1
00:00:00,500 --> 00:00:01,234
first

2
00:00:02,017 --> 00:00:03,999
second

3
00:01:00,001 --> 00:01:02,003
third
"""
CLIP = MediaRef("fp", "/m/a.mp4", 2000, Fraction(25))


def blank(rate: Fraction = Fraction(25)) -> Timeline:
    return Timeline(rate=rate, tracks=(Track("video", "V1"),))


def times(srt_text: str) -> list[str]:
    return [line for line in srt_text.splitlines() if "-->" in line]


@pytest.mark.parametrize("rate", [Fraction(25), Fraction(30000, 1001), Fraction(24), Fraction(50)])
def test_import_then_export_keeps_every_time_to_the_millisecond(rate) -> None:
    t = import_srt(blank(rate), SRT)
    validate(t)
    assert times(export_srt(t)) == times(SRT)
    assert times(export_srt(timeline_from_json(timeline_to_json(t)))) == times(SRT)  # saved and loaded


def test_half_a_second_at_25_fps_stays_half_a_second() -> None:
    t = import_srt(blank(), "1\n00:00:00,500 --> 00:00:02,000\nx\n")
    assert times(export_srt(t)) == ["00:00:00,500 --> 00:00:02,000"]
    (cue,) = [it for it in t.tracks[-1].items if isinstance(it, SubtitleCue)]
    assert cue.times_ms == (500, 2000)


def test_a_cue_moved_by_an_edit_elsewhere_keeps_its_offset_from_the_frames() -> None:
    t = edits.append_clip(import_srt(blank(), SRT), 0, CLIP, duration=100)
    t = edits.ripple_delete_range(t, 0, 10)  # every track moves 10 frames (0.4 s) earlier
    assert times(export_srt(t))[0] == "00:00:00,100 --> 00:00:00,834"


def test_a_re_timed_cue_is_written_at_its_frames_and_a_text_edit_keeps_times() -> None:
    t = import_srt(blank(), SRT)
    cues = [it for it in t.tracks[-1].items if isinstance(it, SubtitleCue)]
    t = edit_cue(t, cues[0].id, text="First!")
    assert times(export_srt(t))[0] == "00:00:00,500 --> 00:00:01,234"
    t = edit_cue(t, cues[1].id, start=50, end=75)  # moved by the user: 2.000-3.000
    assert times(export_srt(t))[1] == "00:00:02,000 --> 00:00:03,000"
    t = edits.split(t, len(t.tracks) - 1, 1510)  # a split cue is two new cues at frames
    assert times(export_srt(t))[2:] == ["00:01:00,000 --> 00:01:00,400", "00:01:00,400 --> 00:01:02,000"]
    t = add_cue(t, 3000, 3010, "new")
    assert times(export_srt(t))[-1] == "00:02:00,000 --> 00:02:00,400"


def test_set_cues_records_the_times_replayably() -> None:
    cues = parse_srt_timed(SRT, Fraction(25))
    assert cues[0] == (13, 31, "first", (500, 1234))
    t, record = edit(blank(), "set_cues", cues=[[a, b, text, list(ms)] for a, b, text, ms in cues])
    assert json.loads(json.dumps(record.params)) == record.params
    assert apply_edit(blank(), record.name, record.params) == t
    assert times(export_srt(t)) == times(SRT)
    for bad in ([0, 10, "x", [5]], [0, 10, "x", [9, 2]], [0, 10, "x", ["a", 2]]):
        with pytest.raises(EditError, match="cues\\[0\\]: times"):
            apply_edit(blank(), "set_cues", {"cues": [bad]})


def test_older_files_load_and_bad_times_are_refused() -> None:
    v2 = json.loads((BASELINES / "timeline.v2.json").read_text(encoding="utf-8"))
    assert v2["schema"] == "Timeline.2"
    assert timeline_from_dict(v2) == sample_timeline()  # SubtitleCue.1 cues: no imported times
    d = timeline_to_dict(import_srt(blank(), SRT))
    assert d["schema"] == f"Timeline.{SCHEMA_VERSION}"
    v3 = json.loads((BASELINES / "timeline.v3.json").read_text(encoding="utf-8"))
    assert v3["schema"] == "Timeline.3" and timeline_from_dict(v3).tracks  # still loads after the bump
    cue = d["tracks"][-1]["items"][0]
    assert cue["schema"] == "SubtitleCue.2" and cue["ms"] == [500, 1234]
    cue["ms"] = [900, 100]
    with pytest.raises(TimelineFormatError, match=r"tracks\[1\].items\[0\].ms: expected \[start, end\]"):
        timeline_from_dict(d)
