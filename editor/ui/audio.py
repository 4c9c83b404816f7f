"""Sound for playback: the timeline's audio mixed on a decode thread and played on the default device.

A decode thread keeps a queue about 0.8 s ahead. The device is PortAudio's (``sounddevice``,
editor.media.audio_device), which pulls from that queue on its own thread; where sounddevice or
PortAudio is missing and the optional Qt Multimedia is installed (``pip install cutline[qt-audio]``), a
:class:`QAudioSink` in push mode is fed from the same queue by a 15 ms timer. Either way the samples the
device has played are the playback clock the picture follows. With no output device the editor plays
silently and :attr:`AudioOutput.status` says why. Create and call on the Qt main thread; :meth:`elapsed`
may be called from any thread.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from editor.media.audio_device import ChunkQueue, PortAudioSink, open_default
from editor.media.mixer import SAMPLE_RATE, TimelineMixer
from editor.media.render import RenderClip

log = logging.getLogger(__name__)

CHUNK = 2400  # 50 ms of stereo samples
AHEAD = 16  # chunks decoded ahead (0.8 s): sound never waits for a picture decode
SINK_CHUNKS = 8  # the device's own buffer (0.4 s): a stalled Qt thread (up to ~0.3 s) does not stutter
BYTES_PER_SAMPLE = 4  # s16 stereo


class AudioOutput(QObject):
    level = Signal(float, float)  # left, right peak (dBFS) of the sound handed over since the last signal

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._sink: Any = None
        self._device: Any = None
        self._portaudio: Any = None
        self._portaudio_sink: PortAudioSink | None = None
        self._portaudio, why = open_default(SAMPLE_RATE)
        if self._portaudio is not None:
            self._device = why  # the device's name
            self.status = f"Audio: {why}"
        else:
            self.status = f"Audio: silent ({why})"
            self._open_qt_sink()
        self._queue = ChunkQueue(AHEAD)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._io: Any = None
        self._pending = b""
        self._start_seconds = 0.0
        self._played_us = 0
        self._timer = QTimer(self)
        self._timer.setInterval(15)
        self._timer.timeout.connect(self._pump)

    def _open_qt_sink(self) -> None:
        """Qt Multimedia's default output, when that optional module is installed."""
        try:
            from PySide6.QtMultimedia import QAudioFormat, QAudioSink, QMediaDevices
        except ImportError:
            return
        device = QMediaDevices.defaultAudioOutput()
        if device.isNull():
            return
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
        self._pending = b""
        if self._portaudio is not None:
            try:
                self._portaudio_sink = PortAudioSink(self._portaudio, self._queue, SAMPLE_RATE, CHUNK // 2)
                self._portaudio_sink.start()
            except Exception as exc:  # noqa: BLE001 - a device that went away: play silently, say so
                log.warning("the audio device could not be opened: %s", exc)
                self.status = f"Audio: silent ({exc})"
                self._portaudio_sink = None
                self.stop()
                return False
        else:
            self._sink = self._sink_class(self._device, self._format, self)
            self._sink.setBufferSize(CHUNK * BYTES_PER_SAMPLE * SINK_CHUNKS)
            self._io = self._sink.start()
        self._timer.start()
        return True

    def stop(self) -> None:
        self._timer.stop()
        self._stop.set()
        self._queue.clear()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        if self._portaudio_sink is not None:
            self._portaudio_sink.stop()
            self._portaudio_sink = None
        if self._sink is not None:
            self._sink.stop()
            self._sink = None
            self._io = None

    def elapsed(self) -> float | None:
        """Seconds of sound the device has played since :meth:`start` (None when silent). Any thread."""
        pa = self._portaudio_sink
        if pa is not None:
            return pa.played_seconds()
        if self._sink is None:
            return None
        return self._played_us / 1e6

    # ---- decode thread -------------------------------------------------------------------------
    def _decode(self, mixer: TimelineMixer, first: int, stop: threading.Event) -> None:
        sample = first
        try:
            while not stop.is_set():
                chunk = mixer.read(sample, CHUNK)
                sample += CHUNK
                if not self._queue.put(chunk, stop):
                    return
        except Exception:  # noqa: BLE001 - a decoding failure silences playback, never crashes it
            log.exception("audio decoding failed")
        finally:
            mixer.close()

    # ---- Qt thread -----------------------------------------------------------------------------
    def _pump(self) -> None:
        if self._portaudio_sink is not None:
            played = self._portaudio_sink.take_played()
            if played:  # the peak of all of it: a transient between two pumps still shows
                self._emit_level(b"".join(played))
            return
        if self._sink is None or self._io is None:
            return
        self._played_us = int(self._sink.processedUSecs())
        free = self._sink.bytesFree()
        while free > 0:
            if not self._pending:
                chunk = self._queue.pop()
                if chunk is None:
                    break
                self._pending = chunk
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
