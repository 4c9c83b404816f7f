"""Re-encoding reads each source from the keyframe its frame index gives (not a seek by time, which lands past
it in MPEG-TS): the first GOP of a B-frame TS is not frozen on the next keyframe."""

from __future__ import annotations

from fractions import Fraction

import pytest

from editor.media.frames import FrameReader
from editor.media.render import RenderClip, RenderSpec, render
from editor.media.synth import make_shape, read_frame_number


@pytest.mark.parametrize("name", ["ts", "open_gop_ts", "edit_list_mp4", "mkv"])
def test_reencode_starts_at_the_exact_frame(tmp_path, name) -> None:
    clip = make_shape(tmp_path, name, frames=75, gop=25)
    for a, b in ((Fraction(0), Fraction(6, 5)), (Fraction(13, 25), Fraction(8, 5))):
        out = tmp_path / f"out-{name}-{int(a * 25)}.mp4"
        render(RenderSpec((RenderClip(str(clip.path), a, b, Fraction(0)),), width=320, height=240,
                          fps=Fraction(25), mode="reencode"), out)
        with FrameReader(out) as reader:
            got = [read_frame_number(reader.read(k).to_ndarray()) for k in range(reader.frame_count)]
        first = clip.first_number + int(a * 25)
        assert got == list(range(first, first + int((b - a) * 25)))
