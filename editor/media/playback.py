"""Playback engine: decode thread → bounded frame queue → presenter paced by a clock; audio alongside.

- The decode thread (``cutline-decode``) reads frames already scaled to the viewer's size and converted
  to a paintable format (``Picture``) through a ``FrameReader`` and puts them into a bounded queue. When
  it falls behind the clock it decodes the late frames without converting them (they are dropped).
- The presenter thread (``cutline-present``) waits for each frame's time on the clock and calls
  ``on_frame(picture, position)``; a frame whose time has already passed is dropped.
- The audio thread (``cutline-audio``, at 1x only) decodes and resamples to s16 interleaved stereo
  48 kHz and calls ``on_audio(chunk)``, staying at most ``AUDIO_LEAD`` seconds ahead of the clock.
- The clock is the audio clock when the UI reports how many samples its device has played
  (``audio_played``), the system clock otherwise.
- Rates -4x…4x (J/K/L shuttle). Reverse steps back through the reader's cache of decoded frames
  (lower frame rate on long-GOP sources).

Callbacks are called on the engine's threads (the UI wraps them in queued Qt signals): ``on_frame``,
``on_state(state)``, ``on_error(MediaError)``, ``on_audio(AudioChunk)``. The control methods (play,
pause, seek, step, set_rate…) may be called from any thread, including the Qt thread: they only set
state and return at once. No Qt in this layer.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from editor.media.errors import MediaError, MediaNotFoundError, NoVideoStreamError, describe_av_error
from editor.media.frames import FrameReader, Picture
from editor.media.origin import time_origin
from editor.media.probe import open_input, probe

OUTPUT_RATE = 48000
OUTPUT_CHANNELS = 2
AUDIO_LEAD = 0.5  # seconds of audio delivered ahead of the clock
MAX_RATE = 4.0
_QUEUE_FRAMES = 6
_FILE_CHECK_SECONDS = 0.5


class PlaybackState(StrEnum):
    LOADING = "loading"
    PAUSED = "paused"
    PLAYING = "playing"
    ENDED = "ended"
    ERROR = "error"
    CLOSED = "closed"


@dataclass(frozen=True)
class AudioChunk:
    """Interleaved s16 stereo 48 kHz samples starting at ``position`` seconds.

    ``run`` changes at every play/seek/rate change; ``start_sample`` counts samples within the run
    (0 for the first chunk of a run: the device should drop what it still holds and restart its count).
    """

    data: bytes
    position: Fraction
    run: int
    start_sample: int
    samples: int
    sample_rate: int = OUTPUT_RATE
    channels: int = OUTPUT_CHANNELS


class _Clock:
    """Playback position: the audio device's count when it reports, else the monotonic clock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = False
        self._anchor_pos = 0.0
        self._anchor_wall = time.monotonic()
        self._rate = 1.0
        self._audio: tuple[int, float, float] | None = None  # run, run start position, wall at report
        self._audio_samples = 0
        self.duration = float("inf")

    def start(self, pos: float, rate: float) -> None:
        with self._lock:
            self._running, self._anchor_pos, self._rate = True, pos, rate
            self._anchor_wall = time.monotonic()
            self._audio = None

    def stop(self, pos: float) -> None:
        with self._lock:
            self._running, self._anchor_pos, self._audio = False, pos, None

    def audio_report(self, run: int, run_start: float, samples: int) -> None:
        with self._lock:
            if self._running and self._rate == 1.0:
                self._audio = (run, run_start, time.monotonic())
                self._audio_samples = samples

    def anchor(self) -> float:
        """Where the clock was (re)started."""
        with self._lock:
            return self._anchor_pos

    @property
    def running(self) -> bool:
        return self._running

    @property
    def rate(self) -> float:
        """The current rate. Any thread."""
        return self._rate

    def position(self) -> float:
        """Any thread."""
        with self._lock:
            now = time.monotonic()
            if not self._running:
                pos = self._anchor_pos
            elif self._audio is not None and now - self._audio[2] < 0.25:
                _, start, wall = self._audio
                pos = start + self._audio_samples / OUTPUT_RATE + (now - wall)
            else:
                pos = self._anchor_pos + (now - self._anchor_wall) * self._rate
            return min(max(pos, 0.0), self.duration)


