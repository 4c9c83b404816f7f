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

import bisect
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from editor.media.errors import RenderError
from editor.media.origin import FrameIndex, SeekPoint, WindowTooNarrow, covers, packets_from, scan_video, scan_window
from editor.media.probe import file_key, keep_open, open_input, open_kept
from editor.media.render_audio import AudioFeeder, AudioPacketCopier, audio_codec_for
from editor.media.render_bitstream import end_of_sequence, hevc_cra_as_bla, nal_types, parameter_sets
from editor.media.render_output import CODEC_OF_DECODER, AudioWriter, OutputFormat, choose_codecs
from editor.media.render_sources import SourcePool
from editor.media.render_spec import Progress, RenderClip, RenderSpec, SegmentReport


@dataclass(frozen=True)
class CopyRange:
    """A segment's real range: frames [first, end) of the source, from the keyframe ``key`` to the packet of
    decode-order rank ``last_rank``."""

    index: FrameIndex
    key: SeekPoint
    first: int
    end: int
    last_rank: int

    def seconds(self, frame: int) -> Fraction:
        return self.index.time_of(frame) if frame < len(self.index) else self.index.duration


def decode_order(ix: FrameIndex) -> list[int]:
    """The pts of every packet of ``ix`` in decode order. Any thread."""
    return [pts for pts, _ in sorted(ix.order.items(), key=lambda kv: kv[1])]


#: the NAL unit types of an IDR picture, by codec
IDR_NALS = {"h264": frozenset({5}), "hevc": frozenset({19, 20})}


def keyframe_kinds(path: str, ix: FrameIndex) -> tuple[str, Callable[[SeekPoint], bool]]:
    """The video codec of ``path`` (the decoder's name) and a test of whether one of its keyframes is an IDR
    picture (every keyframe passes for codecs without IDR pictures). Reads one packet per keyframe asked
    about. Worker thread."""
    with open_input(path) as src:
        cc = src.streams.video[0].codec_context
        codec, extradata = cc.name, bytes(cc.extradata or b"")
    if codec not in IDR_NALS:
        return codec, _any_keyframe
    length_size, _ = parameter_sets(codec, extradata)
    idr = IDR_NALS[codec]
    cache: dict[int, bool] = {}

    opened: list[Any] = []  # one container for all the questions (closed with this function)

    def is_idr(key: SeekPoint) -> bool:
        if key.pts not in cache:
            if not opened:
                opened.append(open_input(path))
            src = opened[0]
            packet = next(iter(packets_from(src, src.streams.video[0], key, ix.order)), None)
            cache[key.pts] = packet is not None and bool(idr & set(nal_types(bytes(packet), length_size, codec)))
        return cache[key.pts]

    return codec, is_idr


def _any_keyframe(key: SeekPoint) -> bool:
    return True


def idr_test(path: str, ix: FrameIndex) -> Callable[[SeekPoint], bool]:
    """Whether a keyframe of ``path`` can start a copy after another segment or after re-encoded frames: an
    IDR picture for H.264 (at the recovery-point I-frame of an open GOP a decoder keeps the picture order of
    what came before and drops frames), any keyframe for other codecs. Worker thread."""
    codec, is_idr = keyframe_kinds(path, ix)
    return is_idr if codec == "h264" else _any_keyframe


