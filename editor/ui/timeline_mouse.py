"""Mouse gestures on the timeline beyond select/move/scrub: dragging a clip's edge trims it.

A press within :data:`EDGE_PX` of a clip's start or end grabs that edge; the drag snaps to clip edges, the
playhead and markers (Shift: no snapping); the release asks for the trim: plain = overwrite trim (the clip's
other edge stays, a gap opens or the gap beside it is used), Ctrl = ripple trim (later content moves), Alt on
the cut between two clips = roll (the cut moves, both clips change). Qt main thread only.
"""

from __future__ import annotations

from dataclasses import dataclass

EDGE_PX = 6.0


@dataclass(slots=True)
class EdgeDrag:
    """An edge being dragged: which clip, which edge ("in" or "out"), where it is now."""

    track: int
    clip_id: int
    edge: str
    frame: int
    mode: str  # "trim", "ripple", "roll" or "fade" (clips); "cue" or "title" (retimed, no source)
    clip_start: int = 0
    clip_end: int = 0
    moved: bool = False


def edge_under(x: float, xa: float, xb: float) -> str | None:
    """"in" or "out" when widget x is within EDGE_PX of a clip drawn from xa to xb (a short clip keeps its
    middle third for moving), else None."""
    reach = min(EDGE_PX, (xb - xa) / 3)
    if x - xa <= reach:
        return "in"
    if xb - x <= reach:
        return "out"
    return None


FADE_PX = 8.0  # a fade handle: this close to the top corner (or the end of the fade) of a sound clip


def fade_under(x: float, y: float, top: float, xa: float, xb: float, fade_in_x: float,
               fade_out_x: float) -> str | None:
    """"fade_in" / "fade_out" when (x, y) is on a sound clip's fade handle (the top strip, at the end of a
    fade or at the clip's corner when it has none), else None."""
    if not top <= y <= top + 2 * FADE_PX or xb - xa < 6 * FADE_PX:
        return None
    if abs(x - fade_in_x) <= FADE_PX and x < (xa + xb) / 2:
        return "fade_in"
    if abs(x - fade_out_x) <= FADE_PX and x > (xa + xb) / 2:
        return "fade_out"
    return None


def edit_for(drag: EdgeDrag, clip_start: int = 0, clip_end: int = 0) -> tuple[str, dict[str, object]] | None:
    """The model edit a finished edge drag asks for, or None when it did not move."""
    if not drag.moved:
        return None
    if drag.mode in ("cue", "title"):  # the edge moves into free frames; the other one stays
        times = {"start" if drag.edge == "in" else "end": drag.frame}
        if drag.mode == "cue":
            return "edit_cue", {"cue_id": drag.clip_id, **times}
        return "retime_title", {"title_id": drag.clip_id, **times}
    if drag.mode == "fade":
        if drag.edge == "fade_in":
            return "set_clip_audio", {"clip_id": drag.clip_id, "fade_in": min(max(0, drag.frame - clip_start),
                                                                              clip_end - clip_start)}
        return "set_clip_audio", {"clip_id": drag.clip_id, "fade_out": min(max(0, clip_end - drag.frame),
                                                                           clip_end - clip_start)}
    if drag.mode == "roll" and drag.edge == "out":
        return "roll_edit", {"clip_id": drag.clip_id, "frame": drag.frame}
    name = {("trim", "in"): "trim_in", ("trim", "out"): "trim_out", ("ripple", "in"): "ripple_trim_in",
            ("ripple", "out"): "ripple_trim_out"}.get((drag.mode if drag.mode != "roll" else "trim", drag.edge))
    assert name is not None
    if drag.mode == "ripple" and drag.edge == "in":
        return name, {"clip_id": drag.clip_id, "frame": drag.frame}
    return name, {"clip_id": drag.clip_id, "frame": drag.frame}
