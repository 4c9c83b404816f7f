"""Timeline audio for playback: the beeps of each clip sound where the timeline puts them."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

from editor.media.mixer import SAMPLE_RATE, TimelineMixer
from editor.media.render import RenderClip
from editor.media.synth import make_clip


def loud(pcm: bytes) -> np.ndarray:
    samples = np.frombuffer(pcm, "<i2").reshape(-1, 2)[:, 0].astype(np.float32)
    blocks = samples[: len(samples) // 480 * 480].reshape(-1, 480)  # 10 ms blocks
    return np.abs(blocks).max(axis=1) > 3000


def test_beeps_land_where_the_timeline_puts_them(tmp_path: Path) -> None:
    path = tmp_path / "beeps.mp4"
    make_clip(path, frames=100, fps=Fraction(25), size=(160, 120), beeps=True)  # beep in the first 100 ms of each s
    # Source 1.0 s..3.0 s placed at timeline 0.5 s: beeps at timeline 0.5 s and 1.5 s.
    clip = RenderClip(str(path), Fraction(1), Fraction(3), Fraction(1, 2))
    mixer = TimelineMixer([clip])
    pcm = b"".join(mixer.read(i * 4800, 4800) for i in range(30))  # 3 s in 100 ms reads
    on = loud(pcm)
    assert not on[:48].any(), "silence before the clip"
    assert on[52:58].all() and on[152:158].all(), "the beeps, 100 ms each, at 0.5 s and 1.5 s"
    assert not on[62:148].any() and not on[250:].any()
    # A seek lands on the same sound.
    again = loud(mixer.read(int(1.5 * SAMPLE_RATE), 4800))
    assert again[2:8].all()
    mixer.close()


def test_missing_file_plays_silence(tmp_path: Path) -> None:
    mixer = TimelineMixer([RenderClip(str(tmp_path / "gone.mp4"), Fraction(0), Fraction(1), Fraction(0))])
    assert not np.frombuffer(mixer.read(0, 4800), "<i2").any()
    assert mixer.failed == {str(tmp_path / "gone.mp4")}