def copy_range(ix: FrameIndex, clip: RenderClip, order: list[int] | None = None,
               clean: Callable[[SeekPoint], bool] | None = None) -> CopyRange:
    """The real range a copy of ``clip`` holds: from the keyframe at or before its first frame (that is a frame
    of the file, and passes ``clean``; else the first after it that does), to the end of the shortest
    decode-order run that holds every frame before its out-point with no gap. Any thread."""
    if not len(ix):
        if ix.window is not None:
            raise WindowTooNarrow(clip.path)
        raise RenderError(f"{clip.path}: has no video frames to copy", clip.path)
    if not covers(ix, clip.source_in, clip.source_out):
        raise WindowTooNarrow(clip.path)
    order = order if order is not None else decode_order(ix)
    lo = max(0, ix.index_at(clip.source_in + Fraction(1, 10**6)))
    hi = min(len(ix), max(lo + 1, bisect.bisect_left(ix.pts, ix.origin.pts_at(clip.source_out) - 1)))
    keys = ix.keyframes
    start = keys.index(ix.keyframe_before(lo))

    def usable(k: SeekPoint) -> bool:
        return ix.frame_at_pts(k.pts) is not None and (clean is None or clean(k))

    j = next((j for j in range(start, -1, -1) if usable(keys[j])), None)
    if j is None and ix.window is not None:
        raise WindowTooNarrow(clip.path)  # the keyframe to start from is before the window
    if j is None:
        j = next((j for j in range(start + 1, len(keys)) if usable(keys[j])), None)
    if j is None and clean is not None:
        raise RenderError(f"{Path(clip.path).name}: open-GOP H.264 with no IDR picture to start a joined segment "
                          f"at ({float(clip.source_in):.3f} s): a decoder would drop its first frames; use smart, "
                          "or copy each segment to its own file", clip.path)
    if j is None:
        raise RenderError(f"{clip.path}: no keyframe to copy from", clip.path)
    key = keys[j]
    first = ix.frame_at_pts(key.pts)
    assert first is not None
    hi = max(hi, first + 1)
    count, top, end, last_rank = 0, first - 1, len(ix), len(order) - 1
    for rank in range(key.order, len(order)):
        p = order[rank]
        if p < key.pts:
            continue  # a leading picture of an open GOP: it needs the GOP before
        i = ix.frame_at_pts(p)
        if i is None:
            continue
        count += 1
        top = max(top, i)
        if top + 1 >= hi and count == top - first + 1:
            end, last_rank = top + 1, rank
            break
    else:
        if ix.window is not None and ix.window[1] is not None:
            raise WindowTooNarrow(clip.path)  # the run ends past the window
    return CopyRange(ix, key, first, end, last_rank)


def run_timestamps(ix: FrameIndex, key: SeekPoint, last_rank: int, order: list[int]) -> tuple[dict[int, int], int]:
    """Decode timestamps for a copied run, made from its presentation timestamps (the k-th packet in decode
    order gets the k-th smallest pts), so they increase whatever the source stored (Matroska stores none),
    and the reordering delay they need (subtract it from all of them: then dts <= pts). Any thread."""
    run = [p for p in order[key.order:last_rank + 1] if p >= key.pts and ix.frame_at_pts(p) is not None]
    ordered = sorted(run)
    delay = max((o - p for o, p in zip(ordered, run, strict=True)), default=0)
    return dict(zip(run, ordered, strict=True)), max(0, delay)


def _describe(clip: RenderClip, r: CopyRange) -> str:
    name = Path(clip.path).name
    a, b = r.seconds(r.first), r.seconds(r.end)
    parts = []
    if abs(a - clip.source_in) > Fraction(1, 2000):
        parts.append(f"starts at the keyframe at {float(a):.3f} s (asked {float(clip.source_in):.3f} s)")
    if abs(b - clip.source_out) > Fraction(1, 2000):
        parts.append(f"ends at {float(b):.3f} s (asked {float(clip.source_out):.3f} s; its last B-frames need it)")
    if not parts:
        return ""
    return f"{name}: keyframe cut {float(a):.3f}-{float(b):.3f} s: " + ", ".join(parts)


@dataclass(frozen=True)
class StreamMeta:
    """What a copy needs to know of a file's streams without opening it again."""

    width: int
    height: int
    rate: Fraction
    video_signature: tuple
    audio_signature: tuple | None


_INDEX_CACHE: dict[tuple[str, int, int], tuple[FrameIndex, list[int]]] = {}
_WINDOW_CACHE: dict[tuple[str, int, int], list[tuple[FrameIndex, list[int]]]] = {}
_META_CACHE: dict[tuple[str, int, int], StreamMeta] = {}
#: A window longer than this share of the file is not worth it: one pass over the whole file is as quick.
_WINDOW_SHARE = Fraction(1, 2)


def _video_of(src: Any, path: str) -> Any:
    if not src.streams.video:
        raise RenderError(f"{path}: has no video stream to copy", path)
    return src.streams.video[0]


