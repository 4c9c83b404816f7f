"""What the picture at one timeline frame is made of: the layers of every video track, bottom first.

``layers_at(timeline, frame)`` is the one answer both the window's preview and the export use (the
compositor in ``editor.media.compose`` turns it into pixels), so the two cannot disagree. Each video
track gives the item under the frame as a layer with an ``alpha`` (its opacity times its fades, and the
dissolve weight inside a dissolve, where the track gives two layers: the outgoing item continued past its
end, the incoming one started before its start). Tracks with a higher index are on top. An opaque clip
with the default look covers the canvas (letterboxed on black, as a plain cut shows it), so the tracks
below it are not layers. Pure; any thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .picture import DEFAULT_LOOK, Look, Title
from .timeline import Clip, Gap, SubtitleCue, Timeline, source_factor

__all__ = ["VideoLayer", "TitleLayer", "SubtitleLayer", "cue_text_at", "Layer", "layers_at", "is_plain",
           "has_picture_effects", "canvas_size"]

DEFAULT_CANVAS = (1920, 1080)


@dataclass(frozen=True, slots=True)
class VideoLayer:
    """A clip's picture: its source time (seconds from the media's frame 0) and its alpha 0..1."""

    clip: Clip
    seconds: Fraction
    alpha: Fraction

    @property
    def look(self) -> Look:
        return self.clip.look


@dataclass(frozen=True, slots=True)
class TitleLayer:
    """A title's text drawn with its look and an alpha 0..1."""

    title: Title
    alpha: Fraction

    @property
    def look(self) -> Look:
        return self.title.look


@dataclass(frozen=True, slots=True)
class SubtitleLayer:
    """A subtitle cue's text, burnt in at the bottom of the picture (over every video track)."""

    text: str
    alpha: Fraction = Fraction(1)

    @property
    def look(self) -> Look:
        return DEFAULT_LOOK


Layer = VideoLayer | TitleLayer | SubtitleLayer


def cue_text_at(timeline: Timeline, frame: int) -> str:
    """The text of the subtitle cues under ``frame`` (every subtitle track, top first), "" for none.
    Pure; any thread."""
    texts = []
    for track in reversed(timeline.tracks):
        if track.kind != "subtitle":
            continue
        i = track.index_at(frame)
        if i is not None and type(track.items[i]) is SubtitleCue and track.items[i].text.strip():  # type: ignore[union-attr]
            texts.append(track.items[i].text.strip())  # type: ignore[union-attr]
    return "\n".join(texts)


def _fade(look: Look, offset: int, duration: int) -> Fraction:
    k = max(0, min(offset, duration - 1))
    f = Fraction(1)
    if look.fade_in and k < look.fade_in:
        f = Fraction(k, look.fade_in)
    if look.fade_out and k >= duration - look.fade_out:
        f = min(f, Fraction(duration - 1 - k, look.fade_out))
    return f


def _layer(timeline: Timeline, item: Clip | Title, offset: int, weight: Fraction) -> Layer | None:
    alpha = item.look.opacity * _fade(item.look, offset, item.duration) * weight
    if alpha <= 0:
        return None
    if type(item) is Title:
        return TitleLayer(item, alpha)
    assert type(item) is Clip
    n, d = source_factor(item.media.rate, item.speed, timeline.rate)
    src = item.source_in + Fraction(offset * n, d)
    src = max(Fraction(0), min(src, Fraction(item.media.duration - 1)))  # a dissolve past the media: held
    return VideoLayer(item, src / item.media.rate, alpha)


def _picture(it: object) -> bool:
    return type(it) is Clip or type(it) is Title


def _track_layers(timeline: Timeline, items: tuple, starts: tuple[int, ...], i: int, frame: int) -> list[Layer]:
    item = items[i]
    if not _picture(item):
        return []
    start, end = starts[i], starts[i + 1]
    offset = frame - start
    d = item.look.dissolve
    if d and offset < d - d // 2 and i > 0 and _picture(items[i - 1]):  # second half of a dissolve into item
        prev = items[i - 1]
        w = Fraction(offset + d // 2 + 1, d + 1)
        return [x for x in (_layer(timeline, prev, frame - starts[i - 1], Fraction(1)),
                            _layer(timeline, item, offset, w)) if x is not None]
    if i + 1 < len(items) and _picture(items[i + 1]):
        nd = items[i + 1].look.dissolve
        if nd and frame >= end - nd // 2:  # first half of a dissolve out of item
            w = Fraction(frame - end + nd // 2 + 1, nd + 1)
            return [x for x in (_layer(timeline, item, offset, Fraction(1)),
                                _layer(timeline, items[i + 1], frame - end, w)) if x is not None]
    layer = _layer(timeline, item, offset, Fraction(1))
    return [layer] if layer is not None else []


def _covers(layer: Layer) -> bool:
    if type(layer) is not VideoLayer or layer.alpha != 1:
        return False
    look = layer.clip.look
    return look is DEFAULT_LOOK or (look.x == 0 and look.y == 0 and look.scale == 1)


def layers_at(timeline: Timeline, frame: int, subtitles: bool = False) -> tuple[Layer, ...]:
    """The layers of the picture at ``frame``, bottom first (empty: black); with ``subtitles`` the cue
    under the frame on top (burn-in). Pure; any thread."""
    out: list[Layer] = []
    for track in timeline.tracks:
        if track.kind != "video":
            continue
        i = track.index_at(frame)
        if i is None or type(track.items[i]) is Gap:
            continue
        for layer in _track_layers(timeline, track.items, track.starts(), i, frame):
            if _covers(layer):
                out.clear()
            out.append(layer)
    if subtitles:
        text = cue_text_at(timeline, frame)
        if text:
            out.append(SubtitleLayer(text))
    return tuple(out)


def is_plain(layers: tuple[Layer, ...]) -> bool:
    """Whether the picture is one clip shown as a plain cut shows it (no compositing needed)."""
    return len(layers) == 1 and _covers(layers[0])


def has_picture_effects(timeline: Timeline) -> bool:
    """Whether any frame of the timeline needs the compositor (a title, or a clip with a look).
    Pure; any thread."""
    for track in timeline.tracks:
        if track.kind != "video":
            continue
        for it in track.items:
            if type(it) is Title or (type(it) is Clip and it.look is not DEFAULT_LOOK):
                return True
    return False


def canvas_size(timeline: Timeline) -> tuple[int, int]:
    """The picture size of the timeline: its largest video media (even), else 1920x1080. Pure; any thread."""
    best: tuple[int, int] | None = None
    for track in timeline.tracks:
        if track.kind != "video":
            continue
        for it in track.items:
            if type(it) is Clip and it.media.width and it.media.height:
                m = it.media
                if best is None or m.width * m.height > best[0] * best[1]:  # type: ignore[operator]
                    best = (m.width, m.height)  # type: ignore[assignment]
    if best is None:
        return DEFAULT_CANVAS
    return max(2, best[0] - best[0] % 2), max(2, best[1] - best[1] % 2)
