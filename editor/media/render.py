"""Render a timeline to a file: re-encode (H.264 + AAC in MP4) or stream copy.

The timeline arrives as plain spec dataclasses (``RenderSpec`` of ``RenderClip``); the jobs layer
converts the model into them. Times are ``Fraction`` seconds; source times count from the first
frame of the source (as ``FrameReader`` does).

- ``mode="reencode"``: exactly ``round(duration * fps)`` frames; for each output frame the topmost clip
  covering its time is shown, with the source frame whose presentation time covers the matching source
  time (frame-rate conform); other sizes are scaled to fit and letter/pillar-boxed. Audio of every clip
  is resampled to 48 kHz stereo, mixed and encoded to AAC in sync (sample-counted).
- ``mode="copy"``: packets are copied; each cut is widened to the keyframe before its in-point and the
  keyframe at/after its out-point (exact when every cut is on a keyframe). Needs sources with the same
  codec parameters.
- ``mode="smart"``: copy when every cut is on a keyframe; otherwise (H.264 sources) copy the whole GOPs
  and re-encode only the partial GOPs at the cuts (``editor.media.smartcut``); when that is not possible
  (other codecs, open GOPs, speed changes, overlaps) re-encode everything and say why in
  ``RenderResult.notes``.

Progress goes to ``on_progress(percent, message)``; ``cancel`` (a threading.Event) stops the render with
``RenderCancelled``. Output is written under a temporary name in the target directory and moved into
place with ``os.replace`` only on success. Worker thread or child process; never touches Qt.
"""

from __future__ import annotations

import json
import os
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from editor.media.errors import MediaError, RenderCancelled, RenderError
from editor.media.frames import fit_size
from editor.media.probe import open_input

ProgressCallback = Callable[[float, str], None]
MODES = ("reencode", "copy", "smart")
SAMPLE_RATE = 48000
SPEC_SCHEMA = "RenderSpec.1"


def _frac(value: Any) -> Fraction:
    return Fraction(value) if not isinstance(value, float) else Fraction(str(value))


@dataclass(frozen=True)
class RenderClip:
    """A piece of a source placed on the timeline. Times in seconds (Fraction)."""

    path: str
    source_in: Fraction
    source_out: Fraction
    timeline_start: Fraction
    speed: Fraction = Fraction(1)
    track: int = 0  # higher tracks cover lower ones (video); all tracks are mixed (audio)
    video: bool = True
    audio: bool = True

    def __post_init__(self) -> None:
        for name in ("source_in", "source_out", "timeline_start", "speed"):
            object.__setattr__(self, name, _frac(getattr(self, name)))
        if self.speed <= 0:
            raise ValueError("speed must be positive")
        if self.source_out <= self.source_in:
            raise ValueError("source_out must be after source_in")

    @classmethod
    def from_frames(cls, path: str, in_frame: int, out_frame: int, fps: Fraction, timeline_frame: int,
                    **kw: Any) -> RenderClip:
        """A clip given by frame indices at ``fps`` (out exclusive). Any thread."""
        fps = Fraction(fps)
        return cls(path, in_frame / fps, out_frame / fps, timeline_frame / fps, **kw)

    @property
    def timeline_end(self) -> Fraction:
        """Where the clip ends on the timeline (seconds). Any thread."""
        return self.timeline_start + (self.source_out - self.source_in) / self.speed


