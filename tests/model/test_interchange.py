from __future__ import annotations

from fractions import Fraction

import opentimelineio as otio
import pytest

from editor.model import edits
from editor.model.edl import export_edl, export_edl_plain
from editor.model.errors import SubtitleFormatError, TimelineError, TimelineFormatError
from editor.model.marks import add_cue
from editor.model.otio_io import export_otio, import_otio
from editor.model.serialize import timeline_to_json
from editor.model.srt_io import decode_subtitle_bytes, export_srt, import_srt, parse_srt
from editor.model.timeline import Clip, Timeline, validate

from .conftest import sample_timeline, spans

SRT = """1
00:00:01,000 --> 00:00:02,500
Hello
world

2
00:00:03,000 --> 00:00:04,000
안녕하세요
"""


def test_srt_import_export(basic: Timeline) -> None:
    t = import_srt(basic, SRT.encode("utf-8"))
    validate(t)
    assert spans(t, 2) == [(25, 63), (75, 100)]  # 2.5 s at 25 fps = 62.5 -> 63
    out = export_srt(t)
    assert "00:00:01,000 --> 00:00:02,500\nHello\nworld" in out  # the file's times, not the frames
    assert "안녕하세요" in out
    assert import_srt(basic, out) == t  # export -> import is stable
    assert export_srt(basic) == ""


def test_srt_replaces_cues_on_an_existing_track(basic: Timeline) -> None:
    t = add_cue(basic, 0, 10, "old")
    t2 = import_srt(t, SRT)
    assert len(t2.tracks) == 3 and spans(t2, 2) == [(25, 63), (75, 100)]


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (b"\xef\xbb\xbf" + SRT.encode("utf-8"), None),  # UTF-8 with BOM
        (SRT.encode("cp949"), None),  # Korean Windows
        (SRT.encode("euc-kr"), "euc-kr"),  # explicit
    ],
)
def test_srt_encodings(basic: Timeline, data: bytes, encoding: str | None) -> None:
    t = import_srt(basic, data, encoding=encoding)
    assert "안녕하세요" in export_srt(t)
    assert export_srt(t).startswith("1\n")


def test_srt_latin1_fallback() -> None:
    text = SRT.replace("안녕하세요", "Grüße à tous")
    assert "Grüße" in decode_subtitle_bytes(text.encode("latin-1"))


def test_srt_bad_input_is_refused_and_nothing_changes(basic: Timeline) -> None:
    before = timeline_to_json(basic)
    broken = SRT.replace("00:00:03,000 --> 00:00:04,000", "00:00:0x,000 --> 00:00:04,000")
    with pytest.raises(SubtitleFormatError, match="line 6") as info:
        import_srt(basic, broken)
    assert "\n" not in str(info.value)
    with pytest.raises(SubtitleFormatError, match="not valid utf-8"):
        import_srt(basic, SRT.encode("cp949"), encoding="utf-8")
    with pytest.raises(SubtitleFormatError, match="unknown encoding"):
        import_srt(basic, b"", encoding="klingon")
    with pytest.raises(SubtitleFormatError):
        import_srt(basic, "just some text")
    assert timeline_to_json(basic) == before
    assert issubclass(SubtitleFormatError, TimelineError)


def test_srt_overlapping_cues_are_shortened() -> None:
    text = "1\n00:00:01,000 --> 00:00:03,000\na\n\n2\n00:00:02,000 --> 00:00:04,000\nb\n"
    assert parse_srt(text, Fraction(25)) == [(25, 50, "a"), (50, 100, "b")]
    same = "1\n00:00:01,000 --> 00:00:03,000\na\n\n2\n00:00:01,000 --> 00:00:04,000\nb\n"
    with pytest.raises(SubtitleFormatError, match="same frame"):
        parse_srt(same, Fraction(25))


