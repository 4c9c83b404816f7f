"""Smart cut for H.264: copy the untouched GOPs, re-encode only the partial GOPs at the cuts.

For each clip the frames from the in-point to the next keyframe (and from the last keyframe before the
out-point to the out-point) are decoded and re-encoded with libx264 at the source's size and pixel
format, without B-frames, carrying their own parameter sets in-band; the whole GOPs between are copied.
The first copied keyframe after a re-encoded part gets the source's parameter sets (from its avcC)
prepended in-band, so a decoder switches back. Decoders that follow in-band parameter sets (FFmpeg,
browsers, VLC) play the result; strict hardware players may not.

Conditions (else ``SmartCutUnsupported`` and the caller re-encodes): H.264 in an MP4/MOV source with an
avcC, closed GOPs, speed 1, every clip from sources with the same codec parameters, clips not
overlapping. Worker thread or child process; never touches Qt.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from editor.media.probe import open_input


class SmartCutUnsupported(Exception):
    """The spec cannot be smart-cut; the message says why (the caller falls back to re-encoding)."""


@dataclass(frozen=True)
class _Packets:
    pts: list[int]  # every video packet, decode order
    dts: list[int]
    keys: list[int]  # keyframe pts, ascending
    frames: list[int]  # every pts, ascending (presentation order)


def _scan(container: Any, stream: Any) -> _Packets:
    pts, dts, keys = [], [], []
    for packet in container.demux(stream):
        if packet.size == 0 or packet.pts is None:
            continue
        pts.append(packet.pts)
        dts.append(packet.dts if packet.dts is not None else packet.pts)
        if packet.is_keyframe:
            keys.append(packet.pts)
    container.seek(0, stream=stream)
    # closed GOPs only: no packet after a keyframe (in decode order) is shown before it
    key_set = set(keys)
    last_key = None
    for p in pts:
        if p in key_set:
            last_key = p
        elif last_key is not None and p < last_key:
            raise SmartCutUnsupported("the source uses open GOPs")
    return _Packets(pts, dts, sorted(keys), sorted(pts))


def _parameter_sets(extradata: bytes) -> tuple[int, list[bytes]]:
    """(NAL length size, [SPS..., PPS...]) from an avcC record."""
    if len(extradata) < 7 or extradata[0] != 1:
        raise SmartCutUnsupported("the source's H.264 is not in avcC form")
    length_size = (extradata[4] & 3) + 1
    nals: list[bytes] = []
    pos = 5
    for group in range(2):
        count = extradata[pos] & (0x1F if group == 0 else 0xFF)
        pos += 1
        for _ in range(count):
            n = int.from_bytes(extradata[pos:pos + 2], "big")
            nals.append(extradata[pos + 2:pos + 2 + n])
            pos += 2 + n
    return length_size, nals


def _annexb_to_length_prefixed(data: bytes, length_size: int) -> bytes:
    out = bytearray()
    i, n = 0, len(data)
    starts = []
    while i < n - 2:
        if data[i] == 0 and data[i + 1] == 0 and data[i + 2] == 1:
            starts.append(i + 3)
            i += 3
        else:
            i += 1
    if not starts:
        return data  # already length-prefixed
    for k, s in enumerate(starts):
        e = starts[k + 1] - 3 if k + 1 < len(starts) else n
        nal = data[s:e]
        while nal.endswith(b"\x00") and k + 1 < len(starts):
            nal = nal[:-1]  # the leading zero of a 4-byte start code
        out += len(nal).to_bytes(length_size, "big") + nal
    return bytes(out)


class _Writer:
    """Muxes video packets with continuous timestamps in the output stream's time base."""

    def __init__(self, out: Any, ov: Any, tb: Fraction, delay: int, length_size: int,
                 source_sets: list[bytes]) -> None:
        self.out, self.ov, self.tb, self.delay = out, ov, tb, delay
        self.length_size = length_size
        self.source_sets = b"".join(len(n).to_bytes(length_size, "big") + n for n in source_sets)
        self.last_dts: int | None = None
        self.after_encoded = False
        self.preset, self.crf = "veryfast", 16
        self.frames = 0

    def write(self, data: bytes, pts: int, dts: int, keyframe: bool, duration: int, encoded: bool) -> None:
        if not encoded and self.after_encoded and keyframe:
            data = self.source_sets + data  # switch the decoder back to the source's parameter sets
        self.after_encoded = encoded
        if self.last_dts is not None and dts <= self.last_dts:
            dts = self.last_dts + 1
        if dts > pts:
            raise SmartCutUnsupported("timestamps cannot be kept in order at a cut")
        packet = av.Packet(data)
        packet.pts, packet.dts, packet.duration = pts, dts, duration
        packet.time_base = self.tb
        packet.is_keyframe = keyframe
        packet.stream = self.ov
        self.out.mux(packet)
        self.last_dts = dts
        self.frames += 1


