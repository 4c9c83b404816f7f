"""The picture in the viewer: the exact frame under the playhead, still or playing, decoded off the Qt thread.

One decode thread serves both: a still request (scrubbing, stepping) replaces any older one, so fast
scrubbing never queues up stale work; playback runs a clocked loop at the timeline's rate times the
shuttle speed (−4…4), dropping frames that would be late rather than falling behind. Frames come from
the media engine's :class:`FrameReader` (exact, with its own cache of frames around the playhead),
already scaled to the viewer's size and in Qt's native RGB32 (one copy into Qt's memory). Results reach the Qt
thread as signals. Create and call on the Qt main thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from editor.media.errors import MediaError
from editor.media.frames import FrameReader, Picture
from editor.model.navigate import duration
from editor.model.timeline import Clip, Timeline, source_factor

log = logging.getLogger(__name__)

MAX_READERS = 4
_SKIPPED: Any = object()  # a scrub frame overtaken by a newer request


def source_time(timeline: Timeline, frame: int) -> tuple[Clip, Fraction] | None:
    """The top-most video clip at ``frame`` and the source time (seconds) shown there, or None (a gap).

    Pure; any thread.
    """
    for track in reversed(timeline.tracks):
        if track.kind != "video":
            continue
        i = track.index_at(frame)
        if i is None:
            continue
        item = track.items[i]
        if not isinstance(item, Clip):
            continue
        n, d = source_factor(item.media.rate, item.speed, timeline.rate)
        offset = frame - track.starts()[i]
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
    playback_state = Signal(float)  # the shuttle rate; 0 when paused
    media_offline = Signal(str)  # path of a file that cannot be read ("" when fine again)

    def __init__(self, parent: QObject | None = None, fit: tuple[int, int] = (960, 540)) -> None:
        super().__init__(parent)
        self.fit = fit
        self._readers: OrderedDict[str, FrameReader] = OrderedDict()
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
        self.playback_state.emit(self._rate)

    def pause(self) -> None:
        self._active = None  # positions the decode thread already sent are stale from now on
        with self._cond:
            was = self._rate
            self._rate = 0.0
            self._play_generation += 1
            self._cond.notify_all()
        if was:
            self.playback_state.emit(0.0)

    def _on_position(self, frame: int, generation: int) -> None:
        if generation == self._active:
            self.position_changed.emit(frame)

    @property
    def rate(self) -> float:
        return self._rate

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._rate = 0.0
            self._cond.notify_all()
        self._thread.join(timeout=3)
        for reader in self._readers.values():
            reader.close()
        self._readers.clear()

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
            self._readers.pop(path).close()
            reader = None
        if reader is None:
            try:
                reader = FrameReader(proxy or path, fit=self.fit, pixel_format="bgra")
            except MediaError:
                if proxy is None:
                    raise
                reader = FrameReader(path, fit=self.fit, pixel_format="bgra")  # a damaged proxy: the source
            self._readers[path] = reader
            while len(self._readers) > MAX_READERS:
                self._readers.popitem(last=False)[1].close()
        self._readers.move_to_end(path)
        return reader

    def _picture(self, timeline: Timeline, frame: int, scrub: bool = False) -> QImage | None:
        """The exact picture at ``frame``. With ``scrub``, a far jump on a long-GOP source first shows the
        keyframe before it (one packet, ~20 ms), and the exact decode is skipped if the user has already
        asked for another frame meanwhile: scrubbing stays live, the frame settled on is exact."""
        found = source_time(timeline, frame)
        if found is None:
            return None
        clip, seconds = found
        path = clip.media.path
        try:
            reader = self._reader(path)
            at = min(seconds, max(Fraction(0), reader.duration - Fraction(1, 1000)))
            if scrub and reader.cached(at) is None and not self._near_last(path, frame):
                preview = reader.read_keyframe_before(at)
                if preview.index != reader.resolve(at):
                    self.frame_ready.emit(picture_to_qimage(preview), frame)
                    with self._cond:
                        if self._request is not None:
                            return _SKIPPED
            picture = reader.read(at)
            self._last_exact = (path, frame)
        except MediaError as exc:
            self._readers.pop(path, None)
            if path not in self._offline:
                self._offline.add(path)
                log.warning("cannot show %s: %s", path, exc)
                self.media_offline.emit(path)
            return None
        if path in self._offline:
            self._offline.discard(path)
            self.media_offline.emit("")
        return picture_to_qimage(picture)

    def _near_last(self, path: str, frame: int) -> bool:
        """Stepping forward a little from the last exact frame: the decoder is already there."""
        last_path, last_frame = self._last_exact
        return last_path == path and 0 <= frame - last_frame <= 12

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closed or self._request is not None or self._rate != 0)
                if self._closed:
                    return
                if self._rate != 0:
                    timeline, start, rate, generation = (self._timeline, self._play_from, self._rate,
                                                         self._play_generation)
                    request = None
                else:
                    request, self._request = self._request, None
            if request is not None:
                timeline_now, frame = request
                try:
                    image = self._picture(timeline_now, frame, scrub=True)
                    if image is not _SKIPPED:
                        self.frame_ready.emit(image, frame)
                except Exception:  # noqa: BLE001 - keep the viewer alive whatever one frame does
                    log.exception("preview failed at frame %s", frame)
                continue
            if timeline is not None:
                self._play(timeline, start, rate, generation, self._clock)

    def _play(self, timeline: Timeline, start: int, rate: float, generation: int,
              clock: Callable[[], float | None] | None) -> None:
        fps = float(timeline.rate)
        end = duration(timeline)
        t0 = time.monotonic()
        last = None
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
                self.playback_state.emit(0.0)
                return
            if last is not None and frame == last:
                next_due = t0 + (abs(frame - start) + 1) / (fps * abs(rate))
                with self._cond:
                    self._cond.wait(max(0.0, min(0.05, next_due - time.monotonic())))
                continue
            if last is not None and abs(frame - last) > 1 and abs(rate) <= 1:
                self.frames_dropped += abs(frame - last) - 1
            image = self._picture(timeline, frame)
            self.frames_shown += 1
            self.frame_ready.emit(image, frame)
            self._position.emit(frame, generation)
            last = frame