def test_otio_export_loads_in_otio_with_the_same_clips_and_markers() -> None:
    t = sample_timeline()
    text = export_otio(t)
    tl = otio.adapters.read_from_string(text, "otio_json")
    assert [tr.kind for tr in tl.tracks] == ["Video", "Audio", "Video", "Subtitle"]
    for tr, otr in zip(t.tracks, tl.tracks, strict=True):
        mine = [(s, e) for s, e in spans(t, t.tracks.index(tr))]
        theirs = []
        for c in otr.find_clips():
            r = otr.range_of_child(c)
            theirs.append(
                (
                    round(r.start_time.value_rescaled_to(25)),
                    round(r.end_time_exclusive().value_rescaled_to(25)),
                )
            )
        assert theirs == mine
    clips = {c.metadata["cutline"]["id"]: c for c in tl.find_clips()}
    for tr in t.tracks:
        for it in tr.items:
            if isinstance(it, Clip):
                sr = clips[it.id].source_range
                assert round(sr.start_time.value_rescaled_to(float(it.media.rate))) == it.source_in
                assert clips[it.id].media_reference.target_url == it.media.path
    assert [(round(m.marked_range.start_time.value), m.name, m.color) for m in tl.tracks.markers] == [
        (12, "Intro — 시작", "YELLOW"),
        (200, "", "RED"),
    ]
    assert import_otio(text) == t


RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange


def _foreign(name: str, first: int, length: int) -> tuple[otio.schema.Timeline, otio.schema.Clip]:
    """Another editor's timeline at 24 fps: one video track whose first clip is ``length`` frames of a
    480-frame file from frame ``first``."""
    tl = otio.schema.Timeline(name="foreign")
    tr = otio.schema.Track(name="Main", kind="Video")
    tl.tracks.append(tr)
    ref = otio.schema.ExternalReference(target_url="/x/shot.mov", available_range=TR(RT(0, 24), RT(480, 24)))
    clip = otio.schema.Clip(name=name, media_reference=ref, source_range=TR(RT(first, 24), RT(length, 24)))
    tr.append(clip)
    return tl, clip


def test_otio_import_of_a_foreign_file() -> None:
    tl, first = _foreign("shot", 10, 48)
    tr, ref, rt, r = tl.tracks[0], first.media_reference, RT, TR
    tr.append(otio.schema.Gap(source_range=r(rt(0, 24), rt(12, 24))))
    tr.append(
        otio.schema.Clip(name="shot2", media_reference=ref.clone(), source_range=r(rt(100, 24), rt(24, 24)))
    )
    t = import_otio(otio.adapters.write_to_string(tl, "otio_json"))
    validate(t)
    assert t.rate == 24 and spans(t, 0) == [(0, 48), (60, 84)]
    assert t.media[0].fingerprint == "path:/x/shot.mov" and t.media[0].duration == 480


def test_otio_bad_input() -> None:
    with pytest.raises(TimelineFormatError, match="not a valid OTIO file"):
        import_otio("{nope")
    tl = otio.schema.Timeline()
    tr = otio.schema.Track(kind="Video")
    tl.tracks.append(tr)
    rt, r = otio.opentime.RationalTime, otio.opentime.TimeRange
    ref = otio.schema.ExternalReference(target_url="/x.mov", available_range=r(rt(0, 24), rt(10, 24)))
    tr.append(otio.schema.Clip(name="c", media_reference=ref, source_range=r(rt(5, 24), rt(20, 24))))
    with pytest.raises(TimelineFormatError, match="outside the media"):
        import_otio(otio.adapters.write_to_string(tl, "otio_json"))


