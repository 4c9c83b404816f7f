"""Stream copy: a keyframe cut, said out loud, with its sound re-cut to the sample.

Each segment starts at the keyframe at or before its in-point (frames a decoder could not show from there,
such as the leading B-frames of an open GOP, are dropped) and ends at its out-point, or the few frames
after it that its last B-frames need: the shortest run of packets in decode order that holds every frame
before the out-point and shows no gap. ``copy_plan`` says the real range of every segment before anything
is written (the CLI prints it, the export dialog shows it); the notes name the word "keyframe" and the times.

The sound is decoded from the real video range of each segment (from the file's time origin) and encoded
again as one continuous track, so it stays within a sample of its picture at every join and nothing
accumulates. Worker thread or child process; never touches Qt.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from editor.media.errors import RenderError
from editor.media.probe import open_input
from editor.media.render_output import CODEC_OF_DECODER, AudioWriter, OutputFormat, choose_codecs
from editor.media.render_sources import AudioSource, SourcePool, time_origin
from editor.media.render_spec import Progress, RenderClip, RenderSpec, SegmentReport

LOOKAHEAD = 20  # packets: more than any decoder's reordering depth


@dataclass(frozen=True)
class CopyRange:
    """A segment's real range in source pts (stream time base): [key, end)."""

    key: int
    end: int
    tb: Fraction
    origin: Fraction

    def seconds(self, pts: int) -> Fraction:
        return pts * self.tb - self.origin


def _video_packets(container: Any, stream: Any, start_pts: int) -> Iterator[Any]:
    container.seek(start_pts, stream=stream, backward=True)
    for packet in container.demux(stream):
        if packet.size and packet.pts is not None:
            yield packet


def _find_key(container: Any, stream: Any, pts_in: int) -> int:
    """pts of the keyframe at or before ``pts_in`` (the file's first keyframe when there is none before)."""
    tb = Fraction(stream.time_base)
    target, step = pts_in, int(2 / tb) or 1
    first_key: int | None = None
    for _attempt in range(8):
        key = None
        first_key = None
        for packet in _video_packets(container, stream, max(0, target)):
            if packet.is_keyframe:
                if first_key is None:
                    first_key = packet.pts
                if packet.pts > pts_in:
                    break
                key = packet.pts
            if first_key is not None and packet.dts is not None and packet.dts > pts_in:
                break
        if key is not None:
            return key
        if first_key is None or target <= 0:
            break
        target, step = target - step, step * 2  # the seek landed after the keyframe we need
    if first_key is None:
        raise RenderError(f"{container.name}: no keyframe found to copy from", container.name)
    return first_key


def packets_until(packets: Iterator[Any], key: int, end: int) -> Iterator[tuple[Any, int | None]]:
    """From the keyframe ``key`` on, the packets of [key, E) in decode order, where E >= ``end`` is the first
    point at which every frame before ``end`` has been sent and no frame is missing; yields (packet, None)
    and finally (None, E). Packets before the keyframe, or shown before it, are skipped."""
    window: deque[Any] = deque()
    it = iter(packets)
    started = False
    sent_max: int | None = None
    exhausted = False
    last_end: int | None = None
    while True:
        while not exhausted and len(window) < LOOKAHEAD:
            p = next(it, None)
            if p is None:
                exhausted = True
                break
            if not started:
                if not (p.is_keyframe and p.pts == key):
                    continue
                started = True
            if p.pts < key:
                continue  # a leading picture of an open GOP: it needs the GOP before
            window.append(p)
        if not window:
            yield None, last_end
            return
        future_min = min(p.pts for p in window)
        if future_min >= end and (sent_max is None or future_min > sent_max):
            yield None, future_min
            return
        p = window.popleft()
        sent_max = p.pts if sent_max is None else max(sent_max, p.pts)
        last_end = max(last_end or 0, p.pts + (p.duration or 0))
        yield p, None


