from __future__ import annotations

import threading
import time
from fractions import Fraction as F

from editor.media.playback import AudioChunk, PlaybackEngine, PlaybackState
from editor.media.synth import read_frame_number


class Viewer:
    """Collects what the engine emits, like the UI's signal adapters would."""

    def __init__(self) -> None:
        self.frames: list[tuple[int, int, F]] = []
        self.states: list[PlaybackState] = []
        self.audio: list[AudioChunk] = []
        self.errors: list[Exception] = []
        self.changed = threading.Event()

    def on_frame(self, pic, pos) -> None:
        self.frames.append((pic.index, read_frame_number(pic.to_ndarray()[..., [2, 1, 0]]), pos))

    def on_state(self, state) -> None:
        self.states.append(state)
        self.changed.set()

    def engine(self, path, **kw) -> PlaybackEngine:
        return PlaybackEngine(path, viewer_size=(160, 120), on_frame=self.on_frame, on_state=self.on_state,
                              on_audio=self.audio.append, on_error=self.errors.append, **kw)

    def wait_for(self, state: PlaybackState, timeout: float = 5) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.states and self.states[-1] == state:
                return True
            time.sleep(0.01)
        return False


def test_play_delivers_exact_frames_in_order_with_audio(media) -> None:
    v = Viewer()
    with v.engine(media.mp4.path) as eng:
        assert eng.wait_ready(5) and v.frames[0][:2] == (0, 0)
        eng.play()
        time.sleep(1.0)
        eng.pause()
        shown = [n for _, n, _ in v.frames]
        assert all(i == n for i, n, _ in v.frames)
        assert shown == sorted(shown) and len(set(shown)) == len(shown)
        assert 18 <= shown[-1] <= 30 and len(shown) >= 15
        assert v.audio and v.audio[0].start_sample == 0 and v.audio[0].position == 0
        total = sum(c.samples for c in v.audio)
        assert all(len(c.data) == c.samples * 4 for c in v.audio)
        assert 48000 * 0.9 <= total <= 48000 * 1.6  # played + at most AUDIO_LEAD ahead
        assert PlaybackState.PLAYING in v.states and v.states[-1] == PlaybackState.PAUSED


def test_seek_step_and_scrub_are_exact(media) -> None:
    v = Viewer()
    with v.engine(media.long_gop.path) as eng:
        eng.wait_ready(5)
        for target in (60, 10, 90, 45):
            eng.seek(target)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and (not v.frames or v.frames[-1][0] != 45):
            time.sleep(0.01)
        assert v.frames[-1][:2] == (45, 45)
        for expected, delta in ((46, 1), (45, -1), (44, -1)):
            eng.step(delta)
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline and v.frames[-1][0] != expected:
                time.sleep(0.005)
            assert v.frames[-1][:2] == (expected, expected)
        eng.seek(F(2))
        time.sleep(0.3)
        assert v.frames[-1][:2] == (50, 50) and eng.position() == 2


def test_reverse_and_fast_forward(media) -> None:
    v = Viewer()
    with v.engine(media.mp4.path) as eng:
        eng.wait_ready(5)
        eng.seek(60)
        time.sleep(0.2)
        v.frames.clear()
        eng.play(-2.0)
        time.sleep(0.5)
        eng.pause()
        back = [n for _, n, _ in v.frames]
        assert back and back == sorted(back, reverse=True) and back[0] < 60 and back[-1] < 50
        eng.seek(50)
        time.sleep(0.2)
        v.frames.clear()
        v.states.clear()
        eng.play(4.0)
        assert v.wait_for(PlaybackState.ENDED, 3)  # 50 frames at 4x: about 0.5 s
        fwd = [n for _, n, _ in v.frames]
        assert fwd == sorted(fwd) and fwd[-1] == 99
        assert not v.audio or all(c.run != eng._gen for c in v.audio)  # no audio at 4x


def test_audio_clock_drives_the_position(media) -> None:
    v = Viewer()
    with v.engine(media.mp4.path) as eng:
        eng.wait_ready(5)
        eng.play()
        time.sleep(0.1)
        # A device that is slow: it reports having played only 0.05 s.
        for _ in range(5):
            eng.audio_played(2400)
            time.sleep(0.02)
        assert float(eng.position()) < 0.2
        eng.pause()


def test_audio_only_playback(media) -> None:
    v = Viewer()
    with v.engine(media.audio_only.path) as eng:
        assert eng.wait_ready(5)
        eng.seek(F(3, 2))
        time.sleep(0.1)
        eng.play()
        assert v.wait_for(PlaybackState.ENDED, 3)
        assert not v.frames and v.audio and v.audio[0].position == F(3, 2)
        assert eng.position() >= F(19, 10)


def test_play_before_the_file_is_open_starts_when_ready(media) -> None:
    v = Viewer()
    with v.engine(media.no_audio.path) as eng:
        eng.play()  # called at once, while the engine is still loading
        assert v.wait_for(PlaybackState.PLAYING, 3)
        eng.pause()
