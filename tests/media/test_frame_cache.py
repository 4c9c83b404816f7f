"""Frame caches sized in bytes: a shared budget is never exceeded, eviction goes by bytes, oldest first."""

from __future__ import annotations

from fractions import Fraction

import pytest

from editor.media.frame_cache import FrameBudget, FrameCache
from editor.media.frames import FrameReader
from editor.media.synth import make_clip, read_frame_number


def test_eviction_is_by_bytes_least_recently_used_first() -> None:
    cache = FrameCache(100)
    assert cache.put("a", "A", 40) and cache.put("b", "B", 40)
    assert cache.get("a") == "A"  # a is now the most recent
    assert cache.put("c", "C", 40)  # 120 > 100: the least recently used (b) goes
    assert cache.keys() == ["a", "c"] and cache.nbytes == 80
    assert cache.put("d", "D", 90)  # needs 90: both others go
    assert cache.keys() == ["d"] and cache.budget.used == 90


def test_an_entry_larger_than_the_budget_is_not_stored_and_evicts_nothing() -> None:
    cache = FrameCache(100)
    cache.put("a", "A", 60)
    assert not cache.put("huge", "H", 101)
    assert cache.keys() == ["a"] and cache.budget.used == 60
    assert not FrameCache(0).put("x", "X", 1)


def test_caches_of_one_budget_share_it_and_never_exceed_it() -> None:
    budget = FrameBudget(1000)
    first, second = budget.cache(), budget.cache()
    sizes = [37, 250, 999, 1, 500, 333, 64, 777, 12, 420] * 5
    for n, size in enumerate(sizes):
        (first if n % 2 else second).put(n, n, size)
        assert budget.used <= 1000
        assert budget.used == first.nbytes + second.nbytes
    first.put("same key", 1, 300)
    first.put("same key", 2, 10)  # replacing an entry re-counts its size
    assert first.get("same key") == 2
    second.clear()
    assert second.nbytes == 0 and budget.used == first.nbytes
    budget.resize(100)
    assert budget.used <= 100


def test_a_reader_on_a_shared_budget_stays_exact_and_within_it(tmp_path) -> None:
    path = tmp_path / "c.mp4"
    make_clip(path, frames=60, fps=Fraction(25), size=(320, 240), gop=30)
    frame_bytes = 320 * 240 * 4
    budget = FrameBudget(5 * frame_bytes + 100)
    a = FrameReader(path, pixel_format="bgra", cache=budget.cache())
    b = FrameReader(path, pixel_format="bgra", cache=budget.cache())
    try:
        for i in (10, 20, 40, 59):
            assert read_frame_number(a.read(i).to_ndarray()[:, :, 2::-1]) == i
            assert read_frame_number(b.read(i - 5).to_ndarray()[:, :, 2::-1]) == i - 5
            assert budget.used <= budget.max_bytes
        assert budget.evictions > 0
    finally:
        a.close()
        b.close()
    assert budget.used == 0, "closing a reader gives its bytes back"


@pytest.mark.parametrize("bad", [-1])
def test_a_negative_budget_is_refused(bad: int) -> None:
    with pytest.raises(ValueError):
        FrameBudget(bad)
