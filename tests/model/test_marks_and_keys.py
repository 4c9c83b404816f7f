from __future__ import annotations

import pytest

from editor.model import marks, navigate, playhead
from editor.model.edits import ripple_delete
from editor.model.errors import EditError
from editor.model.timeline import Timeline, validate

from .conftest import A, layout, spans


def ok(t: Timeline) -> Timeline:
    validate(t)
    return t


def test_markers(basic: Timeline) -> None:
    t = ok(marks.add_marker(basic, 300, "look", "blue"))
    t = ok(marks.add_marker(t, 100))
    assert [(m.frame, m.label, m.color) for m in t.markers] == [(100, "", "red"), (300, "look", "blue")]
    mid = t.markers[1].id
    t = ok(marks.move_marker(t, mid, 50))
    assert t.markers[0].id == mid
    t = ok(marks.edit_marker(t, mid, label="start", color="GREEN"))
    assert t.markers[0].label == "start" and t.markers[0].color == "green"
    t = ok(marks.remove_marker(t, mid))
    assert [m.frame for m in t.markers] == [100]
    with pytest.raises(EditError, match="color"):
        marks.add_marker(basic, 1, color="chartreuse")
    with pytest.raises(EditError, match="no marker"):
        marks.remove_marker(basic, 42)


def test_markers_ripple_with_the_timeline(basic: Timeline) -> None:
    t = marks.add_marker(basic, 100)
    t = marks.add_marker(t, 400)
    t = ok(ripple_delete(t, 1))  # removes [0, 250): the marker at 100 goes, 400 -> 150
    assert [m.frame for m in t.markers] == [150]


def test_in_out(basic: Timeline) -> None:
    t = ok(marks.set_in(basic, 100))
    t = ok(marks.set_out(t, 200))
    assert (t.in_point, t.out_point) == (100, 200)
    t2 = ok(marks.set_in(t, 250))  # past the out point: out is cleared
    assert (t2.in_point, t2.out_point) == (250, None)
    t3 = ok(marks.set_out(t, 50))
    assert (t3.in_point, t3.out_point) == (None, 50)
    with pytest.raises(EditError, match="before"):
        marks.set_in_out(basic, 5, 5)
    assert ok(marks.clear_in_out(t)).in_point is None


def test_cues(basic: Timeline) -> None:
    t = ok(marks.add_cue(basic, 10, 50, "hello"))
    assert t.tracks[2].kind == "subtitle" and t.tracks[2].name == "S1"
    assert layout(t, 2) == [(0, 10, "gap"), (10, 50, ("cue", "hello"))]
    cue_id = t.tracks[2].items[1].id  # type: ignore[union-attr]
    t = ok(marks.add_cue(t, 60, 70, "second"))
    with pytest.raises(EditError, match="overlap"):
        marks.add_cue(t, 40, 65, "x")
    t2 = ok(marks.edit_cue(t, cue_id, text="bye", start=0, end=55))
    assert layout(t2, 2)[0] == (0, 55, ("cue", "bye"))
    with pytest.raises(EditError, match="overlap"):
        marks.edit_cue(t, cue_id, end=65)
    t3 = ok(marks.remove_cue(t, cue_id))
    assert spans(t3, 2) == [(60, 70)]
    with pytest.raises(EditError, match="not a subtitle cue"):
        marks.remove_cue(t, 1)
    with pytest.raises(EditError, match="not a subtitle track"):
        marks.add_cue(t, 100, 110, "x", track=0)
    t4 = ok(marks.set_cues(t, [(0, 5, "a"), (5, 9, "b")]))
    assert spans(t4, 2) == [(0, 5), (5, 9)]
    with pytest.raises(EditError, match="cues\\[1\\]"):
        marks.set_cues(t, [(0, 5, "a"), (4, 9, "b")])


def test_navigation(basic: Timeline) -> None:
    assert navigate.duration(basic) == 600
    assert navigate.edit_points(basic) == [0, 250, 350, 600]
    assert navigate.next_edit_point(basic, 250) == 350
    assert navigate.previous_edit_point(basic, 250) == 0
    assert navigate.next_edit_point(basic, 600) is None
    assert navigate.previous_edit_point(basic, 0) is None
    p = navigate.clip_at(basic, 0, 400)
    assert p is not None and (p.start, p.end, p.item.id) == (350, 600, 4)  # type: ignore[union-attr]
    assert navigate.clip_at(basic, 0, 300) is None
    assert navigate.clip_at(basic, 0, 600) is None
    assert navigate.clip_at(basic, 9, 0) is None
    t = marks.add_marker(marks.add_marker(basic, 10), 20)
    assert navigate.next_marker(t, 10).frame == 20  # type: ignore[union-attr]
    assert navigate.previous_marker(t, 20).frame == 10  # type: ignore[union-attr]
    assert navigate.next_marker(t, 20) is None
    assert navigate.top_track_at(basic, 300) == 1
    assert navigate.top_track_at(basic, 0) == 0


