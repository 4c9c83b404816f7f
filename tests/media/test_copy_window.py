"""A copy of part of a file indexes that part only (``scan_window``), and what it plans and writes is what
the whole file's index gives: the same real ranges, the same packets, on every shape real files have."""

from __future__ import annotations

from fractions import Fraction as F
from pathlib import Path

import av
import pytest

from editor.media import render_copy
from editor.media.origin import scan_video, scan_window
from editor.media.render import RenderClip, RenderSpec, copy_plan, render
from editor.media.synth import SHAPES, SynthClip, make_clip, make_shape

SPANS = ((F(1, 2), F(5, 2)), (F(33, 10), F(51, 10)), (F(31, 5), None))


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SynthClip]:
    root = tmp_path_factory.mktemp("window")
    made = {name: make_shape(root, name, frames=200, gop=20) for name in SHAPES}
    made["mp4"] = make_clip(root / "plain.mp4", frames=200, gop=20)
    return made


def _forget() -> None:
    render_copy._INDEX_CACHE.clear()
    render_copy._WINDOW_CACHE.clear()


def _packets(path: Path) -> list[tuple[int | None, bytes]]:
    with av.open(str(path)) as c:
        return [(p.pts, bytes(p)) for p in c.demux(c.streams.video[0]) if p.size]


def _keys_in(ix, lo: int, hi: int | None) -> list[int]:
    return [k.pts for k in ix.keyframes if lo <= k.pts and (hi is None or k.pts <= hi)]


@pytest.mark.parametrize("name", [*SHAPES, "mp4"])
def test_a_window_holds_the_frames_the_whole_index_holds(shapes, name) -> None:
    path = str(shapes[name].path)
    with av.open(path) as c:
        s = c.streams.video[0]
        whole = scan_video(c, s)
        for a, b in SPANS:
            w = scan_window(c, s, a, b)
            if w is None:
                continue  # allowed: the caller scans the whole file
            lo, hi = w.window
            assert lo <= w.origin.pts_at(a) and (hi is None or w.origin.pts_at(b) <= hi)
            kept = [p for p in whole.pts if lo <= p and (hi is None or p < hi)]
            assert [p for p in w.pts if p >= lo and (hi is None or p < hi)] == kept, (name, a, b)
            assert _keys_in(w, lo, hi) == _keys_in(whole, lo, hi)
            assert w.origin == whole.origin


@pytest.mark.parametrize("joined", [False, True])
@pytest.mark.parametrize("name", [*SHAPES, "mp4"])
def test_copy_from_a_window_plans_and_writes_what_the_whole_index_does(shapes, name, joined, tmp_path) -> None:
    clip = shapes[name]
    path = str(clip.path)
    clips = (RenderClip(path, F(33, 10), F(41, 10), F(0)),) + (
        (RenderClip(path, F(26, 5), F(6), F(4, 5)),) if joined else ())
    spec = RenderSpec(clips, width=clip.size[0], height=clip.size[1], mode="copy")
    _forget()
    try:
        windowed = copy_plan(spec)
        used = render_copy._indexes(sorted(clips, key=lambda c: c.timeline_start))
        out_w = render(spec, tmp_path / f"w{clip.path.suffix}").path
        _forget()
        whole = copy_plan(spec, render_copy._indexes(list(clips), whole=True))
    except Exception as exc:  # noqa: BLE001 - a shape copy refuses: it must refuse the same way both ways
        _forget()
        with pytest.raises(type(exc)):
            render_copy.copy_plan(spec, render_copy._indexes(list(clips), whole=True))
        return
    assert [(s.actual_in, s.actual_out, s.output_start, s.output_end) for s in windowed] == [
        (s.actual_in, s.actual_out, s.output_start, s.output_end) for s in whole]
    out_f = render(spec, tmp_path / f"f{clip.path.suffix}").path  # the whole index is cached now
    assert _packets(out_w) == _packets(out_f)
    if name in ("mp4", "ts", "mkv", "edit_list_mp4"):
        assert any(ix.window is not None for ix, _order in used.values()), "the window was not used"
    _forget()
