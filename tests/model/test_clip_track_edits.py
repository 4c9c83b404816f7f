"""Roll, slip, overwrite, sound settings, crossfade, reverse and track edits: pure model tests."""

from __future__ import annotations

from fractions import Fraction

import pytest

from editor.model import edits
from editor.model.errors import EditError
from editor.model.history import History
from editor.model.navigate import timeline_from_media
from editor.model.registry import apply_edit, edit
from editor.model.serialize import timeline_from_json, timeline_to_json
from editor.model.timeline import Clip, MediaRef, validate

from .conftest import layout

M = MediaRef("fp-m", "/media/m.mov", 200, Fraction(25), True, True, 320, 240)


def two_clips():
    """V1 and A1: M[10..60) at 0..50, M[100..150) at 50..100 (linked pairs)."""
    t = timeline_from_media([], rate=25)
    t = edits.append_clip(t, 0, M, source_in=10, duration=50)
    t = edits.append_clip(t, 0, M, source_in=100, duration=50)
    t = edits.append_clip(t, 1, M, source_in=10, duration=50)
    t = edits.append_clip(t, 1, M, source_in=100, duration=50)
    validate(t)
    return t


def clip_ids(t, track):
    return [it.id for it in t.tracks[track].items if isinstance(it, Clip)]


def test_roll_moves_the_cut_on_both_linked_tracks_and_nothing_else() -> None:
    t = two_clips()
    a, _b = clip_ids(t, 0)
    later = apply_edit(t, "roll_edit", {"clip_id": a, "frame": 60})
    for tr in (0, 1):
        assert [(s, e, w[2]) for s, e, w in layout(later, tr)] == [(0, 60, 10), (60, 100, 110)]
    earlier = apply_edit(t, "roll_edit", {"clip_id": a, "frame": 40})
    assert [(s, e, w[2]) for s, e, w in layout(earlier, 0)] == [(0, 40, 10), (40, 100, 90)]
    validate(later), validate(earlier)
    with pytest.raises(EditError, match="inside the two clips"):
        apply_edit(t, "roll_edit", {"clip_id": a, "frame": 100})
    with pytest.raises(EditError, match="no clip right after"):
        apply_edit(t, "roll_edit", {"clip_id": clip_ids(t, 0)[1], "frame": 90})


def test_slip_changes_the_source_only_and_refuses_past_the_media() -> None:
    t = two_clips()
    a = clip_ids(t, 0)[0]
    s = apply_edit(t, "slip_clip", {"clip_id": a, "frames": 5})
    assert [w[2] for _, _, w in layout(s, 0)] == [15, 100] and [w[2] for _, _, w in layout(s, 1)] == [15, 100]
    assert [(x, y) for x, y, _ in layout(s, 0)] == [(0, 50), (50, 100)]
    with pytest.raises(EditError, match="room for -10..140"):
        apply_edit(t, "slip_clip", {"clip_id": a, "frames": -11})


def test_overwrite_clip_replaces_what_it_covers() -> None:
    t = two_clips()
    out = apply_edit(t, "overwrite_clip", {"track": 0, "frame": 40, "media": M, "source_in": 0, "duration": 20,
                                           "gain_db": -6.0})
    assert [(s, e) for s, e, _ in layout(out, 0)] == [(0, 40), (40, 60), (60, 100)]
    pasted = out.tracks[0].items[1]
    assert pasted.source_in == 0 and pasted.gain_db == -6.0
    validate(out)


def test_sound_settings_follow_linked_partners_splits_and_saving() -> None:
    t = two_clips()
    a = clip_ids(t, 0)[0]
    t2 = apply_edit(t, "set_clip_audio", {"clip_id": a, "gain_db": -6, "fade_in": 10, "fade_out": 5})
    for tr in (0, 1):
        c = t2.tracks[tr].items[0]
        assert (c.gain_db, c.fade_in, c.fade_out, c.muted) == (-6.0, 10, 5, False)
    split = edits.split(t2, 1, 20)
    left, right = split.tracks[1].items[0], split.tracks[1].items[1]
    assert (left.fade_in, left.fade_out, right.fade_in, right.fade_out) == (10, 0, 0, 5)
    assert left.gain_db == right.gain_db == -6.0
    back = timeline_from_json(timeline_to_json(split))
    assert back == split
    assert timeline_from_json(timeline_to_json(t)) == t
    with pytest.raises(EditError, match="longer than the clip"):
        apply_edit(t, "set_clip_audio", {"clip_id": a, "fade_in": 51})
    with pytest.raises(EditError, match="from -60 to 24 dB"):
        apply_edit(t, "set_clip_audio", {"clip_id": a, "gain_db": 40})
    with pytest.raises(EditError, match="nothing to set"):
        apply_edit(t, "set_clip_audio", {"clip_id": a})


