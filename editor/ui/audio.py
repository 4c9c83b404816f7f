"""Sound for playback: the timeline's audio mixed on a decode thread and played through Qt Multimedia.

A :class:`QAudioSink` in push mode is fed from a queue that a decode thread keeps about half a second
ahead; the samples the device has played are the playback clock the picture follows. With no output
device (or no Qt Multimedia), the editor plays silently and :attr:`AudioOutput.status` says so.
Create and call on the Qt main thread; :meth:`elapsed` may be called from any thread.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import deque
from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from editor.media.mixer import SAMPLE_RATE, TimelineMixer
from editor.media.render import RenderClip

log = logging.getLogger(__name__)

CHUNK = 2400  # 50 ms of stereo samples
AHEAD = 16  # chunks decoded ahead (0.8 s): sound never waits for a picture decode
SINK_CHUNKS = 8  # the device's own buffer (0.4 s): a stalled Qt thread (up to ~0.3 s) does not stutter
BYTES_PER_SAMPLE = 4  # s16 stereo


class AudioOutput(QObject):
    level = Signal(float, float)  # left, right peak in dBFS of what was just queued

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._sink = None
        self._device = None
        self.status = "Audio: silent (no output device)"
        try:
            from PySide6.QtMultimedia import QAudioFormat, QAudioSink, QMediaDevices

            device = QMediaDevices.defaultAudioOutput()
            if not device.isNull():
                fmt = QAudioFormat()
                fmt.setSampleRate(SAMPLE_RATE)
                fmt.setChannelCount(2)
                fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
                if device.isFormatSupported(fmt):
                    self._format = fmt
                    self._device = device
                    self._sink_class = QAudioSink
                    self.status = f"Audio: {device.description()}"
                else:
                    self.status = "Audio: silent (the output device takes no 48 kHz stereo)"
        except ImportError:
            self.status = "Audio: silent (Qt Multimedia is not installed)"
        self._queue: deque[bytes] = deque()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._io = None
        self._pending = b""
        self._start_seconds = 0.0
        self._played_us = 0
        self._timer = QTimer(self)
        self._timer.setInterval(15)
        self._timer.timeout.connect(self._pump)

    @property
    def available(self) -> bool:
        return self._device is not None

    def start(self, clips: Sequence[RenderClip], start_seconds: float) -> bool:
        """Play the mix of ``clips`` from ``start_seconds``; False (silent) when there is no device."""
        self.stop()
        if self._device is None:
            return False
        self._start_seconds = start_seconds
        self._played_us = 0
        self._stop = threading.Event()
        mixer = TimelineMixer(clips)
        first = int(round(start_seconds * SAMPLE_RATE))
        self._thread = threading.Thread(target=self._decode, args=(mixer, first, self._stop),
                                        name="cutline-audio", daemon=True)
        self._thread.start()
        self._sink = self._sink_class(self._device, self._format, self)
        self._sink.setBufferSize(CHUNK * BYTES_PER_SAMPLE * SINK_CHUNKS)
        self._io = self._sink.start()
        self._pending = b""
        self._timer.start()
        return True

    def stop(self) -> None:
        self._timer.stop()
        self._stop.set()
        with self._cond:
            self._queue.clear()
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        if self._sink is not None:
            self._sink.stop()
            self._sink = None
            self._io = None

    def elapsed(self) -> float | None:
        """Seconds of sound the device has played since :meth:`start` (None when silent). Any thread."""
        if self._sink is None:
            return None
        return self._played_us / 1e6

    # ---- decode thread -------------------------------------------------------------------------
    def _decode(self, mixer: TimelineMixer, first: int, stop: threading.Event) -> None:
        sample = first
        try:
            while not stop.is_set():
                with self._cond:
                    self._cond.wait_for(lambda: len(self._queue) < AHEAD or stop.is_set())
                if stop.is_set():
                    return
                chunk = mixer.read(sample, CHUNK)
                sample += CHUNK
                with self._cond:
                    self._queue.append(chunk)
        except Exception:  # noqa: BLE001 - a decoding failure silences playback, never crashes it
            log.exception("audio decoding failed")
        finally:
            mixer.close()

    # ---- Qt thread -----------------------------------------------------------------------------
    def _pump(self) -> None:
        if self._sink is None or self._io is None:
            return
        self._played_us = int(self._sink.processedUSecs())
        free = self._sink.bytesFree()
        while free > 0:
            if not self._pending:
                with self._cond:
                    if not self._queue:
                        break
                    self._pending = self._queue.popleft()
                    self._cond.notify_all()
                self._emit_level(self._pending)
            written = int(self._io.write(self._pending[:free]))
            if written <= 0:
                break
            self._pending = self._pending[written:]
            free -= written

    def _emit_level(self, chunk: bytes) -> None:
        samples = np.frombuffer(chunk, "<i2").reshape(-1, 2)
        peaks = np.abs(samples.astype(np.int32)).max(axis=0) if len(samples) else np.zeros(2)
        db = [20 * math.log10(max(int(p), 1) / 32768) for p in peaks]
        self.level.emit(max(-60.0, db[0]), max(-60.0, db[1]))