def copy_range(container: Any, stream: Any, clip: RenderClip, origin: Fraction) -> CopyRange:
    """The real range a copy of ``clip`` holds (without writing anything). Worker thread."""
    tb = Fraction(stream.time_base)
    pts_in = int(round((origin + clip.source_in) / tb))
    pts_out = int(round((origin + clip.source_out) / tb))
    key = _find_key(container, stream, pts_in)
    end_key = _find_key(container, stream, pts_out) if pts_out > key else key
    end = key
    for _packet, e in packets_until(_video_packets(container, stream, end_key), end_key, pts_out):
        if e is not None:
            end = e
    return CopyRange(key, max(end, key + 1), tb, origin)


def _describe(clip: RenderClip, r: CopyRange) -> str:
    name = Path(clip.path).name
    a, b = r.seconds(r.key), r.seconds(r.end)
    parts = []
    if abs(a - clip.source_in) > Fraction(1, 1000):
        parts.append(f"starts at the keyframe at {float(a):.3f} s (asked {float(clip.source_in):.3f} s)")
    if abs(b - clip.source_out) > Fraction(1, 1000):
        parts.append(f"ends at {float(b):.3f} s (asked {float(clip.source_out):.3f} s; its last B-frames need it)")
    if not parts:
        return ""
    return f"{name}: keyframe cut {float(a):.3f}-{float(b):.3f} s: " + ", ".join(parts)


def copy_plan(spec: RenderSpec) -> list[SegmentReport]:
    """What a copy of ``spec`` will hold, segment by segment (real source ranges and output times), before
    anything is written; RenderError (one line) when the clips cannot be copied. Worker thread."""
    clips = sorted(spec.clips, key=lambda c: c.timeline_start)
    reports: list[SegmentReport] = []
    at = Fraction(0)
    for i, c in enumerate(clips):
        if c.speed != 1:
            raise RenderError(f"{Path(c.path).name}: stream copy cannot change speed; use re-encode")
        with open_input(c.path) as src:
            if not src.streams.video:
                raise RenderError(f"{c.path}: has no video stream to copy", c.path)
            r = copy_range(src, src.streams.video[0], c, time_origin(src))
        a, b = r.seconds(r.key), r.seconds(r.end)
        reports.append(SegmentReport(i, c.path, c.source_in, c.source_out, a, b, at, at + b - a, "copy",
                                     _describe(c, r)))
        at += b - a
    return reports


def _signature(stream: Any) -> tuple:
    cc = stream.codec_context
    return (cc.name, cc.width, cc.height, cc.format.name if cc.format else None, bytes(cc.extradata or b""))


def audio_codec_for(fmt: OutputFormat, requested: str, source: Any) -> str:
    """The audio codec of a copy or smart output: the user's choice, else the source's when the container
    takes it, else the container's default. Any thread."""
    if requested:
        return requested
    name = CODEC_OF_DECODER.get(source.codec_context.name) if source is not None else None
    return name if name in fmt.audio else fmt.audio[0]


def write_audio(writer: AudioWriter, pieces: list[tuple[str, Fraction, Fraction, Fraction]], pool: SourcePool,
                progress: Progress | None = None) -> None:
    """Decode each (path, source start, source end, output start) piece and encode it, sample-exact: piece
    k fills output samples [round(start_k * rate), round(start_{k+1} * rate)). Worker thread."""
    rate = writer.rate
    for k, (path, a, b, out_start) in enumerate(pieces):
        first = round(out_start * rate)
        last = round((out_start + b - a) * rate)
        if writer.samples_written < first:  # a gap: silence
            writer.write(np.zeros((2, first - writer.samples_written), np.float32))
        source = AudioSource(RenderClip(path, a, b, out_start), rate, pool)
        try:
            left = last - max(first, writer.samples_written)
            while left > 0:
                n = min(left, rate)
                writer.write(source.read(n))
                left -= n
                if progress is not None:
                    progress.check()
        finally:
            source.close()
        del k


