from __future__ import annotations

from fractions import Fraction

import pytest

from editor.model import edits
from editor.model.errors import EditError, TimelineError
from editor.model.timeline import Clip, Timeline, Track, validate

from .conftest import NTSC, A, B, C, layout, spans


def ok(t: Timeline) -> Timeline:
    validate(t)
    return t


def test_fixture_layout(basic: Timeline) -> None:
    assert layout(basic, 0) == [(0, 250, ("clip", 1, 0)), (250, 350, "gap"), (350, 600, ("clip", 4, 0))]
    assert layout(basic, 1) == [
        (0, 250, ("clip", 2, 0)),
        (250, 350, ("clip", 3, 0)),
        (350, 600, ("clip", 5, 0)),
    ]
    assert edits.linked_partners(basic, 0, 0) == [(1, 0)]
    assert edits.linked_partners(basic, 1, 1) == []


def test_edit_error_is_a_timeline_error() -> None:
    assert issubclass(EditError, TimelineError)


def test_append_clip(basic: Timeline) -> None:
    t = ok(edits.append_clip(basic, 0, C, source_in=10, duration=50))
    assert layout(t, 0)[-1] == (600, 650, ("clip", 6, 10))
    assert t.media[-1] == C and t.next_id == 7
    t2 = ok(edits.append_clip(basic, 0, C))  # whole media
    assert spans(t2, 0)[-1] == (600, 900)
    with pytest.raises(EditError, match="no video"):
        edits.append_clip(basic, 0, B)
    with pytest.raises(EditError, match="outside the media"):
        edits.append_clip(basic, 0, C, source_in=290, duration=20)
    with pytest.raises(EditError, match="duration"):
        edits.append_clip(basic, 0, C, duration=0)
    with pytest.raises(EditError, match="no track"):
        edits.append_clip(basic, 7, C)
    assert basic == timeline_copy(basic)  # the input is untouched


def timeline_copy(t: Timeline) -> Timeline:
    from editor.model.serialize import timeline_from_json, timeline_to_json

    return timeline_from_json(timeline_to_json(t))


def test_append_clip_at_other_rate_and_speed() -> None:
    t = Timeline(rate=Fraction(25), tracks=(Track("video", "V1"),))
    t = ok(edits.append_clip(t, 0, NTSC, speed=2))  # 600 src frames at 29.97, 2x -> 250.25 -> 250 frames @25
    assert spans(t, 0) == [(0, 250)]


def test_append_media_links_video_and_audio(basic: Timeline) -> None:
    t = ok(edits.append_media(basic, A))
    assert spans(t, 0)[-1] == spans(t, 1)[-1] == (600, 850)
    assert edits.linked_partners(t, 0, len(t.tracks[0].items) - 1) == [(1, len(t.tracks[1].items) - 1)]


def test_insert_clip_ripples_all_tracks(basic: Timeline) -> None:
    t = ok(edits.insert_clip(basic, 0, 100, C, 0, 40))
    assert layout(t, 0)[:3] == [
        (0, 100, ("clip", 1, 0)),
        (100, 140, ("clip", 6, 0)),
        (140, 290, ("clip", 7, 100)),
    ]
    # A1 got a 40-frame gap at 100, cutting its clip
    assert layout(t, 1)[:3] == [(0, 100, ("clip", 2, 0)), (100, 140, "gap"), (140, 290, ("clip", 8, 100))]
    t2 = ok(edits.insert_clip(basic, 0, 100, C, 0, 40, ripple_all=False))
    assert spans(t2, 1) == spans(basic, 1)
    t3 = ok(edits.insert_clip(basic, 0, 700, C, 0, 40))  # past the end: padded with a gap
    assert layout(t3, 0)[-2:] == [(600, 700, "gap"), (700, 740, ("clip", 6, 0))]


def test_trim_in_plain(basic: Timeline) -> None:
    t = ok(edits.trim_in(basic, 4, 400))
    assert layout(t, 0)[-2:] == [(250, 400, "gap"), (400, 600, ("clip", 4, 50))]
    assert layout(t, 1)[-1] == (400, 600, ("clip", 5, 50))  # linked audio trimmed too
    assert layout(t, 1)[-2] == (350, 400, "gap")
    t2 = ok(edits.trim_in(t, 4, 360))  # extend back into the gap
    assert layout(t2, 0)[-1] == (360, 600, ("clip", 4, 10))
    with pytest.raises(EditError, match="not empty"):
        edits.trim_in(t, 4, 200)  # would overlap clip 1
    with pytest.raises(EditError, match="source_in must be >= 0"):
        edits.trim_in(basic, 4, 340)  # the gap is free, but the clip starts at source frame 0
    with pytest.raises(EditError, match="before the clip's end"):
        edits.trim_in(basic, 1, 250)
    assert edits.trim_in(basic, 1, 0) is basic


