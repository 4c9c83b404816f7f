"""Timeline -> RenderSpec: exact frame counts, ranges, track order, presets; one real render."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from editor.jobs.export import PRESETS, export_range, parse_range, render_spec_for
from editor.media.errors import RenderError
from editor.media.render import render
from editor.media.synth import read_frame_number
from editor.model.timeline import Clip, Gap, MediaRef, Timeline, Track

R = Fraction(25)
V = MediaRef("fv", "/m/v.mp4", 250, R, True, True, 640, 360)
W = MediaRef("fw", "/m/w.mp4", 300, Fraction(30000, 1001), True, False, 1279, 721)
A = MediaRef("fa", "/m/a.wav", 48000 * 20, Fraction(48000), False, True)


def tl(*tracks: Track, **kw) -> Timeline:
    return Timeline(rate=R, tracks=tracks, media=(V, W, A), next_id=100, **kw)


def test_whole_timeline_keeps_every_frame_and_places_clips_by_order() -> None:
    t = tl(Track("video", "V1", (Clip(1, V, 10, 50), Gap(25), Clip(2, V, 100, 30, Fraction(2)))),
           Track("audio", "A1", (Clip(3, A, 48000, 75),)))
    spec = render_spec_for(t, preset="fast")
    assert spec.frame_count == 105  # 50 + 25 + 30: the frames the timeline shows
    assert (spec.width, spec.height, spec.fps) == (640, 360, R)
    assert (spec.mode, spec.preset, spec.crf) == ("reencode", "veryfast", 23)
    c1, c2, c3 = spec.clips
    assert (c1.source_in, c1.source_out, c1.timeline_start, c1.video, c1.audio) == (
        Fraction(10, 25), Fraction(60, 25), 0, True, False)
    assert (c2.source_in, c2.timeline_start, c2.speed) == (Fraction(100, 25), Fraction(75, 25), 2)
    assert c2.source_out - c2.source_in == Fraction(60, 25)  # 30 frames at twice the speed
    assert (c3.source_in, c3.source_out, c3.video, c3.audio) == (1, 4, False, True)


def test_in_out_range_trims_clips_and_counts_exact_frames() -> None:
    t = tl(Track("video", "V1", (Clip(1, V, 0, 50), Clip(2, V, 100, 50))), in_point=40, out_point=63)
    spec = render_spec_for(t, preset="high", in_out=True)
    assert spec.frame_count == 23
    a, b = spec.clips
    assert (a.source_in, a.source_out, a.timeline_start) == (Fraction(40, 25), Fraction(50, 25), 0)
    assert (b.source_in, b.source_out, b.timeline_start) == (Fraction(100, 25), Fraction(113, 25),
                                                              Fraction(10, 25))
    assert (spec.preset, spec.crf) == ("medium", 18)
    assert render_spec_for(t, in_out=(5, 7)).frame_count == 2
    assert parse_range("in-out", t) is True
    assert parse_range("00:00:01.000-00:00:03.000", t) == (25, 75)
    assert parse_range("10f-20f", t) == (10, 20)
    with pytest.raises(ValueError):
        parse_range("soon", t)


def test_higher_video_tracks_are_on_top_and_size_is_the_first_videos_even() -> None:
    t = tl(Track("video", "V1", (Clip(1, V, 0, 50),)), Track("video", "V2", (Clip(2, W, 0, 20),)))
    spec = render_spec_for(t)
    assert [c.track for c in spec.clips] == [0, 1]
    assert (spec.width, spec.height) == (640, 360), "the project's first video (V, first in its bin)"
    later = Timeline(rate=R, tracks=t.tracks, media=(W, V, A), next_id=100)
    assert (render_spec_for(later).width, render_spec_for(later).height) == (1278, 720), "W came first: odd made even"
    only_w = tl(Track("video", "V1", (Clip(1, W, 0, 20),)))
    assert (render_spec_for(only_w).width, render_spec_for(only_w).height) == (1278, 720), "V is not used"
    assert spec.clips[1].source_out == Fraction(20, 25)  # 20 timeline frames, whatever the source rate
    resized = render_spec_for(t, width=321, height=241)
    assert (resized.width, resized.height) == (320, 240)


def test_presets_and_the_ranges_they_refuse() -> None:
    assert set(PRESETS) == {"high", "fast", "copy", "smart"}
    one = tl(Track("video", "V1", (Clip(1, V, 0, 50),)))
    assert render_spec_for(one, preset="copy").mode == "copy"
    assert render_spec_for(one, preset="smart").mode == "smart"
    assert render_spec_for(one, preset="copy").clips[0].audio is True  # copy takes the file's own sound
    gappy = tl(Track("video", "V1", (Clip(1, V, 0, 50), Gap(5), Clip(2, V, 60, 5))))
    with pytest.raises(RenderError, match="gap"):
        render_spec_for(gappy, preset="copy")
    with pytest.raises(RenderError, match="preset"):
        render_spec_for(one, preset="ultra")
    with pytest.raises(RenderError, match="in or out"):
        render_spec_for(one, in_out=True)
    with pytest.raises(RenderError, match="empty"):
        export_range(one, (50, 50))
    with pytest.raises(RenderError, match="nothing to export"):
        render_spec_for(tl(Track("video", "V1")))


def test_a_rendered_range_has_exactly_the_frames_the_timeline_shows(short_project, tmp_path: Path) -> None:
    t = short_project.timeline
    from dataclasses import replace

    t = replace(t, in_point=13, out_point=41)
    spec = render_spec_for(t, preset="fast", in_out=True)
    out = tmp_path / "range.mp4"
    render(spec, out)
    with av.open(str(out)) as c:
        numbers = [read_frame_number(np.asarray(f.to_ndarray(format="rgb24"))) for f in c.decode(video=0)]
    assert numbers == list(range(13, 41))


def test_a_new_project_exports_at_the_size_and_rate_of_its_first_video() -> None:
    from editor.model.navigate import timeline_from_media

    small = MediaRef("fs", "/m/small.mp4", 100, Fraction(25), True, True, 853, 480)
    big = MediaRef("fb", "/m/big.mp4", 100, Fraction(50), True, True, 1920, 1080)
    spec = render_spec_for(timeline_from_media([small, big]))
    assert (spec.width, spec.height, spec.fps) == (852, 480, 25)
    spec = render_spec_for(timeline_from_media([A, big, small]))
    assert (spec.width, spec.height, spec.fps) == (1920, 1080, 50), "the first video, after a sound file"