def smart_cut(spec: Any, tmp: Path, progress: Any) -> tuple[int, list[str]]:
    """Write ``spec`` (a RenderSpec in smart mode) to ``tmp``; returns (frames, notes).
    Worker thread or child process; never touches Qt.
    """
    clips = sorted(spec.clips, key=lambda c: c.timeline_start)
    for a, b in zip(clips, clips[1:], strict=False):
        if b.timeline_start < a.timeline_end:
            raise SmartCutUnsupported("clips overlap")
    if any(c.speed != 1 for c in clips):
        raise SmartCutUnsupported("a clip changes speed")
    first = open_input(clips[0].path)
    try:
        if not first.streams.video or first.streams.video[0].codec_context.name != "h264":
            raise SmartCutUnsupported("smart cut handles H.264 sources only")
        ref_v: Any = first.streams.video[0]
        ref_a = first.streams.audio[0] if first.streams.audio else None
        ref_cc = ref_v.codec_context
        signature = (ref_cc.width, ref_cc.height, ref_cc.format.name, bytes(ref_cc.extradata or b""))
        length_size, sets = _parameter_sets(bytes(ref_cc.extradata or b""))
        tb = Fraction(ref_v.time_base)
        fmt = {".mov": "mov"}.get(tmp.suffix.lower(), "mp4")
        notes: list[str] = []
        with av.open(str(tmp), "w", format=fmt) as out:
            ov = out.add_stream_from_template(ref_v)
            oa = out.add_stream_from_template(ref_a) if ref_a is not None else None
            writer: _Writer | None = None
            last_audio: int | None = None
            timeline = 0  # output pts where the next clip starts (stream time base)
            total = len(clips)
            for n, clip in enumerate(clips):
                with open_input(clip.path) as src:
                    sv: Any = src.streams.video[0] if src.streams.video else None
                    if sv is None or (sv.codec_context.width, sv.codec_context.height,
                                      sv.codec_context.format.name,
                                      bytes(sv.codec_context.extradata or b"")) != signature:
                        raise SmartCutUnsupported(f"{Path(clip.path).name} has other codec parameters")
                    if Fraction(sv.time_base) != tb:
                        raise SmartCutUnsupported("sources have different time bases")
                    sv.thread_type = "AUTO"
                    packets = _scan(src, sv)
                    delay = max((p - d for p, d in zip(packets.pts, packets.dts, strict=True)), default=0)
                    if writer is None:
                        writer = _Writer(out, ov, tb, delay, length_size, sets)
                        # the re-encoded edges should not look worse than the copied GOPs around them
                        writer.preset, writer.crf = spec.preset, min(spec.crf, 16)
                    elif delay != writer.delay:
                        raise SmartCutUnsupported("sources have different B-frame delays")
                    clip_start = timeline
                    timeline, clip_notes = _cut_clip(src, sv, clip, packets, writer, timeline, tb)
                    notes += clip_notes
                    if oa is not None and src.streams.audio:
                        last_audio = _copy_audio(src, src.streams.audio[0], oa, out, clip, sv, tb, clip_start,
                                                 last_audio)
                progress.report(100.0 * (n + 1) / total * 0.99, f"clip {n + 1} of {total}")
        return (writer.frames if writer else 0), notes
    finally:
        first.close()


def _frame_range(clip: Any, packets: _Packets, sv: Any, tb: Fraction) -> tuple[int, int]:
    """[first, end) indices into packets.frames covered by the clip (frame covering in-point ... out)."""
    t0 = sv.start_time or 0
    pin = t0 + clip.source_in / tb
    pout = t0 + clip.source_out / tb
    first = max(0, bisect.bisect_right(packets.frames, pin) - 1)
    end = bisect.bisect_left(packets.frames, pout)
    if end <= first:
        raise SmartCutUnsupported("a clip is shorter than one frame")
    return first, end


def _span(packets: _Packets, first: int, end: int) -> int:
    frames = packets.frames
    if end < len(frames):
        return frames[end] - frames[first]
    last = frames[-1] - frames[-2] if len(frames) > 1 else 1
    return frames[-1] + last - frames[first]


