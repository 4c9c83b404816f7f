"""The window's background media work: below the player, coarse waveform first, exact after, from the cache once."""

from __future__ import annotations

import threading
from fractions import Fraction

import numpy as np
from PySide6.QtCore import QCoreApplication

from editor.jobs.importing import import_files
from editor.jobs.priority import PlaybackGate
from editor.media.cache import MemoryBytesCache
from editor.media.synth import make_clip
from editor.media.waveform import waveform_peaks
from editor.model.navigate import timeline_from_media


def _wait_for_parked(gate: PlaybackGate) -> None:
    parked = threading.Event()
    for _ in range(400):
        if gate.waits:
            return
        parked.wait(0.05)


def test_waveforms_wait_while_playing_then_come_coarse_then_exact_then_from_the_cache(qtbot, tmp_path) -> None:
    from editor.ui.assets import WAVE_BUCKETS, MediaAssets
    from editor.ui.tasks import Tasks

    path = tmp_path / "talk.m4a"
    make_clip(path, frames=125, fps=Fraction(25), video=False, beeps=True)
    timeline = timeline_from_media(import_files([path]).refs)
    cache = MemoryBytesCache()
    gate = PlaybackGate()
    tasks = Tasks()
    assets = MediaAssets(tasks, cache, gate=gate)
    got: list[np.ndarray] = []
    assets.waveform_ready.connect(lambda fp, peaks, bps: got.append(np.array(peaks)))
    try:
        gate.set_playing(True)
        assets.ensure(timeline)
        _wait_for_parked(gate)
        assert gate.waits == 1 and got == [], "nothing is made while the window plays"
        gate.set_playing(False)
        qtbot.waitUntil(lambda: len(got) == 2, timeout=20000)
        exact = waveform_peaks(path, buckets_per_second=WAVE_BUCKETS).as_array()
        assert np.array_equal(got[1], exact), "the exact peaks replace the coarse ones"
        assert abs(len(got[0]) - len(exact)) <= 1
    finally:
        assets.close()
    again = MediaAssets(tasks, cache, gate=PlaybackGate())
    second: list[np.ndarray] = []
    again.waveform_ready.connect(lambda fp, peaks, bps: second.append(np.array(peaks)))
    try:
        again.ensure(timeline)
        qtbot.waitUntil(lambda: len(second) == 1, timeout=20000)
        assert np.array_equal(second[0], exact), "cached: the exact peaks at once, nothing coarse"
        again.background.run(lambda: None)  # one worker, in order: everything queued before this is done
        QCoreApplication.processEvents()  # and what it sent is delivered
        assert len(second) == 1, "the exact pass found them cached and sent nothing more"
    finally:
        again.close()
        tasks.shutdown()


def test_when_the_queue_cannot_take_a_job_the_window_makes_its_filmstrip_and_waveform_itself(qtbot, store, tmp_path,
                                                                                            caplog) -> None:
    """PostgreSQL away (a database nothing answers for): the window's filmstrip and exact waveform are still
    made, in the window, and the log says why in one line."""
    import uuid
    from types import SimpleNamespace

    from editor.jobs.runner import JobRunner
    from editor.store.bus import open_bus
    from editor.store.db import Database
    from editor.ui.assets import WAVE_BUCKETS, MediaAssets
    from editor.ui.tasks import Tasks

    path = tmp_path / "away.mp4"
    make_clip(path, frames=50, fps=Fraction(25), size=(160, 120), beeps=True, gop=10)
    timeline = timeline_from_media(import_files([path]).refs)
    away = Database("postgresql://cutline@127.0.0.1:9/nothing-listens-here")  # never reachable
    instance = f"away-{uuid.uuid4().hex[:8]}"
    runner = JobRunner(SimpleNamespace(redis=store.redis, db=away, cache=store.cache,
                                       endpoints=SimpleNamespace(database_url=away.url)),
                       open_bus(store.redis, store.endpoints.database_url, instance), instance)
    cache = MemoryBytesCache()
    tasks = Tasks()
    assets = MediaAssets(tasks, cache, runner=runner)
    thumbs: list[dict] = []
    waves: list[np.ndarray] = []
    assets.thumbnails_ready.connect(lambda fp, images: thumbs.append(images))
    assets.waveform_ready.connect(lambda fp, peaks, bps: waves.append(np.array(peaks)))
    caplog.set_level("WARNING")
    try:
        assets.ensure(timeline)
        qtbot.waitUntil(lambda: len(thumbs) == 2 and len(waves) == 2, timeout=30000)
        assert all(thumbs)
        assert np.array_equal(waves[1], waveform_peaks(path, buckets_per_second=WAVE_BUCKETS).as_array())
        said = [r.getMessage() for r in caplog.records if "the job queue cannot take it" in r.getMessage()]
        assert said and all("\n" not in m for m in said), said
        assert runner.running() == []
    finally:
        assets.close()
        tasks.shutdown()
        runner.close(timeout=5)
