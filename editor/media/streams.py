"""Which streams of a source an output keeps, and the pass that adds them (and chapters) to a rendered cut.

The renderers write the first video stream and the first audio stream. ``--streams v:0,a:0,a:1,s:0`` (or the
default: the picture, every audio stream and every subtitle stream, with their language and title tags)
is honoured by ``add_streams_and_chapters``: it remuxes the rendered file once, copying its packets as they
are, and adds the other streams cut to the same real ranges (``SegmentReport`` actual/output times): audio
packet by packet (within one packet of the cut), subtitles kept where they overlap a segment, their start
clipped to the cut and moved with it, so they stay in sync after every join. Chapters are set on the way.

Worker thread or the CLI's main thread; never touches Qt.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from editor.media.chapters import CHAPTER_CONTAINERS, Chapter, to_av
from editor.media.errors import MediaError
from editor.media.extract import parse_stream_ref
from editor.media.origin import time_origin
from editor.media.probe import keep_open, open_input, open_kept
from editor.media.render_spec import temporary_output_path

__all__ = ["StreamChoice", "choose_streams", "add_streams_and_chapters"]

#: Muxers that hold SubRip subtitles as they are.
_SUBRIP_MUXERS = ("matroska", "webm")


@dataclass(frozen=True)
class StreamChoice:
    """What to keep of a source: the first audio stream (rendered), extra audio and subtitle streams (copied
    by the pass; indices within their kind), and notes for what cannot be kept."""

    video: bool
    first_audio: bool
    extra_audio: tuple[int, ...]
    subtitles: tuple[int, ...]
    notes: tuple[str, ...] = ()
    first_audio_tags: tuple[tuple[str, str], ...] = ()  # the language and title the first audio stream carries


def choose_streams(src: str | os.PathLike[str], text: str, out: Path) -> StreamChoice:
    """``v:0,a:0,a:1,s:0`` (empty: the picture, every audio and every subtitle stream) against what ``src``
    holds. MediaError (one line) for a stream it does not have. Worker thread."""
    c = open_kept(src)
    counts = {k: len([s for s in c.streams if s.type == k]) for k in ("video", "audio", "subtitle")}
    first_tags = tuple(sorted(_tags(c.streams.audio[0]).items())) if c.streams.audio else ()
    keep_open(src, c)  # not demuxed: the render that follows opens it again for nothing otherwise
    refs = [parse_stream_ref(t) for t in text.split(",") if t.strip()] if text.strip() else (
        [("video", 0)] + [("audio", i) for i in range(counts["audio"])]
        + [("subtitle", i) for i in range(counts["subtitle"])])
    for kind, n in refs:
        if n >= counts[kind]:
            raise MediaError(f"{Path(src).name}: has no {kind} stream {n} (it has {counts['video']} video, "
                             f"{counts['audio']} audio, {counts['subtitle']} subtitle)")
        if kind == "video" and n != 0:
            raise MediaError(f"{Path(src).name}: only the first video stream (v:0) can be cut; extract v:{n} "
                             "with cutline extract")
    audio = sorted({n for k, n in refs if k == "audio"})
    subs = sorted({n for k, n in refs if k == "subtitle"})
    notes: list[str] = []
    if subs and _muxer(out) not in _SUBRIP_MUXERS:
        notes.append(f"{out.name}: subtitle streams are kept in MKV outputs only; none written here")
        subs = []
    if not any(k == "video" for k, _n in refs):
        raise MediaError("--streams: keep v:0 (a cut without its picture: use cutline extract for the sound)")
    first = 0 in audio
    return StreamChoice(True, first, tuple(a for a in audio if a != 0), tuple(subs), tuple(notes), first_tags)


def _muxer(out: Path) -> str:
    from editor.media.render_output import output_format

    try:
        return output_format(out).muxer
    except Exception:  # noqa: BLE001 - an unknown extension was refused earlier
        return ""


def add_streams_and_chapters(src: str | os.PathLike[str], out: Path, pieces: list[tuple[Fraction, Fraction, Fraction]],
                             choice: StreamChoice, chapters: list[Chapter]) -> list[str]:
    """Remux ``out`` (a rendered cut of ``src``) with the chosen extra streams cut to ``pieces`` (source
    [actual_in, actual_out) placed at output time ``output_start``) and ``chapters``; tags every audio and
    subtitle stream with its source language and title. Returns notes. Does nothing when there is nothing
    to add. Worker thread."""
    muxer = _muxer(out)
    chapters = chapters if muxer in CHAPTER_CONTAINERS else []
    if not choice.extra_audio and not choice.subtitles and not chapters and not (
            choice.first_audio and choice.first_audio_tags):  # the renderers write the rest themselves
        return []
    tmp = temporary_output_path(out)
    notes: list[str] = []
    try:
        with open_input(src) as s, av.open(str(out)) as rendered:
            origin = time_origin(s)
            out_origin = time_origin(rendered)
            s_audio = [x for x in s.streams if x.type == "audio"]
            s_subs = [x for x in s.streams if x.type == "subtitle"]
            extra_src = [s_audio[i] for i in choice.extra_audio] + [s_subs[i] for i in choice.subtitles]
            tag_first = bool(choice.first_audio and s_audio and rendered.streams.audio
                             and _tags(s_audio[0]) != _tags(rendered.streams.audio[0]))
            if not extra_src and not chapters and not tag_first:
                return []
            queued = _cut_packets(s, extra_src, origin, pieces)
            with av.open(str(tmp), "w", format=muxer) as dst:
                mapping = {}
                for st in rendered.streams:
                    o = dst.add_stream_from_template(st)
                    if st.type == "audio" and choice.first_audio and s_audio:
                        _tag(o, s_audio[0])
                    mapping[st.index] = o
                extra_out = {}
                for st in extra_src:
                    o = dst.add_stream_from_template(st)
                    _tag(o, st)
                    extra_out[st.index] = o
                if chapters:
                    dst.set_chapters(to_av(chapters))
                base = out_origin.seconds
                pending = sorted(queued, key=lambda q: q[0])
                k = 0
                pts_only = "matroska" in rendered.format.name  # its dts are made up, not always increasing
                for packet in _with_dts(rendered.demux(), pts_only=pts_only):
                    t = (packet.dts if packet.dts is not None else packet.pts) * packet.time_base - base
                    while k < len(pending) and pending[k][0] <= t:
                        _mux_extra(dst, extra_out, pending[k], base)
                        k += 1
                    packet.stream = mapping[packet.stream.index]
                    dst.mux(packet)
                for q in pending[k:]:
                    _mux_extra(dst, extra_out, q, base)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return notes


def _with_dts(packets: Any, window: int = 16, pts_only: bool = False) -> Any:
    """Packets with a decode timestamp: Matroska stores presentation times only, so a B-frame packet comes
    back without one (and a muxer that makes one up goes backwards); give it the smallest pts of the next
    ``window`` packets of its stream (never below the one before), which is <= its pts and increasing."""
    from collections import deque

    bufs: dict[int, Any] = {}
    last: dict[int, int] = {}

    def release(buf: Any, idx: int) -> Any:
        p = buf.popleft()
        if p.dts is None:
            dts = min([p.pts, *(q.pts for q in buf)])
            p.dts = min(p.pts, max(dts, last.get(idx, dts)))
        last[idx] = p.dts
        return p

    for packet in packets:
        if packet.size == 0 or packet.pts is None:
            continue
        idx = packet.stream.index
        if pts_only and packet.stream.type == "video":
            packet.dts = None
        buf = bufs.setdefault(idx, deque())
        buf.append(packet)
        if len(buf) > window:
            yield release(buf, idx)
    for idx, buf in bufs.items():
        while buf:
            yield release(buf, idx)


def _tags(st: Any) -> dict[str, str]:
    """The language and title a stream carries ("und", undetermined, is no language: every MP4 says it)."""
    return {k: v for k in ("language", "title") if (v := st.metadata.get(k)) and not (k == "language" and v == "und")}


def _tag(o: Any, st: Any) -> None:
    for key in ("language", "title"):
        if key in st.metadata:
            o.metadata[key] = st.metadata[key]


def _cut_packets(s: Any, streams: list[Any], origin: Any, pieces: list[tuple[Fraction, Fraction, Fraction]]
                 ) -> list[tuple[Fraction, int, bytes, Fraction, Fraction | None, bool]]:
    """(output time, source stream index, data, time base, duration, key) of every packet of ``streams``
    inside a piece, moved to where the piece lands in the output."""
    if not streams:
        return []
    wanted = {st.index: st for st in streams}
    out: list[tuple[Fraction, int, bytes, Fraction, Fraction | None, bool]] = []
    s.seek(0)
    for packet in s.demux(list(wanted.values())):
        if packet.size == 0 or packet.pts is None:
            continue
        st = wanted[packet.stream.index]
        tb = Fraction(packet.time_base)
        t = origin.time_of(packet.pts, tb)
        dur = packet.duration * tb if packet.duration else None
        for a, b, at in pieces:
            if st.type == "subtitle":
                end = t + (dur or Fraction(0))
                if end <= a or t >= b:
                    continue
                start = max(t, a)
                new_dur = min(end, b) - start if dur else None
                out.append((start - a + at, st.index, bytes(packet), tb, new_dur, True))
            elif a <= t < b:
                out.append((t - a + at, st.index, bytes(packet), tb, dur, bool(packet.is_keyframe)))
    return out


def _mux_extra(dst: Any, extra_out: dict[int, Any], q: tuple[Fraction, int, bytes, Fraction, Fraction | None, bool],
               base: Fraction) -> None:
    t, index, data, tb, dur, key = q
    p = av.Packet(data)
    p.pts = p.dts = int(round((t + base) / tb))
    p.time_base = tb
    if dur is not None:
        p.duration = int(round(dur / tb))
    p.is_keyframe = key
    p.stream = extra_out[index]
    dst.mux(p)
