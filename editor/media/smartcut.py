"""Smart cut for H.264 and HEVC: copy what can be copied, re-encode only the frames around each cut, prove it.

For each segment [A, B) (frames of the file, counted from its time origin, ``editor.media.origin``):

- the frames from A to the first keyframe at or after A are decoded and re-encoded (no B-frames, their own
  parameter sets in-band), as are the frames at the end that a copy cannot hold;
- from that keyframe on, the longest run of packets in decode order whose frames are all before B and leave
  no gap is copied (so the end is exact even between keyframes and with B-frames; the leading pictures of an
  open GOP, which need the GOP before, are left out and re-encoded instead);
- a segment that cannot be copied at all (another codec or size than the first, a speed change) is
  re-encoded whole at the stream's size and format, and its report says why.

The first copied keyframe after a re-encoded part gets the source's parameter sets in-band, so a decoder
switches back (FFmpeg, browsers and VLC follow in-band parameter sets; strict hardware players may not).
The sound of every segment is decoded from its exact range and encoded again as one track (within a
sample of the picture at every cut, nothing lost or accumulated).

After writing, the frames on both sides of every seam of the output are decoded and compared with the source
frames; a segment whose seam differs is re-encoded whole and reported, never shipped silently.

Input in MP4/MOV/MKV (avcC/hvcC) or MPEG-TS (Annex B); output in any container that takes the codec.
Conditions for the whole render (else ``SmartCutUnsupported`` and the caller re-encodes everything): the
first clip's video is H.264 or HEVC, clips do not overlap and leave no gap. Worker thread or child process;
never touches Qt.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from editor.media.errors import RenderError
from editor.media.origin import FrameIndex, SeekPoint, packets_from, scan_video
from editor.media.probe import open_input
from editor.media.render_audio import AudioFeeder, audio_codec_for
from editor.media.render_bitstream import pack, parameter_sets, split_annexb
from editor.media.render_copy import file_index, idr_test
from editor.media.render_output import CODEC_OF_DECODER, AudioWriter, choose_codecs
from editor.media.render_sources import SourcePool, VideoSource, conform
from editor.media.render_spec import Progress, RenderClip, RenderSpec, SegmentReport

ENCODERS = {"h264": "libx264", "hevc": "libx265"}
SEAM_TOLERANCE = 14.0  # the largest mean absolute difference (0-255) of one block of 8x8 that is "the same"


class SmartCutUnsupported(Exception):
    """The spec cannot be smart-cut; the message says why (the caller falls back to re-encoding)."""


# -- the writer -------------------------------------------------------------------------------------

class _Writer:
    """Muxes video packets with continuous timestamps (output time base), in the source's bitstream form."""

    def __init__(self, out: Any, ov: Any, otb: Fraction, delay: int, length_size: int, source_sets: bytes,
                 bsf: Any) -> None:
        self.out, self.ov, self.otb, self.delay = out, ov, otb, delay
        self.length_size, self.source_sets, self.bsf = length_size, source_sets, bsf
        self.last_dts: int | None = None
        self.after_encoded = False
        self.frames = 0
        self.feeder: AudioFeeder | None = None  # the sound, written up to each picture as it is muxed
        self.seen: dict[tuple[str, int], np.ndarray] = {}  # source frames near seams, kept for the proof

    def write(self, data: bytes, pts: int, dts: int, keyframe: bool, duration: int, encoded: bool) -> None:
        if encoded and self.length_size:
            data = pack(split_annexb(data), self.length_size)
        if not encoded and self.after_encoded and keyframe:
            data = self.source_sets + data  # switch the decoder back to the source's parameter sets
        self.after_encoded = encoded
        if self.last_dts is not None and dts <= self.last_dts:
            dts = self.last_dts + 1
        if dts > pts:
            raise SmartCutUnsupported("timestamps cannot be kept in order at a cut")
        packet = av.Packet(data)
        packet.pts, packet.dts, packet.duration = pts, dts, duration
        packet.time_base = self.otb
        packet.is_keyframe = keyframe
        for p in (self.bsf(packet) if self.bsf else [packet]):
            p.stream = self.ov
            self.out.mux(p)
        self.last_dts = dts
        self.frames += 1
        if self.feeder is not None:
            self.feeder.feed_until(dts * self.otb)