def test_trim_in_without_linked(basic: Timeline) -> None:
    t = ok(edits.trim_in(basic, 4, 400, with_linked=False))
    assert spans(t, 1) == spans(basic, 1)


def test_trim_out_plain(basic: Timeline) -> None:
    t = ok(edits.trim_out(basic, 1, 200))
    assert layout(t, 0)[:2] == [(0, 200, ("clip", 1, 0)), (200, 350, "gap")]
    assert layout(t, 1)[:2] == [(0, 200, ("clip", 2, 0)), (200, 250, "gap")]
    t2 = ok(edits.trim_out(t, 1, 240, with_linked=False))
    assert spans(t2, 0)[0] == (0, 240)
    with pytest.raises(EditError, match="outside the media"):
        edits.trim_out(edits.trim_in(basic, 4, 400), 4, 700)  # source would pass 250
    u = Timeline(rate=Fraction(25), tracks=(Track("video", "V1"), Track("audio", "A1")))
    u = edits.append_media(u, A)
    u = edits.trim_out(u, 1, 100)
    u = edits.append_clip(u, 1, B)
    with pytest.raises(EditError, match="not empty"):
        edits.trim_out(u, 1, 150)  # V1 is free after 100, A1 has B there
    assert spans(ok(edits.trim_out(u, 1, 150, with_linked=False)), 0) == [(0, 150)]
    t3 = ok(edits.trim_out(basic, 4, 550))
    assert edits.trim_out(t3, 4, 600) != t3  # extending at the track end is fine
    with pytest.raises(EditError, match="after the clip's start"):
        edits.trim_out(basic, 4, 350)


def test_ripple_trim_in_shrink_and_extend(basic: Timeline) -> None:
    t = ok(edits.ripple_trim_in(basic, 1, 100))
    assert layout(t, 0)[0] == (0, 150, ("clip", 1, 100))
    assert layout(t, 1)[0] == (0, 150, ("clip", 2, 100))
    assert spans(t, 0)[-1] == (250, 500)
    with pytest.raises(EditError, match="source_in"):
        edits.ripple_trim_in(edits.move_clip(basic, 4, 0, 360), 4, 350)  # source_in would be -10


def test_ripple_extend_pushes_other_tracks() -> None:
    t = Timeline(rate=Fraction(25), tracks=(Track("video", "V1"), Track("audio", "A1")))
    t = edits.append_clip(t, 0, A, source_in=100, duration=50)
    t = edits.append_clip(t, 1, B, duration=100)
    t2 = ok(edits.ripple_trim_out(t, 1, 80))  # extend the video by 30: the audio gets a gap at 50
    assert spans(t2, 0) == [(0, 80)]
    assert layout(t2, 1) == [(0, 50, ("clip", 2, 0)), (50, 80, "gap"), (80, 130, ("clip", 3, 50))]
    t3 = ok(edits.ripple_trim_in(edits.move_clip(t, 1, 0, 10), 1, 0))  # head +10 at frame 10
    assert layout(t3, 0) == [(0, 10, "gap"), (10, 70, ("clip", 1, 90))]  # stays at 10, grows by 10
    assert layout(t3, 1) == [(0, 10, ("clip", 2, 0)), (10, 20, "gap"), (20, 110, ("clip", 3, 10))]


def test_ripple_trim_out(basic: Timeline) -> None:
    t = ok(edits.ripple_trim_out(basic, 1, 200))
    assert layout(t, 0)[:2] == [(0, 200, ("clip", 1, 0)), (200, 300, "gap")]
    assert layout(t, 1)[:2] == [(0, 200, ("clip", 2, 0)), (200, 300, ("clip", 3, 0))]
    assert spans(t, 0)[-1] == (300, 550)
    t2 = ok(edits.ripple_trim_out(basic, 1, 200, ripple_all=False))
    assert t2 == t  # the only other track holds the linked clip


def test_split(basic: Timeline) -> None:
    t = ok(edits.split(basic, 0, 100))
    assert layout(t, 0)[:2] == [(0, 100, ("clip", 1, 0)), (100, 250, ("clip", 6, 100))]
    assert layout(t, 1)[:2] == [(0, 100, ("clip", 2, 0)), (100, 250, ("clip", 7, 100))]
    for bad in (0, 250, 300, 700):
        with pytest.raises(EditError, match="no clip"):
            edits.split(basic, 0, bad)
    t2 = ok(edits.split(basic, 0, 100, with_linked=False))
    assert spans(t2, 1) == spans(basic, 1)


