"""Chunked export: one export cut into parts rendered by several workers at once, joined losslessly.

The range is split at frame boundaries into ``chunks`` picture-only parts (each a re-encode, so each starts with
a keyframe) plus one sound part covering the whole range (so the sound is continuous: no encoder priming or
padding at the seams). Every part is a farm export job of its own (``parent`` = the export's job id) on the
queue of the encoder it needs, so ``cutline jobs`` lists each with the worker that ran it. When all are done the
coordinator joins them by stream copy (:func:`join_parts`): the pictures of part k are shifted by the frames
before it, the sound is muxed beside them. The result has exactly the frames of the range.

The coordinator is the export's own job (a thread of the process that asked: ``cutline render --farm --chunks
N`` or a window): its progress is the sum of the parts' (by frames), cancelling it cancels every part, and a
part whose worker dies is re-run by another worker (the queue's stalled-job retrieval) while the coordinator
waits. Worker thread; no Qt.
"""

from __future__ import annotations

import heapq
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from editor.media.chapters import CHAPTER_CONTAINERS, Chapter, to_av
from editor.media.errors import RenderCancelled, RenderError
from editor.media.render import RenderSpec

POLL = 0.2


def plan_chunks(frame_count: int, chunks: int, *, min_frames: int = 1) -> list[tuple[int, int]]:
    """``[start, end)`` frame ranges of about equal length covering ``frame_count`` frames. Pure."""
    chunks = max(1, min(int(chunks), max(1, frame_count // max(1, min_frames))))
    bounds = [round(frame_count * i / chunks) for i in range(chunks + 1)]
    return [(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


def part_specs(spec: RenderSpec, chunks: int) -> tuple[list[tuple[tuple[int, int], RenderSpec]], RenderSpec | None]:
    """The picture parts (frame range, spec) and the sound part (None when the export has no sound)."""
    if spec.mode != "reencode" or not spec.has_video:
        raise RenderError("a chunked export re-encodes pictures: use the high or fast preset with video")
    fps = spec.fps
    video = replace(spec, clips=tuple(replace(c, audio=False) for c in spec.clips if c.video), chapters=())
    parts = [((a, b), replace(video, range_start=spec.start + Fraction(a) / fps,
                              range_end=spec.start + Fraction(b) / fps))
             for a, b in plan_chunks(spec.frame_count, chunks)]
    sound_clips = tuple(replace(c, video=False) for c in spec.clips if c.audio)
    sound = (replace(spec, clips=sound_clips, audio_only=True, video_codec="", chapters=()) if sound_clips
             else None)  # the chapters are the joined file's
    return parts, sound


def part_path(out: Path, tag: str, name: str) -> Path:
    return out.with_name(f".{out.stem}.{tag}.{name}")


def _packets(path: Path, kind: str) -> Iterator[tuple[Any, Any]]:
    with av.open(str(path)) as c:
        stream = c.streams.video[0] if kind == "video" else c.streams.audio[0]
        for packet in c.demux(stream):
            if packet.size:
                yield stream, packet


def join_parts(parts: list[Path], sound: Path | None, out: Path, fps: Fraction,
               chapters: tuple[tuple[Fraction, Fraction, str], ...] = ()) -> int:
    """Stream-copy the picture parts one after another (and the sound beside them) into ``out``, with
    ``chapters`` where its container keeps them; the frames written. Raises RenderError when a part has no
    picture. Worker thread."""
    if not parts:
        raise RenderError("nothing to join")
    tmp = out.with_name(f".{out.stem}.joining{out.suffix}")
    frames = 0
    try:
        with av.open(str(parts[0])) as first:
            vtemplate = first.streams.video[0]
            with av.open(str(tmp), "w") as dst:
                vout = dst.add_stream_from_template(vtemplate)
                if chapters and dst.format.name.split(",")[0] in CHAPTER_CONTAINERS:
                    dst.set_chapters(to_av([Chapter(a, b, t) for a, b, t in chapters]))
                aout = None
                if sound is not None:
                    with av.open(str(sound)) as s:
                        aout = dst.add_stream_from_template(s.streams.audio[0])
                for path in parts:
                    with av.open(str(path)) as p:
                        if not p.streams.video:
                            raise RenderError(f"{path.name}: the part has no picture")

                def video() -> Iterator[tuple[float, int, Any]]:
                    nonlocal frames
                    before = 0  # frames of the parts before this one
                    for path in parts:
                        shift: int | None = None
                        count = 0
                        for stream, packet in _packets(path, "video"):
                            tb = stream.time_base
                            if shift is None:
                                shift = round(Fraction(before) / fps / tb) - (packet.pts or 0)
                            packet.pts = (packet.pts or 0) + shift
                            packet.dts = (packet.dts if packet.dts is not None else packet.pts) + shift
                            packet.stream = vout
                            count += 1
                            yield float(packet.dts * tb), 0, packet
                        before += count
                        frames += count

                def audio() -> Iterator[tuple[float, int, Any]]:
                    if sound is None:
                        return
                    for stream, packet in _packets(sound, "audio"):
                        packet.stream = aout
                        yield float((packet.dts if packet.dts is not None else packet.pts or 0) * stream.time_base), \
                            1, packet

                for _t, _k, packet in heapq.merge(video(), audio(), key=lambda x: (x[0], x[1])):
                    dst.mux(packet)
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    return frames


class ChunkedExport:
    """Runs one chunked export as the work of the export's job (``work(report, cancel)``)."""

    def __init__(self, runner: Any, spec: RenderSpec, out: Path, chunks: int, job_id_ref: Callable[[], str],
                 params: dict[str, Any], project_id: int | None) -> None:
        self.runner = runner
        self.spec = spec
        self.out = out
        self.chunks = chunks
        self.job_id_ref = job_id_ref
        self.params = params
        self.project_id = project_id
        self.tag = uuid.uuid4().hex[:8]

    def __call__(self, report: Callable[[float, str], None], cancel: threading.Event) -> str:
        from editor.jobs.state import read_redis

        parent = self.job_id_ref()
        parts, sound = part_specs(self.spec, self.chunks)
        files: list[Path] = []
        weights: dict[str, float] = {}
        sound_file: Path | None = None
        total = float(self.spec.frame_count * (1.3 if sound is not None else 1.0))
        try:
            for i, ((a, b), part) in enumerate(parts):
                path = part_path(self.out, self.tag, f"part{i:03d}{self.out.suffix}")
                files.append(path)
                job_id = self._defer(part, path, f"part {i + 1}/{len(parts)} (frames {a}-{b})", parent)
                weights[job_id] = (b - a) / total
            if sound is not None:
                sound_file = part_path(self.out, self.tag, "sound.m4a")
                job_id = self._defer(sound, sound_file, "sound", parent)
                weights[job_id] = 0.3 * self.spec.frame_count / total
            while True:
                if cancel.is_set():
                    raise RenderCancelled("cancelled")
                states = {j: read_redis(self.runner.redis, j) for j in weights}
                failed = [s for s in states.values() if s is not None and s.status in ("error", "cancelled")]
                if failed:
                    raise RenderError(f"a part failed on {failed[0].worker or 'a worker'}: {failed[0].message}")
                done = sum(w * (100.0 if s is not None and s.status == "complete" else
                                (s.progress if s is not None else 0.0)) for j, s in states.items()
                           for w in (weights[j],))
                if all(s is not None and s.status == "complete" for s in states.values()):
                    break
                report(min(99.0, done * 0.99), f"{sum(1 for s in states.values() if s and s.finished)}"
                                               f"/{len(states)} parts done")
                time.sleep(POLL)
            report(99.0, "joining the parts")
            frames = join_parts(files, sound_file, self.out, self.spec.fps, self.spec.chapters)
            if frames != self.spec.frame_count:
                raise RenderError(f"the joined export has {frames} frames, expected {self.spec.frame_count}")
            return str(self.out)
        except BaseException:
            for j in weights:
                self.runner.cancel(j)
            raise
        finally:
            for path in [*files, *([sound_file] if sound_file else [])]:
                try:
                    path.unlink()
                except OSError:
                    pass

    def _defer(self, part: RenderSpec, path: Path, label: str, parent: str) -> str:
        job_id = str(uuid.uuid4())
        params = {**{k: v for k, v in self.params.items() if k in ("host", "pid", "preset")},
                  "title": f"{self.params.get('title', 'Export')} — {label}", "out": str(path),
                  "frames": part.frame_count, "parent": parent}
        args = {"job_id": job_id, "spec": part.to_json(), "out": str(path), "params": params,
                "project_id": self.project_id, "python": None}
        self.runner._defer_farm(job_id, args, part, path, parent=parent)
        return job_id