# -- planning ---------------------------------------------------------------------------------------

@dataclass
class _Part:
    kind: str  # "copy" or "encode"
    lo: int  # frame indices [lo, hi) of the source
    hi: int
    last_rank: int = -1  # copy: decode-order rank of the last packet


@dataclass
class _Segment:
    clip: RenderClip
    index: FrameIndex | None
    lo: int
    hi: int
    parts: list[_Part]
    out_start: Fraction
    duration: Fraction
    reason: str = ""

    @property
    def mode(self) -> str:
        kinds = {p.kind for p in self.parts} or {"encode"}  # no parts: re-encoded on the output's frame grid
        return "copy" if kinds == {"copy"} else "reencode" if kinds == {"encode"} else "smart"


def _plan_parts(ix: FrameIndex, lo: int, hi: int, order: list[int], clean: Any = None) -> list[_Part]:
    key_pts = [k for k in ix.keyframes if ix.pts[lo] <= k.pts < ix.pts[hi - 1] + 1
               and ix.frame_at_pts(k.pts) is not None]
    if clean is not None:  # the first that a decoder can start on after re-encoded frames (asked lazily)
        first = next((k for k in key_pts if ix.frame_at_pts(k.pts) == lo or clean(k)), None)
        key_pts = [first] if first is not None else []
    if not key_pts:
        return [_Part("encode", lo, hi)]
    k1 = key_pts[0]
    k1_index = ix.frame_at_pts(k1.pts)
    if k1_index is None:
        return [_Part("encode", lo, hi)]
    end_pts = ix.pts[hi] if hi < len(ix) else ix.end_pts
    count, best_end, best_rank, top = 0, k1_index, -1, -1
    for rank in range(k1.order, len(order)):
        p = order[rank]
        if p < k1.pts:
            continue  # a leading picture of an open GOP: it needs the GOP before
        if p >= end_pts:
            break
        i = ix.frame_at_pts(p)
        if i is None or ix.pts[i] != p:
            break
        count += 1
        top = max(top, i)
        if count == top - k1_index + 1:
            best_end, best_rank = top + 1, rank
    parts = []
    if k1_index > lo:
        parts.append(_Part("encode", lo, k1_index))
    if best_end > k1_index:
        parts.append(_Part("copy", k1_index, best_end, best_rank))
    if best_end < hi:
        parts.append(_Part("encode", max(best_end, k1_index), hi))
    return parts


def _signature(stream: Any) -> tuple:
    cc = stream.codec_context
    return (cc.name, cc.width, cc.height, cc.format.name if cc.format else None, bytes(cc.extradata or b""))


# -- the cut ----------------------------------------------------------------------------------------

