"""The window's playback engine: the exact frame under the playhead, still or playing, decoded off the Qt thread.

One decode thread serves both: a still request (scrubbing, stepping) replaces any older one, so fast
scrubbing never queues up stale work; playback runs a clocked loop at the timeline's rate times the
shuttle speed (−4…4), dropping frames that would be late rather than falling behind. Frames come from
the media engine's :class:`FrameReader` (exact), already scaled to the viewer's size and in Qt's native
RGB32 (one copy into Qt's memory). Results reach the Qt thread as signals.

- Memory: every reader's decoded frames live in one byte budget (:class:`FrameBudget`), whatever the
  number of files or their size.
- Stepping back (holding ←, or J) goes through a :class:`BackwardBuffer` per file: chunks of decoded
  frames, the next chunk back prefetched while the thread waits for the next request.
- Playback first: while playing, :attr:`gate` says so and the window's background jobs pause; the
  player's decoders use every core. When the machine still cannot keep up, playback degrades step by
  step (pictures at half size with the fast scaler, then frames nothing refers to are not decoded) and
  :attr:`dropping` tells the viewer, instead of falling to a few frames a second; a proxy is read as
  soon as one exists.

Create and call on the Qt main thread.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from editor.jobs.priority import PlaybackGate, player_threads
from editor.media.backward import BACK_STEP_MAX, BackwardBuffer
from editor.media.errors import MediaError, MediaNotFoundError
from editor.media.frame_cache import VIEWER_BUDGET, FrameBudget
from editor.media.frames import FrameReader, Picture
from editor.model.layers import is_plain, layers_at
from editor.model.navigate import duration
from editor.model.timeline import Clip, Timeline, source_factor
from editor.ui.composite_preview import ReaderSource, composite_image

log = logging.getLogger(__name__)

MAX_READERS = 4
_SKIPPED: Any = object()  # a scrub frame overtaken by a newer request
_SAME: Any = object()  # while playing: the picture on screen already is this frame (or a later one)
#: Degradation steps of playback that cannot keep up: 0 full, 1 half size (fast scaler), 2 also reference
#: frames only.
MAX_DEGRADE = 2
_DROP_WINDOW = 1.0  # seconds over which dropped frames are counted
_DEGRADE_AFTER = 3  # frames late within the window before the next step down
_WARM_UP = 0.5  # seconds after a start whose late frames do not count (opening the file, the first seek)
_RECOVER_AFTER = 3.0  # seconds on time before trying one step better (doubles when it fails again soon)
_FILE_CHECK_SECONDS = 0.5  # how often an open file is checked for still being there
_KEEP_PLAYED = 8  # frames of a playback kept in the cache
_BIG = 1920 * 1088  # sources bigger than this are scaled with the fast scaler while playing


def _big(reader: FrameReader) -> bool:
    w, h = reader.coded_size
    return w * h > _BIG


def source_time(timeline: Timeline, frame: int) -> tuple[Clip, Fraction] | None:
    """The top-most video clip at ``frame`` and the source time (seconds) shown there, or None (a gap).

    Pure; any thread.
    """
    for track in reversed(timeline.tracks):
        if track.kind != "video" or track.hidden:
            continue
        i = track.index_at(frame)
        if i is None:
            continue
        item = track.items[i]
        if not isinstance(item, Clip):
            continue
        n, d = source_factor(item.media.rate, item.speed, timeline.rate)
        offset = frame - track.starts()[i]
        if item.reverse:  # the mirror of the frame: the clip's last source frame first
            offset = item.duration - 1 - offset
        source_frame = item.source_in + Fraction(offset * n, d)
        return item, source_frame / item.media.rate
    return None


def picture_to_qimage(picture: Picture) -> QImage:
    """The decoded pixels in a QImage that owns its memory (one copy, ~0.3 ms for 960x540). Any thread.

    Wrapping the decoder's buffer without a copy (``QImage(buffer, ...)``) crashed the interpreter under
    load ("deallocating None": PySide6 mismanages the buffer's reference when such an image crosses
    threads), so the picture is copied into memory Qt allocates instead.
    """
    fmt = {"rgb24": QImage.Format.Format_RGB888, "rgba": QImage.Format.Format_RGBA8888,
           "bgra": QImage.Format.Format_RGB32}[picture.format]
    image = QImage(picture.width, picture.height, fmt)
    stride = image.bytesPerLine()
    dst = np.frombuffer(image.bits(), np.uint8, count=stride * picture.height).reshape(picture.height, stride)
    src = np.frombuffer(picture.data, np.uint8, count=picture.stride * picture.height).reshape(
        picture.height, picture.stride)
    row = min(stride, picture.stride)
    dst[:, :row] = src[:, :row]
    return image


def qimage_to_rgb(image: QImage) -> np.ndarray:
    """A (height, width, 3) uint8 RGB copy of an image (to read a frame's number back). Any thread."""
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    buf = np.frombuffer(image.constBits(), np.uint8, count=image.bytesPerLine() * image.height())
    rows = buf.reshape(image.height(), image.bytesPerLine())[:, : image.width() * 3]
    return rows.reshape(image.height(), image.width(), 3).copy()


class PreviewEngine(QObject):
    frame_ready = Signal(object, int)  # QImage | None (gap: black), timeline frame
    position_changed = Signal(int)  # playback moved the playhead (only for the playback still running)
    _position = Signal(int, int)  # frame, generation: from the decode thread
    _still = Signal(object, int, int)  # a still's picture, its frame, the play generation it was asked in
    playback_state = Signal(float)  # the shuttle rate; 0 when paused
    media_offline = Signal(str)  # path of a file that cannot be read ("" when fine again)
    dropping = Signal(bool)  # playback is dropping frames (True) / keeps up again or stopped (False)

    def __init__(self, parent: QObject | None = None, fit: tuple[int, int] = (960, 540),
                 gate: PlaybackGate | None = None, budget: FrameBudget | None = None) -> None:
        super().__init__(parent)
        self.fit = fit
        self.gate = gate if gate is not None else PlaybackGate()
        self.budget = budget if budget is not None else FrameBudget(VIEWER_BUDGET)
        self.threads = player_threads()
        self._readers: OrderedDict[str, FrameReader] = OrderedDict()
        self._buffers: dict[str, BackwardBuffer] = {}
        self._checked: dict[str, float] = {}  # decode thread: when each open file was last seen on disk
        self._played: deque[tuple[str, tuple[int, int, int, str]]] = deque()  # decode thread: recent play keys
        self._skipped_now = 0  # decode thread: frames the last playback read skipped
        self.degrade = 0  # decode thread: the degradation step of the playback running now
        self._dropping = False
        self._proxies: dict[str, str] = {}
        self._swap: set[str] = set()
        self._cond = threading.Condition()
        self._request: tuple[Timeline, int] | None = None
        self._timeline: Timeline | None = None
        self._rate = 0.0
        self._clock: Callable[[], float | None] | None = None
        self._play_from = 0
        self._play_generation = 0
        self._closed = False
        self._offline: set[str] = set()
        self.frames_shown = 0
        self.frames_dropped = 0
        self._active: int | None = None  # Qt thread: the generation of the playback running now
        self._last_exact: tuple[str, int] = ("", -1)
        self._position.connect(self._on_position)
        self._still.connect(self._on_still)
        self._still_generation = 0  # decode thread: the play generation of the still being decoded
        self._thread = threading.Thread(target=self._run, name="cutline-preview", daemon=True)
        self._thread.start()

    # ---- Qt thread -----------------------------------------------------------------------------
    def set_timeline(self, timeline: Timeline | None) -> None:
        with self._cond:
            self._timeline = timeline

    def show(self, timeline: Timeline, frame: int) -> None:
        """Show the frame at ``frame`` (the newest request wins)."""
        with self._cond:
            self._timeline = timeline
            self._request = (timeline, frame)
            self._cond.notify_all()

    def play(self, timeline: Timeline, frame: int, rate: float = 1.0,
             clock: Callable[[], float | None] | None = None) -> None:
        """Play from ``frame`` at ``rate`` × normal speed (negative: backwards). ``clock`` gives the seconds
        played so far (the audio device's position); without it, or while it says None, the system clock."""
        with self._cond:
            self._clock = clock
            self._timeline = timeline
            self._play_from = frame
            self._rate = max(-4.0, min(4.0, rate))
            self._play_generation += 1
            self._active = self._play_generation
            self._request = None
            self._cond.notify_all()
        self.gate.set_playing(True)
        self.playback_state.emit(self._rate)

    def pause(self) -> None:
        self._active = None  # positions the decode thread already sent are stale from now on
        with self._cond:
            was = self._rate
            self._rate = 0.0
            self._play_generation += 1
            self._cond.notify_all()
        self.gate.set_playing(False)
        if was:
            self.playback_state.emit(0.0)

    def _on_position(self, frame: int, generation: int) -> None:
        if generation == self._active:
            self.position_changed.emit(frame)

    def _on_still(self, image: QImage | None, frame: int, generation: int) -> None:
        # A still asked for before a playback began (or ended) is stale: its picture would flash over the
        # playback's, which may be of another timeline (the copy preview).
        if generation == self._play_generation:
            self.frame_ready.emit(image, frame)

    @property
    def rate(self) -> float:
        return self._rate

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._rate = 0.0
            self._cond.notify_all()
        self._thread.join(timeout=3)
        self.gate.set_playing(False)
        for reader in self._readers.values():
            reader.close()
        self._readers.clear()
        self._buffers.clear()

    # ---- decode thread -------------------------------------------------------------------------
    def use_proxy(self, source: str, proxy: str) -> None:
        """Read ``proxy`` (same frames and times, short GOPs) whenever ``source`` is shown. Any thread."""
        with self._cond:
            self._proxies[source] = proxy
            self._swap.add(source)  # the decode thread reopens it on its next read

    def _reader(self, path: str) -> FrameReader:
        """Decode thread only."""
        with self._cond:
            swap = path in self._swap
            self._swap.discard(path)
            proxy = self._proxies.get(path)
        reader = self._readers.get(path)
        if reader is not None and swap:
            self._forget_reader(path)
            reader = None
        if reader is not None:
            now = time.monotonic()
            if now - self._checked.get(path, 0.0) > _FILE_CHECK_SECONDS:
                self._checked[path] = now
                if not os.path.exists(path):  # an open file still reads after it is deleted: say so
                    self._forget_reader(path)
                    raise MediaNotFoundError(f"{path}: the file was moved or deleted", path)
        if reader is None:
            cache = self.budget.cache()
            try:
                reader = FrameReader(proxy or path, fit=self.fit, pixel_format="bgra", cache=cache,
                                     thread_count=self.threads)
            except MediaError:
                if proxy is None:
                    raise
                reader = FrameReader(path, fit=self.fit, pixel_format="bgra", cache=cache,
                                     thread_count=self.threads)  # a damaged proxy: the source
            self._readers[path] = reader
            self._buffers[path] = BackwardBuffer(reader, cache)
            while len(self._readers) > MAX_READERS:
                self._forget_reader(next(iter(self._readers)))
        self._readers.move_to_end(path)
        return reader

    def _forget_reader(self, path: str) -> None:
        """Decode thread only."""
        reader = self._readers.pop(path, None)
        self._buffers.pop(path, None)
        if reader is not None:
            reader.close()

    def _prefetch(self) -> bool:
        """Idle time of the decode thread: a piece of the next backward chunk; True if more to do."""
        for buffer in list(self._buffers.values()):
            if buffer.has_work():
                try:
                    return buffer.prefetch_step() or any(b.has_work() for b in self._buffers.values())
                except Exception:  # noqa: BLE001 - a prefetch is a guess; the request itself reports errors
                    log.debug("backward prefetch failed", exc_info=True)
                    buffer.cancel_prefetch()
                    return False
        return False

    def _has_prefetch(self) -> bool:
        return any(b.has_work() for b in self._buffers.values())

    def _picture(self, timeline: Timeline, frame: int, scrub: bool = False) -> QImage | None:
        """The exact picture at ``frame``. With ``scrub``, a far jump on a long-GOP source first shows the
        keyframe before it (one packet, ~20 ms), and the exact decode is skipped if the user has already
        asked for another frame meanwhile: scrubbing stays live, the frame settled on is exact."""
        found = self._plain(timeline, frame)
        if found is None or isinstance(found, QImage):
            return found
        clip, seconds = found
        path = clip.media.path
        try:
            reader = self._reader(path)
            at = min(seconds, max(Fraction(0), reader.duration - Fraction(1, 1000)))
            if scrub and reader.cached(at) is None and not self._near_last(path, frame):
                preview = reader.read_keyframe_before(at)
                if preview.index != reader.resolve(at):
                    self._still.emit(picture_to_qimage(preview), frame, self._still_generation)
                    with self._cond:
                        if self._request is not None:
                            return _SKIPPED
            index = reader.resolve(at)
            picture = self._buffers[path].read(index) if path in self._buffers else reader.read(index)
            self._last_exact = (path, frame)
        except MediaError as exc:
            self._went_offline(path, exc)
            return None
        self._back_online(path)
        return picture_to_qimage(picture)

    def _plain(self, timeline: Timeline, frame: int) -> tuple[Clip, Fraction] | QImage | None:
        """The clip and source time of a plain frame; the composed picture of a frame with titles, fades,
        dissolves or picture-in-picture (``editor.media.compose``, as the export draws it); None for black.
        Decode thread only."""
        layers = layers_at(timeline, frame)
        if not layers:
            return None
        if is_plain(layers):
            return layers[0].clip, layers[0].seconds  # type: ignore[union-attr]
        source = ReaderSource(self._reader, self._went_offline)
        return composite_image(timeline, layers, self.fit, source)

    def _went_offline(self, path: str, exc: MediaError) -> None:
        """Decode thread only."""
        self._forget_reader(path)
        if path not in self._offline:
            self._offline.add(path)
            log.warning("cannot show %s: %s", path, exc)
            self.media_offline.emit(path)

    def _back_online(self, path: str) -> None:
        if path in self._offline:
            self._offline.discard(path)
            self.media_offline.emit("")

    def _near_last(self, path: str, frame: int) -> bool:
        """Stepping forward a little from the last exact frame (the decoder is already there), or back a
        frame or three (the backward buffer has it or decodes its chunk)."""
        last_path, last_frame = self._last_exact
        return last_path == path and -BACK_STEP_MAX <= frame - last_frame <= 12

    def _run(self) -> None:
        while True:
            with self._cond:
                ready = self._cond.wait_for(lambda: self._closed or self._request is not None or self._rate != 0,
                                            timeout=0 if self._has_prefetch() else None)
                if self._closed:
                    return
            if not ready:
                self._prefetch()
                continue
            with self._cond:
                if self._rate != 0:
                    timeline, start, rate, generation = (self._timeline, self._play_from, self._rate,
                                                         self._play_generation)
                    request = None
                else:
                    request, self._request = self._request, None
                    self._still_generation = self._play_generation
            if request is not None:
                timeline_now, frame = request
                try:
                    image = self._picture(timeline_now, frame, scrub=True)
                    if image is not _SKIPPED:
                        self._still.emit(image, frame, self._still_generation)
                except Exception:  # noqa: BLE001 - keep the viewer alive whatever one frame does
                    log.exception("preview failed at frame %s", frame)
                continue
            if timeline is not None:
                self._play(timeline, start, rate, generation, self._clock)

    def _play(self, timeline: Timeline, start: int, rate: float, generation: int,
              clock: Callable[[], float | None] | None) -> None:
        for buffer in self._buffers.values():
            buffer.cancel_prefetch()  # playing moves on: a chunk planned for stepping back is not wanted now
        try:
            self._play_loop(timeline, start, rate, generation, clock)
        finally:
            for reader in self._readers.values():
                reader.skip_frame_default = "DEFAULT"  # stills are always every frame, full size, best scaler
                reader.interpolation = None
            self._set_dropping(False)

    def _play_loop(self, timeline: Timeline, start: int, rate: float, generation: int,
                   clock: Callable[[], float | None] | None) -> None:
        fps = float(timeline.rate)
        end = duration(timeline)
        t0 = time.monotonic()
        last = None
        self.degrade = 0
        drops: deque[float] = deque()  # when frames were late (the clock passed them): cannot keep up
        changed_at = t0
        recover_after = _RECOVER_AFTER
        shown: tuple[str, int] | None = None  # source file and frame index of the picture on screen
        while True:
            with self._cond:
                if self._play_generation != generation or self._closed:
                    return
            audio = clock() if clock is not None else None
            elapsed = audio if audio is not None else time.monotonic() - t0
            frame = start + int(elapsed * fps * rate)
            if frame >= end or frame < 0:
                frame = max(0, min(frame, end))
                self._position.emit(frame, generation)
                with self._cond:
                    if self._play_generation == generation:
                        self._rate = 0.0
                        self._play_generation += 1
                self.gate.set_playing(False)
                self.playback_state.emit(0.0)
                return
            if last is not None and frame == last:
                next_due = t0 + (abs(frame - start) + 1) / (fps * abs(rate))
                with self._cond:
                    self._cond.wait(max(0.0, min(0.05, next_due - time.monotonic())))
                continue
            now = time.monotonic()
            if last is not None and abs(frame - last) > 1 and abs(rate) <= 1:
                self.frames_dropped += abs(frame - last) - 1
                if now - t0 > _WARM_UP:  # the first frames after a start may be late: opening, seeking
                    drops.extend([now] * (abs(frame - last) - 1))
            while drops and now - drops[0] > _DROP_WINDOW:
                drops.popleft()
            if len(drops) >= _DEGRADE_AFTER and self.degrade < MAX_DEGRADE and now - changed_at > _DROP_WINDOW:
                if now - changed_at < 2 * recover_after:
                    recover_after *= 2  # it came back soon after a step up: wait longer before the next try
                self.degrade += 1  # cannot keep up: decode less
                changed_at = now
                drops.clear()
                log.info("playback cannot keep up: degrading to step %d", self.degrade)
            elif not drops and self.degrade and now - changed_at > recover_after:
                self.degrade -= 1  # on time for a while: try one step better
                changed_at = now
            self._set_dropping(bool(drops) or self.degrade > 0)
            self._skipped_now = 0
            image, shown_now = self._play_picture(timeline, frame, rate, shown)
            last = frame
            if self._skipped_now:  # frames the degraded decoder skipped on purpose: dropped, but not late
                self.frames_dropped += self._skipped_now
            if image is _SAME:  # the picture on screen is this frame already
                self._position.emit(frame, generation)
                continue
            shown = shown_now
            self.frames_shown += 1
            self.frame_ready.emit(image, frame)
            self._position.emit(frame, generation)

    def _play_picture(self, timeline: Timeline, frame: int, rate: float,
                      shown: tuple[str, int] | None) -> tuple[Any, tuple[str, int] | None]:
        """The picture for timeline ``frame`` while playing (at the current degradation step), its
        (path, source index); ``_SAME`` when the picture on screen is that frame or a later one (a frame
        not decoded at this degradation step)."""
        found = self._plain(timeline, frame)
        if found is None or isinstance(found, QImage):
            return found, None
        clip, seconds = found
        path = clip.media.path
        try:
            reader = self._reader(path)
            at = min(seconds, max(Fraction(0), reader.duration - Fraction(1, 1000)))
            index = reader.resolve(at)
            if shown is not None and shown[0] == path and rate > 0 and 0 <= shown[1] - index < 8:
                return _SAME, shown  # on screen already (a frame skipped at this step was counted then)
            size = None
            if self.degrade >= 1:  # first every frame at half size, then also only the reference frames
                w, h = reader.output_size
                size = (max(2, w // 4 * 2), max(2, h // 4 * 2))
            reader.skip_frame_default = "NONREF" if self.degrade >= 2 and rate > 0 else "DEFAULT"
            reader.interpolation = "FAST_BILINEAR" if self.degrade >= 1 or _big(reader) else None
            if rate < 0 and path in self._buffers:
                picture = self._buffers[path].read(index, size)
            else:
                picture = reader.read(index, size=size, back_window=0)
                self._forget_played(path, reader, picture)
            if rate > 0 and picture.index > index:
                self._skipped_now = picture.index - index  # frames not decoded at this degradation step
        except MediaError as exc:
            self._went_offline(path, exc)
            return None, None
        self._back_online(path)
        return picture_to_qimage(picture), (path, picture.index)

    def _forget_played(self, path: str, reader: FrameReader, picture: Picture) -> None:
        """Played frames leave the cache soon (the last few stay for a step back after pausing), so that
        playing never fills the budget the backward buffer needs. Decode thread only."""
        played = self._played
        played.append((path, (picture.index, picture.width, picture.height, reader.pixel_format)))
        while len(played) > _KEEP_PLAYED:
            old_path, key = played.popleft()
            buffer = self._buffers.get(old_path)
            if buffer is not None:
                buffer.cache.discard(key)

    def _set_dropping(self, dropping: bool) -> None:
        if dropping != self._dropping:
            self._dropping = dropping
            self.dropping.emit(dropping)
