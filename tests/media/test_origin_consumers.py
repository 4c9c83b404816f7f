"""Thumbnails, waveforms and proxies count time from the same origin as FrameReader: bucket 0 of a waveform
is frame 0's sound, a proxy's frame k is the source's frame k, on files whose streams start apart."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from editor.media.frames import FrameReader
from editor.media.proxy import make_proxy
from editor.media.synth import make_shape, read_frame_number
from editor.media.thumbnails import filmstrip
from editor.media.waveform import waveform_peaks


@pytest.mark.parametrize("name", ["delayed_mp4", "ts", "open_gop_ts", "edit_list_mp4"])
def test_waveform_beeps_line_up_with_the_flashes(tmp_path, name) -> None:
    clip = make_shape(tmp_path, name, frames=60, gop=20, flash=True)
    peaks = waveform_peaks(clip.path, buckets_per_second=1000).as_array()
    loud = np.flatnonzero(np.abs(peaks).max(axis=1) > 8000)
    onsets = [int(b) for i, b in enumerate(loud) if i == 0 or b - loud[i - 1] > 200]
    expected = [int(clip.frame_times[f] * 1000) for f in clip.flash_frames]
    assert len(onsets) == len(expected) > 0
    for got, want in zip(onsets, expected, strict=True):
        assert abs(got - want) <= 2, (onsets, expected)  # within 2 ms (a bucket is 1 ms)


@pytest.mark.parametrize("name", ["open_gop_ts", "edit_list_mp4", "ts"])
def test_proxy_frame_k_is_source_frame_k(tmp_path, name) -> None:
    clip = make_shape(tmp_path, name, frames=50, gop=25)
    proxy = make_proxy(clip.path, tmp_path / "proxy.mp4", height=120)
    with FrameReader(proxy) as reader:
        assert reader.frame_count == clip.frames
        for k in (0, 1, clip.frames // 2, clip.frames - 1):
            pic = reader.read(k)
            assert read_frame_number(pic.to_ndarray()) == clip.first_number + k
            assert pic.time == clip.frame_times[k]


def test_keyframe_thumbnails_of_an_edit_listed_file_show_its_own_frames(tmp_path) -> None:
    clip = make_shape(tmp_path, "edit_list_mp4", frames=80, gop=20)  # frame 0 is not a keyframe
    import av

    thumbs = filmstrip(clip.path, 4, (160, 120))
    for th in thumbs:
        with av.open(__import__("io").BytesIO(th.jpeg)) as f:
            number = read_frame_number(next(f.decode(video=0)).to_ndarray(format="rgb24"))
        assert clip.first_number <= number < clip.first_number + clip.frames  # never a hidden pre-roll frame
        assert number - clip.first_number <= th.time * 25 < number - clip.first_number + 20 + Fraction(1)