def test_crossfade_needs_source_after_the_clip_and_fades_the_next_one_in() -> None:
    t = two_clips()
    a, b = clip_ids(t, 1)
    x = apply_edit(t, "crossfade", {"clip_id": a, "frames": 12})
    for tr in (0, 1):
        assert x.tracks[tr].items[0].crossfade == 12 and x.tracks[tr].items[1].fade_in == 12
    assert timeline_from_json(timeline_to_json(x)) == x
    end = edits.append_clip(t, 1, M, source_in=150, duration=50)  # ends at the media's end
    end = edits.append_clip(end, 1, M, source_in=0, duration=20)
    last = clip_ids(end, 1)[2]
    with pytest.raises(EditError, match="0 frame"):
        apply_edit(end, "crossfade", {"clip_id": last, "frames": 1})
    with pytest.raises(EditError, match="longer than the next clip"):
        apply_edit(t, "crossfade", {"clip_id": a, "frames": 51})


def test_reverse_survives_a_split_as_the_mirrored_source_range() -> None:
    t = two_clips()
    a = clip_ids(t, 0)[0]
    r = apply_edit(t, "set_reverse", {"clip_id": a, "reverse": True})
    s = edits.split(r, 0, 20)
    left, right = s.tracks[0].items[0], s.tracks[0].items[1]
    # forwards the clip shows 10..59; reversed, timeline frames 0..19 show 59..40 (source 40..59)
    assert (left.source_in, left.duration, right.source_in, right.duration) == (40, 20, 10, 30)
    assert left.reverse and right.reverse
    assert timeline_from_json(timeline_to_json(s)) == s


def test_track_edits_rename_move_remove_and_state() -> None:
    t = two_clips()
    t = edits.add_track(t, "video")
    t = apply_edit(t, "rename_track", {"track": 2, "name": "  Titles "})
    assert t.tracks[2].name == "Titles"
    m = apply_edit(t, "move_track", {"track": 2, "to": 0})
    assert [tr.name for tr in m.tracks] == ["Titles", "V1", "A1"]
    s = apply_edit(m, "set_track", {"track": 2, "muted": True, "gain_db": -3.5})
    assert s.tracks[2].muted and s.tracks[2].gain_db == -3.5
    s = apply_edit(s, "set_track", {"track": 1, "solo": True, "hidden": True})
    back = timeline_from_json(timeline_to_json(s))
    assert back == s and back.tracks[1].hidden and back.tracks[1].solo
    split = edits.split(s, 2, 20)  # a track keeps its state through an edit of its items
    assert split.tracks[2].muted and split.tracks[2].gain_db == -3.5
    r = apply_edit(s, "remove_track", {"track": 0})
    assert [tr.name for tr in r.tracks] == ["V1", "A1"]
    with pytest.raises(EditError, match="no track 5"):
        apply_edit(t, "remove_track", {"track": 5})
    with pytest.raises(EditError, match="must not be empty"):
        apply_edit(t, "rename_track", {"track": 0, "name": "  "})
    with pytest.raises(EditError, match="true or false"):
        apply_edit(t, "set_track", {"track": 0, "muted": "yes"})


def test_a_locked_track_refuses_edits_of_its_items_until_unlocked() -> None:
    t = two_clips()
    locked = apply_edit(t, "set_track", {"track": 1, "locked": True})
    a = clip_ids(locked, 0)[0]
    with pytest.raises(EditError, match="'A1' is locked"):
        apply_edit(locked, "lift", {"clip_id": a})  # the linked sound is on the locked track
    assert apply_edit(locked, "lift", {"clip_id": a, "with_linked": False}).tracks[1] == locked.tracks[1]
    free = apply_edit(locked, "set_track", {"track": 1, "locked": False})
    apply_edit(free, "lift", {"clip_id": a})


def test_new_edits_are_one_undo_step_each_and_replay() -> None:
    t = two_clips()
    h = History(t)
    a = clip_ids(t, 0)[0]
    _, rec = edit(t, "roll_edit", clip_id=a, frame=55)
    h = h.apply(rec.name, rec.params)
    assert h.undo_label == "Roll"
    h = h.apply("set_clip_audio", {"clip_id": a, "muted": True})
    assert h.undo_label == "Change clip sound"
    assert h.undo().present.tracks[0].items[0].muted is False


def test_old_documents_without_the_new_fields_load_with_defaults() -> None:
    t = two_clips()
    text = timeline_to_json(t)
    assert "gain_db" not in text and "muted" not in text and "locked" not in text
    back = timeline_from_json(text)
    assert back.tracks[0].items[0].gain_db == 0.0 and back.tracks[0].muted is False
    bad = text.replace('"name":"V1",', '"name":"V1","hidden":"no",')
    from editor.model.errors import TimelineFormatError

    with pytest.raises(TimelineFormatError, match=r"tracks\[0\].hidden: expected true or false"):
        timeline_from_json(bad)


def test_timeline_from_media_still_builds_plain_clips() -> None:
    t = timeline_from_media([M])
    assert t.tracks[0].items[0] == Clip(1, M, 0, 200, Fraction(1), "m.mov")