def smart_cut(spec: RenderSpec, tmp: Path, progress: Progress) -> tuple[int, list[str], list[SegmentReport]]:
    """Write ``spec`` (a RenderSpec in smart mode) to ``tmp``; returns (frames, notes, segments).
    Worker thread or child process; never touches Qt.
    """
    clips = sorted(spec.clips, key=lambda c: c.timeline_start)
    for a, b in zip(clips, clips[1:], strict=False):
        if b.timeline_start < a.timeline_end - Fraction(1, 2000):
            raise SmartCutUnsupported("clips overlap")
        if b.timeline_start > a.timeline_end + Fraction(1, 2000):
            raise SmartCutUnsupported("there is a gap between clips")
    with open_input(clips[0].path) as first:
        if not first.streams.video:
            raise SmartCutUnsupported(f"{Path(clips[0].path).name} has no video")
        ref = first.streams.video[0]
        codec = ref.codec_context.name
        if codec not in ENCODERS:
            raise SmartCutUnsupported(f"smart cut copies H.264 or HEVC only ({Path(clips[0].path).name} is "
                                      f"{codec})")
        fmt, _vc, _ = choose_codecs(tmp, "", spec.audio_codec, True)
        if CODEC_OF_DECODER.get(codec) not in fmt.video:
            raise SmartCutUnsupported(f"{fmt.label} cannot hold {codec}")
        ref_sig = _signature(ref)
        ref_a = first.streams.audio[0] if first.streams.audio else None
        acodec = audio_codec_for(fmt, spec.audio_codec, ref_a) if any(c.audio for c in clips) else None
    forced: dict[int, str] = {}
    notes: list[str] = []
    for _attempt in range(3):
        segments = _plan(spec, clips, ref_sig, forced)
        progress.check()
        frames, seen = _write(spec, tmp, segments, fmt.muxer, clips[0].path, acodec, progress)
        if not spec.verify:
            break
        bad = _verify(tmp, segments, spec.fps, progress, seen)
        if not bad:
            break
        for i, where in bad.items():
            forced[i] = f"the seam at {float(where):.3f} s of the output did not match the source after copying"
            notes.append(f"{Path(segments[i].clip.path).name}: segment {i + 1}: {forced[i]}; re-encoded it")
        tmp.unlink(missing_ok=True)
    else:
        raise RenderError(f"{tmp.name}: smart cut could not make seams that match the source")
    reports = []
    for i, s in enumerate(segments):
        ix = s.index
        got_in = s.clip.source_in if ix is None else ix.time_of(s.lo)
        got_out = s.clip.source_out if ix is None else (ix.time_of(s.hi) if s.hi < len(ix) else ix.duration)
        reason = s.reason or ("; ".join(_part_notes(s)))
        reports.append(SegmentReport(i, s.clip.path, s.clip.source_in, s.clip.source_out, got_in, got_out, s.out_start,
                                     s.out_start + s.duration, s.mode, reason))
        if s.reason and i not in forced:
            notes.append(f"{Path(s.clip.path).name}: segment {i + 1} re-encoded: {s.reason}")
    return frames, notes, reports


def _part_notes(s: _Segment) -> list[str]:
    ix = s.index
    if ix is None:
        return []
    out = []
    for p in s.parts:
        if p.kind == "encode":
            out.append(f"re-encoded frames {p.lo}-{p.hi - 1} ({float(ix.time_of(p.lo)):.3f} s)")
    return out


def _plan(spec: RenderSpec, clips: list[RenderClip], ref_sig: tuple, forced: dict[int, str]) -> list[_Segment]:
    segments: list[_Segment] = []
    at = Fraction(0)
    indexes: dict[str, tuple[FrameIndex, list[int], tuple]] = {}
    cleans: dict[str, Any] = {}
    for i, clip in enumerate(clips):
        reason = forced.get(i, "")
        ix = None
        if clip.speed != 1:
            reason = reason or f"it plays at speed {clip.speed}"
        else:
            if clip.path not in indexes:
                with open_input(clip.path) as src:
                    if not src.streams.video:
                        raise RenderError(f"{clip.path}: has no video stream", clip.path)
                    sig = _signature(src.streams.video[0])
                indexes[clip.path] = (*file_index(clip.path), sig)
            ix, order, sig = indexes[clip.path]
            if sig != ref_sig and not reason:
                reason = "its video has other codec parameters than the first segment's"
        if ix is not None:
            lo = max(0, ix.index_at(clip.source_in + Fraction(1, 10**6)))
            end_pts = ix.origin.pts_at(clip.source_out)
            hi = bisect.bisect_left(ix.pts, end_pts - 1)
            hi = min(hi, len(ix))
            if hi <= lo:
                raise RenderError(f"{clip.path}: segment {i + 1} holds no frame", clip.path)
            b = ix.time_of(hi) if hi < len(ix) else ix.duration
            duration = b - ix.time_of(lo)
            if clip.path not in cleans:
                cleans[clip.path] = idr_test(clip.path, ix)
            parts = [_Part("encode", lo, hi)] if reason else _plan_parts(ix, lo, hi, order, cleans[clip.path])
            segments.append(_Segment(clip, ix, lo, hi, parts, at, duration, reason))
        else:
            duration = clip.timeline_end - clip.timeline_start
            segments.append(_Segment(clip, None, 0, 0, [], at, duration, reason))
        at += duration
    return segments


