"""Stepping back through long GOPs: exact frames at every step, across GOP boundaries, in bounded memory."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from editor.media.backward import BackwardBuffer
from editor.media.frame_cache import FrameBudget
from editor.media.frames import FrameReader
from editor.media.synth import make_clip, read_frame_number


@pytest.fixture(scope="module")
def gop60(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("backward") / "gop60.mp4"
    make_clip(path, frames=150, fps=Fraction(25), size=(320, 240), gop=60)
    return path


def _open(path: Path, frames_in_budget: int) -> tuple[FrameReader, BackwardBuffer, FrameBudget]:
    budget = FrameBudget(frames_in_budget * 320 * 240 * 3)
    cache = budget.cache()
    reader = FrameReader(path, cache=cache)
    return reader, BackwardBuffer(reader, cache), budget


def test_stepping_back_across_gop_boundaries_gives_the_exact_frame_each_time(gop60: Path) -> None:
    reader, buffer, budget = _open(gop60, 24)
    try:
        assert reader.keyframe_indices()[:3] == [0, 60, 120]
        assert buffer.chunk_size() == 10
        for index in range(140, 45, -1):  # crosses the keyframes at 120 and 60
            picture = buffer.read(index)
            assert picture.index == index
            assert read_frame_number(picture.to_ndarray()) == index
            assert budget.used <= budget.max_bytes
            while buffer.prefetch_step():  # what the viewer does while it waits for the next key press
                pass
        # with the prefetch keeping up, no step back had to wait for a chunk to be decoded
        assert buffer.chunk_decodes == 0
    finally:
        reader.close()


def test_stepping_back_without_idle_time_is_still_exact_and_decodes_by_chunks(gop60: Path) -> None:
    reader, buffer, budget = _open(gop60, 24)
    try:
        for index in range(119, 49, -1):
            assert read_frame_number(buffer.read(index).to_ndarray()) == index
        steps = 119 - 49
        assert buffer.chunk_decodes <= steps // (buffer.chunk_size() - 1) + 2
        assert reader.decoded_frames < steps * 30, "not one decode from the keyframe per step"
        assert budget.used <= budget.max_bytes
    finally:
        reader.close()


def test_a_jump_then_steps_forward_and_back_stay_exact(gop60: Path) -> None:
    reader, buffer, _ = _open(gop60, 24)
    try:
        for index in (100, 99, 98, 99, 100, 101, 30, 29, 61, 60, 59, 58, 0):
            assert read_frame_number(buffer.read(index).to_ndarray()) == index
            buffer.prefetch_step()
    finally:
        reader.close()
