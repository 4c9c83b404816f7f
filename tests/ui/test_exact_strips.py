"""Filmstrips refined to the exact frames they stand for (cached), and audio-only media shown as a waveform."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from editor.media.synth import make_clip, read_frame_number
from editor.media.thumbnails import thumbnail_times
from editor.ui.assets import THUMB_SIZE, strip_count
from editor.ui.preview import qimage_to_rgb

pytestmark = pytest.mark.timeout(120)


def test_a_long_gop_filmstrip_is_refined_to_exact_frames_and_cached(qtbot, window_on, tmp_path) -> None:
    path = tmp_path / "long gop.mp4"
    make_clip(path, frames=200, fps=Fraction(25), size=(320, 240), gop=200)  # one keyframe
    win = window_on([str(path)])
    media = win.controller.timeline.media[0]
    times = thumbnail_times(Fraction(200, 25), strip_count(media))
    wanted = {int(t * media.rate): int(t * media.rate) for t in times}

    def numbers() -> dict[int, int]:
        entry = win.timeline_view._thumbs.get(media.fingerprint)
        if entry is None:
            return {}
        return {k: read_frame_number(_big(qimage_to_rgb(img))) for k, img in entry[1].items()}

    qtbot.waitUntil(lambda: numbers() == wanted, timeout=60000)  # keyframe 0 first, then each exact frame
    from editor.media.thumbnails import _key

    for t in times:  # both strips are in the window's cache (Redis in the test run)
        assert win.ctx.store.cache.get(_key(media.fingerprint, t, THUMB_SIZE, True)), "exact strip cached"
        assert win.ctx.store.cache.get(_key(media.fingerprint, t, THUMB_SIZE, False)), "keyframe strip cached"


def _big(rgb: np.ndarray) -> np.ndarray:
    """Thumbnails are small: scale back to the synthetic clip's size before reading its number."""
    from PIL import Image

    return np.asarray(Image.fromarray(rgb).resize((320, 240), Image.NEAREST))


def test_an_audio_only_clip_shows_its_waveform_in_the_viewer(qtbot, window_on, tmp_path) -> None:
    path = tmp_path / "tone.wav"
    make_clip(path, frames=100, video=False)
    win = window_on([str(path)])
    win.resize(1100, 760)
    win.controller.set_playhead(50)
    qtbot.waitUntil(lambda: win.audio_view.shown is not None, timeout=10000)
    fp = win.controller.timeline.media[0].fingerprint
    qtbot.waitUntil(lambda: fp in win.timeline_view._waves, timeout=20000)
    qtbot.wait(100)
    img = qimage_to_rgb(win.viewer.grab().toImage())
    teal = (np.abs(img[..., 0].astype(int) - 0x4f) < 20) & (np.abs(img[..., 1].astype(int) - 0xb3) < 20)
    assert teal.sum() > 500, "the waveform is drawn where the picture would be"
