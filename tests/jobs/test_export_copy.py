"""Exports that copy or choose their output: a split-then-delete timeline in copy mode, audio-only timelines,
the user's codec/quality/size/rate choices."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import av
import pytest

from editor.jobs.export import render_spec_for
from editor.media.render import copy_plan, render
from editor.media.synth import make_clip, read_frame_number
from editor.model.edits import ripple_delete, split
from editor.model.timeline import Clip, MediaRef, Timeline, Track

R = Fraction(25)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory):
    return make_clip(tmp_path_factory.mktemp("copy") / "gop25.mp4", frames=100, gop=25)


def numbers(path: Path) -> list[int]:
    with av.open(str(path)) as c:
        return [read_frame_number(f.to_ndarray(format="rgb24")) for f in c.decode(video=0)]


def test_split_then_delete_does_not_export_the_deleted_part_in_copy_mode(tmp_path, source) -> None:
    m = MediaRef("f", str(source.path), 100, R, True, True, 320, 240)
    t = Timeline(rate=R, tracks=(Track("video", "V1", (Clip(1, m, 0, 100),)),), media=(m,), next_id=2)
    t = split(split(t, 0, 40), 0, 60)
    middle = t.tracks[0].items[1]
    t = ripple_delete(t, middle.id)  # frames 40..59 of the source are gone
    spec = render_spec_for(t, preset="copy")
    plan = copy_plan(spec)
    # the second segment starts at the keyframe at or before frame 60 (frame 50), and says so
    assert [float(s.actual_in) for s in plan] == [0.0, 2.0]
    assert "keyframe" in plan[1].reason and "2.000" in plan[1].reason
    result = render(spec, tmp_path / "copy.mp4")
    got = numbers(result.path)
    first_end = round(plan[0].actual_out * 25)
    assert 40 <= first_end <= 43  # ends at the cut (or the few frames its B-frames need), not at frame 50
    assert got == list(range(0, first_end)) + list(range(50, 100))
    assert not set(range(first_end, 50)) & set(got)  # what was deleted after the cut is not exported


def test_an_audio_only_timeline_exports_sound_only(tmp_path) -> None:
    tone = make_clip(tmp_path / "tone.wav", frames=50, video=False)
    a = MediaRef("a", str(tone.path), 48000 * 2, Fraction(48000), False, True)
    t = Timeline(rate=R, tracks=(Track("audio", "A1", (Clip(1, a, 0, 50),)),), media=(a,), next_id=2)
    spec = render_spec_for(t, preset="fast")
    assert spec.audio_only and not spec.has_video
    out = render(spec, tmp_path / "sound.mp4").path
    with av.open(str(out)) as c:
        assert not c.streams.video and c.streams.audio[0].codec_context.name == "aac"


def test_output_choices_reach_the_spec(source) -> None:
    m = MediaRef("f", str(source.path), 100, R, True, True, 320, 240)
    t = Timeline(rate=R, tracks=(Track("video", "V1", (Clip(1, m, 0, 50),)),), media=(m,), next_id=2)
    spec = render_spec_for(t, preset="fast", width=640, height=360, fps=Fraction(50), video_codec="hevc",
                           audio_codec="opus", crf=30, video_bitrate=0)
    assert (spec.width, spec.height, spec.fps, spec.video_codec, spec.audio_codec, spec.crf) == (
        640, 360, 50, "hevc", "opus", 30)
    assert spec.frame_count == 100  # 2 s at 50 fps


def test_copy_and_smart_refuse_a_timeline_whose_sound_is_not_the_clips_own(source) -> None:
    """Copy and smart take each video clip's own sound as its file holds it: a gain, a fade, a mute, a reverse,
    a sound track laid out otherwise or a second one would be dropped without a word, so they are refused in one
    line naming what, and high or fast offered."""
    from editor.media.errors import RenderError
    from editor.model.clip_edits import set_clip_audio, set_reverse
    from editor.model.edits import add_track
    from editor.model.navigate import timeline_from_media
    from editor.model.track_edits import set_track

    m = MediaRef("f", str(source.path), 100, R, True, True, 320, 240)
    plain = timeline_from_media([m])
    video = next(t for t in plain.tracks if t.kind == "video")
    sound = next(i for i, t in enumerate(plain.tracks) if t.kind == "audio")
    clip = video.items[0]
    import dataclasses

    music = add_track(plain, "audio", "Music")
    music = dataclasses.replace(music, tracks=(*music.tracks[:-1], Track("audio", "Music", (Clip(90, m, 10, 50),))))
    cases = {
        "apply a clip's gain (-6 dB)": set_clip_audio(plain, clip.id, gain_db=-6.0),
        "apply a clip's fades or crossfade": set_clip_audio(plain, clip.id, fade_in=10),
        "mute a clip": set_clip_audio(plain, clip.id, muted=True),
        "play a clip backwards": set_reverse(plain, clip.id, True),
        "apply A1's gain (+3 dB)": set_track(plain, sound, gain_db=3.0),
        "leave the sound out (its tracks are muted)": set_track(plain, sound, muted=True),
        "mix several sound tracks": music,
    }
    for preset in ("copy", "smart"):
        assert render_spec_for(plain, preset=preset).clips, "the untouched timeline copies"
        for what, timeline in cases.items():
            with pytest.raises(RenderError) as exc:
                render_spec_for(timeline, preset=preset)
            said = str(exc.value)
            assert what in said and "use high or fast" in said and "\n" not in said, said
        assert render_spec_for(cases["apply a clip's gain (-6 dB)"], preset="high").clips  # re-encode applies it


def test_markers_as_chapters_in_a_copy_and_within_a_range(tmp_path, source) -> None:
    """Chapters from markers: a copy export keeps every packet and gains the chapters; a range counts them
    from its own start and leaves out the markers outside it; none are asked for unless chosen."""
    from editor.jobs.export import marker_chapters
    from editor.media.chapters import read_chapters
    from editor.model.marks import add_marker, set_in_out

    m = MediaRef("f", str(source.path), 100, R, True, True, 320, 240)
    t = Timeline(rate=R, tracks=(Track("video", "V1", (Clip(1, m, 0, 100),)),), media=(m,), next_id=2)
    t = add_marker(add_marker(add_marker(t, 0, "Intro", "red"), 50, "", "blue"), 90, "Credits", "red")
    assert render_spec_for(t, preset="copy").chapters == ()
    spec = render_spec_for(t, preset="copy", chapters=True)
    result = render(spec, tmp_path / "chapters.mp4")
    assert [(float(c.start), float(c.end), c.title) for c in read_chapters(result.path)] == [
        (0.0, 2.0, "Intro"), (2.0, 3.6, "Chapter 2"), (3.6, 4.0, "Credits")]
    assert numbers(result.path) == list(range(100)), "the chapter pass copies every packet as it is"
    ranged = set_in_out(t, 25, 75)
    assert [(float(a), float(b), title) for a, b, title in marker_chapters(ranged, 25, 75)] == [
        (0.0, 1.0, "Start"), (1.0, 2.0, "Chapter 1")]
    assert marker_chapters(t, 91, 100) == ()


def test_joined_segments_play_one_after_another_and_a_composed_part_is_refused(source) -> None:
    from editor.jobs.export import joined_spec
    from editor.media.errors import RenderError

    m = MediaRef("f", str(source.path), 100, R, True, True, 320, 240)
    t = Timeline(rate=R, tracks=(Track("video", "V1", (Clip(1, m, 0, 100),)),), media=(m,), next_id=2)
    parts = [render_spec_for(t, preset="copy", in_out=(60, 80)), render_spec_for(t, preset="copy", in_out=(10, 30))]
    joined = joined_spec(parts, ["", "back"])
    assert [(float(c.source_in), float(c.source_out), float(c.timeline_start)) for c in joined.clips] == [
        (2.4, 3.2, 0.0), (0.4, 1.2, 0.8)]
    assert joined.frame_count == 40 and [title for _a, _b, title in joined.chapters] == ["Segment 1", "back"]
    composed = replace(parts[0], composition='{"tracks": []}')
    with pytest.raises(RenderError, match="cannot be joined yet; export them one file each"):
        joined_spec([parts[1], composed], [])
    with pytest.raises(RenderError, match="no segment is enabled"):
        joined_spec([], [])


def test_copy_takes_a_track_split_on_its_own_when_the_sound_is_unchanged(tmp_path, source) -> None:
    """Splitting only the picture (or only the sound) changes nothing that is heard: copy and smart take the
    timeline, and the file holds every frame with its sound. A piece of sound that no longer follows on (a
    slip) is still refused."""
    from editor.media.errors import RenderError
    from editor.model.clip_edits import slip_clip
    from editor.model.navigate import timeline_from_media

    m = MediaRef("f", str(source.path), 100, R, True, True, 320, 240)
    plain = timeline_from_media([m])
    v, a = (next(i for i, t in enumerate(plain.tracks) if t.kind == kind) for kind in ("video", "audio"))
    picture_split = split(plain, v, 40, with_linked=False)
    sound_split = split(split(plain, a, 30, with_linked=False), a, 70, with_linked=False)
    assert [len(t.items) for t in picture_split.tracks] != [len(t.items) for t in plain.tracks]
    for timeline in (picture_split, sound_split):
        for preset in ("copy", "smart"):
            assert render_spec_for(timeline, preset=preset).clips
    result = render(render_spec_for(sound_split, preset="copy"), tmp_path / "split-sound.mp4")
    assert numbers(result.path) == list(range(100))
    with av.open(str(result.path)) as c:
        assert c.streams.audio and float(c.streams.audio[0].duration * c.streams.audio[0].time_base) > 3.9
    middle = sound_split.tracks[a].items[1]
    slipped = slip_clip(sound_split, middle.id, 5)
    with pytest.raises(RenderError, match="not the video clips' own sound"):
        render_spec_for(slipped, preset="copy")
