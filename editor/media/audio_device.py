"""Sound output through PortAudio (the ``sounddevice`` package), without Qt.

PortAudio pulls: its own thread calls :meth:`PortAudioSink._callback` for each block, which takes the
next chunks of s16 stereo from a :class:`ChunkQueue` that a decode thread keeps filled, and plays
silence when the queue runs dry. The playback clock is the samples handed to the device minus the
device's output latency, so the picture follows what is heard.

``sounddevice`` bundles PortAudio on Windows and macOS; on Linux it needs the system's libportaudio2
(``scripts/setup.sh`` installs it). :func:`open_default` says in one line why there is no sound when it
cannot open a device. Thread: create, start and stop on one thread (the Qt thread in the window);
:meth:`PortAudioSink.played_seconds` and :meth:`PortAudioSink.take_played` from any thread.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import Any

log = logging.getLogger(__name__)

BYTES_PER_FRAME = 4  # s16 stereo


class ChunkQueue:
    """Chunks of s16 stereo bytes, from a decode thread to the device. Any thread."""

    def __init__(self, ahead: int) -> None:
        self.ahead = ahead
        self._chunks: deque[bytes] = deque()
        self.cond = threading.Condition()

    def put(self, chunk: bytes, stop: threading.Event) -> bool:
        """Wait until fewer than ``ahead`` chunks are queued, then queue ``chunk``; False once stopped."""
        with self.cond:
            self.cond.wait_for(lambda: len(self._chunks) < self.ahead or stop.is_set())
            if stop.is_set():
                return False
            self._chunks.append(chunk)
            return True

    def pop(self) -> bytes | None:
        with self.cond:
            if not self._chunks:
                return None
            chunk = self._chunks.popleft()
            self.cond.notify_all()
            return chunk

    def clear(self) -> None:
        with self.cond:
            self._chunks.clear()
            self.cond.notify_all()


def open_default(sample_rate: int) -> tuple[Any, str]:
    """The default output device as (sounddevice module, its name), or (None, why there is no sound)."""
    try:
        import sounddevice as sd
    except ImportError:
        return None, "sounddevice is not installed"
    except OSError:  # the package is there, the PortAudio library is not
        return None, "the PortAudio library (libportaudio2) is not installed"
    try:
        device = sd.query_devices(kind="output")
        sd.check_output_settings(samplerate=sample_rate, channels=2, dtype="int16")
    except (sd.PortAudioError, ValueError):
        return None, "no output device"
    return sd, str(device.get("name") or "default output")


class PortAudioSink:
    """One playback of the chunks in ``queue`` on the default device."""

    def __init__(self, sd: Any, queue: ChunkQueue, sample_rate: int, block_frames: int) -> None:
        self._queue = queue
        self._rate = sample_rate
        self._pending = b""
        self._lock = threading.Lock()
        self._frames_out = 0  # frames handed to the device
        self._played: list[bytes] = []  # chunks handed over since the last take_played()
        self._stream = sd.RawOutputStream(samplerate=sample_rate, channels=2, dtype="int16",
                                          blocksize=block_frames, latency="low", callback=self._callback)

    def start(self) -> None:
        self._stream.start()

    def stop(self) -> None:
        try:
            self._stream.abort()
            self._stream.close()
        except Exception as exc:  # noqa: BLE001 - a device that vanished: nothing left to stop
            log.warning("the audio device did not close cleanly: %s", exc)

    def played_seconds(self) -> float:
        """Seconds of sound heard since start: handed over minus what is still in the device. Any thread."""
        with self._lock:
            frames = self._frames_out
        latency = float(getattr(self._stream, "latency", 0.0) or 0.0)
        return max(0.0, frames / self._rate - latency)

    def take_played(self) -> list[bytes]:
        """The chunks handed to the device since the last call (for the level meters). Any thread."""
        with self._lock:
            chunks, self._played = self._played, []
        return chunks

    def _callback(self, out: Any, frames: int, _time: Any, status: Any) -> None:  # PortAudio's thread
        want = frames * BYTES_PER_FRAME
        data = self._pending
        new: list[bytes] = []
        while len(data) < want:
            chunk = self._queue.pop()
            if chunk is None:
                break
            new.append(chunk)
            data += chunk
        given = data[:want]
        self._pending = data[want:]
        out[: len(given)] = given
        if len(given) < want:
            out[len(given):want] = b"\0" * (want - len(given))  # ran dry: silence, the clock stands still
        with self._lock:
            self._frames_out += len(given) // BYTES_PER_FRAME
            self._played.extend(new)