def _write(spec: RenderSpec, tmp: Path, segments: list[_Segment], muxer: str, ref_path: str, acodec: str | None,
           progress: Progress) -> tuple[int, dict[tuple[str, int], np.ndarray]]:
    pool = SourcePool(limit=2)
    with open_input(ref_path) as first, av.open(str(tmp), "w", format=muxer) as out:
        ref = first.streams.video[0]
        codec = ref.codec_context.name
        ov = out.add_stream_from_template(ref)
        otb = Fraction(ref.time_base or Fraction(1, 90000))
        length_size, sets = parameter_sets(codec, bytes(ref.codec_context.extradata or b""))
        bsf = None
        if muxer == "mpegts" and length_size:
            bsf = av.BitStreamFilterContext({"h264": "h264_mp4toannexb", "hevc": "hevc_mp4toannexb"}[codec], ref).filter
        delays = [max((k.pts - k.dts) for k in s.index.keyframes if k.dts is not None) * s.index.time_base
                  for s in segments if s.index is not None and any(k.dts is not None for k in s.index.keyframes)]
        delay = int(round(max(delays, default=Fraction(0)) / otb))
        writer = _Writer(out, ov, otb, delay, length_size, pack(sets, length_size), bsf)
        if acodec:
            pieces = [(s.clip.path, s.clip.source_in if s.index is None else s.index.time_of(s.lo),
                       (s.clip.source_out if s.index is None else s.index.time_of(s.lo) + s.duration), s.out_start)
                      for s in segments]
            writer.feeder = AudioFeeder(AudioWriter(out, acodec, spec.sample_rate, spec.audio_bitrate), pieces, pool,
                                        progress)
        ref_info = (ref.codec_context.width, ref.codec_context.height,
                    ref.codec_context.format.name if ref.codec_context.format else "yuv420p",
                    ref.average_rate or spec.fps)
        total = len(segments)
        for n, s in enumerate(segments):
            if s.index is None:
                _encode_timed(s, writer, codec, ref_info, spec, otb, pool)
            else:
                with open_input(s.clip.path) as src:
                    sv = src.streams.video[0]
                    sv.thread_type = "AUTO"
                    for part in s.parts:
                        progress.check()
                        if part.kind == "copy":
                            _copy_part(src, sv, s, part, writer, otb)
                        else:
                            _encode_part(src, sv, s, part, writer, codec, ref_info, spec, otb)
            progress.report(100.0 * (n + 1) / total * 0.85, f"segment {n + 1} of {total}")
        if writer.feeder is not None:
            writer.feeder.finish()
    pool.close()
    return writer.frames, writer.seen


def _out_pts(s: _Segment, pts: int, otb: Fraction) -> int:
    assert s.index is not None
    return int(round((s.out_start + (pts - s.index.pts[s.lo]) * s.index.time_base) / otb))


