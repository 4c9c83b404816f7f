"""Sound in sync after every join: flash-and-beep files of every shape, six segments (five joins), each
flash of the output measured against its beep in milliseconds; smart cuts are frame-exact."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction as F
from pathlib import Path

import av
import pytest

from editor.media.errors import RenderError
from editor.media.origin import scan_video, time_origin
from editor.media.render import RenderClip, RenderSpec, render
from editor.media.synth import SynthClip, make_clip, make_shape, measure_sync, read_frame_number

#: frames [a, b) of the source; each segment holds a flash (every 25th frame) and starts 2-3 frames before it
CUTS = [(22, 43), (48, 71), (73, 96), (99, 131), (139, 158), (163, 190)]
SHAPES = ["mp4", "mov", "ts", "remux_ts", "open_gop_ts", "open_gop_mkv", "edit_list_mp4", "mkv", "vfr", "hevc_mkv",
          "open_gop_hevc_ts"]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], SynthClip]:
    root = tmp_path_factory.mktemp("sync")
    made: dict[str, SynthClip] = {}

    def get(name: str) -> SynthClip:
        if name not in made:
            if name in ("mp4", "mov"):
                made[name] = make_clip(root / f"plain.{name}", frames=200, gop=20, flash=True, codec="libx264")
            else:
                made[name] = make_shape(root, name, frames=200, gop=20, flash=True)
        return made[name]

    return get


def numbers(path: Path) -> list[int]:
    with av.open(str(path)) as c:
        origin = time_origin(c)
        v = c.streams.video[0]
        return [read_frame_number(f.to_ndarray(format="rgb24")) for f in c.decode(v)
                if f.pts is not None and f.pts >= origin.pts]


def spec_for(clip: SynthClip, mode: str, cuts: list[tuple[int, int]] = CUTS
             ) -> tuple[RenderSpec, list[tuple[int, int]]]:
    cuts = [c for c in cuts if c[1] < clip.frames]
    clips, at = [], F(0)
    for a, b in cuts:
        ta, tb = clip.frame_times[a], clip.frame_times[b]
        clips.append(RenderClip(str(clip.path), ta, tb, at))
        at += tb - ta
    return RenderSpec(tuple(clips), width=320, height=240, mode=mode), cuts


@pytest.mark.parametrize("name", SHAPES)
def test_smart_cut_is_frame_exact_with_sound_within_3_ms_at_every_join(tmp_path, source, name) -> None:
    clip = source(name)
    spec, cuts = spec_for(clip, "smart")
    assert len(cuts) >= 5  # four joins at least, five for the files that keep every frame
    result = render(spec, tmp_path / f"smart{clip.path.suffix}")
    assert result.mode_used in ("smart", "copy")
    assert numbers(result.path) == [clip.first_number + i for a, b in cuts for i in range(a, b)]
    sync = measure_sync(result.path)
    expected_flashes = sum(1 for a, b in cuts for i in clip.flash_frames if a <= i < b)
    assert len(sync.offsets_ms) == expected_flashes and not sync.unmatched_flashes and not sync.unmatched_beeps
    assert sync.worst_ms <= 3.0, sync.offsets_ms
    assert all(s.exact for s in result.segments)


@pytest.mark.parametrize("name", SHAPES)
def test_copy_is_a_keyframe_cut_with_sound_within_12_ms_not_accumulating(tmp_path, source, name) -> None:
    clip = source(name)
    spec, cuts = spec_for(clip, "copy")
    if name in ("open_gop_ts", "open_gop_mkv"):  # H.264 with no IDR picture after the first frame: a join
        # cannot be copied cleanly (HEVC's CRA pictures can: each after a join is marked a BLA splice)
        with pytest.raises(RenderError, match="open-GOP H.264 with no IDR picture.*use smart"):
            render(spec, tmp_path / f"copy{clip.path.suffix}")
        assert not list(tmp_path.iterdir())
        first = RenderSpec(spec.clips[:1], mode="copy")  # one segment: from its recovery-point keyframe
        spec, cuts = first, cuts[:1]
    if "hevc" in name:  # CRA keyframes: a repeated picture is refused
        with pytest.raises(RenderError, match="both hold the HEVC pictures.*use smart"):
            render(spec, tmp_path / f"copy{clip.path.suffix}")  # 22-43 from 20, then 48-71 from 40: 40-44 twice
        assert not list(tmp_path.iterdir())
        cuts = cuts[::2]  # 22-43, 73-96, 139-158: apart, each join at a CRA keyframe
        spec = spec_for(clip, "copy", cuts)[0]
    result = render(spec, tmp_path / f"copy{clip.path.suffix}")
    assert result.mode_used == "copy" and len(result.segments) == len(cuts)
    with av.open(str(clip.path)) as c:
        index = scan_video(c)
    expected = []
    for seg, (a, b) in zip(result.segments, cuts, strict=True):
        first = index.index_at(seg.actual_in + F(1, 10**6))
        end = index.index_at(seg.actual_out + F(1, 10**6)) if seg.actual_out < index.duration else len(index)
        key = index.keyframe_before(a)
        assert first <= a and index.pts[first] >= key.pts  # from the keyframe at or before the in-point
        assert b <= end <= b + 4  # to the out-point, or the few frames its last B-frames need
        expected += [clip.first_number + i for i in range(first, end)]
        if first < a:
            assert "keyframe" in seg.reason and f"{float(seg.actual_in):.3f}" in seg.reason
    assert numbers(result.path) == expected
    assert any("keyframe" in n for n in result.notes)
    sync = measure_sync(result.path)
    expected_flashes = sum(1 for s in result.segments for i in clip.flash_frames
                           if s.actual_in <= clip.frame_times[i] < s.actual_out)
    assert len(sync.offsets_ms) == expected_flashes and not sync.unmatched_flashes
    assert sync.worst_ms <= 12.0, sync.offsets_ms
