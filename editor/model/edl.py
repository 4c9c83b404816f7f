"""CMX 3600 EDL export of one video track: text out, no file I/O. Pure; any thread.

Written through OpenTimelineIO's ``cmx_3600`` adapter (PyPI ``otio-cmx3600-adapter``) when it is installed,
otherwise by the small writer below. Either way, one event per clip with source and record timecodes at the
timeline rate (non-drop-frame); gaps are skipped (the record timecodes show them).
"""

from __future__ import annotations

import re
from dataclasses import replace

from .errors import TimelineError
from .time import format_timecode
from .timeline import Clip, Timeline

__all__ = ["export_edl", "export_edl_plain"]


def _video_track(timeline: Timeline, track: int | None) -> int:
    if track is None:
        for i, tr in enumerate(timeline.tracks):
            if tr.kind == "video":
                return i
        raise TimelineError("EDL: the timeline has no video track")
    if not 0 <= track < len(timeline.tracks) or timeline.tracks[track].kind != "video":
        raise TimelineError(f"EDL: track {track!r} is not a video track")
    return track


def export_edl(timeline: Timeline, track: int | None = None, title: str | None = None) -> str:
    """A CMX 3600 EDL of one video track (default: the first). Pure; any thread."""
    ti = _video_track(timeline, track)
    try:
        import opentimelineio as otio

        if "cmx_3600" not in otio.adapters.available_adapter_names():
            return export_edl_plain(timeline, ti, title)
    except ImportError:  # pragma: no cover - opentimelineio is a dependency
        return export_edl_plain(timeline, ti, title)
    from .otio_io import to_otio

    single = replace(
        timeline, tracks=(timeline.tracks[ti],), markers=(), name=title or timeline.name or "Cutline"
    )
    tl = to_otio(single)
    try:
        return str(otio.adapters.write_to_string(tl, "cmx_3600", rate=float(timeline.rate)))
    except Exception as e:  # the adapter's own exception types
        raise TimelineError(f"EDL: the cmx_3600 adapter refused the timeline: {e}") from None


def _reel(name: str) -> str:
    base = re.sub(r"\.[^.]*$", "", name)
    reel = re.sub(r"[^A-Za-z0-9_]", "", base).upper()[:8]
    return reel or "AX"


def export_edl_plain(timeline: Timeline, track: int | None = None, title: str | None = None) -> str:
    """The EDL written without OTIO: ``TITLE``, ``FCM``, then one ``V C`` (cut) event per clip with a
    ``* FROM CLIP NAME`` comment. Source timecodes count source frames at the timeline rate's nominal fps
    (exact for media at the timeline rate). Pure; any thread.
    """
    ti = _video_track(timeline, track)
    tr = timeline.tracks[ti]
    r = timeline.rate
    lines = [f"TITLE: {title or timeline.name or 'Cutline'}", "FCM: NON-DROP FRAME", ""]
    s = tr.starts()
    n = 0
    for i, it in enumerate(tr.items):
        if type(it) is not Clip:
            continue
        n += 1
        src_in = it.source_in
        src_out = src_in + it.duration
        lines.append(
            f"{n:03d}  {_reel(it.media.path.replace(chr(92), '/').split('/')[-1]):<8} V     C        "
            f"{format_timecode(src_in, r)} {format_timecode(src_out, r)} "
            f"{format_timecode(s[i], r)} {format_timecode(s[i + 1], r)}"
        )
        lines.append(f"* FROM CLIP NAME:  {it.name}")
        lines.append(f"* FROM CLIP: {it.media.path}")
        if it.speed != 1:
            lines.append(
                f"M2   {_reel(it.name):<8}       {float(it.speed * r):05.1f}                "
                f"{format_timecode(src_in, r)}"
            )
        lines.append("")
    return "\n".join(lines)