class PlaybackEngine:
    """Plays one media file for a viewer; see the module docstring for threads and callbacks.

    ``viewer_size`` bounds the frames (aspect kept, rotation applied); ``pixel_format`` is rgb24,
    rgba or bgra. Construct and control from any thread; call ``close()`` when done.
    """

    def __init__(self, path: str | os.PathLike[str], *, viewer_size: tuple[int, int] = (960, 540),
                 pixel_format: str = "bgra",
                 on_frame: Callable[[Picture, Fraction], None] | None = None,
                 on_state: Callable[[PlaybackState], None] | None = None,
                 on_error: Callable[[MediaError], None] | None = None,
                 on_audio: Callable[[AudioChunk], None] | None = None,
                 cache_bytes: int = 160 * 1024 * 1024) -> None:
        self.path = Path(path)
        self.viewer_size = viewer_size
        self.pixel_format = pixel_format
        self._on_frame, self._on_state = on_frame, on_state
        self._on_error, self._on_audio = on_error, on_audio
        self._cache_bytes = cache_bytes
        self._cond = threading.Condition()
        self._state = PlaybackState.LOADING
        self._rate = 1.0
        self._gen = 0
        self._seek: int | Fraction | None = 0
        self._position = Fraction(0)
        self._closed = False
        self._clock = _Clock()
        self._frames: queue.Queue[tuple[int, Picture]] = queue.Queue(maxsize=_QUEUE_FRAMES)
        self._reader: FrameReader | None = None
        self._has_audio = False
        self._duration = Fraction(0)
        self._decode_done_gen = -1
        self.dropped_frames = 0
        self.presented_frames = 0
        self._ready = threading.Event()
        self._threads = [threading.Thread(target=self._guard(self._decode_loop), name="cutline-decode",
                                          daemon=True),
                         threading.Thread(target=self._guard(self._present_loop), name="cutline-present",
                                          daemon=True),
                         threading.Thread(target=self._guard(self._audio_loop), name="cutline-audio",
                                          daemon=True)]
        for t in self._threads:
            t.start()

    # -- control (any thread) ------------------------------------------------------------------------
    @property
    def state(self) -> PlaybackState:
        """The current state. Any thread."""
        return self._state

    @property
    def rate(self) -> float:
        """The current rate. Any thread."""
        return self._rate

    @property
    def duration(self) -> Fraction:
        """Length in seconds (0 until loaded). Any thread."""
        return self._duration

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Block until the file is open and the first frame shown (or an error). Not for the Qt thread."""
        return self._ready.wait(timeout)

    def position(self) -> Fraction:
        """The current playback position in seconds (clock while playing, last frame while paused).
        Any thread.
        """
        if self._state == PlaybackState.PLAYING:
            return Fraction(self._clock.position()).limit_denominator(1_000_000)
        return self._position

    def play(self, rate: float | None = None) -> None:
        """Start (or continue) playing at ``rate`` (default: the current rate, -4…4, not 0). Any thread."""
        with self._cond:
            if self._state in (PlaybackState.ERROR, PlaybackState.CLOSED, PlaybackState.LOADING):
                if self._state == PlaybackState.LOADING:  # start once the file is open
                    self._play_when_ready = True
                    if rate is not None:
                        self._rate = _clamp_rate(rate)
                return
            if rate is not None:
                self._rate = _clamp_rate(rate)
            pos = self._position
            if self._rate > 0 and pos >= self._last_frame_time():
                pos = Fraction(0)  # play at the end starts again from the beginning
            self._restart(pos, PlaybackState.PLAYING)

    def pause(self) -> None:
        """Pause on the frame shown. Any thread."""
        with self._cond:
            if self._state != PlaybackState.PLAYING:
                return
            self._restart(self._position, PlaybackState.PAUSED)

    def toggle(self) -> None:
        """Play if paused, pause if playing. Any thread."""
        if self._state == PlaybackState.PLAYING:
            self.pause()
        else:
            self.play()

    def set_rate(self, rate: float) -> None:
        """Change the rate (-4…4; 0 pauses) keeping the position. Any thread."""
        if rate == 0:
            self.pause()
            return
        with self._cond:
            self._rate = _clamp_rate(rate)
            if self._state == PlaybackState.PLAYING:
                self._restart(self.position(), PlaybackState.PLAYING)

    def seek(self, position: int | Fraction) -> None:
        """Show the exact frame at ``position`` (frame index or seconds); playing continues from there.

        Rapid seeks (scrubbing) are coalesced: only the latest is decoded. Any thread.
        """
        with self._cond:
            if self._state in (PlaybackState.ERROR, PlaybackState.CLOSED):
                return
            state = self._state if self._state == PlaybackState.PLAYING else PlaybackState.PAUSED
            if self._state == PlaybackState.LOADING:
                self._seek = position
                return
            self._gen += 1
            self._seek = position
            self._state = state
            self._clock.stop(float(self._position))
            self._cond.notify_all()

    def step(self, frames: int = 1) -> None:
        """Pause and move ``frames`` frames forward (negative: back). Any thread."""
        with self._cond:
            if self._reader is None:
                return
            current = self._current_index()
            target = min(max(current + frames, 0), self._reader.frame_count - 1)
            if self._state == PlaybackState.PLAYING:
                self._state = PlaybackState.PAUSED
                self._emit_state(PlaybackState.PAUSED)
        self.seek(target)

    def audio_played(self, samples: int, run: int | None = None) -> None:
        """The UI's audio device has played ``samples`` samples of the current run. Any thread."""
        run_info = self._audio_run
        if run_info is None or (run is not None and run != run_info[0]):
            return
        self._clock.audio_report(run_info[0], run_info[1], samples)

    def set_viewer_size(self, size: tuple[int, int]) -> None:
        """Frames from now on fit ``size``. Any thread."""
        with self._cond:
            self.viewer_size = size
            if self._reader is not None:
                from editor.media.frames import fit_size

                self._reader.output_size = fit_size(self._reader.display_size, size)
            self._gen += 1
            self._seek = self._current_index() if self._reader is not None else self._position
            self._cond.notify_all()

    def close(self) -> None:
        """Stop the threads and release the file. Any thread (returns within ~1 s)."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._gen += 1
            self._state = PlaybackState.CLOSED
            self._cond.notify_all()
        for t in self._threads:
            if t is not threading.current_thread():
                t.join(timeout=2)
        if self._reader is not None:
            self._reader.close()

    def __enter__(self) -> PlaybackEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals -----------------------------------------------------------------------------------
    _audio_run: tuple[int, float] | None = None
    _seeking = False
    _play_when_ready = False

    def _restart(self, pos: Fraction, state: PlaybackState) -> None:
        """(lock held) New generation: flush queued frames, restart the clock."""
        self._gen += 1
        self._position = pos
        changed = state != self._state
        self._state = state
        if state == PlaybackState.PLAYING:
            self._clock.start(float(pos), self._rate)
        else:
            self._clock.stop(float(pos))
        self._cond.notify_all()
        if changed:
            self._emit_state(state)

    def _current_index(self) -> int:
        assert self._reader is not None
        pos = min(self._position, self._reader.duration - Fraction(1, 1_000_000))
        return self._reader.index_at(max(pos, Fraction(0)))

    def _last_frame_time(self) -> Fraction:
        if self._reader is not None:
            return self._reader.time_of(self._reader.frame_count - 1)
        return max(Fraction(0), self._duration - Fraction(1, 100))

    def _emit_state(self, state: PlaybackState) -> None:
        if self._on_state is not None:
            try:
                self._on_state(state)
            except Exception:  # noqa: BLE001 - a UI callback must not kill the engine
                pass

    def _fail(self, error: MediaError) -> None:
        with self._cond:
            if self._state in (PlaybackState.CLOSED, PlaybackState.ERROR):
                return
            self._state = PlaybackState.ERROR
            self._gen += 1
            self._clock.stop(float(self._position))
            self._cond.notify_all()
        self._ready.set()
        if self._on_error is not None:
            self._on_error(error)
        self._emit_state(PlaybackState.ERROR)

    def _guard(self, fn: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                fn()
            except MediaError as exc:
                self._fail(exc)
            except av.error.FFmpegError as exc:
                self._fail(describe_av_error(self.path, exc))
            except Exception as exc:  # noqa: BLE001 - report, never die silently
                self._fail(MediaError(f"{self.path}: playback failed ({type(exc).__name__}: {exc})",
                                      self.path))
        return run

    def _file_gone(self) -> bool:
        return not self.path.exists()

    def _check_file(self) -> None:
        if self._file_gone():
            raise MediaNotFoundError(f"{self.path}: the file was moved or deleted during playback", self.path)

    def _open(self) -> None:
        info = probe(self.path)
        self._has_audio = info.audio is not None and self._on_audio is not None
        try:
            self._reader = FrameReader(self.path, fit=self.viewer_size, pixel_format=self.pixel_format,
                                       cache_bytes=self._cache_bytes)
            self._duration = self._reader.duration
        except NoVideoStreamError:
            self._reader = None
            self._duration = info.duration or Fraction(0)
        self._clock.duration = float(self._duration)

    def _decode_loop(self) -> None:
        self._open()
        with self._cond:
            if self._closed:
                return
            self._state = PlaybackState.PAUSED
            if self._seek is None:
                self._seek = 0
        self._emit_state(PlaybackState.PAUSED)
        next_index = 0
        active_gen = -1  # generation for which next_index is valid
        last_produced = -1
        done_gen = -1  # generation whose frames have all been produced
        last_check = time.monotonic()
        while True:
            with self._cond:
                if self._seeking:  # the previous seek is fully handled (clock restarted)
                    self._seeking = False
                    self._cond.notify_all()
                while not self._closed and self._seek is None and not (
                        self._state == PlaybackState.PLAYING and self._reader is not None
                        and done_gen != self._gen):
                    self._cond.wait(_FILE_CHECK_SECONDS)
                if self._closed:
                    return
                gen, seek, state, rate = self._gen, self._seek, self._state, self._rate
                self._seek = None
                self._seeking = seek is not None
            if time.monotonic() - last_check > _FILE_CHECK_SECONDS:
                last_check = time.monotonic()
                self._check_file()
            if seek is not None:
                self._check_file()
                if self._reader is None:
                    t = Fraction(seek) if not isinstance(seek, int) else Fraction(0)
                    with self._cond:
                        if gen == self._gen:
                            self._position = min(max(t, Fraction(0)), self._duration)
                            if self._state == PlaybackState.PLAYING:
                                self._clock.start(float(self._position), self._rate)
                            else:
                                self._clock.stop(float(self._position))
                    self._became_ready()
                    continue
                index = self._reader.resolve(_clamp_position(seek, self._reader))
                pic = self._reader.read(index)
                with self._cond:
                    if gen != self._gen:
                        continue
                    self._position = pic.time
                    if self._state == PlaybackState.PLAYING:
                        self._clock.start(float(pic.time), self._rate)
                    else:
                        self._clock.stop(float(pic.time))
                next_index = index + _stride(rate)
                active_gen = gen
                self._deliver(pic)
                self._became_ready()
                continue
            if state != PlaybackState.PLAYING or self._reader is None:
                continue
            # playing: produce the next frame
            reader = self._reader
            if active_gen != gen:
                with self._cond:
                    next_index = self._current_index() + _stride(rate)
                active_gen = gen
            if not 0 <= next_index < reader.frame_count:
                # at n x the stride may jump over the first/last frame: show it before stopping
                boundary = reader.frame_count - 1 if rate > 0 else 0
                if last_produced != boundary and next_index - _stride(rate) != boundary:
                    next_index = boundary
                    last_produced = boundary
                    pic = reader.read(boundary, back_window=0)
                    self._queue_frame(gen, pic)
                    continue
                with self._cond:
                    self._decode_done_gen = gen
                done_gen = gen
                continue
            clock_index = reader.index_at(min(Fraction(self._clock.position()).limit_denominator(1_000_000),
                                              reader.duration - Fraction(1, 1_000_000)))
            stride = _stride(rate)
            if rate > 0 and clock_index > next_index + stride:
                reader.advance_to(clock_index)  # behind: decode without converting, drop the late frames
                self.dropped_frames += clock_index - next_index
                next_index = clock_index
            elif rate < 0 and clock_index < next_index + stride:
                self.dropped_frames += next_index - clock_index
                next_index = clock_index
            pic = reader.read(next_index, back_window=0 if rate > 0 else 48)
            last_produced = next_index
            self._queue_frame(gen, pic)
            next_index += stride

    def _queue_frame(self, gen: int, pic: Picture) -> None:
        while True:
            with self._cond:
                if gen != self._gen or self._closed:
                    return
            try:
                self._frames.put((gen, pic), timeout=0.05)
                return
            except queue.Full:
                continue

    def _became_ready(self) -> None:
        self._ready.set()
        if self._play_when_ready:
            self._play_when_ready = False
            self.play()

    def _deliver(self, pic: Picture) -> None:
        self.presented_frames += 1
        if self._on_frame is not None:
            self._on_frame(pic, pic.time)

    def _present_loop(self) -> None:
        last_shown = time.monotonic()
        while True:
            with self._cond:
                if self._closed:
                    return
            try:
                gen, pic = self._frames.get(timeout=0.05)
            except queue.Empty:
                self._check_end()
                continue
            if gen != self._gen:
                continue
            rate = self._clock.rate
            start, end = float(pic.time), float(pic.time + pic.duration)
            stale = False
            while True:
                if gen != self._gen or self._closed:
                    stale = True
                    break
                pos = self._clock.position()
                wait = (start - pos) / rate if rate > 0 else (pos - end) / -rate
                if wait <= 0.001:
                    break
                time.sleep(min(wait, 0.02))
            if stale:
                continue
            pos = self._clock.position()
            frame_len = max(end - start, 0.001) * abs(_stride(rate))
            late = (pos - end) if rate > 0 else (start - pos)
            if late > frame_len and time.monotonic() - last_shown < 0.25:
                self.dropped_frames += 1
                continue
            with self._cond:
                if gen != self._gen:
                    continue
                self._position = pic.time
            last_shown = time.monotonic()
            self._deliver(pic)

    def _check_end(self) -> None:
        with self._cond:
            if self._state != PlaybackState.PLAYING:
                return
            pos = self._clock.position()
            rate = self._clock.rate
            if self._reader is not None:
                if self._decode_done_gen != self._gen or not self._frames.empty():
                    return
                at_end = pos >= float(self._duration) - 1e-6 or (
                    rate > 0 and pos >= float(self._last_frame_time()))
                at_start = rate < 0
            else:
                self._position = Fraction(pos).limit_denominator(1_000_000)
                at_end = rate > 0 and pos >= float(self._duration) - 1e-6
                at_start = rate < 0 and pos <= 0
            if at_end or at_start:
                self._gen += 1
                self._state = PlaybackState.ENDED if at_end else PlaybackState.PAUSED
                self._clock.stop(float(self._position))
                state = self._state
            else:
                return
        self._emit_state(state)

    def _audio_loop(self) -> None:
        container = None
        try:
            while True:
                with self._cond:
                    while not self._closed and not (self._has_audio and self._state == PlaybackState.PLAYING
                                                    and self._clock.rate == 1.0 and self._seek is None
                                                    and not self._seeking):
                        self._cond.wait(0.25)
                    if self._closed:
                        return
                    gen = self._gen
                    start = Fraction(round(self._clock.anchor() * OUTPUT_RATE), OUTPUT_RATE)
                if container is None:
                    container = open_input(self.path)
                self._audio_run = (gen, float(start))
                self._play_audio_run(container, gen, start)
                with self._cond:
                    while not self._closed and gen == self._gen:
                        self._cond.wait(0.25)
        finally:
            if container is not None:
                container.close()

    def _play_audio_run(self, container: Any, gen: int, start: Fraction) -> None:
        stream = container.streams.audio[0]
        abs_start = time_origin(container).seconds + start  # sound is timed from the video's frame 0
        container.seek(max(0, int(abs_start / stream.time_base)), stream=stream, backward=True)
        resampler = av.AudioResampler(format="s16", layout="stereo", rate=OUTPUT_RATE)
        skip: int | None = None
        sent = 0
        bytes_per_sample = 2 * OUTPUT_CHANNELS
        for packet in container.demux(stream):
            try:
                frames = stream.decode(packet) if packet.size else stream.decode(None)
            except av.error.InvalidDataError:
                continue  # a corrupt audio packet: skip it
            for frame in frames:
                if skip is None:
                    ft = frame.pts * frame.time_base if frame.pts is not None else abs_start
                    skip = max(0, round((abs_start - ft) * OUTPUT_RATE))
                for out in resampler.resample(frame):
                    data = out.to_ndarray().reshape(-1)
                    if skip:
                        cut = min(skip, data.size // OUTPUT_CHANNELS)
                        data, skip = data[cut * OUTPUT_CHANNELS:], skip - cut
                    n = data.size // OUTPUT_CHANNELS
                    if not n:
                        continue
                    while True:  # pace: stay at most AUDIO_LEAD ahead of the clock
                        if gen != self._gen or self._closed:
                            return
                        ahead = float(start) + sent / OUTPUT_RATE - self._clock.position()
                        if ahead < AUDIO_LEAD:
                            break
                        time.sleep(0.02)
                    chunk = AudioChunk(np.ascontiguousarray(data, dtype=np.int16).tobytes(),
                                       start + Fraction(sent, OUTPUT_RATE), gen, sent, n)
                    assert len(chunk.data) == n * bytes_per_sample
                    sent += n
                    if self._on_audio is not None:
                        self._on_audio(chunk)


def _stride(rate: float) -> int:
    """Frames to advance per frame shown: every frame up to 1.5x, every n-th at n x (the frames in
    between are decoded only as far as later frames need them, and never converted)."""
    step = max(1, int(round(abs(rate))))
    return step if rate > 0 else -step


def _clamp_rate(rate: float) -> float:
    rate = float(rate)
    if rate == 0:
        raise ValueError("rate 0: use pause()")
    return max(-MAX_RATE, min(MAX_RATE, rate))


def _clamp_position(position: int | Fraction, reader: FrameReader) -> int | Fraction:
    if isinstance(position, int) and not isinstance(position, bool):
        return min(max(position, 0), reader.frame_count - 1)
    t = Fraction(position)
    return min(max(t, Fraction(0)), reader.duration - Fraction(1, 1_000_000))
