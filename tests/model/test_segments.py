"""Segments as timeline state: the edits (add, rename, colour, enable, reorder, split, merge, invert, import),
through the registry as `cutline edit` and the window apply them, saved and read back, undoable; CSV and
LosslessCut .llc text."""

from __future__ import annotations

from fractions import Fraction

import pytest

from editor.model.errors import EditError, TimelineFormatError
from editor.model.history import History
from editor.model.registry import apply_edit
from editor.model.segment_io import (
    SegmentListError,
    TimeRef,
    format_llc,
    format_segments_csv,
    parse_llc,
    parse_segments_csv,
    parse_time_ref,
)
from editor.model.serialize import timeline_from_json, timeline_to_json
from editor.model.timeline import Segment, Timeline

T0 = Timeline(rate=Fraction(25))


def test_every_segment_edit_through_the_registry() -> None:
    t = apply_edit(T0, "add_segment", {"start": 10, "end": 50, "label": "intro"})
    t = apply_edit(t, "add_segment", {"start": 100, "end": 150})
    a, b = (g.id for g in t.segments)
    t = apply_edit(t, "rename_segment", {"segment_id": b, "label": "end"})
    t = apply_edit(t, "color_segment", {"segment_id": b, "color": "green"})
    t = apply_edit(t, "enable_segment", {"segment_id": a, "enabled": False})
    t = apply_edit(t, "move_segment", {"segment_id": b, "index": 0})
    assert [(g.start, g.end, g.name, g.color, g.enabled) for g in t.segments] == [
        (100, 150, "end", "green", True), (10, 50, "intro", "blue", False)]
    t = apply_edit(t, "split_segment", {"segment_id": b, "frame": 120})
    assert [(g.start, g.end, g.name) for g in t.segments][:2] == [(100, 120, "end"), (120, 150, "end")]
    c = t.segments[1].id
    assert c not in (a, b)
    t = apply_edit(t, "merge_segments", {"segment_id": b, "other_id": c})
    assert [(g.start, g.end) for g in t.segments] == [(100, 150), (10, 50)]
    t = apply_edit(t, "invert_segments", {"length": 200})  # the disabled one does not count
    assert [(g.start, g.end) for g in t.segments] == [(0, 100), (150, 200)]
    t = apply_edit(t, "set_segments", {"segments": [[0, 25, "a", "red", True], [50, 60]]})
    assert [(g.start, g.end, g.name, g.color) for g in t.segments] == [(0, 25, "a", "red"), (50, 60, "", "blue")]
    t = apply_edit(t, "remove_segment", {"segment_id": t.segments[0].id})
    assert len(t.segments) == 1


@pytest.mark.parametrize("name, params, message", [
    ("add_segment", {"start": 5, "end": 5}, "must be after the start"),
    ("add_segment", {"start": 0, "end": 5, "color": "plaid"}, "color: expected one of"),
    ("rename_segment", {"segment_id": 99, "label": "x"}, "no segment with id 99"),
    ("split_segment", {"segment_id": 1, "frame": 10}, "not inside the segment"),
    ("merge_segments", {"segment_id": 1, "other_id": 1}, "two different segments"),
    ("invert_segments", {"length": 10}, "the segments cover everything"),
    ("enable_segment", {"segment_id": 1, "enabled": "yes"}, "expected true or false"),
])
def test_bad_segment_edits_are_one_line(name, params, message) -> None:
    t = apply_edit(T0, "add_segment", {"start": 0, "end": 10})
    with pytest.raises(EditError, match=message):
        apply_edit(t, name, params)


def test_segments_are_saved_and_read_back_and_old_documents_have_none() -> None:
    t = apply_edit(T0, "add_segment", {"start": 3, "end": 9, "label": "ça", "color": "yellow"})
    t = apply_edit(t, "enable_segment", {"segment_id": t.segments[0].id, "enabled": False})
    back = timeline_from_json(timeline_to_json(t))
    assert back.segments == (Segment(t.segments[0].id, 3, 9, "ça", "yellow", False),)
    assert back.next_id == t.next_id
    assert "segments" not in timeline_to_json(T0)  # documents without segments are unchanged
    assert timeline_from_json(timeline_to_json(T0)).segments == ()
    bad = timeline_to_json(t).replace('"start":3', '"start":12')
    with pytest.raises(TimelineFormatError, match=r"segments\[0\].start"):
        timeline_from_json(bad)


def test_segment_edits_undo_and_redo_as_one_step_each() -> None:
    h = History(T0).step({"name": "add_segment", "params": {"start": 0, "end": 10}})
    sid = h.present.segments[0].id
    h = h.step({"name": "rename_segment", "params": {"segment_id": sid, "label": "x"}})
    assert h.present.segments[0].name == "x"
    h = h.undo()
    assert h.present.segments[0].name == "" and h.undo().present.segments == ()
    assert h.redo().present.segments[0].name == "x"


def test_csv_and_time_refs() -> None:
    rows = parse_segments_csv("\ufeffstart,end,name\n1.5,3,intro\n00:01:00.250,,rest\n-5,end,outro\nf10,f20\n")
    assert rows[0].start == TimeRef(Fraction(3, 2)) and rows[0].name == "intro"
    assert rows[1].start.value == Fraction(60_250, 1000) and rows[1].end is None
    assert rows[2].start == TimeRef(Fraction(5), True) and rows[2].end == TimeRef(Fraction(0), True)
    assert rows[3].start == TimeRef(10) and rows[3].end == TimeRef(20)
    assert rows[2].start.resolve(Fraction(30), Fraction(25)) == 25
    assert parse_segments_csv("1;2;a;b\n")[0].name == "a;b"
    assert parse_time_ref("end-2.5") == TimeRef(Fraction(5, 2), True)
    text = format_segments_csv([(Fraction(1, 2), Fraction(3), "a, b")])
    assert text == '0.5,3,"a, b"\n' and parse_segments_csv(text)[0].name == "a, b"
    with pytest.raises(SegmentListError, match="row 1: 'x' is not a time"):
        parse_segments_csv("x,2\n")


def test_llc_read_and_write() -> None:
    name, rows = parse_llc("// LosslessCut\n{ version: 1, mediaFileName: 'a b.mp4', cutSegments: [\n"
                           "  { start: 1.5, end: 4, name: \"it's\" }, { start: 10, }, ], }")
    assert name == "a b.mp4" and rows[0].name == "it's" and rows[0].end == TimeRef(Fraction(4))
    assert rows[1].end is None
    again = parse_llc(format_llc("x.mkv", [(Fraction(1), Fraction(2), "n")]))
    assert again[0] == "x.mkv" and again[1][0].start == TimeRef(Fraction(1))
    for bad, msg in [("[1, 2]", "no cutSegments"), ("{cutSegments: [{start: 'x'}]}", "not numbers"),
                     ("{{{", "not a LosslessCut project")]:
        with pytest.raises(SegmentListError, match=msg):
            parse_llc(bad)
