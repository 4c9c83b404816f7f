"""Smart cut proves itself: exact at both ends (H.264 closed and open GOP, HEVC; MP4/MOV/MKV/TS in and out),
segments it cannot copy are re-encoded and say why, and a seam that does not match its source is found by
decoding across it and re-encoded, never shipped."""

from __future__ import annotations

from fractions import Fraction as F
from pathlib import Path

import av
import numpy as np
import pytest

from editor.media import render_copy, smartcut
from editor.media.origin import time_origin
from editor.media.render import RenderClip, RenderSpec, render
from editor.media.smartcut import frames_match
from editor.media.synth import SynthClip, make_clip, make_shape, read_frame_number


def numbers(path: Path, crop: slice | None = None) -> list[int]:
    with av.open(str(path)) as c:
        origin = time_origin(c)
        out = []
        for f in c.decode(c.streams.video[0]):
            if f.pts is not None and f.pts >= origin.pts:
                arr = f.to_ndarray(format="rgb24")
                out.append(read_frame_number(arr[:, crop] if crop else arr))
        return out


def joined(clip: SynthClip, cuts: list[tuple[int, int]], **kw) -> RenderSpec:
    clips, at = [], F(0)
    for a, b in cuts:
        ta, tb = clip.frame_times[a], clip.frame_times[b]
        clips.append(RenderClip(str(clip.path), ta, tb, at))
        at += tb - ta
    return RenderSpec(tuple(clips), width=320, height=240, mode="smart", **kw)


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("smart")


@pytest.mark.parametrize("name", ["hevc_mkv", "open_gop_hevc_ts"])
def test_hevc_smart_cut_is_exact(tmp_path, root, name) -> None:
    clip = make_shape(root, name, frames=100, gop=20)
    cuts = [(3, 27), (31, 58), (55, 79)]  # each holds a keyframe (every 20 frames)
    cuts = [(a, min(b, clip.frames - 1)) for a, b in cuts if a < clip.frames - 1]
    result = render(joined(clip, cuts), tmp_path / "out.mkv")
    assert result.mode_used == "smart" and {s.mode for s in result.segments} <= {"smart", "copy"}
    assert numbers(result.path) == [clip.first_number + i for a, b in cuts for i in range(a, b)]
    assert any("re-encoded frames" in s.reason for s in result.segments)  # the edges, said per segment


@pytest.mark.parametrize("out", [".mp4", ".mov", ".mkv", ".ts"])
def test_smart_output_in_every_container_that_takes_h264(tmp_path, root, out) -> None:
    clip = make_clip(root / "gop20.mp4", frames=80, gop=20) if not (root / "gop20.mp4").exists() else \
        make_clip(root / "gop20b.mp4", frames=80, gop=20)
    cuts = [(5, 33), (41, 67)]
    result = render(joined(clip, cuts), tmp_path / f"out{out}")
    with av.open(str(result.path)) as c:
        assert c.streams.video[0].codec_context.name == "h264"
    assert numbers(result.path) == [i for a, b in cuts for i in range(a, b)]


def test_a_seam_that_differs_is_found_re_encoded_and_reported(tmp_path, root, monkeypatch) -> None:
    # Copying an open-GOP H.264 from its recovery-point I-frame after re-encoded frames: decoders keep the
    # picture order of what came before and drop frames. Let the planner believe it may, and see the proof
    # catch it.
    clip = make_shape(root, "open_gop_mkv", frames=120, gop=20)
    monkeypatch.setattr(smartcut, "idr_test", lambda path, ix: (lambda key: True))
    cuts = [(3, 37), (45, 80)]
    result = render(joined(clip, cuts), tmp_path / "proved.mkv")
    assert numbers(result.path) == [clip.first_number + i for a, b in cuts for i in range(a, b)]
    assert any("did not match the source" in n and "re-encoded" in n for n in result.notes)
    assert any(s.mode == "reencode" and "did not match" in s.reason for s in result.segments)


def test_segments_that_cannot_be_copied_are_re_encoded_and_say_why(tmp_path, root) -> None:
    a = make_clip(root / "a.mp4", frames=75, gop=25)
    b = make_clip(root / "b.mp4", frames=50, gop=25, size=(240, 180), start_number=500)  # other size
    spec = RenderSpec((RenderClip(str(a.path), F(3, 25), F(40, 25), F(0)),
                       RenderClip(str(a.path), F(0), F(1), F(37, 25), speed=F(2)),  # 1 s at twice the speed
                       RenderClip(str(b.path), F(2, 25), F(30, 25), F(37, 25) + F(1, 2))),
                      width=320, height=240, fps=F(25), mode="smart")
    result = render(spec, tmp_path / "mixed.mp4")
    modes = [s.mode for s in result.segments]
    assert modes[0] == "smart" and modes[1] == "reencode" and modes[2] == "reencode"
    assert "speed" in result.segments[1].reason and "codec parameters" in result.segments[2].reason
    assert any("speed" in n for n in result.notes) and any("codec parameters" in n for n in result.notes)
    got = numbers(result.path)
    assert got[:37] == list(range(3, 40))
    assert got[37:37 + 12] == list(range(0, 24, 2))  # every other frame for half a second
    # 240x180 fitted into 320x240 fills it: numbers read as they are
    assert got[37 + 12:] == list(range(502, 530))


def test_frames_match_tells_compression_noise_from_another_frame() -> None:
    rng = np.random.default_rng(3)
    base = rng.integers(0, 255, size=(180, 320)).astype(np.int16)
    noisy = np.clip(base + rng.integers(-6, 7, size=base.shape), 0, 255).astype(np.int16)
    other = base.copy()
    other[0:22, 0:40] = 255 - other[0:22, 0:40]  # one block of the frame-number code flipped
    assert frames_match(base, noisy)
    assert not frames_match(base, other)
    assert not frames_match(base, base[:, :300])


def test_cut_plan_is_cached_per_file_and_renewed_when_it_changes(tmp_path) -> None:
    clip = make_clip(tmp_path / "c.mp4", frames=30, gop=10)
    first, _ = render_copy.file_index(str(clip.path))
    assert render_copy.file_index(str(clip.path))[0] is first
    make_clip(tmp_path / "c.mp4", frames=40, gop=10)
    again, _ = render_copy.file_index(str(clip.path))
    assert again is not first and len(again) == 40


def test_seams_sharing_a_keyframe_are_decoded_in_one_run(tmp_path) -> None:
    clip = make_clip(tmp_path / "g.mp4", frames=100, gop=25)
    ix, _order = render_copy.file_index(str(clip.path))
    runs = smartcut._decode_runs(ix, [(3, 5), (23, 27), (22, 25), (60, 62), (98, 120)])
    starts = [ix.frame_at_pts(key.pts) for key, _hi, _w in runs]
    assert starts == [0, 50, 75], "23-27 is decoded on from frame 0 (its keyframe 0 is passed by then)"
    assert [hi for _k, hi, _w in runs] == [27, 62, 100]
    assert runs[0][2] == {3, 4, 22, 23, 24, 25, 26} and runs[2][2] == {98, 99}
    got = smartcut._decode_ranges(clip.path, [(3, 5), (23, 27)], index_cached=True)
    assert sorted(got) == [3, 4, 23, 24, 25, 26]