def _copy_part(src: Any, sv: Any, s: _Segment, part: _Part, writer: _Writer, otb: Fraction) -> None:
    ix = s.index
    assert ix is not None
    key_pts = ix.pts[part.lo]
    key = next(k for k in ix.keyframes if k.pts == key_pts)
    lead = ix.pts[s.lo]
    for packet in packets_from(src, sv, key, ix.order):
        if packet.size == 0 or packet.pts is None:
            continue
        rank = ix.order.get(packet.pts, -1)
        if rank > part.last_rank:
            break
        if packet.pts < key_pts:
            continue
        dts = packet.dts if packet.dts is not None else packet.pts
        shift = s.out_start - (lead * ix.time_base)
        writer.write(bytes(packet), int(round((packet.pts * ix.time_base + shift) / otb)),
                     int(round((dts * ix.time_base + shift) / otb)), bool(packet.is_keyframe),
                     int(round((packet.duration or 0) * ix.time_base / otb)), False)


def _encoder(codec: str, ref_info: tuple, spec: RenderSpec, time_base: Fraction) -> Any:
    width, height, pix_fmt, rate = ref_info
    enc: Any = av.CodecContext.create(ENCODERS[codec], "w")
    enc.width, enc.height, enc.pix_fmt = width, height, pix_fmt
    enc.time_base = time_base
    enc.framerate = rate
    if codec == "h264":
        enc.options = {"preset": spec.preset, "crf": str(min(spec.crf, 16)), "x264-params": "bframes=0:scenecut=0"}
    else:
        enc.options = {"preset": spec.preset, "crf": str(min(spec.crf, 18)),
                       "x265-params": "bframes=0:scenecut=0:repeat-headers=1:log-level=error"}
    enc.thread_type = "FRAME"
    return enc


def _encode_part(src: Any, sv: Any, s: _Segment, part: _Part, writer: _Writer, codec: str, ref_info: tuple,
                 spec: RenderSpec, otb: Fraction) -> None:
    """Re-encode the source frames [part.lo, part.hi) (exact: decoded from the keyframe before them)."""
    ix = s.index
    assert ix is not None
    enc = _encoder(codec, ref_info, spec, otb)
    width, height, pix_fmt, _rate = ref_info

    def emit(packets: list[Any]) -> None:
        for p in packets:
            assert p.pts is not None
            writer.write(bytes(p), p.pts, p.pts - writer.delay, bool(p.is_keyframe),
                         int(p.duration or 0), True)

    key = ix.keyframe_before(part.lo)
    near = {*range(part.lo - 2, part.lo + 2), *range(part.hi - 2, part.hi + 2)}
    done = False
    for packet in packets_from(src, sv, key, ix.order):
        decoded = sv.decode(packet) if packet.size else sv.decode(None)
        for frame in decoded:
            i = ix.frame_at_pts(frame.pts)
            if i is not None and i in near and not frame.is_corrupt:  # the proof compares the output with these, later
                fitted = frame if (frame.width, frame.height) == (width, height) else conform(frame, width, height, 0)
                writer.seen[(s.clip.path, i)] = _gray(fitted)
            if i is None or i < part.lo:
                continue
            if i >= part.hi:
                done = True
                break
            if (frame.width, frame.height, frame.format.name) != (width, height, pix_fmt):
                frame = conform(frame, width, height, 0).reformat(format=pix_fmt)
            frame.pts = _out_pts(s, ix.pts[i], otb)
            frame.time_base = otb
            frame.pict_type = av.video.frame.PictureType.NONE
            emit(enc.encode(frame))
        if done:
            break
    else:
        for frame in sv.decode(None):
            i = ix.frame_at_pts(frame.pts)
            if i is not None and part.lo <= i < part.hi:
                frame.pts = _out_pts(s, ix.pts[i], otb)
                frame.time_base = otb
                frame.pict_type = av.video.frame.PictureType.NONE
                emit(enc.encode(frame))
    emit(enc.encode(None))


