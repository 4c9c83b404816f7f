"""The output the user chooses (container by extension, codecs that belong there, quality, size, rate), and
any mix of sources (sizes, odd ones too, rates, rotations, pixel formats) renders."""

from __future__ import annotations

from fractions import Fraction as F
from pathlib import Path

import av
import pytest

from editor.media.errors import RenderError
from editor.media.frames import FrameReader
from editor.media.render import RenderClip, RenderSpec, render
from editor.media.render_output import choose_codecs, output_formats
from editor.media.synth import make_clip, read_frame_number


def streams(path: Path) -> tuple[str, str | None, str | None]:
    with av.open(str(path)) as c:
        v = c.streams.video[0].codec_context.name if c.streams.video else None
        a = c.streams.audio[0].codec_context.name if c.streams.audio else None
        return c.format.name, v, a


@pytest.mark.parametrize(("ext", "video", "audio", "want"), [
    (".mp4", "", "", ("mov,mp4,m4a,3gp,3g2,mj2", "h264", "aac")),
    (".mov", "prores", "pcm", ("mov,mp4,m4a,3gp,3g2,mj2", "prores", "pcm_s16le")),
    (".mkv", "hevc", "flac", ("matroska,webm", "hevc", "flac")),
    (".webm", "", "", ("matroska,webm", "vp9", "opus")),
    (".ts", "", "", ("mpegts", "h264", "aac")),
    (".m4a", "", "", ("mov,mp4,m4a,3gp,3g2,mj2", None, "aac")),
    (".wav", "", "", ("wav", None, "pcm_s16le")),
    (".mp3", "", "", ("mp3", None, "mp3float")),
])
def test_the_container_follows_the_extension_with_codecs_that_belong(tmp_path, media, ext, video, audio, want) -> None:
    spec = RenderSpec((RenderClip(str(media.mp4.path), F(0), F(1), F(0)),), width=160, height=120,
                      video_codec=video, audio_codec=audio)
    result = render(spec, tmp_path / f"out{ext}")
    assert streams(result.path) == want
    if want[1] is not None:
        with FrameReader(result.path) as reader:
            assert reader.frame_count == 25


def test_every_listed_format_has_codecs_this_ffmpeg_can_encode() -> None:
    exts = {f.extension for f in output_formats()}
    assert {".mp4", ".mov", ".mkv", ".webm", ".ts", ".m4a", ".wav", ".mp3"} <= exts
    from editor.media.render_output import AUDIO_ENCODERS, VIDEO_ENCODERS

    for f in output_formats():
        assert f.audio and all(AUDIO_ENCODERS[c] in av.codecs_available for c in f.audio)
        assert all(VIDEO_ENCODERS[c] in av.codecs_available for c in f.video)


def test_choices_that_do_not_fit_are_refused_in_one_line(tmp_path, media) -> None:
    for path, v, a, words in ((tmp_path / "x.avi", "", "", "cannot write '.avi'"),
                              (tmp_path / "x.webm", "h264", "", "cannot hold h264"),
                              (tmp_path / "x.mp4", "", "flac", "cannot hold flac"),
                              (tmp_path / "x.wav", "h264", "", "holds no video")):
        with pytest.raises(RenderError) as exc:
            choose_codecs(path, v, a, True)
        assert words in str(exc.value) and "\n" not in str(exc.value)
    spec = RenderSpec((RenderClip(str(media.mp4.path), F(0), F(1), F(0)),), width=160, height=120)
    with pytest.raises(RenderError, match="cannot write"):
        render(spec, tmp_path / "x.avi")
    assert list(tmp_path.iterdir()) == []


def test_an_existing_output_is_refused_unless_overwrite(tmp_path, media) -> None:
    target = tmp_path / "keep.mp4"
    target.write_bytes(b"earlier work")
    spec = RenderSpec((RenderClip(str(media.mp4.path), F(0), F(1), F(0)),), width=160, height=120)
    with pytest.raises(RenderError, match="already exists"):
        render(spec, target, overwrite=False)
    assert target.read_bytes() == b"earlier work"
    render(spec, target, overwrite=True)
    assert streams(target)[1] == "h264"