def test_timeline_from_media_defaults() -> None:
    t = navigate.timeline_from_media([A])
    assert t.rate == A.rate and [tr.name for tr in t.tracks] == ["V1", "A1"]
    assert navigate.timeline_from_media([], rate="30000/1001").rate.denominator == 1001


def test_key_s_split(basic: Timeline) -> None:
    t = ok(playhead.split_at_playhead(basic, 100))
    assert spans(t, 0)[:2] == [(0, 100), (100, 250)] and spans(t, 1)[:2] == [(0, 100), (100, 250)]
    t2 = ok(playhead.split_at_playhead(basic, 300))  # only A1 has a clip there
    assert len(t2.tracks[1].items) == 4
    with pytest.raises(EditError):
        playhead.split_at_playhead(basic, 250)
    t3 = ok(playhead.split_all_at_playhead(basic, 400))
    assert len(t3.tracks[0].items) == 4


def test_key_q_w(basic: Timeline) -> None:
    t = ok(playhead.trim_start_to_playhead(basic, 100))
    assert layout(t, 0)[0] == (0, 150, ("clip", 1, 100))
    t = ok(playhead.trim_end_to_playhead(basic, 100))
    assert spans(t, 0)[0] == (0, 100) and spans(t, 1)[1] == (100, 200)
    with pytest.raises(EditError, match="nothing to remove"):
        playhead.trim_start_to_playhead(basic, 0)
    with pytest.raises(EditError, match="nothing"):
        playhead.trim_end_to_playhead(basic, 700)


def test_key_x(basic: Timeline) -> None:
    t = ok(playhead.ripple_delete_at_playhead(basic, 100))
    assert spans(t, 0) == [(100, 350)]
    r = marks.set_out(marks.set_in(basic, 100), 400)
    t2 = ok(playhead.ripple_delete_at_playhead(r, 0))  # the in/out range wins and is cleared
    assert spans(t2, 0) == [(0, 100), (100, 300)] and t2.in_point is None and t2.out_point is None


def test_key_delete_lifts(basic: Timeline) -> None:
    t = ok(playhead.lift_at_playhead(basic, 100, track=1))
    assert layout(t, 1)[0] == (0, 250, "gap") and layout(t, 0)[0] == (0, 350, "gap")


def test_text_that_jsonb_cannot_store_is_refused(basic: Timeline) -> None:
    with pytest.raises(EditError, match="NUL"):
        marks.add_cue(basic, 0, 5, "a\x00b")
    with pytest.raises(EditError, match="NUL"):
        marks.add_marker(basic, 0, "x\x00")
    with pytest.raises(EditError, match="label: expected text"):
        marks.add_marker(basic, 0, 5)  # type: ignore[arg-type]


def test_keyframe_points_follow_each_clip_through_trims_speed_and_reverse() -> None:
    from fractions import Fraction

    from editor.model.timeline import Clip, MediaRef, Track

    r = Fraction(25)
    m = MediaRef("m", "/a.mp4", 200, r, True, True, 320, 240)
    keys = {"m": [0, 50, 100, 150]}
    plain = Clip(1, m, 40, 100)  # source 40..139 at timeline 0..99: keyframes 50 and 100
    fast = Clip(2, m, 0, 50, speed=Fraction(2))  # source 0..99 in 50 frames: keyframes 0 and 50 at 0 and 25
    back = Clip(3, m, 100, 60, reverse=True)  # source 159..100 backwards: 150 shown 9 frames in, 100 last
    t = Timeline(rate=r, tracks=(Track("video", "V1", (plain, fast, back)),
                                 Track("audio", "A1", (Clip(4, m, 0, 200),))), media=(m,), next_id=5)
    points = navigate.keyframe_points(t, keys)
    assert points == [10, 60, 100, 125, 159, 209]
    assert navigate.keyframe_points(t, {}) == []  # keyframes not known yet: none
    assert navigate.next_point(points, 10) == 60 and navigate.next_point(points, 209) is None
    assert navigate.previous_point(points, 60) == 10 and navigate.previous_point(points, 10) is None