def stream_meta(path: str) -> StreamMeta:
    """Size, rate and codec signatures of ``path``'s streams, kept for the process while the file is
    unchanged (no scan: the header says them). Worker thread."""
    key = file_key(path)
    hit = _META_CACHE.get(key)
    if hit is not None:
        return hit
    src = open_kept(path)
    try:
        sv = _video_of(src, path)
        sa = src.streams.audio[0] if src.streams.audio else None
        meta = StreamMeta(sv.codec_context.width, sv.codec_context.height,
                          Fraction(sv.average_rate or sv.guessed_rate or 25), _signature(sv),
                          _audio_signature(sa) if sa is not None else None)
    except BaseException:
        src.close()
        raise
    keep_open(path, src)
    if len(_META_CACHE) > 64:
        _META_CACHE.clear()
    _META_CACHE[key] = meta
    return meta


def file_index(path: str, start: Fraction | None = None, end: Fraction | None = None
               ) -> tuple[FrameIndex, list[int]]:
    """The frame index of ``path`` and its packets' pts in decode order, kept for the process while the file
    is unchanged (a command that plans a cut and then makes it scans the file once).

    With ``start`` (and ``end``; None: the end of the file), an index of at least the frames shown in
    [start, end) may be returned instead (``FrameIndex.window``; see :func:`scan_window`): a copy of a few
    seconds of a long file reads those seconds only. Worker thread."""
    key = file_key(path)
    hit = _INDEX_CACHE.get(key)
    if hit is not None:
        return hit
    if start is not None:
        for got in _WINDOW_CACHE.get(key, ()):
            if covers(got[0], start, end):
                return got
    src = open_kept(path)
    try:
        sv = _video_of(src, path)
        ix = None
        if start is not None and _window_worth_it(src, start, end):
            ix = scan_window(src, sv, start, end)
        if ix is None:
            ix = scan_video(src, sv)
    except BaseException:
        src.close()
        raise
    keep_open(path, src)  # rewound by the scan: the copy that usually follows reads it
    got = (ix, decode_order(ix))
    if ix.window is None:
        if len(_INDEX_CACHE) > 16:
            _INDEX_CACHE.clear()
        _INDEX_CACHE[key] = got
    else:
        if len(_WINDOW_CACHE) > 16:
            _WINDOW_CACHE.clear()
        _WINDOW_CACHE.setdefault(key, []).append(got)
    return got


def _window_worth_it(src: Any, start: Fraction, end: Fraction | None) -> bool:
    """Whether [start, end) is a small enough share of the file (its header's duration) to index alone."""
    if src.duration is None or src.duration <= 0:
        return False
    total = Fraction(src.duration, 1_000_000)
    return (end if end is not None else total) - start < total * _WINDOW_SHARE


def _indexes(clips: list[RenderClip], whole: bool = False) -> dict[str, tuple[FrameIndex, list[int]]]:
    """Each file's index: of the part its clips use, or (``whole``) of the whole file."""
    if whole:
        return {c.path: file_index(c.path) for c in clips}
    spans: dict[str, tuple[Fraction, Fraction]] = {}
    for c in clips:
        a, b = spans.get(c.path, (c.source_in, c.source_out))
        spans[c.path] = (min(a, c.source_in), max(b, c.source_out))
    return {p: file_index(p, a, b) for p, (a, b) in spans.items()}


def copy_plan(spec: RenderSpec, indexes: dict[str, tuple[FrameIndex, list[int]]] | None = None
              ) -> list[SegmentReport]:
    """What a copy of ``spec`` will hold, segment by segment (real source ranges and output times), before
    anything is written; RenderError (one line) when the clips cannot be copied. Worker thread."""
    clips = sorted(spec.clips, key=lambda c: c.timeline_start)
    for c in clips:
        if c.speed != 1:
            raise RenderError(f"{Path(c.path).name}: stream copy cannot change speed; use re-encode")
    if indexes is None:
        return _plan_and_indexes(spec)[0]
    reports: list[SegmentReport] = []
    at = Fraction(0)
    kinds: dict[str, tuple[str, Callable[[SeekPoint], bool]]] = {}  # asked of a file once it follows a join
    for i, c in enumerate(clips):
        ix, order = indexes[c.path]
        codec, is_idr, clean = "", _any_keyframe, None  # the first segment starts at any keyframe
        if i:
            if c.path not in kinds:
                kinds[c.path] = keyframe_kinds(c.path, ix)
            codec, is_idr = kinds[c.path]
            clean = is_idr if codec == "h264" else _any_keyframe  # after a join H.264 needs an IDR picture
        r = copy_range(ix, c, order, clean)
        a, b = r.seconds(r.first), r.seconds(r.end)
        before = reports[-1] if reports else None
        if before is not None and before.path == c.path and a < before.actual_out and b > before.actual_in:
            if codec == "hevc" and not is_idr(r.key):
                # the same pictures again right after the join: their picture order counts are those of
                # pictures the decoder still holds, and it drops them
                raise RenderError(f"{Path(c.path).name}: segments {i} and {i + 1} both hold the HEVC pictures at "
                                  f"{float(a):.3f}-{float(min(b, before.actual_out)):.3f} s, and a copy cannot "
                                  "repeat them after a join (a decoder drops the repeats); use smart, or copy "
                                  "each segment to its own file", c.path)
        reports.append(SegmentReport(i, c.path, c.source_in, c.source_out, a, b, at, at + b - a, "copy",
                                     _describe(c, r)))
        at += b - a
    return reports


