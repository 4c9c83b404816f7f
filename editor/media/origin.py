"""One time origin per file, and the table of the frames that are really in it.

Every part of Cutline that turns a frame index or a time into a timestamp of a file (probe, frame reader,
thumbnails, waveforms, proxies, render, copy and smart cut) goes through this module, so that "frame k" and
"t seconds" mean the same thing everywhere.

Definitions
-----------
- The **origin** of a file is the presentation timestamp of its first *decodable* video frame in
  presentation order. It absorbs what containers add: MPEG-TS start offsets (~1.4 s), MP4/MOV edit lists
  (packets the demuxer flags as discarded are not frames; an empty edit delays the start), B-frame delay,
  and the leading frames of an open GOP at the start of a file (B-frames shown before the first keyframe but
  decoded after it, which reference a GOP that is not in the file: the decoder drops them, and they are not
  frames of the file). Packets before the first keyframe (a recording that starts mid-GOP) are not frames.
  Audio-only files: the first audio timestamp.
- **Frame k** is the k-th decodable frame in presentation order; its time is ``(pts_k - origin) * tb``.
- **Audio** is measured from the same origin: the sample at media time ``t`` is the one presented at
  container time ``origin.seconds + t`` (``TimeOrigin.sample_offset`` does the arithmetic, to the sample).

How to use it
-------------
::

    with av.open(path) as container:
        origin = time_origin(container)          # cheap: reads the packets of the first GOP
        t = origin.time_of(packet.pts, stream.time_base)        # media seconds of any stream's timestamp
        pts = origin.pts_at(Fraction(12), audio_stream.time_base)  # container timestamp of media time 12 s
        n = origin.sample_offset(aframe.pts, aframe.time_base, aframe.sample_rate, Fraction(12))
        # -> samples to drop from the start of ``aframe`` so that the sound starts at media time 12 s

    with av.open(path) as container:
        index = scan_video(container)            # one demux pass (no decoding, except open-GOP starts)
        index.origin                             # the same TimeOrigin as time_origin() returns
        index.pts_of(k), index.time_of(k), index.index_at(t), len(index)
        key = index.keyframe_before(k)           # where decoding of frame k must start
        for packet in packets_from(container, index.stream, key):   # exact even where seeking is not (TS)
            for frame in index.stream.decode(packet):
                k2 = index.frame_at_pts(frame.pts)   # None for frames that are not frames of the file
                ...

Worker thread; never touches Qt. Nothing here keeps state between calls.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, NamedTuple

import av

#: Packets read after the first keyframe to find the origin (one GOP is enough; B-frame delay is < 16).
_HEAD_PACKETS = 96


@dataclass(frozen=True)
class TimeOrigin:
    """Frame 0 of a file: its presentation timestamp in the time base of the stream it was found on.

    ``leading_dropped`` counts the open-GOP leading frames at the start that are not frames of the file.
    Any thread.
    """

    pts: int
    time_base: Fraction
    leading_dropped: int = 0

    @property
    def seconds(self) -> Fraction:
        """Container time of frame 0, in seconds. Any thread."""
        return self.pts * self.time_base

    def time_of(self, pts: int, time_base: Fraction | None = None) -> Fraction:
        """Media time (seconds from frame 0) of timestamp ``pts`` in ``time_base`` (default: the video's).
        Any thread."""
        return pts * Fraction(time_base or self.time_base) - self.seconds

    def pts_at(self, seconds: Fraction, time_base: Fraction | None = None) -> int:
        """The container timestamp, in ``time_base`` (default: the video's), of media time ``seconds``,
        rounded to the nearest tick. Any thread."""
        tb = Fraction(time_base or self.time_base)
        return round((self.seconds + Fraction(seconds)) / tb)

    def sample_offset(self, frame_pts: int, frame_time_base: Fraction, sample_rate: int,
                      seconds: Fraction) -> int:
        """Samples between the start of an audio frame (timestamp ``frame_pts``) and media time ``seconds``:
        negative when ``seconds`` is before the frame. To cut sound at a video frame, drop this many samples
        from the start of the frame that holds it. Any thread."""
        at = self.seconds + Fraction(seconds) - frame_pts * Fraction(frame_time_base)
        return int(round(at * sample_rate))


class PacketInfo(NamedTuple):
    """What one demuxed video packet says about its frame (no decoding)."""

    pts: int
    dts: int | None
    key: bool
    discard: bool
    duration: int


class SeekPoint(NamedTuple):
    """A keyframe packet decoding can start from: its timestamps and its rank in decode order."""

    pts: int
    dts: int | None
    order: int


def video_stream(container: av.container.InputContainer) -> Any:
    """The file's video stream (the first that is not cover art), or None. Any thread."""
    return next((s for s in container.streams.video
                 if not (s.disposition & av.stream.Disposition.attached_pic)), None)


def _info(packet: av.Packet) -> PacketInfo | None:
    t = packet.pts if packet.pts is not None else packet.dts
    if t is None or packet.size == 0:
        return None
    return PacketInfo(t, packet.dts, bool(packet.is_keyframe), bool(packet.is_discard), packet.duration or 0)


def _rewind(container: av.container.InputContainer, stream: Any) -> None:
    try:
        container.seek(min(0, stream.start_time or 0), stream=stream, backward=True)
    except av.error.FFmpegError:
        pass


def _leading_decodable(container: av.container.InputContainer, stream: Any, first_key: int,
                       key_pts: int) -> list[int]:
    """Decode from the start up to the first keyframe's own picture: the timestamps of the frames before
    it (in presentation order) that the decoder could really produce (empty for an open GOP)."""
    out: list[int] = []
    _rewind(container, stream)
    cc = stream.codec_context
    n = -1
    try:
        for packet in container.demux(stream):
            if packet.size == 0:
                frames = stream.decode(None)
            else:
                n += 1
                if n < first_key:
                    continue
                frames = stream.decode(packet)
            done = False
            for frame in frames:
                if frame.pts is None:
                    continue
                if frame.pts >= key_pts:
                    done = True
                elif not frame.is_corrupt:
                    out.append(frame.pts)
            if done or packet.size == 0 or n > first_key + _HEAD_PACKETS:
                break
    except av.error.FFmpegError:
        pass
    finally:
        cc.flush_buffers()
        _rewind(container, stream)
    return out


def _origin_from(packets: Sequence[PacketInfo], container: av.container.InputContainer,
                 stream: Any) -> tuple[TimeOrigin, int]:
    """The origin and the decode-order rank of the first keyframe, from the packets of the file's head."""
    tb = Fraction(stream.time_base or Fraction(1, 90000))
    first_key = next((i for i, p in enumerate(packets) if p.key), 0)
    key_pts = packets[first_key].pts if packets else 0
    after = [p for p in packets[first_key:] if not p.discard]
    if not after:
        return TimeOrigin(key_pts, tb), first_key
    leading = [p for p in packets[first_key + 1:] if not p.discard and p.pts < key_pts]
    if not leading or packets[first_key].discard:
        return TimeOrigin(min(p.pts for p in after), tb), first_key
    # Frames shown before the first keyframe but decoded after it: only the decoder knows which exist
    # (open GOP: none; HEVC RADL pictures: all).
    decodable = set(_leading_decodable(container, stream, first_key, key_pts))
    kept = [p.pts for p in after if p.pts >= key_pts or p.pts in decodable]
    dropped = len(leading) - len([p for p in leading if p.pts in decodable])
    return TimeOrigin(min(kept) if kept else key_pts, tb, dropped), first_key


def time_origin(container: av.container.InputContainer, stream: Any = None) -> TimeOrigin:
    """The time origin of the file open in ``container``: the presentation timestamp of its first decodable
    video frame (``stream``: that video stream; default, the file's video), or for a file without video the
    first timestamp of its first audio stream.

    Reads the packets of the first GOP (decoding a few frames only when the file starts with frames shown
    before its first keyframe), then leaves the container positioned at its start. Worker thread.
    """
    if stream is None or stream.type != "video":
        stream = video_stream(container)
    if stream is None:
        audio = container.streams.audio[0] if container.streams.audio else None
        if audio is None:
            return TimeOrigin(0, Fraction(1, 1000))
        return TimeOrigin(audio.start_time or 0, Fraction(audio.time_base or Fraction(1, 1000)))
    _rewind(container, stream)
    head: list[PacketInfo] = []
    seen_key = -1
    try:
        for packet in container.demux(stream):
            info = _info(packet)
            if info is None:
                continue
            head.append(info)
            if info.key and seen_key < 0:
                seen_key = len(head) - 1
            if seen_key >= 0 and len(head) - seen_key > _HEAD_PACKETS:
                break
    except av.error.FFmpegError:
        pass
    _rewind(container, stream)
    return _origin_from(head, container, stream)[0]


class FrameIndex:
    """The frames of one video stream: presentation timestamps in order (frame k = ``pts_of(k)``), the
    keyframes decoding can start from, and the origin. Built by :func:`scan_video`. Any thread (read-only).
    """

    def __init__(self, stream: Any, packets: Sequence[PacketInfo], origin: TimeOrigin, first_key: int,
                 default_duration: int, window: tuple[int, int | None] | None = None) -> None:
        self.stream = stream
        #: None for the whole file; else (lo, hi) pts: the frames shown from ``lo`` up to before ``hi`` (None:
        #: the end of the file) are all here (see :func:`scan_window`); frame numbers count from the window.
        self.window = window
        self.origin = origin
        self.time_base = origin.time_base
        frames = [(p.pts, p.duration) for p in packets[first_key:] if not p.discard and p.pts >= origin.pts]
        frames.sort()
        self.pts = [p for p, _ in frames]
        self._index_of = {p: i for i, p in enumerate(self.pts)}
        self.keyframes = sorted((SeekPoint(p.pts, p.dts, i) for i, p in enumerate(packets) if p.key),
                                key=lambda k: k.pts)
        if not self.keyframes and packets:
            p = packets[0]
            self.keyframes = [SeekPoint(p.pts, p.dts, 0)]
        self._key_pts = [k.pts for k in self.keyframes]
        #: decode-order rank of every packet, by pts (to know where a seek landed)
        self.order = {p.pts: i for i, p in enumerate(packets)}
        last = frames[-1][1] if frames and frames[-1][1] > 0 else default_duration
        self.end_pts = (self.pts[-1] + last) if self.pts else origin.pts

    def __len__(self) -> int:
        return len(self.pts)

    @property
    def duration(self) -> Fraction:
        """Seconds from frame 0 to the end of the last frame. Any thread."""
        return (self.end_pts - self.origin.pts) * self.time_base

    def pts_of(self, index: int) -> int:
        """Timestamp (video time base) of frame ``index``. Any thread."""
        return self.pts[index]

    def time_of(self, index: int) -> Fraction:
        """Media time of frame ``index`` (seconds from frame 0). Any thread."""
        return (self.pts[index] - self.origin.pts) * self.time_base

    def duration_of(self, index: int) -> Fraction:
        """How long frame ``index`` is shown. Any thread."""
        nxt = self.pts[index + 1] if index + 1 < len(self.pts) else self.end_pts
        return (nxt - self.pts[index]) * self.time_base

    def index_at(self, seconds: Fraction) -> int:
        """Index of the frame shown at media time ``seconds`` (-1 before frame 0). Any thread."""
        target = self.origin.pts + Fraction(seconds) / self.time_base
        return bisect.bisect_right(self.pts, target) - 1

    def frame_at_pts(self, pts: int | None) -> int | None:
        """Index of the frame with timestamp ``pts``; None when that is no frame of the file (a discarded
        pre-roll frame, an undecodable leading frame). A timestamp between frames maps to the frame shown
        then. Any thread."""
        if pts is None or pts < self.origin.pts:
            return None
        i = self._index_of.get(pts)
        if i is None:
            i = bisect.bisect_right(self.pts, pts) - 1
            if i < 0 or pts >= self.end_pts:
                return None
        return i

    def keyframe_before(self, index: int) -> SeekPoint:
        """The keyframe decoding must start from to produce frame ``index``. Any thread."""
        i = bisect.bisect_right(self._key_pts, self.pts[index]) - 1
        return self.keyframes[max(i, 0)]

    def keyframe_indices(self) -> list[int]:
        """Frame indices of the keyframes that are frames of the file. Any thread."""
        return [self._index_of[k.pts] for k in self.keyframes if k.pts in self._index_of]

    def keyframe_times(self) -> list[Fraction]:
        """Media times of the keyframes that are frames of the file. Any thread."""
        return [self.time_of(i) for i in self.keyframe_indices()]


def _frame_ticks(stream: Any, tb: Fraction) -> int:
    """How long one frame is, in ticks of ``tb``, at the stream's nominal rate (the last frame's length when
    the file does not say it)."""
    rate = stream.average_rate or stream.guessed_rate or Fraction(25)
    return max(1, int(round(1 / (Fraction(rate) * tb))))


def scan_video(container: av.container.InputContainer, stream: Any = None) -> FrameIndex:
    """Index the video of ``container`` in one demux pass (no decoding, except a few frames when the file
    starts with frames shown before its first keyframe); leaves the container at its start.

    A truncated or damaged tail ends the index where the damage begins. Raises ValueError without video.
    Worker thread.
    """
    s = stream if stream is not None else video_stream(container)
    if s is None:
        raise ValueError("no video stream")
    packets: list[PacketInfo] = []
    others = [(o, o.discard) for o in container.streams if o.index != s.index]
    for o, _ in others:  # the demuxer skips their packets instead of reading them (a fifth of the pass)
        o.discard = av.stream.Discard.all
    _rewind(container, s)
    try:
        for packet in container.demux(s):
            info = _info(packet)
            if info is not None:
                packets.append(info)
    except av.error.FFmpegError:
        pass  # a truncated tail: keep the frames we could index
    finally:
        for o, was in others:
            o.discard = was
    _rewind(container, s)
    tb = Fraction(s.time_base or Fraction(1, 90000))
    head_end = next((i for i, p in enumerate(packets) if p.key), 0) + _HEAD_PACKETS + 1
    origin, first_key = _origin_from(packets[:head_end], container, s)
    return FrameIndex(s, packets, origin, first_key, _frame_ticks(s, tb))


#: Packets read past the keyframe that ends a window: the leading pictures of an open GOP come after their
#: keyframe in decode order though they are shown before it.
_TAIL_PACKETS = 32


class WindowTooNarrow(Exception):
    """A question about a window index (:func:`scan_window`) that only the whole file's index can answer."""


def covers(ix: FrameIndex, start: Fraction, end: Fraction | None) -> bool:
    """Whether ``ix`` holds every frame shown from media time ``start`` to before ``end`` (None: the end of
    the file). Any thread."""
    if ix.window is None:
        return True
    lo, hi = ix.window
    return ix.origin.pts_at(start) >= lo and (hi is None or (end is not None and ix.origin.pts_at(end) <= hi))


def scan_window(container: av.container.InputContainer, stream: Any, start: Fraction, end: Fraction | None,
                origin: TimeOrigin | None = None) -> FrameIndex | None:
    """Index only the frames around media times [``start``, ``end``) (None: to the end of the file): from the
    keyframe at or before ``start`` to the first keyframe after ``end`` and the leading pictures it may have.
    A cut of a few seconds of a two-hour file reads those seconds, not the file. The frames' timestamps,
    keyframes and decode order are those :func:`scan_video` finds; frame numbers count from the window.

    None when no seek lands on a keyframe at or before ``start`` (then scan the whole file). Leaves the
    container at its start. Worker thread.
    """
    s = stream if stream is not None else video_stream(container)
    if s is None:
        raise ValueError("no video stream")
    origin = origin if origin is not None else time_origin(container, s)
    tb = origin.time_base
    want = max(origin.pts, origin.pts_at(start))
    stop = origin.pts_at(end) if end is not None else None
    step = max(1, int(round(1 / tb)))
    others = [(o, o.discard) for o in container.streams if o.index != s.index]
    for o, _ in others:
        o.discard = av.stream.Discard.all
    try:
        for back in (1, 4, 16, 64):
            try:
                container.seek(want - back * step, stream=s, backward=True)
            except av.error.FFmpegError:
                return None
            packets: list[PacketInfo] = []
            k0: int | None = None
            closing: int | None = None  # where the keyframe after ``end`` is in ``packets``
            at_end = True
            try:
                for packet in container.demux(s):
                    info = _info(packet)
                    if info is None:
                        continue
                    if k0 is None and not info.key:
                        packets.append(info)  # a seek into the middle of a GOP (MPEG-TS)
                        continue
                    if k0 is None:
                        k0 = len(packets)
                        if info.pts > want:
                            break  # landed past ``start``: seek earlier
                    packets.append(info)
                    if stop is not None and closing is None and info.key and info.pts > stop:
                        closing = len(packets) - 1
                    if closing is not None and len(packets) - closing > _TAIL_PACKETS:
                        at_end = False
                        break
            except av.error.FFmpegError:
                if k0 is None:
                    return None  # damage where the window should be: the whole-file scan says how much
            if k0 is None or packets[k0].pts > want:
                if want - back * step <= min(0, s.start_time or 0):
                    return None  # already at the start of the file
                continue
            hi = packets[closing].pts if not at_end and closing is not None else None
            return FrameIndex(s, packets, origin, k0, _frame_ticks(s, tb), (packets[k0].pts, hi))
        return None
    finally:
        for o, was in others:
            o.discard = was
        _rewind(container, s)


def packets_from(container: av.container.InputContainer, stream: Any, key: SeekPoint,
                 order: dict[int, int] | None = None) -> Iterator[av.Packet]:
    """Seek to the keyframe ``key`` and yield the stream's packets from that keyframe on (the keyframe first).

    Exact where the container's seek is not (MPEG-TS seeks by timestamp to any packet): when a seek lands
    past the keyframe it seeks again earlier, and packets before the keyframe are skipped without decoding.
    ``order`` (``FrameIndex.order``) tells where a seek landed; without it a landing is judged by dts.
    Worker thread.
    """
    tb = Fraction(stream.time_base or Fraction(1, 90000))
    target = min(key.pts, key.dts) if key.dts is not None else key.pts
    step = max(1, int(round(1 / tb)))
    for back in (0, 1, 4, 16, 64, None):
        ts = target - back * step if back is not None else min(0, stream.start_time or 0) - 3600 * step
        container.seek(ts, stream=stream, backward=True)
        demux = container.demux(stream)
        overshot = False
        for packet in demux:
            if packet.size == 0:
                break
            pts = packet.pts if packet.pts is not None else packet.dts
            if pts == key.pts and packet.is_keyframe:
                yield packet
                yield from demux
                return
            rank = order.get(pts) if order is not None and pts is not None else None
            if rank is not None:
                if rank > key.order:
                    overshot = True
                    break
            elif packet.dts is not None and key.dts is not None and packet.dts > key.dts:
                overshot = True
                break
        if not overshot:
            return  # the keyframe is not in the file any more (truncated?): nothing to decode