def test_split_at_other_rate_keeps_source_inside() -> None:
    t = Timeline(rate=Fraction(25), tracks=(Track("video", "V1"),))
    t = edits.append_clip(t, 0, NTSC)
    for f in (1, 7, 33, 100, 240):
        t = ok(edits.split(t, 0, f))
    assert sum(it.duration for it in t.tracks[0].items) == 500  # 600 frames of 29.97 = 500.5 frames of 25


def test_split_all(basic: Timeline) -> None:
    t = ok(edits.split_all(basic, 300))  # only A1 has a clip spanning 300
    assert len(t.tracks[1].items) == 4 and t.tracks[0] == basic.tracks[0]
    with pytest.raises(EditError):
        edits.split_all(basic, 250)


def test_ripple_delete(basic: Timeline) -> None:
    t = ok(edits.ripple_delete(basic, 1))
    assert layout(t, 0) == [(0, 100, "gap"), (100, 350, ("clip", 4, 0))]
    assert layout(t, 1) == [(0, 100, ("clip", 3, 0)), (100, 350, ("clip", 5, 0))]
    t2 = ok(edits.ripple_delete(basic, 3))  # the audio-only clip: all tracks lose [250, 350)
    assert spans(t2, 0) == [(0, 250), (250, 500)]
    t3 = ok(edits.ripple_delete(basic, 3, ripple_all=False))
    assert spans(t3, 0) == spans(basic, 0) and spans(t3, 1) == [(0, 250), (250, 500)]


def test_ripple_delete_range(basic: Timeline) -> None:
    t = ok(edits.ripple_delete_range(basic, 200, 400))
    assert layout(t, 0) == [(0, 200, ("clip", 1, 0)), (200, 400, ("clip", 4, 50))]
    assert layout(t, 1) == [(0, 200, ("clip", 2, 0)), (200, 400, ("clip", 5, 50))]
    t2 = ok(edits.ripple_delete_range(basic, 200, 400, tracks=[1]))
    assert t2.tracks[0] == basic.tracks[0]
    with pytest.raises(EditError):
        edits.ripple_delete_range(basic, 5, 5)


def test_lift(basic: Timeline) -> None:
    t = ok(edits.lift(basic, 4))
    assert layout(t, 0) == [(0, 250, ("clip", 1, 0))]  # no trailing gap
    assert layout(t, 1) == [(0, 250, ("clip", 2, 0)), (250, 350, ("clip", 3, 0))]
    t2 = ok(edits.lift(basic, 1, with_linked=False))
    assert layout(t2, 0)[0] == (0, 350, "gap") and spans(t2, 1) == spans(basic, 1)


def test_move_clip_same_track(basic: Timeline) -> None:
    t = ok(edits.move_clip(basic, 4, 0, 360))
    assert layout(t, 0) == [(0, 250, ("clip", 1, 0)), (250, 360, "gap"), (360, 610, ("clip", 4, 0))]
    assert layout(t, 1)[-2:] == [(350, 360, "gap"), (360, 610, ("clip", 5, 0))]  # the linked audio moved too
    with pytest.raises(EditError, match="A1"):
        edits.move_clip(basic, 4, 0, 260)  # V1 is free there, A1 is not
    with pytest.raises(EditError, match="not empty"):
        edits.move_clip(basic, 4, 0, 200)  # over clip 1 on V1 (and clip 2 on A1)
    t2 = ok(edits.move_clip(basic, 4, 0, 700, with_linked=False))
    assert spans(t2, 0)[-1] == (700, 950) and spans(t2, 1) == spans(basic, 1)


def test_move_clip_across_tracks(basic: Timeline) -> None:
    t = ok(edits.add_track(basic, "video"))
    assert t.tracks[2].name == "V2"
    t2 = ok(edits.move_clip(t, 4, 2, 350, with_linked=False))
    assert spans(t2, 2) == [(350, 600)] and spans(t2, 0) == [(0, 250)]
    with pytest.raises(EditError, match="has no"):
        edits.move_clip(t, 3, 0, 700)  # audio-only media onto a video track
    with pytest.raises(EditError, match="subtitle"):
        edits.move_clip(edits.add_track(t, "subtitle"), 1, 3, 0)