def _plan_and_indexes(spec: RenderSpec) -> tuple[list[SegmentReport], dict[str, tuple[FrameIndex, list[int]]]]:
    """:func:`copy_plan` and the indexes it was made with: of the parts the clips use where that answers
    every question, else of the whole files. Worker thread."""
    clips = sorted(spec.clips, key=lambda c: c.timeline_start)
    indexes = _indexes(clips)
    try:
        return copy_plan(spec, indexes), indexes
    except WindowTooNarrow:
        indexes = _indexes(clips, whole=True)
        return copy_plan(spec, indexes), indexes


def _planned_start(ix: FrameIndex, at: Fraction) -> Callable[[SeekPoint], bool]:
    """The keyframe test that makes ``copy_range`` start where the plan said (at media time ``at``)."""
    def test(key: SeekPoint) -> bool:
        i = ix.frame_at_pts(key.pts)
        return i is not None and ix.time_of(i) == at

    return test


def _signature(stream: Any) -> tuple:
    cc = stream.codec_context
    return (cc.name, cc.width, cc.height, cc.format.name if cc.format else None, bytes(cc.extradata or b""))


def _audio_signature(stream: Any) -> tuple:
    cc = stream.codec_context
    return (cc.name, cc.sample_rate, cc.channels, bytes(cc.extradata or b""))


def _copy_audio_ok(fmt: OutputFormat, requested: str, clips: list[RenderClip], ref_a: Any) -> bool:
    """Whether the sound can be copied too: the container takes its codec, every source has the same."""
    codec = CODEC_OF_DECODER.get(ref_a.codec_context.name)
    if codec is None or codec not in fmt.audio or requested not in ("", codec) or codec.startswith("pcm"):
        return False
    sig = _audio_signature(ref_a)
    return all(stream_meta(c.path).audio_signature == sig for c in clips)


