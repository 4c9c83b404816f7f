"""The viewer's decode thread: exact frames, a keyframe preview first on far jumps, scrubbing that settles."""

from __future__ import annotations

from fractions import Fraction

import pytest
from PySide6.QtGui import QImage

from editor.jobs.importing import import_files
from editor.media.synth import make_clip, read_frame_number
from editor.model.navigate import timeline_from_media
from editor.ui.preview import _SAME, PreviewEngine, qimage_to_rgb


def number(image: QImage) -> int:
    return read_frame_number(qimage_to_rgb(image))


@pytest.fixture(scope="module")
def long_gop(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("preview") / "long gop.mp4"
    make_clip(path, frames=200, fps=Fraction(25), size=(320, 240), gop=100)
    return timeline_from_media(import_files([path]).refs)


def test_a_far_jump_shows_the_keyframe_then_the_exact_frame(qtbot, long_gop) -> None:
    engine = PreviewEngine(fit=(320, 240))
    shown: list[tuple[int, int]] = []
    engine.frame_ready.connect(lambda image, frame: shown.append((frame, number(image))))
    try:
        engine.show(long_gop, 170)
        qtbot.waitUntil(lambda: bool(shown) and shown[-1] == (170, 170), timeout=10000)
        assert shown[0] == (170, 100), "the keyframe before frame 170 comes first"
        shown.clear()
        engine.show(long_gop, 171)  # one step on: the decoder is there, no preview
        qtbot.waitUntil(lambda: bool(shown), timeout=5000)
        assert shown == [(171, 171)]
    finally:
        engine.close()


def test_fast_scrubbing_settles_on_the_exact_last_frame(qtbot, long_gop) -> None:
    engine = PreviewEngine(fit=(320, 240))
    shown: list[tuple[int, int]] = []
    engine.frame_ready.connect(lambda image, frame: shown.append((frame, number(image))))
    try:
        for frame in range(5, 195, 7):
            engine.show(long_gop, frame)
            qtbot.wait(3)
        engine.show(long_gop, 133)
        qtbot.waitUntil(lambda: bool(shown) and shown[-1] == (133, 133), timeout=10000)
        assert all(n in (f, f - f % 100) for f, n in shown), "only exact frames or the keyframe before them"
    finally:
        engine.close()


def test_a_long_gop_source_gets_a_proxy_job_on_the_queue_and_the_viewer_stays_exact(qtbot, store, tmp_path,
                                                                                    monkeypatch) -> None:
    """The window's proxy, filmstrips and waveform are jobs on its own queue (Procrastinate's local queue, run
    by the in-process worker), the same path as an export; their results come back to the window."""
    import uuid

    from editor.jobs import queue
    from editor.jobs.runner import JobRunner
    from editor.store.bus import open_bus
    from editor.ui.assets import MediaAssets, proxy_path
    from editor.ui.tasks import Tasks

    monkeypatch.setenv("CUTLINE_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "camera.mp4"
    make_clip(path, frames=120, fps=Fraction(25), size=(320, 240), gop=120)
    timeline = timeline_from_media(import_files([path]).refs)
    fp = timeline.media[0].fingerprint
    for pattern in (f"thumb:{fp}:*", f"wave:{fp}:*"):  # the same clip made by another test: made again here
        store.cache.invalidate(pattern)
    instance = f"proxy-test-{uuid.uuid4().hex[:8]}"
    runner = JobRunner(store, open_bus(store.redis, store.endpoints.database_url, instance), instance)
    seen: list[tuple[str, str]] = []
    runner.add_listener(lambda state: seen.append((state.operation, state.title)) if state.finished else None)
    tasks = Tasks()
    assets = MediaAssets(tasks, store.cache, runner=runner)
    engine = PreviewEngine(fit=(320, 240))
    assets.proxy_ready.connect(engine.use_proxy)
    thumbs: list[dict] = []
    assets.thumbnails_ready.connect(lambda fp, images: thumbs.append(images))
    shown: list[tuple[int, int]] = []
    engine.frame_ready.connect(lambda image, frame: shown.append((frame, number(image))))
    try:
        with qtbot.waitSignal(assets.proxy_ready, timeout=60000):
            assets.ensure(timeline)
        assert proxy_path(timeline.media[0].fingerprint).exists()
        qtbot.waitUntil(lambda: len(thumbs) == 2, timeout=60000)  # keyframe pictures, then the exact ones
        assert ("proxy", "Proxy of camera.mp4") in seen
        assert ("thumbnails", "Filmstrip of camera.mp4") in seen
        assert ("thumbnails", "Exact filmstrip of camera.mp4") in seen

        def rows() -> list[tuple[str, str]]:
            with store.db.connection() as conn:
                return conn.execute("SELECT task_name, status::text FROM procrastinate_jobs WHERE queue_name = %s",
                                    (queue.local_queue(instance),)).fetchall()

        # the queue marks a job succeeded just after its body returned (and the window heard of it)
        qtbot.waitUntil(lambda: {("cutline.proxy", "succeeded"), ("cutline.thumbnails", "succeeded")}
                        <= set(rows()), timeout=20000)
        for frame in (97, 13, 64):
            engine.show(timeline, frame)
            qtbot.waitUntil(lambda f=frame: bool(shown) and shown[-1] == (f, f), timeout=10000)
        reader = engine._readers[str(path)]
        assert reader.path == proxy_path(timeline.media[0].fingerprint), "the viewer reads the proxy"
    finally:
        assets.close()
        engine.close()
        tasks.shutdown()
        runner.close(timeout=10)


def test_holding_left_steps_back_exactly_across_a_keyframe_without_a_keyframe_flash(qtbot, long_gop) -> None:
    engine = PreviewEngine(fit=(320, 240))
    shown: list[tuple[int, int]] = []
    engine.frame_ready.connect(lambda image, frame: shown.append((frame, number(image))))
    try:
        engine.show(long_gop, 110)
        qtbot.waitUntil(lambda: bool(shown) and shown[-1] == (110, 110), timeout=10000)
        shown.clear()
        for frame in range(109, 85, -1):  # across the keyframe at 100
            engine.show(long_gop, frame)
            qtbot.waitUntil(lambda f=frame: bool(shown) and shown[-1][0] == f, timeout=10000)
        assert shown == [(f, f) for f in range(109, 85, -1)], "every step exact, no keyframe shown first"
        assert engine.budget.used <= engine.budget.max_bytes
    finally:
        engine.close()


def test_playing_sets_the_playback_gate_and_stopping_clears_it(qtbot, long_gop) -> None:
    from editor.jobs.priority import PlaybackGate

    gate = PlaybackGate()
    engine = PreviewEngine(fit=(320, 240), gate=gate)
    try:
        engine.play(long_gop, 150)
        assert gate.playing
        engine.pause()
        assert not gate.playing
        engine.play(long_gop, 195)  # the end of the timeline stops playback and clears the gate
        qtbot.waitUntil(lambda: engine.rate == 0 and not gate.playing, timeout=10000)
    finally:
        engine.close()
    assert not gate.playing


def test_a_file_that_disappears_during_playback_shows_media_offline(qtbot, tmp_path) -> None:
    path = tmp_path / "vanish.mp4"
    make_clip(path, frames=250, fps=Fraction(25), size=(160, 120), gop=25)
    timeline = timeline_from_media(import_files([path]).refs)
    engine = PreviewEngine(fit=(160, 120))
    offline: list[str] = []
    engine.media_offline.connect(offline.append)
    try:
        with qtbot.waitSignal(engine.frame_ready, timeout=10000):
            engine.play(timeline, 0)
        path.unlink()
        qtbot.waitUntil(lambda: bool(offline), timeout=10000)
        assert offline[0] == str(path)
    finally:
        engine.close()


def test_garbage_media_shows_media_offline_instead_of_a_picture(qtbot, tmp_path) -> None:
    import os

    good = tmp_path / "good.mp4"
    make_clip(good, frames=10, size=(160, 120))
    timeline = timeline_from_media(import_files([good]).refs)
    good.write_bytes(os.urandom(5000))  # the file the timeline names is garbage now
    engine = PreviewEngine(fit=(160, 120))
    offline: list[str] = []
    frames: list[object] = []
    engine.media_offline.connect(offline.append)
    engine.frame_ready.connect(lambda image, frame: frames.append(image))
    try:
        engine.show(timeline, 3)
        qtbot.waitUntil(lambda: bool(offline) and bool(frames), timeout=10000)
        assert offline == [str(good)] and frames[-1] is None
    finally:
        engine.close()


def test_degraded_playback_skips_frames_but_every_picture_shown_is_exact(qtbot, long_gop) -> None:
    engine = PreviewEngine(fit=(320, 240))
    try:
        engine.degrade = 2  # what a machine that cannot keep up gets: reference frames only, half size
        shown = None
        pictures: list[tuple[int, int, int]] = []
        skipped = 0
        for frame in range(0, 60):
            image, now = engine._play_picture(long_gop, frame, 1.0, shown)
            if image is _SAME:  # the picture on screen stays
                skipped += 1
                continue
            shown = now
            pictures.append((frame, now[1], number(image)))
            assert (image.width(), image.height()) == (160, 120)
        assert all(index == n and index >= frame for frame, index, n in pictures), "exact pictures only"
        assert any(index > frame for frame, index, _ in pictures), "frames nothing refers to were not decoded"
        assert skipped > 0 and len(pictures) > 10
    finally:
        engine.close()
