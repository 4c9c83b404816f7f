"""Preview and export draw titles, fades, dissolves and picture-in-picture identically, to the pixel.

The export is encoded losslessly (FFV1, RGB) so the decoded file can be compared exactly with the frame the
window's preview engine produced at the same size.
"""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from editor.jobs.export import render_spec_for
from editor.jobs.importing import import_files
from editor.media.render import render
from editor.media.synth import make_clip, read_frame_number
from editor.model.registry import apply_edit
from editor.model.timeline import Clip, Timeline, Track
from editor.ui.preview import PreviewEngine, qimage_to_rgb

R = Fraction(25)


@pytest.fixture(scope="module")
def composed(tmp_path_factory: pytest.TempPathFactory) -> Timeline:
    root = tmp_path_factory.mktemp("compose")
    a, b = root / "a.mp4", root / "b.mp4"
    make_clip(a, frames=100, size=(320, 240), gop=25)
    make_clip(b, frames=80, size=(320, 240), gop=20, start_number=500)
    ma, mb = import_files([a, b]).refs
    v1 = Track("video", "V1", (Clip(1, ma, 0, 40), Clip(2, ma, 60, 40)))
    v2 = Track("video", "V2", (Clip(3, mb, 0, 60),))
    t = Timeline(rate=R, tracks=(v1, v2, Track("video", "V3")), media=(ma, mb), next_id=4)
    t = apply_edit(t, "set_dissolve", {"item_id": 2, "frames": 10})  # frames 35..44
    t = apply_edit(t, "set_fade", {"item_id": 1, "fade_in": 8})
    t = apply_edit(t, "set_look", {"item_id": 3, "opacity": "3/4", "x": "1/4", "y": "-1/4", "scale": "1/2"})
    t = apply_edit(t, "set_fade", {"item_id": 3, "fade_out": 10})
    t = apply_edit(t, "add_title", {"track": 2, "frame": 20, "duration": 40, "text": "안녕 Cutline 字幕",
                                    "size": 120, "color": "#ffcc00"})
    t = apply_edit(t, "set_fade", {"item_id": t.next_id - 1, "fade_in": 5})
    return t


def preview_frames(qtbot, timeline: Timeline, frames: list[int], size: tuple[int, int]) -> dict[int, np.ndarray]:
    engine = PreviewEngine(fit=size)
    shown: dict[int, np.ndarray] = {}
    engine.frame_ready.connect(lambda image, f: shown.__setitem__(f, qimage_to_rgb(image)))
    try:
        for f in frames:
            engine.show(timeline, f)
            qtbot.waitUntil(lambda f=f: f in shown, timeout=10000)
    finally:
        engine.close()
    return shown


def exported(tmp_path, timeline: Timeline) -> list[np.ndarray]:
    spec = render_spec_for(timeline, preset="fast", video_codec="ffv1")
    assert spec.composition, "a timeline with picture effects carries its composition"
    out = render(spec, tmp_path / "composed.mkv").path
    with av.open(str(out)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def test_preview_and_export_are_identical_on_composited_frames(qtbot, tmp_path, composed) -> None:
    chosen = [1, 4, 12, 22, 30, 36, 40, 44, 52, 58]  # fade in, pip, title fade, dissolve, pip fade out
    preview = preview_frames(qtbot, composed, chosen, (320, 240))
    frames = exported(tmp_path, composed)
    assert len(frames) == 80
    for f in chosen:
        got, want = frames[f].astype(int), preview[f].astype(int)
        assert got.shape == want.shape == (240, 320, 3)
        assert np.abs(got - want).max() == 0, f"frame {f} differs from the preview"


def test_the_composite_holds_what_was_asked(qtbot, composed) -> None:
    p = preview_frames(qtbot, composed, [0, 4, 20, 30, 40, 70], (320, 240))
    assert p[0][130:, :150].max() == 0, "the first frame of a fade in from black is black (outside the pip)"
    from editor.media.frames import FrameReader

    with FrameReader(composed.tracks[0].items[0].media.path) as reader:
        plain4 = reader.read(4).to_ndarray().astype(float)
    ratio = p[4][130:].astype(float).sum() / plain4[130:].sum()
    assert 0.49 < ratio < 0.51, f"half way through an 8-frame fade in: {ratio}"
    # the picture-in-picture: half size, its centre moved a quarter right and a quarter up: (240, 60)
    pip = p[30][30:90, 180:300]
    assert abs(int(pip[..., 1].mean()) - int(p[30][150:210, 20:140, 1].mean())) > 3
    # after everything: clip 2 (from source 60), plain (a far jump shows its keyframe 75 first, then 90)
    assert read_frame_number(p[70]) in (75, 90)
    # the title's yellow ink is in the middle of the picture (a CJK font drew the Hangul and Han)
    mid = p[30][100:140]
    yellow = (mid[..., 0] > 200) & (mid[..., 1] > 160) & (mid[..., 2] < 90)
    assert yellow.sum() > 300
    # inside the dissolve both clips show: frame 40 is neither clip 1's frame 40 nor clip 2's frame 60
    assert p[40].astype(int).sum() != p[70].astype(int).sum()


def test_copy_export_refuses_picture_effects(composed) -> None:
    from editor.media.errors import RenderError

    with pytest.raises(RenderError, match="cannot draw titles"):
        render_spec_for(composed, preset="copy")



def test_a_composited_export_in_parts_draws_the_same_frames(tmp_path, composed) -> None:
    from editor.jobs.chunked import part_specs

    spec = render_spec_for(composed, preset="fast", video_codec="ffv1")
    whole = exported(tmp_path, composed)
    parts, _sound = part_specs(spec, 3)
    got: list[np.ndarray] = []
    for k, (_range, part) in enumerate(parts):
        out = render(part, tmp_path / f"part{k}.mkv").path
        with av.open(str(out)) as c:
            got += [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(got) == len(whole)
    for f in (1, 22, 36, 44, 58):  # composited frames (the parts start at other timeline frames)
        assert np.array_equal(got[f], whole[f]), f"frame {f} differs when rendered in parts"