def _encode_timed(s: _Segment, writer: _Writer, codec: str, ref_info: tuple, spec: RenderSpec, otb: Fraction,
                  pool: SourcePool) -> None:
    """Re-encode a whole segment on the output's frame grid (speed changes, other sources)."""
    width, height, pix_fmt, _rate = ref_info
    enc = _encoder(codec, ref_info, spec, otb)
    clip = s.clip
    n_frames = max(1, round(s.duration * spec.fps))
    source = VideoSource(clip, pool, clip.source_in)
    try:
        for n in range(n_frames):
            st = clip.source_in + Fraction(n) / spec.fps * clip.speed
            frame = source.frame_at(st)
            if frame is None:
                break
            pic = conform(frame, width, height, source.rotation or 0)
            if pix_fmt != "yuv420p":
                pic = pic.reformat(format=pix_fmt)
            pic.pts = int(round((s.out_start + Fraction(n) / spec.fps) / otb))
            pic.time_base = otb
            pic.pict_type = av.video.frame.PictureType.NONE
            for p in enc.encode(pic):
                writer.write(bytes(p), p.pts, p.pts - writer.delay, bool(p.is_keyframe), int(p.duration or 0), True)
        for p in enc.encode(None):
            writer.write(bytes(p), p.pts, p.pts - writer.delay, bool(p.is_keyframe), int(p.duration or 0), True)
    finally:
        source.close()


# -- proof ------------------------------------------------------------------------------------------