def render_copy(spec: RenderSpec, tmp: Path, progress: Progress) -> tuple[int, list[str], list[SegmentReport]]:
    """Write ``spec`` by stream copy to ``tmp``; returns (frames, notes, segments)."""
    clips = sorted(spec.clips, key=lambda c: c.timeline_start)
    plan, indexes = _plan_and_indexes(spec)
    first = open_kept(clips[0].path)
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
            pieces = [(c.path, r.actual_in, r.actual_out, r.output_start) for c, r in zip(clips, plan, strict=True)]
            feeder: AudioFeeder | AudioPacketCopier | None = None
            if has_audio and ref_a is not None and _copy_audio_ok(fmt, spec.audio_codec, clips, ref_a):
                feeder = AudioPacketCopier(out, out.add_stream_from_template(ref_a), pieces,
                                           {p: ix.origin.seconds for p, (ix, _o) in indexes.items()})
            elif has_audio:
                writer = AudioWriter(out, audio_codec_for(fmt, spec.audio_codec, ref_a), spec.sample_rate,
                                     spec.audio_bitrate)
                feeder = AudioFeeder(writer, pieces, pool, progress)
            bsf = _annexb_filter(fmt, ref_v)
            vname = ref_v.codec_context.name
            eos = b""
            if vname in ("h264", "hevc"):
                length_size, _sets = parameter_sets(vname, bytes(ref_v.codec_context.extradata or b""))
                eos = end_of_sequence(vname, length_size)
            otb = Fraction(ref_v.time_base or Fraction(1, 90000))
            last_dts: int | None = None
            runs = []
            for c, r in zip(clips, plan, strict=True):
                ix, order = indexes[c.path]
                planned = _planned_start(ix, r.actual_in) if r.index else None
                rng = copy_range(ix, c, order, planned)
                runs.append((rng, *run_timestamps(ix, rng.key, rng.last_rank, order)))
            delay = max((d * rng.index.time_base for rng, _m, d in runs), default=Fraction(0))
            total = sum((r.actual_out - r.actual_in for r in plan), Fraction(0)) or Fraction(1)
            for c, r in zip(clips, plan, strict=True):
                if stream_meta(c.path).video_signature != ref_sig:
                    raise RenderError(f"{c.path}: its video does not match the first clip's codec "
                                      "parameters, so it cannot be stream-copied; use re-encode", c.path)
                with _reuse(first) if c.path == clips[0].path else open_input(c.path) as src:
                    sv = src.streams.video[0] if src.streams.video else None
                    if sv is None:
                        raise RenderError(f"{c.path}: its video does not match the first clip's codec "
                                          "parameters, so it cannot be stream-copied; use re-encode", c.path)
                    ix, order = indexes[c.path]
                    rng, dts_of, _ = runs[len([x for x in plan if x.index < r.index])]
                    tb = ix.time_base
                    shift = r.output_start - ix.pts[rng.first] * tb  # source seconds -> output seconds
                    shift_ticks, delay_ticks = int(round(shift / otb)), int(round(delay / otb))
                    next_feed = Fraction(0)
                    next_feed_pts = -(1 << 62)  # next_feed in output ticks (an exact integer here, or unused)
                    quarter = Fraction(1, 4) / otb
                    for packet in packets_from(src, sv, rng.key, ix.order):
                        if packet.size == 0 or packet.pts is None:
                            continue
                        rank = ix.order.get(packet.pts, -1)
                        if rank > rng.last_rank:
                            break
                        if packet.pts < rng.key.pts or ix.frame_at_pts(packet.pts) is None:
                            continue
                        progress.check()
                        if tb == otb:
                            pts, dts = packet.pts + shift_ticks, dts_of[packet.pts] - delay_ticks + shift_ticks
                        else:
                            pts = int(round((packet.pts * tb + shift) / otb))
                            dts = int(round((dts_of[packet.pts] * tb - delay + shift) / otb))
                        if last_dts is not None and dts <= last_dts:
                            dts = last_dts + 1
                        if dts > pts:
                            raise RenderError(f"{c.path}: timestamps cannot be kept in order at a join; "
                                              "use smart or re-encode", c.path)
                        data = None
                        if rank == rng.last_rank and eos and r.index + 1 < len(plan):
                            # the next segment starts a new coded sequence: say so, or a decoder carries
                            # this one's picture order over and drops the first frames of an open GOP
                            data = bytes(packet) + eos
                        if vname == "hevc" and packet.pts == rng.key.pts and last_dts is not None:
                            # a CRA after a join is a splice: mark it BLA, or the last pictures before
                            # the join are dropped by a decoder
                            data = hevc_cra_as_bla(bytes(packet) if data is None else data, length_size)
                        if data is not None:
                            flags = packet.is_keyframe
                            packet = av.Packet(data)
                            packet.is_keyframe = flags
                        packet.pts, packet.dts, packet.time_base = pts, dts, otb
                        last_dts = dts
                        for p in (bsf(packet) if bsf else [packet]):
                            p.stream = ov
                            out.mux(p)
                        frames += 1
                        if feeder is not None and (pts >= next_feed_pts if quarter.denominator == 1
                                                   else pts * otb >= next_feed):  # interleave, every 0.25 s
                            next_feed = pts * otb + Fraction(1, 4)
                            next_feed_pts = pts + quarter.numerator
                            feeder.feed_until(next_feed)
                            progress.report(100.0 * float(pts * otb / total) * 0.9, "copying")
            if feeder is not None:
                feeder.finish()
        pool.close()
        return frames, notes, plan
    finally:
        first.close()


class _reuse:
    """``with _reuse(container)``: use an open container without closing it at the end of the block."""

    def __init__(self, container: Any) -> None:
        self.container = container

    def __enter__(self) -> Any:
        return self.container

    def __exit__(self, *exc: object) -> None:
        return None


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
