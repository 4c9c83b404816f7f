"""Waveforms fast from the first second: parallel segments give the same peaks; a coarse pass comes first."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from editor.media.errors import NoAudioStreamError
from editor.media.synth import make_clip
from editor.media.waveform import SEGMENT_MIN_SECONDS, cached_peaks, coarse_peaks, waveform_peaks


@pytest.fixture(scope="module")
def long_audio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wave") / "long.m4a"
    seconds = int(SEGMENT_MIN_SECONDS) + 10
    make_clip(path, frames=seconds * 25, fps=Fraction(25), video=False, beeps=True)
    return path


def test_parallel_segments_give_the_peaks_of_one_pass(long_audio: Path) -> None:
    one = waveform_peaks(long_audio, buckets_per_second=20, threads=1).as_array().astype(np.int32)
    two = waveform_peaks(long_audio, buckets_per_second=20, threads=2).as_array().astype(np.int32)
    assert one.shape == two.shape and abs(one.shape[0] - 130 * 20) <= 1
    differ = np.flatnonzero(np.abs(one - two).max(axis=1) > 200)
    # only where the second segment starts (the decoder restarts after a seek) may a bucket differ
    assert differ.size <= 2 and all(abs(int(i) - one.shape[0] // 2) <= 2 for i in differ)
    loud = np.flatnonzero(two[:, 1] > 5000)
    assert set(range(0, 130 * 20, 20)) <= set(loud.tolist()), "the beep of every second is there"
    assert all(i % 20 in (0, 1) for i in loud), "and nothing else is loud"


def test_coarse_peaks_have_the_same_buckets_and_show_where_the_sound_is(long_audio: Path) -> None:
    exact = waveform_peaks(long_audio, buckets_per_second=20).as_array().astype(np.int32)
    coarse = coarse_peaks(long_audio, buckets_per_second=20, packets=20_000).as_array().astype(np.int32)
    assert abs(len(coarse) - len(exact)) <= 1, "the same buckets (the last one may be cut differently)"
    n = min(len(coarse), len(exact))
    assert np.abs(coarse[:n] - exact[:n]).max() <= 2000, "every packet decoded: as good as exact"
    rough = coarse_peaks(long_audio, buckets_per_second=20, packets=300).as_array().astype(np.int32)
    assert abs(len(rough) - len(exact)) <= 1
    assert rough[:, 1].max() <= exact[:, 1].max() + 2000 and rough[:, 0].min() >= exact[:, 0].min() - 2000


def test_cached_peaks_never_decode(long_audio: Path, dict_cache) -> None:
    assert cached_peaks(long_audio, buckets_per_second=20, cache=dict_cache) is None
    made = waveform_peaks(long_audio, buckets_per_second=20, cache=dict_cache)
    assert cached_peaks(long_audio, buckets_per_second=20, cache=dict_cache) == made


def test_no_audio_says_so_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "silent.mp4"
    make_clip(path, frames=10, audio=False)
    for call in (coarse_peaks, waveform_peaks):
        with pytest.raises(NoAudioStreamError) as exc:
            call(path)
        assert "\n" not in str(exc.value) and "no audio" in str(exc.value)


def test_coarse_peaks_by_seeking_show_the_same_sound(long_audio: Path) -> None:
    exact = waveform_peaks(long_audio, buckets_per_second=20).as_array().astype(np.int32)
    seeking = coarse_peaks(long_audio, buckets_per_second=20, seek=True).as_array().astype(np.int32)
    assert abs(len(seeking) - len(exact)) <= 1
    n = min(len(seeking), len(exact))
    assert seeking[:n, 1].max() <= exact[:, 1].max() + 2000 and seeking[:n, 0].min() >= exact[:, 0].min() - 2000
    # the probes land where they were decoded (each stands for the buckets after it, up to the next one)
    probed_loud = np.flatnonzero(seeking[:n, 1] > 5000)
    assert probed_loud.size > 0 and (exact[probed_loud, 1] > 2000).mean() > 0.3
    assert seeking[0, 1] > 5000, "the beep at 0 s"
