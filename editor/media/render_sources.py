"""Where a render reads its pictures and sound: sources opened just before a clip and closed after it.

- ``SourcePool`` keeps a few open containers per file (clips that share a file reuse them; a long
  timeline never holds more than ``limit`` idle files open), so memory does not grow with clip count.
- ``VideoSource`` answers "which source frame covers time t" for one clip, decoding ahead in a thread.
- ``AudioSource`` reads one clip's sound as float32 stereo at the output rate, cut to the sample at the
  presentation time of the video frame (times count from the file's time origin).
- ``conform`` fits any frame (any size, odd ones too, any pixel format, any rotation) into the output size
  as yuv420p, letter/pillar-boxed on black.

Worker thread or child process; never touches Qt.
"""

from __future__ import annotations

import queue
import threading
from collections import OrderedDict
from collections.abc import Iterator
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import av

from editor.media.errors import RenderError
from editor.media.probe import open_input
from editor.media.render_spec import RenderClip

if TYPE_CHECKING:  # numpy is imported where it is used: a copy cut never loads it
    import numpy as np


def time_origin(container: Any) -> Fraction:
    """Container seconds of the file's frame 0 (``editor.media.origin``; every source time counts from it).
    Leaves the container at its start. Worker thread."""
    from editor.media.origin import time_origin as origin_of

    return origin_of(container).seconds


AUDIO_PREROLL = Fraction(1, 10)


class SourcePool:
    """Open containers per file: ``acquire`` an idle one (or open it), ``release`` it for the next clip.

    At most ``limit`` idle containers stay open; the least recently used is closed. Worker thread (one
    pool per render).
    """

    def __init__(self, limit: int = 4) -> None:
        self.limit = limit
        self._idle: OrderedDict[int, tuple[str, Any]] = OrderedDict()
        self._n = 0
        self.opened = 0
        self.origins: dict[str, Fraction] = {}
        self._indexes: dict[str, Any] = {}

    def index(self, path: str, container: Any) -> Any:
        """The frame index of ``path`` (``editor.media.origin.scan_video``), made once per render; leaves
        ``container`` at its start. Worker thread."""
        if path not in self._indexes:
            from editor.media.origin import scan_video

            self._indexes[path] = scan_video(container)
        return self._indexes[path]

    def acquire(self, path: str) -> Any:
        for key, (p, container) in self._idle.items():
            if p == path:
                del self._idle[key]
                return container
        self.opened += 1
        container = open_input(path)
        if path not in self.origins:
            self.origins[path] = time_origin(container)
        return container

    def release(self, path: str, container: Any) -> None:
        self._n += 1
        self._idle[self._n] = (path, container)
        while len(self._idle) > self.limit:
            _, (_, old) = self._idle.popitem(last=False)
            old.close()

    def close(self) -> None:
        for _, container in self._idle.values():
            container.close()
        self._idle.clear()


