"""The timeline as immutable plain data: Timeline -> Track -> Clip | Gap | SubtitleCue, plus markers.

Positions are implied by order, as in OpenTimelineIO: an item starts where the one before it ends, so a track
can never hold overlapping items. Tracks are kept canonical (no zero gaps, adjacent gaps merged, no gap at the
end) so two timelines that show the same thing compare equal. Everything here is pure; any thread.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal, TypeAlias

from .errors import EditError
from .picture import DEFAULT_LOOK, Look, Title, check_look

__all__ = [
    "TrackKind",
    "TRACK_KINDS",
    "MARKER_COLORS",
    "Segment",
    "MediaRef",
    "Clip",
    "Gap",
    "SubtitleCue",
    "Title",
    "Look",
    "Item",
    "Track",
    "Marker",
    "Timeline",
    "source_factor",
    "source_frames",
    "check_clip",
    "validate",
]

TrackKind: TypeAlias = Literal["video", "audio", "subtitle"]
TRACK_KINDS: tuple[str, ...] = ("video", "audio", "subtitle")
#: The colours OpenTimelineIO markers know, lower case.
MARKER_COLORS: tuple[str, ...] = (
    "red",
    "pink",
    "orange",
    "yellow",
    "green",
    "cyan",
    "blue",
    "purple",
    "magenta",
    "black",
    "white",
)


@dataclass(frozen=True, slots=True)
class MediaRef:
    """A source file: identity (fingerprint), where it is, and its length in frames at its own rate."""

    fingerprint: str
    path: str
    duration: int
    rate: Fraction
    has_video: bool = True
    has_audio: bool = True
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True, slots=True)
class Clip:
    """A piece of a media item on a track.

    ``source_in`` is the first source frame (at ``media.rate``); ``duration`` is the length on the timeline
    (at the timeline rate); ``speed`` scales how fast the source is consumed (2 = twice as fast). The source
    frames used are ``[source_in, source_in + source_frames(clip, rate))``. ``id`` is unique in a timeline.

    Sound (all optional, absent in older documents): ``gain_db`` (clip volume), ``muted``, ``fade_in`` /
    ``fade_out`` (timeline frames of linear audio fade at the head / tail), ``crossfade`` (frames this clip's
    sound goes on under the next clip, fading out, while that one fades in: it uses source after the clip's
    end). ``reverse`` plays the source range backwards.
    """

    id: int
    media: MediaRef
    source_in: int
    duration: int
    speed: Fraction = Fraction(1)
    name: str = ""
    look: Look = DEFAULT_LOOK  # how a video clip is drawn (editor.model.picture); ignored on audio tracks
    gain_db: float = 0.0
    muted: bool = False
    fade_in: int = 0
    fade_out: int = 0
    crossfade: int = 0
    reverse: bool = False
    _json: str | None = field(default=None, init=False, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Gap:
    """Empty time on a track."""

    duration: int


@dataclass(frozen=True, slots=True)
class SubtitleCue:
    """A subtitle shown for ``duration`` frames; lives on a subtitle track.

    ``times_ms`` are the start and end the cue was imported with (an SRT file's milliseconds), kept while its
    length is unchanged, so an export gives them back exactly instead of the frame boundaries (a moved cue
    keeps its offset from the frame grid); None for a cue made or re-timed in the editor.
    """

    id: int
    duration: int
    text: str
    times_ms: tuple[int, int] | None = None
    _json: str | None = field(default=None, init=False, repr=False, compare=False)


Item: TypeAlias = Clip | Gap | SubtitleCue | Title


@dataclass(frozen=True, slots=True)
class Track:
    """A sequence of items; ``starts()[i]`` is where item ``i`` starts, ``starts()[-1]`` the track end.

    Track state (optional, absent in older documents): ``muted`` / ``solo`` (sound in playback and export:
    when any track is solo, only solo tracks sound), ``locked`` (the editor refuses edits of its items),
    ``hidden`` (left out of preview and export), ``gain_db`` (track volume).
    """

    kind: str
    name: str
    items: tuple[Item, ...] = ()
    muted: bool = False
    solo: bool = False
    locked: bool = False
    hidden: bool = False
    gain_db: float = 0.0
    _starts: tuple[int, ...] | None = field(default=None, init=False, repr=False, compare=False)
    _json: str | None = field(default=None, init=False, repr=False, compare=False)

    def starts(self) -> tuple[int, ...]:
        """Start frame of every item, then the end of the track (len(items) + 1 values). Cached."""
        s = self._starts
        if s is None:
            s = (0, *itertools.accumulate([it.duration for it in self.items]))
            object.__setattr__(self, "_starts", s)
        return s

    @property
    def end(self) -> int:
        """The frame after the last item (0 for an empty track)."""
        return self.starts()[-1]

    def index_at(self, frame: int) -> int | None:
        """Index of the item covering ``frame`` (start <= frame < end), or None past the end / before 0."""
        s = self.starts()
        if frame < 0 or frame >= s[-1]:
            return None
        return bisect.bisect_right(s, frame) - 1

    def index_of(self, item_id: int) -> int | None:
        """Index of the clip or cue with this id, or None."""
        for i, it in enumerate(self.items):
            if type(it) is not Gap and it.id == item_id:  # type: ignore[union-attr]
                return i
        return None


@dataclass(frozen=True, slots=True)
class Marker:
    """A labelled, coloured point on the timeline."""

    id: int
    frame: int
    label: str = ""
    color: str = "red"


@dataclass(frozen=True, slots=True)
class Segment:
    """A range to keep, [start, end) in timeline frames, as LosslessCut's segments: named, coloured, enabled
    or not. A timeline's segments are in export order (the user reorders them)."""

    id: int
    start: int
    end: int
    name: str = ""
    color: str = "blue"
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class Timeline:
    """A whole edit. ``media`` is the project's bin: every clip's media is in it (by fingerprint).

    ``markers`` are sorted by (frame, id). ``in_point``/``out_point`` mark a range (in < out when both set).
    ``next_id`` is the id the next new clip, cue or marker gets, so replaying an edit is deterministic.
    """

    rate: Fraction
    tracks: tuple[Track, ...] = ()
    markers: tuple[Marker, ...] = ()
    in_point: int | None = None
    out_point: int | None = None
    media: tuple[MediaRef, ...] = ()
    name: str = ""
    next_id: int = 1
    segments: tuple[Segment, ...] = ()  # optional: absent in older documents

    def media_by_fingerprint(self, fingerprint: str) -> MediaRef | None:
        """The bin entry with this fingerprint, or None."""
        for m in self.media:
            if m.fingerprint == fingerprint:
                return m
        return None


_FACTORS: dict[tuple[int, int, int, int, int, int], tuple[int, int]] = {}


def source_factor(media_rate: Fraction, speed: Fraction, rate: Fraction) -> tuple[int, int]:
    """(num, den) of source frames consumed per timeline frame. Pure; any thread."""
    # Keyed by ints: hashing a Fraction is slow, and this runs for every clip a load or an edit checks.
    key = (
        media_rate.numerator,
        media_rate.denominator,
        speed.numerator,
        speed.denominator,
        rate.numerator,
        rate.denominator,
    )
    f = _FACTORS.get(key)
    if f is None:
        q = media_rate * speed / rate
        f = (q.numerator, q.denominator)
        if len(_FACTORS) < 4096:
            _FACTORS[key] = f
    return f


def source_frames(clip: Clip, rate: Fraction) -> int:
    """How many source frames ``clip`` uses (rounded up) on a timeline at ``rate``. Pure; any thread."""
    n, d = source_factor(clip.media.rate, clip.speed, rate)
    return -(-clip.duration * n // d)


def check_clip(clip: Clip, rate: Fraction, where: str = "clip") -> None:
    """Raise EditError unless ``clip`` has a positive duration and a source range inside its media.
    Pure; any thread."""
    if clip.duration <= 0:
        raise EditError(f"{where}: duration must be positive, got {clip.duration}")
    if clip.speed <= 0:
        raise EditError(f"{where}: speed must be positive, got {clip.speed}")
    if clip.source_in < 0:
        raise EditError(f"{where}: source_in must be >= 0, got {clip.source_in}")
    if not 0 <= clip.fade_in <= clip.duration or not 0 <= clip.fade_out <= clip.duration:
        raise EditError(f"{where}: fades must be 0..{clip.duration} frames, got {clip.fade_in}/{clip.fade_out}")
    if clip.crossfade < 0:
        raise EditError(f"{where}: crossfade must be >= 0, got {clip.crossfade}")
    end = clip.source_in + source_frames(clip, rate)
    if end > clip.media.duration:
        raise EditError(
            f"{where}: source range {clip.source_in}..{end} is outside the media "
            f"{clip.media.path!r} ({clip.media.duration} frames)"
        )


def validate(timeline: Timeline) -> None:
    """Check every invariant of a whole timeline (O(n)); raise EditError naming the first broken one.

    Used after loading and by tests; edits check only what they touch. Pure; any thread.
    """
    if timeline.rate <= 0:
        raise EditError(f"rate must be positive, got {timeline.rate}")
    bin_ = {m.fingerprint: m for m in timeline.media}
    seen: set[int] = set()
    for ti, track in enumerate(timeline.tracks):
        if track.kind not in TRACK_KINDS:
            raise EditError(f"tracks[{ti}].kind: unknown track kind {track.kind!r}")
        n = len(track.items)
        for i, it in enumerate(track.items):
            where = f"tracks[{ti}].items[{i}]"
            if it.duration <= 0:
                raise EditError(f"{where}: duration must be positive, got {it.duration}")
            if type(it) is Gap:
                if i == n - 1:
                    raise EditError(f"{where}: a track must not end with a gap")
                if i > 0 and type(track.items[i - 1]) is Gap:
                    raise EditError(f"{where}: two gaps in a row")
                continue
            if it.id in seen or it.id >= timeline.next_id or it.id <= 0:  # type: ignore[union-attr]
                raise EditError(f"{where}: id {it.id} is duplicated or not below next_id")  # type: ignore[union-attr]
            seen.add(it.id)  # type: ignore[union-attr]
            if type(it) is Clip:
                if track.kind == "subtitle":
                    raise EditError(f"{where}: a clip on a subtitle track")
                if bin_.get(it.media.fingerprint) != it.media:
                    raise EditError(f"{where}: media {it.media.fingerprint!r} is not in the project's media")
                check_clip(it, timeline.rate, where)
                if it.look is not DEFAULT_LOOK:
                    check_look(it.look, it.duration, where)
            elif type(it) is Title:
                if track.kind != "video":
                    raise EditError(f"{where}: a title on a {track.kind} track")
                check_look(it.look, it.duration, where)
            elif track.kind != "subtitle":
                raise EditError(f"{where}: a subtitle cue on a {track.kind} track")
            elif it.times_ms is not None and not 0 <= it.times_ms[0] <= it.times_ms[1]:  # type: ignore[union-attr]
                raise EditError(f"{where}: cue times {it.times_ms} must be 0 <= start <= end (ms)")  # type: ignore[union-attr]
    for m in timeline.markers:
        if m.id in seen or m.id >= timeline.next_id or m.id <= 0:
            raise EditError(f"marker {m.id}: id is duplicated or not below next_id")
        seen.add(m.id)
        if m.frame < 0:
            raise EditError(f"marker {m.id}: frame must be >= 0, got {m.frame}")
        if m.color not in MARKER_COLORS:
            raise EditError(f"marker {m.id}: unknown colour {m.color!r}")
    if list(timeline.markers) != sorted(timeline.markers, key=lambda m: (m.frame, m.id)):
        raise EditError("markers are not sorted by frame")
    ip, op = timeline.in_point, timeline.out_point
    if (ip is not None and ip < 0) or (op is not None and op < 0):
        raise EditError("in/out points must be >= 0")
    if ip is not None and op is not None and ip >= op:
        raise EditError(f"in point {ip} must be before out point {op}")
