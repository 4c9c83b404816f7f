"""What a render is asked to do and what it did: ``RenderClip``, ``RenderSpec``, ``SegmentReport``, ``RenderResult``.

Plain frozen data that crosses the child-process boundary as JSON (``RenderSpec.to_json``). Times are
``Fraction`` seconds; source times count from the file's time origin (its frame 0, as ``FrameReader``
and ``editor.media.origin`` define it). Any thread.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # numpy only where a fade is applied: a copy cut never loads it
    import numpy as np

from editor.media.errors import RenderCancelled

ProgressCallback = Callable[[float, str], None]
MODES = ("reencode", "copy", "smart")
SAMPLE_RATE = 48000
SPEC_SCHEMA = "RenderSpec.2"
_OLD_SCHEMAS = ("RenderSpec.1",)


def frac(value: Any) -> Fraction:
    """A Fraction from an int, Fraction, ``"n/d"`` string or float (floats through their decimal text)."""
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
    gain: float = 1.0  # linear factor on the sound (0: muted)
    #: (fade-in start, fade-in end, fade-out start, fade-out end) in timeline seconds, or None: the sound's
    #: gain ramps 0 -> 1 over the first span and 1 -> 0 over the second.
    fades: tuple[Fraction, Fraction, Fraction, Fraction] | None = None
    reverse: bool = False  # the source range played backwards

    def __post_init__(self) -> None:
        for name in ("source_in", "source_out", "timeline_start", "speed"):
            object.__setattr__(self, name, frac(getattr(self, name)))
        if self.fades is not None:
            object.__setattr__(self, "fades", tuple(frac(v) for v in self.fades))
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

    def envelope(self, t0: Fraction, rate: int, count: int) -> np.ndarray | float:
        """The gain of ``count`` samples from timeline time ``t0`` at ``rate``: a number when it is flat, else
        a float32 array (the fades). Any thread."""
        if self.fades is None:
            return self.gain
        import numpy as np

        a, b, c, d = (float(v) for v in self.fades)
        ts = float(t0) + np.arange(count, dtype=np.float64) / rate
        g = np.ones(count, np.float64)
        if b > a:
            g = np.minimum(g, np.clip((ts - a) / (b - a), 0.0, 1.0))
        if d > c:
            g = np.minimum(g, np.clip((d - ts) / (d - c), 0.0, 1.0))
        return (g * self.gain).astype(np.float32)

    @property
    def timeline_end(self) -> Fraction:
        """Where the clip ends on the timeline (seconds). Any thread."""
        return self.timeline_start + (self.source_out - self.source_in) / self.speed


@dataclass(frozen=True)
class RenderSpec:
    """What to render: clips, output format and range. ``to_json``/``from_json`` cross processes.

    ``video_codec`` / ``audio_codec`` empty: the output container's default (see ``render_output``).
    ``video_bitrate`` > 0 replaces CRF. ``audio_only``: write no picture even if clips have one.
    """

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
    video_codec: str = ""
    audio_codec: str = ""
    video_bitrate: int = 0
    audio_only: bool = False
    verify: bool = True  # smart: decode every seam of the output and compare it with the source
    #: re-encode: the timeline (model JSON) when it has picture effects (titles, fades, dissolves,
    #: picture-in-picture); its frames are then drawn by editor.media.compose, as the preview draws them
    composition: str = ""
    composition_start: int = 0  # the timeline frame shown at the render's time 0
    burn_subtitles: bool = False  # with a composition: the subtitle cues drawn into the picture
    #: (start, end, title) in output seconds: written as chapters where the container keeps them (MP4/MOV/MKV)
    chapters: tuple[tuple[Fraction, Fraction, str], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "clips", tuple(self.clips))
        object.__setattr__(self, "fps", frac(self.fps))
        object.__setattr__(self, "chapters", tuple((frac(a), frac(b), str(t)) for a, b, t in self.chapters))
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        if self.width % 2 or self.height % 2:
            raise ValueError("width and height must be even")
        if self.width < 2 or self.height < 2 or self.fps <= 0:
            raise ValueError("size and frame rate must be positive")

    @property
    def start(self) -> Fraction:
        """Start of the rendered range (seconds). Any thread."""
        return frac(self.range_start) if self.range_start is not None else Fraction(0)

    @property
    def end(self) -> Fraction:
        """End of the rendered range (seconds). Any thread."""
        if self.range_end is not None:
            return frac(self.range_end)
        return max((c.timeline_end for c in self.clips), default=Fraction(0))

    @property
    def frame_count(self) -> int:
        """Frames the render writes. Any thread."""
        return max(0, round((self.end - self.start) * self.fps))

    @property
    def has_video(self) -> bool:
        """Whether the output has a picture (some clip has video and the spec is not audio-only)."""
        return not self.audio_only and (any(c.video for c in self.clips) or bool(self.composition))

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
        """Inverse of ``to_json`` (also reads RenderSpec.1). Any thread."""
        data = json.loads(text)
        schema = data.pop("schema", SPEC_SCHEMA)
        if schema != SPEC_SCHEMA and schema not in _OLD_SCHEMAS:
            raise ValueError("unknown render spec schema")
        clips = tuple(RenderClip(**c) for c in data.pop("clips"))
        for k in ("range_start", "range_end"):
            if data.get(k) is not None:
                data[k] = Fraction(data[k])
        return cls(clips=clips, **data)


@dataclass(frozen=True)
class SegmentReport:
    """One clip of a copy or smart render: what was asked and what the output really holds.

    ``actual_in`` / ``actual_out`` are source seconds; ``mode`` is ``copy``, ``smart`` (copied GOPs and
    re-encoded edges) or ``reencode``; ``reason`` says why it is not exact or not copied.
    """

    index: int
    path: str
    requested_in: Fraction
    requested_out: Fraction
    actual_in: Fraction
    actual_out: Fraction
    output_start: Fraction
    output_end: Fraction
    mode: str
    reason: str = ""

    @property
    def exact(self) -> bool:
        tol = Fraction(1, 2000)  # container time bases round frame times by a fraction of a millisecond
        return abs(self.actual_in - self.requested_in) <= tol and abs(self.actual_out - self.requested_out) <= tol

    def to_json(self) -> dict[str, Any]:
        """Plain JSON values (seconds as floats rounded to the microsecond). Any thread."""
        r = lambda v: round(float(v), 6)  # noqa: E731
        return {"index": self.index, "path": self.path, "requested": [r(self.requested_in), r(self.requested_out)],
                "actual": [r(self.actual_in), r(self.actual_out)],
                "output": [r(self.output_start), r(self.output_end)], "mode": self.mode, "exact": self.exact,
                "reason": self.reason}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> SegmentReport:
        f = lambda v: Fraction(str(v))  # noqa: E731
        return cls(int(d["index"]), str(d["path"]), f(d["requested"][0]), f(d["requested"][1]), f(d["actual"][0]),
                   f(d["actual"][1]), f(d["output"][0]), f(d["output"][1]), str(d["mode"]), str(d.get("reason", "")))


@dataclass(frozen=True)
class RenderResult:
    """What a render wrote: the path, frame count, the mode actually used, segments and notes for the user."""

    path: Path
    frames: int
    mode_used: str
    notes: tuple[str, ...] = field(default=())
    segments: tuple[SegmentReport, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        """Plain JSON values: what a render child reports and a job keeps (notes: the copy plan, the seams
        re-encoded). Any thread."""
        return {"path": str(self.path), "frames": self.frames, "mode": self.mode_used, "notes": list(self.notes),
                "segments": [s.to_json() for s in self.segments]}

    def report_lines(self) -> list[str]:
        """What the user must be told about this output, one line each: every copied segment's real range
        (the word "keyframe" and the times), every segment re-encoded and why, every seam re-encoded and
        other notes. Empty when the output is exactly what was asked. Any thread."""
        lines = []
        for s in self.segments:
            if self.mode_used == "copy":
                lines.append(f"segment {s.index + 1}: keyframe cut, copied {float(s.actual_in):.3f}-"
                             f"{float(s.actual_out):.3f} s (asked {float(s.requested_in):.3f}-"
                             f"{float(s.requested_out):.3f} s)")
            elif s.mode == "reencode" and s.reason:
                lines.append(f"segment {s.index + 1}: re-encoded ({s.reason})")
        return lines + [n for n in self.notes if n not in {s.reason for s in self.segments}]

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> RenderResult:
        """The result :meth:`to_json` wrote (``segments``/``notes`` may be absent: an older child). Any thread."""
        return cls(Path(str(d["path"])), int(d["frames"]), str(d["mode"]), tuple(str(n) for n in d.get("notes", ())),
                   tuple(SegmentReport.from_json(s) for s in d.get("segments", ())))


class Progress:
    """Throttled progress reports plus the cancel check every render step makes. Worker thread."""

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