def prefetch(source: Iterator[Any], stop: threading.Event, depth: int = 4) -> Iterator[Any]:
    """Run the iterator ``source`` in a thread, ``depth`` items ahead, so that decoding the next frames
    overlaps encoding this one (PyAV releases the GIL in both). Errors are re-raised here."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    done = object()

    def run() -> None:
        try:
            for item in source:
                while not stop.is_set():
                    try:
                        q.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put((done, None))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            q.put((done, exc))

    worker = threading.Thread(target=run, name="cutline-render-decode", daemon=True)
    worker.start()
    try:
        while True:
            item, exc = q.get()
            if exc is not None:
                raise exc
            if item is done:
                return
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            try:
                q.get_nowait()
            except queue.Empty:
                pass
            worker.join(timeout=0.05)


class VideoSource:
    """Frames of one clip's source in presentation order from ``seconds`` on (source time from the origin).
    Worker thread."""

    def __init__(self, clip: RenderClip, pool: SourcePool, seconds: Fraction) -> None:
        self.clip, self.pool = clip, pool
        self.container = pool.acquire(clip.path)
        if not self.container.streams.video:
            pool.release(clip.path, self.container)
            raise RenderError(f"{clip.path}: has no video stream", clip.path)
        self.stream = self.container.streams.video[0]
        if not self.stream.codec_context.is_open:  # a pooled container keeps its decoder (and its threads)
            self.stream.thread_type = "AUTO"
        self.tb = Fraction(self.stream.time_base or Fraction(1, 90000))
        self.origin = pool.origins[clip.path]
        self.current: av.VideoFrame | None = None
        self.upcoming: av.VideoFrame | None = None
        self.rotation: int | None = None
        self.current_time: Fraction | None = None
        self._stop = threading.Event()
        self._frames = prefetch(self._decode_from(seconds), self._stop)

    def _decode_from(self, seconds: Fraction) -> Iterator[av.VideoFrame]:
        # From the keyframe before the frame at ``seconds``, found in the file's frame index: a seek by time
        # lands past it in MPEG-TS (the first GOP came out frozen on its next keyframe).
        from editor.media.origin import packets_from

        index = self.pool.index(self.clip.path, self.container)
        if not len(index):
            return
        key = index.keyframe_before(max(0, min(index.index_at(seconds), len(index) - 1)))
        for packet in packets_from(self.container, self.stream, key, index.order):
            try:
                frames = self.stream.decode(packet) if packet.size else self.stream.decode(None)
            except av.error.InvalidDataError:
                continue  # a corrupt packet: skip it
            yield from (f for f in frames if index.frame_at_pts(f.pts) is not None)

    def _time(self, frame: av.VideoFrame) -> Fraction:
        return (frame.pts or 0) * self.tb - self.origin

    def is_past(self, seconds: Fraction) -> bool:
        """True when the frame held starts after ``seconds`` (a reversed clip went back: open a new source)."""
        return self.current_time is not None and seconds < self.current_time

    def frame_at(self, seconds: Fraction) -> av.VideoFrame | None:
        """The frame shown at source time ``seconds`` (the last one starting at or before it)."""
        if self.current is None:
            self.current = next(self._frames, None)
            self.upcoming = next(self._frames, None)
        while self.upcoming is not None and self._time(self.upcoming) <= seconds:
            self.current, self.upcoming = self.upcoming, next(self._frames, None)
        # kept apart: the encoder loop renumbers the frame it sends (its pts), which may be this one
        self.current_time = self._time(self.current) if self.current is not None else None
        if self.current is not None and self.rotation is None:
            self.rotation = int(round(self.current.rotation)) % 360
        return self.current

    def close(self) -> None:
        self._stop.set()
        self._frames.close()  # type: ignore[attr-defined]
        self.current = self.upcoming = None
        self.pool.release(self.clip.path, self.container)


class AudioSource:
    """One clip's audio as float32 stereo at the output rate, read sequentially from ``source_in``.

    Cut to the sample at the source time (from the file's time origin, the presentation time of its video
    frame 0). Opens its own container unless given a pool. Worker thread; never touches Qt.
    """

    def __init__(self, clip: RenderClip, rate: int, pool: SourcePool | None = None) -> None:
        import numpy as np
        self.clip, self.rate = clip, rate
        self.pool = pool
        self.container = pool.acquire(clip.path) if pool is not None else open_input(clip.path)
        self.origin = pool.origins[clip.path] if pool is not None else time_origin(self.container)
        self.stream = self.container.streams.audio[0] if self.container.streams.audio else None
        self.buf = np.zeros((2, 0), np.float32)
        self.pos = 0.0  # source samples consumed (at output rate)
        self.emitted = 0  # output samples given out (the envelope's clock)
        # a speed other than 1 keeps the pitch: PyAV's atempo filter changes the tempo as it decodes
        self.tempo = self.stream is not None and clip.speed != 1 and not clip.reverse
        frames = self._decode() if self.stream is not None else iter(())
        if clip.reverse and self.stream is not None:
            frames = self._reversed(frames)
        self._frames: Iterator[np.ndarray] = frames

    def _reversed(self, frames: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        """The clip's source range, decoded whole and played backwards."""
        import numpy as np

        total = int(np.ceil(float(self.clip.source_out - self.clip.source_in) * self.rate))
        got, have = [], 0
        for chunk in frames:
            got.append(chunk)
            have += chunk.shape[1]
            if have >= total:
                break
        whole = np.concatenate(got, axis=1)[:, :total] if got else np.zeros((2, 0), np.float32)
        yield np.ascontiguousarray(whole[:, ::-1])

    def _decode(self) -> Iterator[np.ndarray]:
        import numpy as np
        assert self.stream is not None
        stb = Fraction(self.stream.time_base or Fraction(1, self.rate))
        resampler: Any = av.AudioResampler(format="fltp", layout="stereo", rate=self.rate)
        if self.tempo:
            resampler = _TempoResampler(self.rate, self.clip.speed)
        start = self.origin + self.clip.source_in
        first = (self.stream.start_time or 0) * stb
        if start - AUDIO_PREROLL <= first:
            # from the file's start: read a freshly opened file, since a seek to the start skips the encoder
            # priming that the demuxer trims on a first read (the sound would start ~10 ms late)
            fresh = open_input(self.clip.path)
            self._release()
            self.pool, self.container = None, fresh
            self.stream = fresh.streams.audio[0]
        else:
            # decode from a little earlier: the first frame after a seek has no overlap to add (AAC, MP3,
            # Opus fade in there), and it is cut away below anyway
            self.container.seek(int((start - AUDIO_PREROLL) / stb), stream=self.stream, backward=True)
        skip: int | None = None
        for packet in self.container.demux(self.stream):
            try:
                frames = self.stream.decode(packet) if packet.size else self.stream.decode(None)
            except av.error.InvalidDataError:
                continue
            for frame in frames:
                if skip is None:
                    ft = frame.pts * Fraction(frame.time_base or stb) if frame.pts is not None else start
                    skip = round((start - ft) * self.rate)
                    if self.tempo:  # the samples to skip come out of atempo already faster or slower
                        skip = round(skip / self.clip.speed)
                    if skip < 0:
                        yield np.zeros((2, -skip), np.float32)
                        skip = 0
                for o in resampler.resample(frame):
                    arr = o.to_ndarray().astype(np.float32, copy=False)
                    if arr.shape[0] == 1:
                        arr = np.repeat(arr, 2, axis=0)
                    elif arr.shape[0] > 2:
                        arr = arr[:2]
                    if skip:
                        cut = min(skip, arr.shape[1])
                        arr, skip = arr[:, cut:], skip - cut
                    if arr.shape[1]:
                        yield arr
        for o in resampler.resample(None):
            arr = o.to_ndarray().astype(np.float32, copy=False)
            if arr.shape[0] == 1:
                arr = np.repeat(arr, 2, axis=0)
            if skip:
                cut = min(skip, arr.shape[1])
                arr, skip = arr[:, cut:], skip - cut
            if arr.shape[1]:
                yield arr[:2]

    def read(self, count: int) -> np.ndarray:
        """``count`` output samples (speed, gain and fades applied), zero-padded past the end."""
        import numpy as np
        out = self._read(count)
        clip = self.clip
        if clip.gain != 1.0 or clip.fades is not None:
            g = clip.envelope(clip.timeline_start + Fraction(self.emitted, self.rate), self.rate, count)
            out = (out * g).astype(np.float32, copy=False)
        self.emitted += count
        return out

    def _read(self, count: int) -> np.ndarray:
        import numpy as np
        speed = 1.0 if self.tempo else float(self.clip.speed)
        need_end = self.pos + count * speed
        need = int(np.ceil(need_end)) + 1
        chunks = [self.buf]
        have = self.buf.shape[1]
        while have < need:
            chunk = next(self._frames, None)
            if chunk is None:
                break
            chunks.append(chunk)
            have += chunk.shape[1]
        if have < need:
            chunks.append(np.zeros((2, need - have), np.float32))
        if len(chunks) > 1:
            self.buf = np.concatenate(chunks, axis=1)
        if speed == 1.0:
            start = int(self.pos)
            out = self.buf[:, start:start + count]
        else:
            xs = self.pos + np.arange(count) * speed
            idx = np.arange(self.buf.shape[1])
            out = np.stack([np.interp(xs, idx, self.buf[c]) for c in range(2)]).astype(np.float32)
        self.pos = need_end
        drop = int(self.pos) - 1
        if drop > 0:
            self.buf = self.buf[:, drop:]
            self.pos -= drop
        return out

    def _release(self) -> None:
        if self.pool is not None:
            self.pool.release(self.clip.path, self.container)
        else:
            self.container.close()

    def close(self) -> None:
        self._release()