def test_quality_size_and_rate(tmp_path, media) -> None:
    clip = RenderClip(str(media.no_audio.path), F(0), F(2), F(0))
    small = render(RenderSpec((clip,), width=320, height=240, video_bitrate=50_000), tmp_path / "small.mp4")
    big = render(RenderSpec((clip,), width=320, height=240, crf=10), tmp_path / "big.mp4")
    assert small.path.stat().st_size * 2 < big.path.stat().st_size
    fast = render(RenderSpec((clip,), width=160, height=120, fps=F(50)), tmp_path / "fifty.mp4")
    with FrameReader(fast.path) as reader:
        assert reader.frame_count == 100 and (reader.read(0).width, reader.read(0).height) == (160, 120)
        assert [read_frame_number(reader.read(i).to_ndarray()) for i in (0, 1, 2, 3)] == [0, 0, 1, 1]


def test_an_audio_only_project_writes_sound_only(tmp_path, media) -> None:
    spec = RenderSpec((RenderClip(str(media.wav.path), F(0), F(2), F(0), video=False),))
    result = render(spec, tmp_path / "sound.mp4")
    assert streams(result.path)[1:] == (None, "aac") and result.frames == 0
    with av.open(str(result.path)) as c:
        assert abs(float(c.duration / 1_000_000) - 2.0) < 0.05
    # a video project written to an audio container keeps its sound
    both = RenderSpec((RenderClip(str(media.mp4.path), F(0), F(1), F(0)),), width=160, height=120)
    assert streams(render(both, tmp_path / "sound.wav").path) == ("wav", None, "pcm_s16le")


@pytest.mark.parametrize("size", [(852, 478), (854, 480), (321, 241), (250, 142), (1280, 718)])
def test_any_frame_size_fits_into_720p(tmp_path, size) -> None:
    # 852x478 into 1280x720 used to crash ("cannot reshape array") whenever the fitted height was 2 mod 4
    odd = size[0] % 2 or size[1] % 2
    clip = make_clip(tmp_path / "src.mkv", frames=10, size=size, gop=5, pix_fmt="yuv444p" if odd else None)
    spec = RenderSpec((RenderClip(str(clip.path), F(0), F(10, 25), F(0)),), width=1280, height=720)
    result = render(spec, tmp_path / "out.mp4")
    with FrameReader(result.path) as reader:
        assert reader.frame_count == 10 and (reader.read(0).width, reader.read(0).height) == (1280, 720)
        w = round(size[0] * 720 / size[1])  # pillarboxed: the picture is centred, w wide
        x0 = (1280 - w) // 2
        arr = reader.read(7).to_ndarray()[:, x0 + 2:x0 + w - 2]
        assert read_frame_number(arr) == 7


def test_mixed_sizes_rates_rotations_and_pixel_formats_on_one_timeline(tmp_path, media) -> None:
    parts = [media.mp4, media.other_size, media.rotated, media.tenbit, media.prores, media.vfr]
    clips, at = [], F(0)
    for c in parts:
        clips.append(RenderClip(str(c.path), F(0), F(1, 2), at))
        at += F(1, 2)
    result = render(RenderSpec(tuple(clips), width=640, height=360, fps=F(30)), tmp_path / "mix.mkv")
    with FrameReader(result.path) as reader:
        assert reader.frame_count == 90
        for k, c in enumerate(parts):
            arr = reader.read(k * 15 + 7).to_ndarray()
            w = round(c.display_size[0] * 360 / c.display_size[1])
            x0 = (640 - w) // 2
            t = F(7, 30)
            expected = c.first_number + max(i for i, ft in enumerate(c.frame_times) if ft <= t)
            assert read_frame_number(arr[:, x0 + 2:x0 + w - 2]) == expected, c.path.name