@dataclass(frozen=True)
class RenderSpec:
    """What to render: clips, output format and range. ``to_json``/``from_json`` cross processes."""

    clips: tuple[RenderClip, ...]
    width: int = 1920
    height: int = 1080
    fps: Fraction = Fraction(25)
    mode: str = "reencode"
    preset: str = "veryfast"
    crf: int = 20
    audio_bitrate: int = 192_000
    sample_rate: int = SAMPLE_RATE
    range_start: Fraction | None = None
    range_end: Fraction | None = None
    threads: int = 0  # 0: let the encoder choose

    def __post_init__(self) -> None:
        object.__setattr__(self, "clips", tuple(self.clips))
        object.__setattr__(self, "fps", _frac(self.fps))
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        if self.width % 2 or self.height % 2:
            raise ValueError("width and height must be even")

    @property
    def start(self) -> Fraction:
        """Start of the rendered range (seconds). Any thread."""
        return _frac(self.range_start) if self.range_start is not None else Fraction(0)

    @property
    def end(self) -> Fraction:
        """End of the rendered range (seconds). Any thread."""
        if self.range_end is not None:
            return _frac(self.range_end)
        return max((c.timeline_end for c in self.clips), default=Fraction(0))

    @property
    def frame_count(self) -> int:
        """Frames the render writes. Any thread."""
        return max(0, round((self.end - self.start) * self.fps))

    def to_json(self) -> str:
        """JSON text (the child-process boundary). Any thread."""
        def conv(v: Any) -> Any:
            if isinstance(v, Fraction):
                return f"{v.numerator}/{v.denominator}"
            if isinstance(v, dict):
                return {k: conv(x) for k, x in v.items()}
            if isinstance(v, list | tuple):
                return [conv(x) for x in v]
            return v

        return json.dumps({"schema": SPEC_SCHEMA, **conv(asdict(self))})

    @classmethod
    def from_json(cls, text: str | bytes) -> RenderSpec:
        """Inverse of ``to_json``. Any thread."""
        data = json.loads(text)
        if data.pop("schema", SPEC_SCHEMA) != SPEC_SCHEMA:
            raise ValueError("unknown render spec schema")
        clips = tuple(RenderClip(**c) for c in data.pop("clips"))
        for k in ("range_start", "range_end"):
            if data.get(k) is not None:
                data[k] = Fraction(data[k])
        return cls(clips=clips, **data)


@dataclass(frozen=True)
class RenderResult:
    """What a render wrote: the path, frame count, the mode actually used and notes for the user."""

    path: Path
    frames: int
    mode_used: str
    notes: tuple[str, ...] = field(default=())


