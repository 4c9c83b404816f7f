"""Sound output through PortAudio (sounddevice), on a real ALSA device: the "null" PCM, which takes every
sample at once (no pacing), so the test checks what reaches the device and in what order, not timing."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ALSA_NULL = """<{conf}>
pcm.!default {{ type plug slave.pcm "nullout" }}
pcm.nullout {{ type null }}
"""


def _run(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)


@pytest.fixture
def null_device(tmp_path: Path) -> dict[str, str]:
    conf = Path("/usr/share/alsa/alsa.conf")
    if not conf.exists():
        pytest.skip("no ALSA configuration on this machine")
    path = tmp_path / "asound.conf"
    path.write_text(ALSA_NULL.format(conf=conf))
    env = dict(os.environ, ALSA_CONFIG_PATH=str(path), QT_QPA_PLATFORM="offscreen")
    probe = _run("from editor.media.audio_device import open_default; print(open_default(48000)[1])", env)
    if "PortAudio library" in probe.stdout or "not installed" in probe.stdout:
        pytest.skip(probe.stdout.strip())
    return env


def test_the_device_gets_every_chunk_in_order_then_silence(null_device: dict[str, str]) -> None:
    done = _run("""
        import threading, time
        from editor.media.audio_device import ChunkQueue, PortAudioSink, open_default
        sd, name = open_default(48000)
        assert sd is not None, name
        queue, stop = ChunkQueue(64), threading.Event()
        chunks = [bytes([i]) * 9600 for i in range(1, 21)]  # 20 chunks of 50 ms, each its own byte
        for c in chunks:
            assert queue.put(c, stop)
        sink = PortAudioSink(sd, queue, 48000, 1200)
        sink.start()
        deadline = time.monotonic() + 10
        heard = []
        while len(heard) < 20 and time.monotonic() < deadline:
            heard += sink.take_played()
            time.sleep(0.01)
        time.sleep(0.1)  # the queue is dry: the device plays silence, the clock stands still
        played = sink.played_seconds()
        sink.stop()
        print(name, [c[0] for c in heard] == list(range(1, 21)), round(played, 3))
    """, null_device)
    assert done.returncode == 0, done.stderr
    name, in_order, played = done.stdout.split()
    assert in_order == "True"
    assert 0.9 <= float(played) <= 1.0  # 1 s handed over, minus the device's latency, and no more


def test_the_window_plays_through_portaudio_and_says_which_device(null_device: dict[str, str]) -> None:
    done = _run("""
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from editor.ui.audio import AudioOutput
        out = AudioOutput()
        print(out.available, out.status)
    """, null_device)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("True Audio: ") and "silent" not in done.stdout


def test_without_a_device_the_reason_is_one_line() -> None:
    if any(Path("/proc/asound").glob("card*")):
        pytest.skip("this machine has a sound card")
    env = {k: v for k, v in os.environ.items() if k != "ALSA_CONFIG_PATH"}  # the machine's own: no cards
    done = _run("from editor.media.audio_device import open_default; sd, why = open_default(48000); "
                "print(sd is None, why)", env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() in ("True no output device",
                                   "True the PortAudio library (libportaudio2) is not installed")


def test_the_level_meter_shows_the_level_of_the_sound_played(null_device: dict[str, str], tmp_path: Path) -> None:
    """Playing a 0.3-amplitude tone (-10.5 dBFS) at -6 dB of clip gain, the levels the window is sent read
    -16.5 dB on both channels (what the device was handed) and the viewer's meter holds that peak; a muted clip
    reads the floor. The null device takes sound faster than real time, so each level is the peak of
    everything handed over since the one before, never one sampled chunk."""
    done = _run(f"""
        import time
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from editor.media.render import RenderClip
        from editor.media.synth import make_clip
        from editor.ui.audio import AudioOutput
        from editor.ui.viewer import ViewerWidget
        tone = make_clip({str(tmp_path / "tone.wav")!r}, frames=50, video=False)
        out, viewer = AudioOutput(), ViewerWidget()
        out.level.connect(viewer.set_audio_level)
        heard, peaks = [], []
        out.level.connect(lambda l, r: (heard.append((l, r)), peaks.append(viewer._peaks[0])))
        for gain in (0.5, 0.0):
            heard.clear(), peaks.clear()
            assert out.start([RenderClip(str(tone.path), 0, 2, 0, video=False, gain=gain)], 0.2)
            deadline = time.monotonic() + 20
            while len(heard) < 10 and time.monotonic() < deadline:
                app.processEvents()
                time.sleep(0.01)
            out.stop()
            print(gain, len(heard), max(l for l, r in heard), max(r for l, r in heard), max(peaks))
    """, null_device)
    assert done.returncode == 0, done.stderr
    (g1, n1, left, right, peak), (g0, n0, quiet_l, quiet_r, quiet_peak) = (
        [float(v) for v in line.split()] for line in done.stdout.strip().splitlines())
    assert n1 >= 10 and n0 >= 10, done.stdout
    assert abs(left - -16.5) < 0.3 and abs(right - -16.5) < 0.3, done.stdout
    assert abs(peak - -16.5) < 0.3, done.stdout
    assert quiet_l == quiet_r == -60.0, "a muted clip reads the floor"