def test_set_speed(basic: Timeline) -> None:
    t = ok(edits.set_speed(basic, 1, 2))
    assert layout(t, 0)[0] == (0, 125, ("clip", 1, 0))
    assert layout(t, 1)[0] == (0, 125, ("clip", 2, 0))
    assert spans(t, 1)[1] == (125, 225)  # later content rippled
    t2 = ok(edits.set_speed(t, 1, Fraction(1, 2)))
    assert spans(t2, 0)[0] == (0, 500)
    assert spans(t2, 1)[1] == (500, 600)
    assert t2.tracks[0].items[0].speed == Fraction(1, 2)  # type: ignore[union-attr]
    with pytest.raises(EditError, match="speed"):
        edits.set_speed(basic, 1, 0)
    with pytest.raises(EditError, match="speed"):
        edits.set_speed(basic, 1, "fast")
    with pytest.raises(EditError, match="shorter than one frame"):
        edits.set_speed(basic, 1, 1000)
    t3 = ok(edits.set_speed(basic, 1, "1/3", ripple_all=False))
    assert spans(t3, 1)[0] == (0, 750)


def test_clip_ids_unknown(basic: Timeline) -> None:
    for fn in (
        lambda: edits.trim_in(basic, 99, 1),
        lambda: edits.lift(basic, 99),
        lambda: edits.ripple_delete(basic, 99),
    ):
        with pytest.raises(EditError, match="no clip with id 99"):
            fn()


def test_frames_must_be_ints(basic: Timeline) -> None:
    with pytest.raises(EditError, match="frame"):
        edits.split(basic, 0, 1.5)  # type: ignore[arg-type]
    with pytest.raises(EditError, match="frame"):
        edits.trim_in(basic, 1, -3)


def test_clip_type() -> None:
    c = Clip(1, A, 0, 10)
    assert c.speed == 1 and c.name == ""


def test_relink_media_moves_every_clip_and_the_bin_entry() -> None:
    from fractions import Fraction

    import pytest

    from editor.model.errors import EditError
    from editor.model.navigate import timeline_from_media
    from editor.model.registry import apply_edit
    from editor.model.timeline import Clip, MediaRef

    a = MediaRef("a" * 8, "/old/a.mp4", 100, Fraction(25))
    b = MediaRef("b" * 8, "/old/b.mp4", 50, Fraction(25))
    t = apply_edit(timeline_from_media([a, b, a]), "split", {"track": 0, "frame": 30})
    moved = apply_edit(t, "relink_media", {"fingerprint": a.fingerprint, "path": "/new/a.mp4"})
    clips = [it for tr in moved.tracks for it in tr.items if isinstance(it, Clip)]
    assert {c.media.path for c in clips if c.media.fingerprint == a.fingerprint} == {"/new/a.mp4"}
    assert {c.media.path for c in clips if c.media.fingerprint == b.fingerprint} == {"/old/b.mp4"}
    assert moved.media_by_fingerprint(a.fingerprint).path == "/new/a.mp4"
    assert [len(tr.items) for tr in moved.tracks] == [len(tr.items) for tr in t.tracks]
    with pytest.raises(EditError, match="no media"):
        apply_edit(t, "relink_media", {"fingerprint": "zzz", "path": "/x.mp4"})


def test_insert_media_at_a_frame_splits_and_ripples_every_track() -> None:
    from fractions import Fraction

    from editor.model.navigate import duration, timeline_from_media
    from editor.model.registry import apply_edit
    from editor.model.timeline import Clip, MediaRef, validate

    a = MediaRef("a" * 8, "/a.mp4", 100, Fraction(25))
    b = MediaRef("b" * 8, "/b.mp4", 30, Fraction(25))
    t = apply_edit(timeline_from_media([a]), "add_marker", {"frame": 60})
    t = apply_edit(t, "add_cue", {"start": 70, "end": 80, "text": "later"})
    out = apply_edit(t, "insert_media", {"media": b, "frame": 40})
    validate(out)
    assert duration(out) == 130
    for track in out.tracks[:2]:
        clips = [(c.media.fingerprint[0], c.source_in, c.duration) for c in track.items if isinstance(c, Clip)]
        assert clips == [("a", 0, 40), ("b", 0, 30), ("a", 40, 60)], "picture and sound stay linked"
    assert [m.frame for m in out.markers] == [90]
    assert out.tracks[2].starts()[1] == 100, "the subtitle moved with the rest"
    # At or past the end it appends.
    assert apply_edit(t, "insert_media", {"media": b, "frame": 100}) == apply_edit(t, "append_media", {"media": b})
