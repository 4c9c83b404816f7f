"""The viewer's decode thread: exact frames, a keyframe preview first on far jumps, scrubbing that settles."""

from __future__ import annotations

from fractions import Fraction

import pytest
from PySide6.QtGui import QImage

from editor.jobs.importing import import_files
from editor.media.synth import make_clip, read_frame_number
from editor.model.navigate import timeline_from_media
from editor.ui.preview import PreviewEngine, qimage_to_rgb


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


def test_a_long_gop_source_gets_a_proxy_job_and_the_viewer_stays_exact(qtbot, tmp_path, monkeypatch) -> None:
    from editor.ui.assets import MediaAssets, proxy_path
    from editor.ui.tasks import Tasks

    monkeypatch.setenv("CUTLINE_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "camera.mp4"
    make_clip(path, frames=120, fps=Fraction(25), size=(320, 240), gop=120)
    timeline = timeline_from_media(import_files([path]).refs)
    jobs: list[str] = []

    def start_job(kind, work, params, title=""):
        jobs.append(title)
        return work(lambda p, m: None, None)

    tasks = Tasks()
    assets = MediaAssets(tasks, None, start_job=start_job)
    engine = PreviewEngine(fit=(320, 240))
    assets.proxy_ready.connect(engine.use_proxy)
    shown: list[tuple[int, int]] = []
    engine.frame_ready.connect(lambda image, frame: shown.append((frame, number(image))))
    try:
        with qtbot.waitSignal(assets.proxy_ready, timeout=30000):
            assets.ensure(timeline)
        assert jobs == ["Proxy of camera.mp4"]
        assert proxy_path(timeline.media[0].fingerprint).exists()
        for frame in (97, 13, 64):
            engine.show(timeline, frame)
            qtbot.waitUntil(lambda f=frame: bool(shown) and shown[-1] == (f, f), timeout=10000)
        reader = engine._readers[str(path)]
        assert reader.path == proxy_path(timeline.media[0].fingerprint), "the viewer reads the proxy"
    finally:
        engine.close()
        tasks.shutdown()