class _Progress:
    def __init__(self, cb: ProgressCallback | None, cancel: threading.Event | None) -> None:
        self.cb, self.cancel, self.last = cb, cancel, 0.0

    def check(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise RenderCancelled("render cancelled by the user")

    def report(self, percent: float, message: str, force: bool = False) -> None:
        self.check()
        now = time.monotonic()
        if self.cb is not None and (force or now - self.last > 0.2):
            self.last = now
            self.cb(max(0.0, min(100.0, percent)), message)


def temporary_output_path(out: Path) -> Path:
    """A hidden name beside ``out`` with the same suffix (so the muxer is chosen the same way). Any thread."""
    return out.with_name(f".{out.stem}.partial-{uuid.uuid4().hex[:8]}{out.suffix}")


def render(spec: RenderSpec, out: str | os.PathLike[str], *, on_progress: ProgressCallback | None = None,
           cancel: threading.Event | None = None, partial_path: str | os.PathLike[str] | None = None
           ) -> RenderResult:
    """Render ``spec`` to ``out``; raises RenderError/RenderCancelled (no file left under ``out``).

    ``partial_path`` names the temporary file (the parent process uses it to clean up after a killed
    child); by default a hidden name beside ``out``. Worker thread or child process; never touches Qt.
    """
    out = Path(out)
    if not spec.clips:
        raise RenderError(f"{out}: nothing to render (the timeline is empty)", out)
    if not out.parent.is_dir():
        raise RenderError(f"{out}: the folder {out.parent} does not exist", out)
    tmp = Path(partial_path) if partial_path else temporary_output_path(out)
    progress = _Progress(on_progress, cancel)
    try:
        progress.report(0.0, "starting", force=True)
        mode = spec.mode
        notes: list[str] = []
        frames = -1
        if mode == "smart":
            aligned, why = cuts_on_keyframes(spec)
            if aligned:
                mode = "copy"
                notes.append("smart: every cut is on a keyframe, streams copied")
            else:
                from editor.media.smartcut import SmartCutUnsupported, smart_cut

                try:
                    frames, smart_notes = smart_cut(spec, tmp, progress)
                    notes += smart_notes
                except SmartCutUnsupported as exc:
                    tmp.unlink(missing_ok=True)
                    mode = "reencode"
                    notes.append(f"smart: {why}, and {exc}; re-encoded the whole range")
        if frames >= 0:
            pass
        elif mode == "copy":
            frames, copy_notes = _render_copy(spec, tmp, progress)
            notes += copy_notes
        else:
            frames = _render_reencode(spec, tmp, progress)
        progress.check()
        os.replace(tmp, out)
        progress.report(100.0, "done", force=True)
        return RenderResult(out, frames, mode, tuple(notes))
    except RenderError:
        raise
    except MediaError as exc:
        raise RenderError(f"{out}: render failed: {exc}", out) from exc
    except av.error.FFmpegError as exc:
        raise RenderError(f"{out}: render failed: {exc}", out) from exc
    except OSError as exc:
        raise RenderError(f"{out}: render failed: {exc.strerror or exc}", out) from exc
    finally:
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass


# -- re-encode ---------------------------------------------------------------------------------------

class _VideoSource:
    """Frames of one clip's source in presentation order, answering "which frame covers time t"."""

    def __init__(self, clip: RenderClip) -> None:
        self.clip = clip
        self.container = open_input(clip.path)
        if not self.container.streams.video:
            raise RenderError(f"{clip.path}: has no video stream", clip.path)
        self.stream = self.container.streams.video[0]
        self.stream.thread_type = "AUTO"
        self.tb: Fraction = self.stream.time_base or Fraction(1, 90000)
        self.t0 = self.stream.start_time or 0
        self.current: av.VideoFrame | None = None
        self.upcoming: av.VideoFrame | None = None
        self.rotation: int | None = None
        self._stop = threading.Event()
        self._frames = _prefetch(self._decode_from(clip.source_in), self._stop)

    def _decode_from(self, seconds: Fraction):
        target = int(self.t0 + seconds / self.tb)
        self.container.seek(max(target, self.t0), stream=self.stream, backward=True)
        for packet in self.container.demux(self.stream):
            try:
                yield from self.stream.decode(packet) if packet.size else self.stream.decode(None)
            except av.error.InvalidDataError:
                continue  # a corrupt packet: skip it

    def _time(self, frame: av.VideoFrame) -> Fraction:
        return ((frame.pts or 0) - self.t0) * self.tb

    def frame_at(self, seconds: Fraction) -> av.VideoFrame | None:
        if self.current is None:
            self.current = next(self._frames, None)
            self.upcoming = next(self._frames, None)
        while self.upcoming is not None and self._time(self.upcoming) <= seconds:
            self.current, self.upcoming = self.upcoming, next(self._frames, None)
        if self.current is not None and self.rotation is None:
            self.rotation = int(round(self.current.rotation)) % 360
        return self.current

    def close(self) -> None:
        self._stop.set()
        self._frames.close()
        self.container.close()


def _prefetch(source, stop: threading.Event, depth: int = 4):
    """Run the generator ``source`` in a thread, ``depth`` items ahead, so that decoding the next
    frames overlaps encoding this one (PyAV releases the GIL in both). Errors are re-raised here."""
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
        worker.join(timeout=5)


class AudioSource:
    """One clip's audio as float32 stereo at the output rate, read sequentially from source_in.

    Worker thread; never touches Qt.
    """

    def __init__(self, clip: RenderClip, rate: int) -> None:
        self.clip, self.rate = clip, rate
        self.container = open_input(clip.path)
        self.stream = self.container.streams.audio[0] if self.container.streams.audio else None
        self.buf = np.zeros((2, 0), np.float32)
        self.pos = 0.0  # source samples consumed (at output rate)
        self._frames = self._decode() if self.stream is not None else iter(())

    def _decode(self):
        assert self.stream is not None
        vs = self.container.streams.video
        tb0 = vs[0].time_base if vs else self.stream.time_base
        if vs:
            t0 = (vs[0].start_time or 0) * tb0
        else:
            t0 = (self.stream.start_time or 0) * self.stream.time_base
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=self.rate)
        start = t0 + self.clip.source_in
        self.container.seek(max(0, int(start / self.stream.time_base)), stream=self.stream, backward=True)
        skip: int | None = None
        for packet in self.container.demux(self.stream):
            try:
                frames = self.stream.decode(packet) if packet.size else self.stream.decode(None)
            except av.error.InvalidDataError:
                continue
            for frame in frames:
                if skip is None:
                    ft = frame.pts * frame.time_base if frame.pts is not None else start
                    skip = round((start - ft) * self.rate)
                    if skip < 0:
                        yield np.zeros((2, -skip), np.float32)
                        skip = 0
                for o in resampler.resample(frame):
                    arr = o.to_ndarray().astype(np.float32, copy=False)
                    if arr.shape[0] == 1:
                        arr = np.repeat(arr, 2, axis=0)
                    if skip:
                        cut = min(skip, arr.shape[1])
                        arr, skip = arr[:, cut:], skip - cut
                    if arr.shape[1]:
                        yield arr

    def read(self, count: int) -> np.ndarray:
        """``count`` output samples (speed applied), zero-padded past the end."""
        speed = float(self.clip.speed)
        need_end = self.pos + count * speed
        need = int(np.ceil(need_end)) + 1
        while self.buf.shape[1] < need:
            chunk = next(self._frames, None)
            if chunk is None:
                break
            self.buf = np.concatenate([self.buf, chunk], axis=1)
        if self.buf.shape[1] < need:
            self.buf = np.concatenate([self.buf, np.zeros((2, need - self.buf.shape[1]), np.float32)], axis=1)
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

    def close(self) -> None:
        self.container.close()