def _cut_clip(src: Any, sv: Any, clip: Any, packets: _Packets, writer: _Writer, timeline: int,
              tb: Fraction) -> tuple[int, list[str]]:
    frames = packets.frames
    first, end = _frame_range(clip, packets, sv, tb)
    start_pts = frames[first]
    stop_pts = frames[end] if end < len(frames) else None
    keys = [k for k in packets.keys if start_pts <= k and (stop_pts is None or k < stop_pts)]
    head_end = keys[0] if keys else stop_pts  # re-encode [start, head_end)
    tail_start = keys[-1] if keys else None  # copy [head_end, tail_start) ... see below
    notes: list[str] = []
    offset = timeline - start_pts  # source pts -> output pts
    if keys and stop_pts is not None:
        # the last GOP is copied whole only if the out-point is its end (the next keyframe)
        if stop_pts not in packets.keys:
            copy_end = tail_start
        else:
            copy_end = stop_pts
    else:
        copy_end = stop_pts if keys else None
    if not keys:
        _encode_range(src, sv, start_pts, stop_pts, writer, offset, frames)
        notes.append(f"{Path(clip.path).name}: clip inside one GOP, re-encoded")
    else:
        if head_end is not None and head_end > start_pts:
            _encode_range(src, sv, start_pts, head_end, writer, offset, frames)
        if copy_end is None or copy_end > keys[0]:
            _copy_range(src, sv, keys[0], copy_end, writer, offset)
        if copy_end is not None and stop_pts is not None and copy_end < stop_pts:
            _encode_range(src, sv, copy_end, stop_pts, writer, offset, frames)
    return timeline + _span(packets, first, end), notes


def _frame_duration(frames: list[int], pts: int) -> int:
    i = bisect.bisect_left(frames, pts)
    if i + 1 < len(frames):
        return frames[i + 1] - frames[i]
    return frames[-1] - frames[-2] if len(frames) > 1 else 1


def _encode_range(src: Any, sv: Any, start: int, stop: int | None, writer: _Writer, offset: int,
                  frames: list[int]) -> None:
    """Re-encode the source frames [start, stop) (x264, spec preset, high quality, no B-frames)."""
    cc = sv.codec_context
    enc = av.CodecContext.create("libx264", "w")
    enc.width, enc.height, enc.pix_fmt = cc.width, cc.height, cc.format.name
    enc.time_base = Fraction(sv.time_base)
    enc.framerate = sv.average_rate or Fraction(25)
    enc.options = {"preset": writer.preset, "crf": str(writer.crf), "x264-params": "bframes=0:scenecut=0"}
    enc.thread_type = "FRAME"
    src.seek(start, stream=sv, backward=True)

    def emit(packets: list[Any]) -> None:
        for p in packets:
            assert p.pts is not None
            data = _annexb_to_length_prefixed(bytes(p), writer.length_size)
            pts = p.pts + offset
            writer.write(data, pts, pts - writer.delay, p.is_keyframe, _frame_duration(frames, p.pts), True)

    done = False
    for packet in src.demux(sv):
        decoded = sv.decode(packet) if packet.size else sv.decode(None)
        for frame in decoded:
            if frame.pts is None or frame.pts < start:
                continue
            if stop is not None and frame.pts >= stop:
                done = True
                break
            frame.pict_type = av.video.frame.PictureType.NONE
            emit(enc.encode(frame))
        if done:
            break
    emit(enc.encode(None))


def _copy_range(src: Any, sv: Any, start: int, stop: int | None, writer: _Writer, offset: int) -> None:
    src.seek(start, stream=sv, backward=True)
    started = False
    for packet in src.demux(sv):
        if packet.size == 0 or packet.pts is None:
            continue
        if not started:
            if not (packet.is_keyframe and packet.pts == start):
                continue
            started = True
        elif stop is not None and packet.is_keyframe and packet.pts >= stop:
            break
        dts = packet.dts if packet.dts is not None else packet.pts
        writer.write(bytes(packet), packet.pts + offset, dts + offset, packet.is_keyframe,
                     packet.duration or 0, False)


def _copy_audio(src: Any, sa: Any, oa: Any, out: Any, clip: Any, sv: Any, tb: Fraction, out_start: int,
                last: int | None) -> int | None:
    """Copy the audio packets of [in, out) shifted to the clip's place (to within one audio frame)."""
    t0 = (sv.start_time or 0) * tb
    a_in, a_out = t0 + clip.source_in, t0 + clip.source_out
    shift = out_start * tb - clip.source_in - t0
    src.seek(max(0, int(a_in / sa.time_base) - 1), stream=sa, backward=True)
    for packet in src.demux(sa):
        if packet.size == 0 or packet.pts is None:
            continue
        at = packet.pts * sa.time_base
        if at < a_in - Fraction(1, 100):
            continue
        if at >= a_out:
            break
        new = max(0, int(round((at + shift) / sa.time_base)))
        if last is not None and new <= last:
            continue
        packet.pts = packet.dts = new
        packet.stream = oa
        out.mux(packet)
        last = new
    return last
