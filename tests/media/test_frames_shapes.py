"""FrameReader is exact on the shapes real files have: frame k is the k-th decodable frame, read back from
the number painted on it, whatever the container adds (TS offsets, edit lists, open GOPs, VFR)."""

from __future__ import annotations

import random

import pytest

from editor.media.frames import FrameReader
from editor.media.synth import SHAPES, SynthClip, make_shape, read_frame_number


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SynthClip]:
    root = tmp_path_factory.mktemp("frame-shapes")
    return {name: make_shape(root, name, frames=70, gop=20) for name in SHAPES}


def number(pic) -> int:
    return read_frame_number(pic.to_ndarray())


def sample(clip: SynthClip, reader: FrameReader) -> list[int]:
    keys = reader.keyframe_indices()
    ks = {0, 1, clip.frames - 1, clip.frames // 2}
    for k in keys:
        ks |= {k - 1, k, k + 1}
    ks = sorted(k for k in ks if 0 <= k < clip.frames)
    random.Random(10).shuffle(ks)
    return ks


@pytest.mark.parametrize("name", SHAPES)
def test_random_access_returns_exactly_frame_k(shapes, name) -> None:
    clip = shapes[name]
    with FrameReader(clip.path, fit=(160, 120), cache_bytes=0) as reader:
        assert reader.frame_count == clip.frames
        for k in sample(clip, reader):
            pic = reader.read(k, back_window=0)
            assert (pic.index, number(pic), pic.time) == (k, clip.first_number + k, clip.frame_times[k])
            # and by time: the middle of the frame, and its very start
            mid = clip.frame_times[k] + pic.duration / 2
            assert number(reader.read(mid, back_window=0)) == clip.first_number + k
            assert reader.index_at(clip.frame_times[k]) == k


@pytest.mark.parametrize("name", SHAPES)
def test_stepping_back_and_forth_and_iterating(shapes, name) -> None:
    clip = shapes[name]
    with FrameReader(clip.path, fit=(160, 120)) as reader:
        k = min(clip.frames - 4, 45)
        got = [number(reader.read(i)) for i in range(k, k - 15, -1)]  # step back over a keyframe
        assert got == [clip.first_number + i for i in range(k, k - 15, -1)]
        got = [number(reader.read(i)) for i in range(k - 15, k + 3)]
        assert got == [clip.first_number + i for i in range(k - 15, k + 3)]
        start = 3
        pics = list(reader.iter_from(start))
        assert [p.index for p in pics] == list(range(start, clip.frames))
        assert [number(p) for p in pics] == [clip.first_number + i for i in range(start, clip.frames)]


@pytest.mark.parametrize("name", SHAPES)
def test_keyframe_preview_is_the_keyframe_it_says(shapes, name) -> None:
    clip = shapes[name]
    with FrameReader(clip.path, fit=(160, 120), cache_bytes=0) as reader:
        keys = reader.keyframe_indices()
        for k in (0, clip.frames // 2, clip.frames - 1):
            pic = reader.read_keyframe_before(k)
            assert pic.index <= k
            assert pic.index in keys or pic.index == k
            assert number(pic) == clip.first_number + pic.index