class _TempoResampler:
    """Resample to float stereo at ``rate`` and change the tempo by ``speed`` keeping the pitch (FFmpeg's
    atempo, chained for factors beyond 0.5..2, which older FFmpeg builds need). Same interface as
    ``av.AudioResampler``: ``resample(frame)``, ``resample(None)`` flushes. Worker thread."""

    def __init__(self, rate: int, speed: Fraction) -> None:
        self.rate, self.speed = rate, float(speed)
        self.resampler = av.AudioResampler(format="fltp", layout="stereo", rate=rate)
        self.graph: Any = None
        self.next_pts = 0

    def _build(self, template: av.AudioFrame) -> None:
        import av.filter

        g = av.filter.Graph()
        src = g.add_abuffer(sample_rate=self.rate, format=template.format.name, layout="stereo",
                            channels=2, time_base=Fraction(1, self.rate))
        node = src
        factor = self.speed
        steps = []
        while factor > 2.0:
            steps.append(2.0)
            factor /= 2.0
        while factor < 0.5:
            steps.append(0.5)
            factor /= 0.5
        steps.append(factor)
        for f in steps:
            nxt = g.add("atempo", f"{f:.6f}")
            node.link_to(nxt)
            node = nxt
        fmt = g.add("aformat", f"sample_fmts=fltp:channel_layouts=stereo:sample_rates={self.rate}")
        node.link_to(fmt)
        sink = g.add("abuffersink")
        fmt.link_to(sink)
        g.configure()
        self.graph, self.src, self.sink = g, src, sink

    def _pull(self) -> list[av.AudioFrame]:
        out = []
        while True:
            try:
                out.append(self.sink.pull())
            except (av.error.BlockingIOError, av.error.EOFError):
                return out

    def resample(self, frame: av.AudioFrame | None) -> list[av.AudioFrame]:
        if frame is None:
            if self.graph is None:
                return []
            self.src.push(None)
            return self._pull()
        result = []
        for f in self.resampler.resample(frame):
            f.pts = self.next_pts
            f.time_base = Fraction(1, self.rate)
            self.next_pts += f.samples
            if self.graph is None:
                self._build(f)
            self.src.push(f)
            result += self._pull()
        return result


