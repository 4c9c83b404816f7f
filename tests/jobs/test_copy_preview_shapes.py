"""The copy preview on the files cameras and recorders write: the pictures the preview timeline plays (read as
the viewer reads them, by source time) are the pictures the stream-copy export writes, frame for frame, on a
B-frame TS with its start offset, open GOPs, an edit-listed MP4, MKV, HEVC and variable frame rate. Where the
export refuses (joined open-GOP segments with no IDR picture to start from), the preview refuses the same way."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import pytest

from editor.jobs.copy_preview import copy_spec, preview_timeline
from editor.jobs.importing import media_ref
from editor.media.errors import RenderError
from editor.media.frames import FrameReader
from editor.media.probe import probe
from editor.media.render import copy_plan, render
from editor.media.synth import SHAPES, make_shape, read_frame_number
from editor.model.layers import layers_at
from editor.model.marks import set_in_out
from editor.model.navigate import duration, timeline_from_media
from editor.model.registry import apply_edit

pytestmark = pytest.mark.timeout(180)


def _written(path: Path) -> list[int]:
    with av.open(str(path)) as c:
        return [read_frame_number(f.to_ndarray(format="rgb24")) for f in c.decode(video=0)]


def _previewed(timeline, path: str, plan, out: Path) -> tuple[list[int], list[int]]:  # type: ignore[no-untyped-def]
    """For each frame of the preview timeline: the picture number the player shows (the source time
    ``layers_at`` gives, read as the viewer reads it), and the number the written file shows at that moment
    of the output."""
    shown: list[int] = []
    there: list[int] = []
    with FrameReader(path) as reader, FrameReader(out) as written:
        for frame in range(duration(timeline)):
            (layer,) = layers_at(timeline, frame)
            seg = plan[layer.clip.id - 1]
            shown.append(read_frame_number(reader.read(reader.resolve(layer.seconds)).to_ndarray()))
            at = min(seg.output_start + layer.seconds - seg.actual_in, written.duration - Fraction(1, 1000))
            there.append(read_frame_number(written.read(written.resolve(at)).to_ndarray()))
    return shown, there


@pytest.mark.parametrize("joined", [True, False], ids=["two-segments", "in-out"])
@pytest.mark.parametrize("name", SHAPES)
def test_the_preview_plays_the_frames_the_copy_writes(tmp_path: Path, name: str, joined: bool) -> None:
    made = make_shape(tmp_path, name, frames=120, gop=20)
    t = timeline_from_media([media_ref(probe(str(made.path)))])
    if joined:
        t = apply_edit(t, "add_segment", {"start": 67, "end": 95})  # exported first: from the keyframe before
        t = apply_edit(t, "add_segment", {"start": 23, "end": 50})
        ranges = [(67, 95), (23, 50)]
    else:
        t = set_in_out(t, 47, 90)
        ranges = [(47, 90)]
    spec = copy_spec(t)
    out = tmp_path / f"copy{made.path.suffix}"
    try:
        plan = copy_plan(spec)
    except RenderError as refused:
        assert "open-GOP" in str(refused) and joined, (name, str(refused))
        with pytest.raises(RenderError) as exported:
            render(spec, out)
        assert str(exported.value) == str(refused)  # the preview says what the export would say
        return
    preview = preview_timeline(t, plan)
    render(spec, out)
    written = _written(out)
    shown, there = _previewed(preview, str(made.path), plan, out)
    assert shown == there, name  # at every moment the preview shows what the file shows
    if name == "vfr":  # played on the file's average-rate grid: a short frame may fall between two ticks
        assert set(shown) <= set(written)
    else:
        assert shown == written, name  # every frame written, once, in order
    first = made.first_number
    for a, b in ranges:  # every frame asked for (and in the file) is in the cut: copy may add frames, never lose one
        assert set(range(first + a, first + min(b, made.frames))) <= set(written), (name, a, b)
    starts = [written.index(first + a) for a, _b in ranges]
    assert starts == sorted(starts)  # in export order
