"""Picture properties of the items on a video track: how a clip or a title is drawn, and title clips.

- ``Look``: opacity, position and scale (picture-in-picture), fade in / fade out and a dissolve from the
  item before on the same track. Every clip and title has one; ``DEFAULT_LOOK`` (full opacity, centred,
  full size, no fades) is the look of a plain cut and is not written to JSON.
- ``Title``: a text clip on a video track (text, font family, size, colour), drawn by the compositor
  (``editor.media.compose``) with its look; it has no media.

Positions are fractions of the picture (the canvas), so a look means the same at any output size: ``x``
and ``y`` move the item's centre from the canvas centre by that fraction of the canvas width / height;
``scale`` 1 fits the item into the canvas (aspect kept). Fades and dissolves count frames of the timeline.
Pure data; any thread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

from .errors import EditError

__all__ = ["Look", "DEFAULT_LOOK", "Title", "check_look", "check_color", "DEFAULT_TITLE_SIZE"]

#: A title's default text height in pixels of a 1080-line picture (scaled with the canvas).
DEFAULT_TITLE_SIZE = 72
MAX_TITLE_SIZE = 1000
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True, slots=True)
class Look:
    """How an item of a video track is drawn over the tracks below it.

    ``opacity`` 0..1; ``x``/``y`` the centre's offset from the canvas centre in canvas widths / heights;
    ``scale`` > 0 (1 = fitted to the canvas); ``fade_in``/``fade_out`` frames from / to transparent (black
    on the bottom track); ``dissolve`` frames of a cross-dissolve from the item just before on the track,
    centred on the cut (the outgoing item goes on past its end, the incoming one starts before its start;
    where the media has no frames there, its first or last frame is held).
    """

    opacity: Fraction = Fraction(1)
    x: Fraction = Fraction(0)
    y: Fraction = Fraction(0)
    scale: Fraction = Fraction(1)
    fade_in: int = 0
    fade_out: int = 0
    dissolve: int = 0


DEFAULT_LOOK = Look()


@dataclass(frozen=True, slots=True)
class Title:
    """A text clip on a video track. ``font`` is a family name ("" = the default sans serif; text the
    font cannot show falls back to a CJK font); ``size`` the text height in pixels of a 1080-line picture;
    ``color`` ``#rrggbb``. Its position, scale, opacity and fades are its ``look``."""

    id: int
    duration: int
    text: str
    font: str = ""
    size: int = DEFAULT_TITLE_SIZE
    color: str = "#ffffff"
    look: Look = DEFAULT_LOOK
    _json: str | None = field(default=None, init=False, repr=False, compare=False)


def check_color(value: object, what: str = "color") -> str:
    """``value`` as ``#rrggbb`` (lower case); EditError otherwise. Pure; any thread."""
    if not isinstance(value, str) or not _COLOR.match(value):
        raise EditError(f"{what}: expected a colour like '#ffcc00', got {value!r}")
    return value.lower()


def check_look(look: Look, duration: int, where: str) -> None:
    """EditError unless every field of ``look`` is in range for an item of ``duration`` frames.
    Pure; any thread."""
    if not 0 <= look.opacity <= 1:
        raise EditError(f"{where}: opacity must be between 0 and 1, got {look.opacity}")
    if not 0 < look.scale <= 16:
        raise EditError(f"{where}: scale must be above 0 and at most 16, got {look.scale}")
    if not (-4 <= look.x <= 4 and -4 <= look.y <= 4):
        raise EditError(f"{where}: position must be within 4 canvas sizes of the centre, got {look.x}, {look.y}")
    for name in ("fade_in", "fade_out", "dissolve"):
        v = getattr(look, name)
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise EditError(f"{where}: {name} must be a number of frames >= 0, got {v!r}")
    if look.fade_in + look.fade_out > duration:
        raise EditError(
            f"{where}: fades of {look.fade_in} + {look.fade_out} frames are longer than the item ({duration})")