def _planes(frame: av.VideoFrame) -> list[np.ndarray]:
    """The Y, U, V planes of a yuv420p frame as 2-D arrays (views, line padding cut off)."""
    import numpy as np
    out = []
    for plane in frame.planes:
        buf: Any = plane
        arr = np.frombuffer(buf, np.uint8).reshape(plane.height, plane.line_size)
        out.append(arr[:, :plane.width])
    return out


def black_frame(width: int, height: int) -> av.VideoFrame:
    """A black yuv420p frame (limited range). Any thread."""
    frame = av.VideoFrame(width, height, "yuv420p")
    y, u, v = _planes(frame)
    y[:] = 16
    u[:] = 128
    v[:] = 128
    return frame


def conform(frame: av.VideoFrame, width: int, height: int, rotation: int) -> av.VideoFrame:
    """``frame`` fitted into width x height (aspect kept, display rotation applied) on black, as yuv420p.

    Any source size (odd ones too) and pixel format. Worker thread.
    """
    import numpy as np
    turns = (rotation // 90) % 4
    if turns:
        rgb = np.rot90(frame.to_ndarray(format="rgb24"), k=turns)
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb, dtype=np.uint8), format="rgb24")
    if (frame.width, frame.height) == (width, height):
        return frame if frame.format.name == "yuv420p" else frame.reformat(format="yuv420p")
    from editor.media.frames import fit_size  # the frame reader (and numpy) only where frames are fitted

    w, h = fit_size((frame.width, frame.height), (width, height))
    scaled = frame.reformat(width=w, height=h, format="yuv420p")
    if (w, h) == (width, height):
        return scaled
    y0, x0 = (height - h) // 2 // 2 * 2, (width - w) // 2 // 2 * 2
    canvas = black_frame(width, height)
    cy, cu, cv = _planes(canvas)
    sy, su, sv = _planes(scaled)
    cy[y0:y0 + h, x0:x0 + w] = sy[:h, :w]
    hc, wc = su.shape
    cu[y0 // 2:y0 // 2 + hc, x0 // 2:x0 // 2 + wc] = su
    cv[y0 // 2:y0 // 2 + hc, x0 // 2:x0 // 2 + wc] = sv
    return canvas