def _gray(frame: Any) -> np.ndarray:
    w = min(frame.width, 320) // 2 * 2
    h = max(2, int(round(frame.height * w / frame.width)) // 2 * 2)
    g = frame.reformat(width=w, height=h, format="gray")
    plane = g.planes[0]
    buf: Any = plane
    return np.frombuffer(buf, np.uint8).reshape(plane.height, plane.line_size)[:, :w].astype(np.int16)


def frames_match(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two gray pictures show the same frame: no block of an 8x8 grid differs by more than
    ``SEAM_TOLERANCE`` on average (compression noise passes; another frame, a smear or garbage does not)."""
    if a.shape != b.shape:
        return False
    diff = np.abs(a - b)
    h, w = diff.shape
    for y in range(8):
        for x in range(8):
            block = diff[y * h // 8:(y + 1) * h // 8, x * w // 8:(x + 1) * w // 8]
            if block.size and block.mean() > SEAM_TOLERANCE:
                return False
    return True


def _decode_ranges(path: str | Path, ranges: list[tuple[int, int]], size: tuple[int, int] | None = None,
                   index_cached: bool = False) -> dict[int, np.ndarray]:
    """The frames of each [lo, hi) range (indices from the time origin) of a file as small gray arrays, each
    range decoded straight through from the keyframe before it, as a player plays across a seam."""
    out: dict[int, np.ndarray] = {}
    if not ranges:
        return out
    with open_input(path) as c:
        sv = c.streams.video[0]
        sv.thread_type = "AUTO"
        # a source is indexed once per process (the cut planned with it); the output is new: scanned here
        ix = file_index(str(path))[0] if index_cached else scan_video(c, sv)
        for key, hi, wanted in _decode_runs(ix, ranges):
            stop = False
            for packet in packets_from(c, sv, key, ix.order):
                try:
                    frames = sv.decode(packet) if packet.size else sv.decode(None)
                except av.error.InvalidDataError:
                    continue  # a packet the decoder refuses: its frames are missing, so the seam fails
                for frame in frames:
                    i = ix.frame_at_pts(frame.pts)
                    if i is not None and i in wanted and not frame.is_corrupt:
                        if size is not None and (frame.width, frame.height) != size:
                            frame = conform(frame, size[0], size[1], 0)  # as a re-encoded segment fits it
                        out[i] = _gray(frame)
                    if i is not None and i >= hi - 1:
                        stop = True
                if stop:
                    break
            else:
                for frame in sv.decode(None):
                    i = ix.frame_at_pts(frame.pts)
                    if i is not None and i in wanted:
                        if size is not None and (frame.width, frame.height) != size:
                            frame = conform(frame, size[0], size[1], 0)
                        out[i] = _gray(frame)
            sv.codec_context.flush_buffers()
    return out


def _decode_runs(ix: FrameIndex, ranges: list[tuple[int, int]]) -> list[tuple[SeekPoint, int, set[int]]]:
    """The ranges grouped into straight decoding runs: (keyframe to start from, end, frames wanted). A range
    whose keyframe the run before has already passed joins that run (decoded on, not again from its keyframe:
    the seams of one segment share the keyframe of its re-encoded head). Any thread."""
    runs: list[tuple[SeekPoint, int, set[int]]] = []
    for lo, hi in sorted(ranges):
        lo, hi = max(0, lo), min(hi, len(ix))
        if hi <= lo:
            continue
        key = ix.keyframe_before(lo)
        start = ix.frame_at_pts(key.pts)
        if runs and start is not None and start <= runs[-1][1]:
            k, end, wanted = runs[-1]
            runs[-1] = (k, max(end, hi), wanted | set(range(lo, hi)))
        else:
            runs.append((key, hi, set(range(lo, hi))))
    return runs


def _verify(tmp: Path, segments: list[_Segment], fps: Fraction, progress: Progress,
            seen: dict[tuple[str, int], np.ndarray] | None = None) -> dict[int, Fraction]:
    """Decode the output frames on both sides of every seam and compare them with the source frames;
    returns {segment: output time} for the segments whose seam differs."""
    checks: list[tuple[int, int, str, int]] = []  # (segment, output frame, source path, source frame)
    out_ranges: list[tuple[int, int]] = []
    src_ranges: dict[str, list[tuple[int, int]]] = {}
    out_first = 0
    for n, s in enumerate(segments):
        ix = s.index
        count = (s.hi - s.lo) if ix is not None else max(1, round(s.duration * fps))
        if ix is not None:
            for p in s.parts:
                o = out_first + p.lo - s.lo  # where the part starts in the output
                if p.kind == "encode":
                    # a re-encoded part starts with an IDR picture (a decoder starts afresh there): its first
                    # and last frames, decoded from it
                    spans = [(p.lo, min(p.lo + 2, p.hi)), (max(p.lo, p.hi - 2), p.hi)]
                    out_ranges += [(o, o + 2), (o + max(0, p.hi - p.lo - 2), o + p.hi - p.lo)]
                else:
                    # a copied run goes on from what the decoder had before: decode across the seam
                    spans = [(max(s.lo, p.lo - 2), min(p.hi, p.lo + 2))]
                    out_ranges.append((o - 2, o + 2))
                for lo, hi in spans:
                    src_ranges.setdefault(s.clip.path, []).append((lo, hi))
                    checks += [(n, out_first + i - s.lo, s.clip.path, i) for i in range(lo, hi)]
        out_first += count
    got_out = _decode_ranges(tmp, out_ranges)
    with open_input(tmp) as c:
        size = (c.streams.video[0].codec_context.width, c.streams.video[0].codec_context.height)
    got_src: dict[tuple[str, int], np.ndarray] = dict(seen or {})
    for path in src_ranges:
        progress.check()
        missing = sorted({i for _n, _o, p, i in checks if p == path and (p, i) not in got_src})
        ranges: list[tuple[int, int]] = []
        for i in missing:  # contiguous runs of what the re-encoding did not already decode
            if ranges and ranges[-1][1] == i:
                ranges[-1] = (ranges[-1][0], i + 1)
            else:
                ranges.append((i, i + 1))
        for i, arr in _decode_ranges(path, ranges, size, index_cached=True).items():
            got_src[(path, i)] = arr
    bad: dict[int, Fraction] = {}
    for n, o, path, i in checks:
        a, b = got_out.get(o), got_src.get((path, i))
        if a is None or b is None or not frames_match(a, b):
            s = segments[n]
            assert s.index is not None
            bad.setdefault(n, s.out_start + s.index.time_of(i) - s.index.time_of(s.lo))
    return bad