def _letterbox(frame: av.VideoFrame, width: int, height: int, rotation: int) -> av.VideoFrame:
    """``frame`` fitted into width x height (aspect kept, rotation applied) on black, as yuv420p."""
    turns = (rotation // 90) % 4
    if turns:
        rgb = np.rot90(frame.to_ndarray(format="rgb24"), k=turns)
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb, dtype=np.uint8), format="rgb24")
    if (frame.width, frame.height) == (width, height):
        return frame if frame.format.name == "yuv420p" else frame.reformat(format="yuv420p")
    w, h = fit_size((frame.width, frame.height), (width, height))
    scaled = frame.reformat(width=w, height=h, format="yuv420p")
    if (w, h) == (width, height):
        return scaled
    y0, x0 = (height - h) // 2 // 2 * 2, (width - w) // 2 // 2 * 2
    canvas = np.empty((height * 3 // 2, width), np.uint8)
    canvas[:height] = 16
    canvas[height:] = 128
    src = scaled.to_ndarray()  # (h*3/2, w) planar yuv420p
    canvas[y0:y0 + h, x0:x0 + w] = src[:h]
    u = src[h:h + h // 4].reshape(h // 2, w // 2)
    v = src[h + h // 4:].reshape(h // 2, w // 2)
    cu = canvas[height:height + height // 4].reshape(height // 2, width // 2)
    cv = canvas[height + height // 4:].reshape(height // 2, width // 2)
    cu[y0 // 2:y0 // 2 + h // 2, x0 // 2:x0 // 2 + w // 2] = u
    cv[y0 // 2:y0 // 2 + h // 2, x0 // 2:x0 // 2 + w // 2] = v
    return av.VideoFrame.from_ndarray(canvas, format="yuv420p")


def _black(width: int, height: int) -> av.VideoFrame:
    canvas = np.empty((height * 3 // 2, width), np.uint8)
    canvas[:height] = 16
    canvas[height:] = 128
    return av.VideoFrame.from_ndarray(canvas, format="yuv420p")


def _render_reencode(spec: RenderSpec, tmp: Path, progress: _Progress) -> int:
    n_frames = spec.frame_count
    if n_frames <= 0:
        raise RenderError(f"{tmp.name}: the range to render is empty")
    rate = spec.sample_rate
    video_clips = sorted((c for c in spec.clips if c.video), key=lambda c: c.track)
    audio_clips = [c for c in spec.clips if c.audio]
    vsources: dict[int, _VideoSource] = {}
    asources: dict[int, AudioSource] = {}
    try:
        with av.open(str(tmp), "w", format=_muxer_for(tmp)) as container:
            vs = container.add_stream("libx264", rate=spec.fps)
            vs.width, vs.height, vs.pix_fmt = spec.width, spec.height, "yuv420p"
            vs.codec_context.time_base = 1 / spec.fps
            vs.options = {"preset": spec.preset, "crf": str(spec.crf)}
            # PyAV's default SLICE threading makes x264 use sliced threads (slower); the CLI uses frames.
            vs.codec_context.thread_type = "FRAME"
            if spec.threads:
                vs.codec_context.thread_count = spec.threads
            aus = container.add_stream("aac", rate=rate, layout="stereo")
            aus.bit_rate = spec.audio_bitrate
            frame_size = aus.codec_context.frame_size or 1024
            pending = np.zeros((2, 0), np.float32)
            audio_pts = 0
            audio_done = 0  # timeline samples produced
            black: av.VideoFrame | None = None
            last_key: tuple[int, int] | None = None
            last_out: av.VideoFrame | None = None

            def mux_audio(samples: np.ndarray, final: bool = False) -> None:
                nonlocal pending, audio_pts
                pending = np.concatenate([pending, samples], axis=1) if pending.size else samples
                while pending.shape[1] >= frame_size or (final and pending.shape[1]):
                    chunk = np.ascontiguousarray(pending[:, :frame_size])
                    pending = pending[:, frame_size:]
                    af = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
                    af.sample_rate, af.pts, af.time_base = rate, audio_pts, Fraction(1, rate)
                    audio_pts += chunk.shape[1]
                    container.mux(aus.encode(af))
                if final:
                    container.mux(aus.encode(None))

            for n in range(n_frames):
                t = spec.start + Fraction(n) / spec.fps
                clip = None
                for c in video_clips:  # sorted by track: the last covering one is on top
                    if c.timeline_start <= t < c.timeline_end:
                        clip = c
                if clip is None:
                    black = black or _black(spec.width, spec.height)
                    frame = black
                    last_key = None
                else:
                    ci = spec.clips.index(clip)
                    src = vsources.get(ci)
                    if src is None:
                        src = vsources[ci] = _VideoSource(clip)
                    st = clip.source_in + (t - clip.timeline_start) * clip.speed
                    decoded = src.frame_at(st)
                    if decoded is None:
                        frame, last_key = black or _black(spec.width, spec.height), None
                    elif last_key == (ci, id(decoded)) and last_out is not None:
                        frame = last_out  # the same source frame again (conform to a higher rate)
                    else:
                        frame = _letterbox(decoded, spec.width, spec.height, src.rotation or 0)
                        last_key = (ci, id(decoded))
                    last_out = frame
                out_frame = frame  # the encoder copies the pixels, so a frame can be sent twice
                out_frame.pts = n
                out_frame.time_base = vs.codec_context.time_base
                out_frame.pict_type = av.video.frame.PictureType.NONE
                container.mux(vs.encode(out_frame))
                # audio up to the end of this frame
                upto = round((Fraction(n + 1) / spec.fps) * rate)
                count = upto - audio_done
                if count > 0:
                    mix = np.zeros((2, count), np.float32)
                    t0 = spec.start * rate + audio_done
                    for c in audio_clips:
                        a = c.timeline_start * rate
                        b = c.timeline_end * rate
                        lo, hi = max(t0, a), min(t0 + count, b)
                        if hi <= lo:
                            continue
                        ci = spec.clips.index(c)
                        asrc = asources.get(ci)
                        if asrc is None:
                            asrc = asources[ci] = AudioSource(c, rate)
                        off = round(lo - t0)
                        m = round(hi - t0) - off
                        if m > 0:
                            mix[:, off:off + m] += asrc.read(m)
                    np.clip(mix, -1.0, 1.0, out=mix)
                    mux_audio(mix)
                    audio_done = upto
                progress.report(100.0 * (n + 1) / n_frames * 0.99, f"frame {n + 1} of {n_frames}")
            container.mux(vs.encode(None))
            mux_audio(np.zeros((2, 0), np.float32), final=True)
        return n_frames
    finally:
        for s in list(vsources.values()) + list(asources.values()):
            s.close()


def _muxer_for(path: Path) -> str:
    return {".mov": "mov", ".mkv": "matroska", ".m4v": "mp4"}.get(path.suffix.lower(), "mp4")


# -- stream copy -------------------------------------------------------------------------------------

def _keyframe_times(path: str) -> tuple[list[Fraction], Fraction]:
    """Keyframe times (from the first frame) and the end time of the video of ``path``."""
    from editor.media.frames import FrameReader

    with FrameReader(path, cache_bytes=0) as reader:
        return [reader.time_of(i) for i in reader.keyframe_indices()], reader.duration


def cuts_on_keyframes(spec: RenderSpec) -> tuple[bool, str]:
    """Whether every cut of ``spec`` lands on a keyframe (so a stream copy is exact). Worker thread."""
    cache: dict[str, tuple[list[Fraction], Fraction]] = {}
    tol = Fraction(1, 1000)
    for c in spec.clips:
        if c.speed != 1:
            return False, f"{Path(c.path).name} plays at speed {c.speed}"
        keys, end = cache.get(c.path) or cache.setdefault(c.path, _keyframe_times(c.path))
        if not any(abs(k - c.source_in) <= tol for k in keys):
            return False, f"the cut at {float(c.source_in):.3f} s in {Path(c.path).name} is not on a keyframe"
        if c.source_out < end - tol and not any(abs(k - c.source_out) <= tol for k in keys):
            name = Path(c.path).name
            return False, f"the cut at {float(c.source_out):.3f} s in {name} is not on a keyframe"
    return True, ""


def _render_copy(spec: RenderSpec, tmp: Path, progress: _Progress) -> tuple[int, list[str]]:
    clips = sorted(spec.clips, key=lambda c: c.timeline_start)
    notes: list[str] = []
    for c in clips:
        if c.speed != 1:
            raise RenderError(f"{Path(c.path).name}: stream copy cannot change speed; use re-encode")
    first = open_input(clips[0].path)
    try:
        ref_v = first.streams.video[0] if first.streams.video else None
        ref_a = first.streams.audio[0] if first.streams.audio else None
        if ref_v is None:
            raise RenderError(f"{clips[0].path}: has no video stream to copy", clips[0].path)
        ref_sig = _signature(ref_v)
        with av.open(str(tmp), "w", format=_muxer_for(tmp)) as out:
            ov = out.add_stream_from_template(ref_v)
            oa = out.add_stream_from_template(ref_a) if ref_a is not None else None
            written = 0
            timeline = Fraction(0)  # output time where the next segment starts
            last_dts: dict[int, int] = {}
            total = sum((c.source_out - c.source_in for c in clips), Fraction(0))
            done = Fraction(0)
            for c in clips:
                with open_input(c.path) as src:
                    sv = src.streams.video[0] if src.streams.video else None
                    if sv is None or _signature(sv) != ref_sig:
                        raise RenderError(f"{c.path}: its video does not match the first clip's codec "
                                          "parameters, so it cannot be stream-copied; use re-encode", c.path)
                    sa = src.streams.audio[0] if (src.streams.audio and oa is not None) else None
                    n, seg_len, seg_notes = _copy_segment(src, sv, sa, c, out, ov, oa, timeline, last_dts,
                                                          progress, done, total)
                    written += n
                    notes += seg_notes
                    timeline += seg_len
                    done += c.source_out - c.source_in
        return written, notes
    finally:
        first.close()


def _signature(stream: Any) -> tuple:
    cc = stream.codec_context
    return (cc.name, cc.width, cc.height, cc.format.name if cc.format else None, bytes(cc.extradata or b""))


def _copy_segment(src, sv, sa, clip: RenderClip, out, ov, oa, timeline: Fraction, last_dts: dict[int, int],
                  progress: _Progress, done: Fraction, total: Fraction) -> tuple[int, Fraction, list[str]]:
    tb = sv.time_base
    t0 = sv.start_time or 0
    pts_in = t0 + clip.source_in / tb
    pts_out = t0 + clip.source_out / tb
    src.seek(int(pts_in), stream=sv, backward=True)
    notes = []
    key_pts: int | None = None
    end_pts: int | None = None
    video_done = False
    count = 0
    streams = [sv] + ([sa] if sa is not None else [])
    offset_v = 0
    audio_offset: Fraction = Fraction(0)
    last_video_end = None
    for packet in src.demux(*streams):
        progress.check()
        if packet.size == 0 or packet.pts is None:
            continue
        if packet.stream is sv:
            if video_done:
                if sa is None:
                    break
                continue
            if key_pts is None:
                if not packet.is_keyframe:
                    continue
                key_pts = packet.pts
                if key_pts < pts_in - 1:
                    notes.append(f"{Path(clip.path).name}: in-point {float(clip.source_in):.3f} s is "
                                 "not on a "
                                 f"keyframe; copied from {float((key_pts - t0) * tb):.3f} s")
                offset_v = int(timeline / tb) - (key_pts - t0) - t0
                audio_offset = timeline - key_pts * tb
            elif packet.is_keyframe and packet.pts >= pts_out - 1:
                end_pts = packet.pts
                video_done = True
                continue
            dts = (packet.dts if packet.dts is not None else packet.pts) + offset_v
            prev = last_dts.get(0)
            if prev is not None and dts <= prev:
                bump = prev - dts + 1
                offset_v += bump
                dts += bump
            packet.pts += offset_v
            packet.dts = dts
            last_dts[0] = dts
            packet.stream = ov
            end = packet.pts + (packet.duration or 0)
            last_video_end = end if last_video_end is None else max(last_video_end, end)
            out.mux(packet)
            count += 1
            frac = (packet.pts - offset_v - pts_in) * tb
            progress.report(100.0 * float((done + max(Fraction(0), frac)) / total) * 0.99, "copying")
        elif sa is not None and key_pts is not None:
            at = packet.pts * sa.time_base
            seg_start = key_pts * tb
            seg_end = (end_pts if end_pts is not None else None)
            if at < seg_start:
                continue
            if seg_end is not None and at >= seg_end * tb:
                break
            new_pts = int(round((at + audio_offset) / sa.time_base))
            prev = last_dts.get(1)
            if prev is not None and new_pts <= prev:
                continue
            packet.dts = packet.pts = new_pts
            last_dts[1] = new_pts
            packet.stream = oa
            out.mux(packet)
    if end_pts is None:
        end_pts = (last_video_end - offset_v) if last_video_end is not None else int(pts_out)
    elif end_pts > pts_out + 1:
        notes.append(f"{Path(clip.path).name}: out-point {float(clip.source_out):.3f} s is not on a "
                     "keyframe; "
                     f"copied to {float((end_pts - t0) * tb):.3f} s")
    seg_len = (end_pts - (key_pts if key_pts is not None else int(pts_in))) * tb
    return count, seg_len, notes


__all__ = ["RenderClip", "RenderSpec", "RenderResult", "render", "cuts_on_keyframes",
           "temporary_output_path"]
