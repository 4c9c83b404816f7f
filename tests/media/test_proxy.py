"""Proxies: the same frames at the same times, seekable fast; no partial file on failure or cancel."""

from __future__ import annotations

import threading
from fractions import Fraction
from pathlib import Path

import pytest

from editor.media.errors import MediaError, RenderCancelled
from editor.media.frames import FrameReader
from editor.media.proxy import PROXY_GOP, make_proxy, needs_proxy
from editor.media.synth import make_clip, read_frame_number


@pytest.fixture(scope="module")
def long_gop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("proxy") / "long gop.mp4"
    make_clip(path, frames=150, fps=Fraction(25), size=(640, 480), gop=150)
    return path


def test_the_proxy_shows_the_same_frame_at_every_index_and_time(long_gop: Path, tmp_path: Path) -> None:
    progress: list[float] = []
    proxy = make_proxy(long_gop, tmp_path / "p.mp4", height=240, on_progress=lambda p, m: progress.append(p))
    assert progress[-1] == 100.0
    source, small = FrameReader(long_gop), FrameReader(proxy)
    try:
        assert small.frame_count == source.frame_count == 150
        assert small.display_size == (320, 240)
        assert needs_proxy(source.keyframe_indices(), source.frame_count)
        assert not needs_proxy(small.keyframe_indices(), small.frame_count)
        keys = small.keyframe_indices()
        assert max(b - a for a, b in zip(keys, keys[1:], strict=False)) <= PROXY_GOP
        for index in (0, 1, 57, 98, 149):
            assert read_frame_number(small.read(index).to_ndarray()) == index
            at = source.time_of(index)
            assert small.index_at(at) == index and read_frame_number(small.read(at).to_ndarray()) == index
    finally:
        source.close()
        small.close()


def test_a_random_seek_in_the_proxy_decodes_at_most_one_gop(long_gop: Path, tmp_path: Path) -> None:
    proxy = make_proxy(long_gop, tmp_path / "p.mp4", height=240)
    source, small = FrameReader(long_gop), FrameReader(proxy)
    try:
        source.read(140), small.read(140)
        assert small.decoded_frames <= PROXY_GOP + 2 < source.decoded_frames
    finally:
        source.close()
        small.close()


def test_cancel_and_bad_input_leave_no_file(long_gop: Path, tmp_path: Path) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(RenderCancelled):
        make_proxy(long_gop, tmp_path / "c.mp4", cancel=cancel)
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"nope" * 100)
    with pytest.raises(MediaError):
        make_proxy(junk, tmp_path / "j.mp4")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk.mp4"]


def test_a_proxy_pauses_at_its_pause_points_and_stays_exact(long_gop: Path, tmp_path: Path) -> None:
    from editor.jobs.priority import PlaybackGate

    gate = PlaybackGate()
    calls: list[int] = []
    pause = gate.pause_point()

    def counting_pause() -> None:
        calls.append(1)
        pause()

    proxy = make_proxy(long_gop, tmp_path / "p.mp4", height=240, pause=counting_pause, threads=1)
    assert len(calls) >= 150, "a pause point before every frame"
    with FrameReader(proxy) as small:
        for index in (0, 12, 13, 149, 75, 74):
            assert read_frame_number(small.read(index).to_ndarray()) == index


def test_pictures_bigger_than_1080p_get_a_proxy_whatever_their_gop() -> None:
    assert needs_proxy(list(range(0, 100, 10)), 100, (3840, 2160))
    assert not needs_proxy(list(range(0, 100, 10)), 100, (1920, 1080))
