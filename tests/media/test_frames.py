from __future__ import annotations

import random
import time
from fractions import Fraction

import numpy as np
import pytest

from editor.media.errors import NoVideoStreamError, PositionOutOfRangeError
from editor.media.frames import FrameReader, Picture
from editor.media.synth import read_frame_number


def number(pic: Picture) -> int:
    return read_frame_number(pic.to_ndarray())


@pytest.mark.parametrize("name", ["mp4", "long_gop", "webm", "prores", "tenbit", "vfr"])
def test_random_access_is_frame_exact(media, name) -> None:
    clip = getattr(media, name)
    with FrameReader(clip.path) as reader:
        assert reader.frame_count == clip.frames
        order = list(range(clip.frames))
        random.Random(3).shuffle(order)
        for i in order[:40]:
            pic = reader.read(i)
            assert number(pic) == i and pic.index == i
            assert pic.time == clip.frame_times[i]


def test_time_positions_pick_the_frame_covering_them(media) -> None:
    clip = media.vfr
    with FrameReader(clip.path) as reader:
        for i in range(clip.frames - 1):
            start, end = clip.frame_times[i], clip.frame_times[i + 1]
            for t in (start, (start + end) / 2, end - Fraction(1, 10000)):
                assert number(reader.read(t)) == i
        with pytest.raises(PositionOutOfRangeError):
            reader.read(clip.duration)
        with pytest.raises(PositionOutOfRangeError):
            reader.read(clip.frames)


def test_rotated_video_comes_out_upright(media) -> None:
    with FrameReader(media.rotated.path) as reader:
        assert reader.rotation == 90 and reader.display_size == (240, 320)
        pic = reader.read(17)
        assert (pic.width, pic.height) == (240, 320) and number(pic) == 17
        small = reader.read(18, size=(60, 80))
        assert (small.width, small.height) == (60, 80) and number(small) == 18


@pytest.mark.parametrize("fmt,bpp", [("rgb24", 3), ("rgba", 4), ("bgra", 4)])
def test_picture_layout_for_qimage(media, fmt, bpp) -> None:
    with FrameReader(media.mp4.path, fit=(160, 160), pixel_format=fmt) as reader:
        pic = reader.read(5)
        assert (pic.width, pic.height) == (160, 120)
        assert pic.stride >= pic.width * bpp and len(pic.data) >= pic.stride * pic.height
        arr = pic.to_ndarray()
        assert arr.shape == (120, 160, bpp)
        if fmt == "bgra":
            arr = arr[..., [2, 1, 0]]
        assert read_frame_number(arr) == 5
        if bpp == 4:
            assert np.all(pic.to_ndarray()[..., 3] == 255)


def test_stepping_back_and_forth_uses_the_cache(media) -> None:
    with FrameReader(media.long_gop.path, fit=(160, 120)) as reader:
        reader.read(80)
        decoded = reader.decoded_frames
        for i in range(79, 70, -1):  # within the back window: no decoding at all
            assert number(reader.read(i)) == i
        assert reader.decoded_frames == decoded
        for i in range(81, 85):  # forward: continues the decoder, one frame each
            t = time.perf_counter()
            assert number(reader.read(i)) == i
            assert time.perf_counter() - t < 0.1
        assert reader.decoded_frames - decoded <= 4 + 4  # decoder delay at most a few frames


def test_skipping_non_reference_frames_keeps_exactness(media) -> None:
    with FrameReader(media.long_gop.path) as reader:
        pic = reader.read(97)
        assert number(pic) == 97
        assert reader.decoded_frames < 97  # non-reference B-frames far from the target were not decoded


def test_audio_only_has_no_video(media) -> None:
    with pytest.raises(NoVideoStreamError) as exc:
        FrameReader(media.audio_only.path)
    assert "tone.m4a" in str(exc.value) and "\n" not in str(exc.value)


def test_cache_memory_is_bounded(media) -> None:
    with FrameReader(media.mp4.path, cache_bytes=320 * 240 * 3 * 5) as reader:
        for i in range(0, 60):
            reader.read(i)
        assert reader._cache.nbytes <= 320 * 240 * 3 * 5 + 320 * 240 * 4