def test_edl_export(basic: Timeline) -> None:
    t = edits.split(basic, 0, 100)
    edl = export_edl(t, title="cut")
    assert edl.startswith("TITLE: cut")
    events = [ln for ln in edl.splitlines() if ln[:3].isdigit()]
    assert len(events) == 3
    assert events[0].split()[-4:] == ["00:00:00:00", "00:00:04:00", "00:00:00:00", "00:00:04:00"]
    assert events[2].split()[-4:] == ["00:00:00:00", "00:00:10:00", "00:00:14:00", "00:00:24:00"]
    plain = export_edl_plain(t, title="cut")
    assert [ln.split()[-4:] for ln in plain.splitlines() if ln[:3].isdigit()] == [
        e.split()[-4:] for e in events
    ]
    with pytest.raises(TimelineError, match="not a video track"):
        export_edl(t, track=1)


def _dressed_timeline() -> Timeline:
    """The sample timeline with what OTIO has no word for: sound, reverse, looks, a title, track state,
    segments and cues that keep their SRT milliseconds."""
    from editor.model.registry import apply_edit

    t = sample_timeline()
    v0, a0 = (next(it for it in t.tracks[k].items if isinstance(it, Clip)) for k in (0, 1))
    steps = [
        ("set_clip_audio", {"clip_id": a0.id, "gain_db": -7.5, "muted": True, "fade_in": 5, "fade_out": 3}),
        ("set_reverse", {"clip_id": v0.id, "reverse": True}),
        ("set_fade", {"item_id": v0.id, "fade_in": 4, "fade_out": 6}),
        ("set_look", {"item_id": v0.id, "opacity": "1/2", "x": "0.25", "scale": "3/4"}),
        ("add_title", {"track": 2, "frame": 20, "duration": 50, "text": "제목 \"quoted\" 🎬", "size": 90,
                       "color": "#ff8800"}),
        ("set_track", {"track": 1, "muted": True, "solo": True, "gain_db": 2.5}),
        ("set_track", {"track": 2, "locked": True, "hidden": True}),
        ("add_segment", {"start": 10, "end": 40, "label": "first", "color": "green"}),
        ("add_segment", {"start": 50, "end": 90}),
    ]
    for name, params in steps:
        t = apply_edit(t, name, params)
    t = import_srt(t, "1\n00:00:00,420 --> 00:00:01,130\nodd times\n", track=3)
    validate(t)
    return t


def test_otio_round_trip_keeps_sound_looks_titles_track_state_segments_and_cue_times() -> None:
    t = _dressed_timeline()
    back = import_otio(export_otio(t))
    assert back == t
    assert export_srt(back) == export_srt(t)  # the cue's own milliseconds, not frame boundaries
    assert timeline_to_json(back) == timeline_to_json(t)


def test_otio_shows_reverse_as_a_negative_time_warp_and_a_title_as_a_gap() -> None:
    t = _dressed_timeline()
    tl = otio.adapters.read_from_string(export_otio(t), "otio_json")
    reversed_clip = next(c for c in tl.find_clips() if c.effects)
    assert [e.time_scalar for e in reversed_clip.effects] == [-1.0]
    title_gaps = [g for g in tl.tracks[2] if isinstance(g, otio.schema.Gap) and "cutline" in g.metadata]
    assert len(title_gaps) == 1 and title_gaps[0].metadata["cutline"]["title"]["text"] == "제목 \"quoted\" 🎬"


def test_otio_import_of_a_foreign_reversed_clip() -> None:
    tl, clip = _foreign("back", 10, 48)
    clip.effects.append(otio.schema.LinearTimeWarp(time_scalar=-2.0))
    t = import_otio(otio.adapters.write_to_string(tl, "otio_json"))
    (c,) = [it for it in t.tracks[0].items if isinstance(it, Clip)]
    assert c.reverse and c.speed == 2
    clip.effects[0].time_scalar = 0.0
    with pytest.raises(TimelineFormatError, match="freeze frame"):
        import_otio(otio.adapters.write_to_string(tl, "otio_json"))


def test_otio_with_a_broken_cutline_title_names_the_field() -> None:
    text = export_otio(_dressed_timeline()).replace('"size": 90', '"size": "huge"')
    with pytest.raises(TimelineFormatError, match=r"metadata\.cutline\.title\.size"):
        import_otio(text)