def render_copy(spec: RenderSpec, tmp: Path, progress: Progress) -> tuple[int, list[str], list[SegmentReport]]:
    """Write ``spec`` by stream copy to ``tmp``; returns (frames, notes, segments)."""
    clips = sorted(spec.clips, key=lambda c: c.timeline_start)
    plan = copy_plan(spec)
    first = open_input(clips[0].path)
    try:
        ref_v = first.streams.video[0]
        ref_a = first.streams.audio[0] if first.streams.audio else None
        fmt, vcodec, _ = choose_codecs(tmp, "", spec.audio_codec or "", True)
        if vcodec is None:
            raise RenderError(f"{tmp.name}: stream copy needs a video container; re-encode for audio only")
        src_codec = CODEC_OF_DECODER.get(ref_v.codec_context.name, ref_v.codec_context.name)
        if src_codec not in fmt.video:
            raise RenderError(f"{clips[0].path}: {src_codec} video cannot be copied into {fmt.label}; "
                              "re-encode or choose another container", clips[0].path)
        ref_sig = _signature(ref_v)
        has_audio = ref_a is not None and any(c.audio for c in clips)
        notes = [r.reason for r in plan if r.reason]
        frames = 0
        pool = SourcePool(limit=2)
        with av.open(str(tmp), "w", format=fmt.muxer) as out:
            ov = out.add_stream_from_template(ref_v)
            writer = AudioWriter(out, audio_codec_for(fmt, spec.audio_codec, ref_a), spec.sample_rate,
                                 spec.audio_bitrate) if has_audio else None
            bsf = _annexb_filter(fmt, ref_v)
            otb = Fraction(ref_v.time_base)
            last_dts: int | None = None
            total = sum((r.actual_out - r.actual_in for r in plan), Fraction(0)) or Fraction(1)
            for c, r in zip(clips, plan, strict=True):
                with open_input(c.path) as src:
                    sv = src.streams.video[0] if src.streams.video else None
                    if sv is None or _signature(sv) != ref_sig:
                        raise RenderError(f"{c.path}: its video does not match the first clip's codec "
                                          "parameters, so it cannot be stream-copied; use re-encode", c.path)
                    tb = Fraction(sv.time_base)
                    origin = time_origin(src)
                    key = int(round((origin + r.actual_in) / tb))
                    end = int(round((origin + r.actual_out) / tb))
                    shift = r.output_start - (key * tb)  # source seconds -> output seconds
                    for packet, _e in packets_until(_video_packets(src, sv, key), key, end):
                        if packet is None:
                            break
                        progress.check()
                        pts = int(round((packet.pts * tb + shift) / otb))
                        dts_src = packet.dts if packet.dts is not None else packet.pts
                        dts = int(round((dts_src * tb + shift) / otb))
                        if last_dts is not None and dts <= last_dts:
                            dts = last_dts + 1
                        if dts > pts:
                            raise RenderError(f"{c.path}: timestamps cannot be kept in order at a join; "
                                              "use smart or re-encode", c.path)
                        packet.pts, packet.dts, packet.time_base = pts, dts, otb
                        last_dts = dts
                        for p in (bsf(packet) if bsf else [packet]):
                            p.stream = ov
                            out.mux(p)
                        frames += 1
                        progress.report(100.0 * float(pts * otb / total) * 0.9, "copying")
            if writer is not None:
                write_audio(writer, [(c.path, r.actual_in, r.actual_out, r.output_start)
                                     for c, r in zip(clips, plan, strict=True)], pool, progress)
                writer.write(np.zeros((2, 0), np.float32), final=True)
        pool.close()
        return frames, notes, plan
    finally:
        first.close()


def _annexb_filter(fmt: OutputFormat, stream: Any) -> Any:
    """For MPEG-TS output of H.264/HEVC stored with avcC/hvcC: the mp4toannexb bitstream filter."""
    if fmt.muxer != "mpegts":
        return None
    name = {"h264": "h264_mp4toannexb", "hevc": "hevc_mp4toannexb"}.get(stream.codec_context.name)
    extradata = bytes(stream.codec_context.extradata or b"")
    if name is None or not extradata or extradata[:1] != b"\x01":
        return None
    ctx = av.BitStreamFilterContext(name, stream)
    return ctx.filter
