"""What a stream-copy export will really hold, as a timeline the window can play ("preview the real cut").

A copy export starts each segment at the keyframe at or before its start (:func:`editor.media.render.copy_plan`
says where, before anything is written). :func:`preview_timeline` turns that plan into a timeline of one clip
per planned segment over exactly those source frames, back to back as in the output file, each with its
file's sound, so playing it across a cut shows and sounds what the file will. :func:`copy_spec` is the
export the window would make (the enabled segments joined, else the in/out range, else everything) and
:func:`output_frame` says where in the output the picture under the playhead lands.

Pure apart from reading the media references (``copy_plan``); any thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from editor.jobs.export import joined_spec, render_spec_for
from editor.media.errors import RenderError
from editor.media.render import RenderSpec, SegmentReport
from editor.model.segments import enabled_segments
from editor.model.timeline import Clip, Gap, MediaRef, Timeline, Track, source_factor

__all__ = ["copy_spec", "preview_timeline", "output_frame"]


def copy_spec(timeline: Timeline) -> RenderSpec:
    """The stream-copy export of ``timeline`` the window makes: its enabled segments joined into one file,
    else its in/out range, else all of it. RenderError (one line) when it cannot be stream-copied."""
    segments = enabled_segments(timeline)
    if segments:
        parts = [render_spec_for(timeline, preset="copy", in_out=(g.start, g.end)) for g in segments]
        return joined_spec(parts, [g.name for g in segments])
    ranged = timeline.in_point is not None or timeline.out_point is not None
    return render_spec_for(timeline, preset="copy", in_out=ranged)


def _media_of(timeline: Timeline, path: str) -> MediaRef:
    for m in timeline.media:
        if m.path == path:
            return m
    raise RenderError(f"{path}: not in this project's media")


def preview_timeline(timeline: Timeline, plan: Sequence[SegmentReport]) -> Timeline:
    """A timeline (the source's rate) holding what the copy ``plan`` of ``timeline`` will write: a video
    track of one clip per planned segment over its real source frames, and the same clips on a sound track
    for files with sound. RenderError when the plan is empty."""
    if not plan:
        raise RenderError("nothing to preview: the export holds no segment")
    rate = timeline.rate
    pictures: list[Clip] = []
    used: dict[str, MediaRef] = {}
    for k, seg in enumerate(plan):
        m = used.setdefault(seg.path, _media_of(timeline, seg.path))
        # the first source frame whose time is not before the segment's (on a variable-rate file the
        # keyframe's time is not on the file's average-rate grid), and the timeline frames before its end
        first = -(-seg.actual_in * m.rate // 1)
        frames = -(-(seg.actual_out - first / m.rate) * rate // 1)
        n, d = source_factor(m.rate, Fraction(1), rate)
        while frames > 0 and first + -(-frames * n // d) > m.duration:
            frames -= 1  # the last frame's end rounded past the file's end
        if frames <= 0 or first < 0:
            continue
        pictures.append(Clip(k + 1, m, first, frames, name=f"as exported: segment {seg.index + 1}"))
    if not pictures:
        raise RenderError("nothing to preview: every planned segment is empty")
    sounds = [Clip(len(plan) + c.id, c.media, c.source_in, c.duration, name=c.name) if c.media.has_audio
              else None for c in pictures]
    tracks = [Track("video", "As exported", tuple(pictures))]
    if any(sounds):
        tracks.append(Track("audio", "As exported", tuple(s if s is not None else Gap(c.duration)
                                                          for s, c in zip(sounds, pictures, strict=True))))
    return Timeline(rate=rate, tracks=tuple(tracks), media=tuple(used.values()),
                    name=f"{timeline.name} (copy preview)", next_id=2 * len(plan) + 1)


def output_frame(plan: Sequence[SegmentReport], rate: Fraction, path: str, seconds: Fraction) -> int:
    """The frame of the preview (the output) that shows the moment ``seconds`` of file ``path``: inside a
    segment that asked for it (else inside one that holds it because it starts at an earlier keyframe);
    outside every segment, the start of the next one on that file; 0 when there is none."""
    holding = [s for s in plan if s.path == path and s.actual_in <= seconds < s.actual_out]
    asked = [s for s in holding if s.requested_in <= seconds < s.requested_out]
    for seg in asked or holding:
        return int((seg.output_start + seconds - seg.actual_in) * rate)
    later = [s for s in plan if s.path == path and s.requested_in > seconds]
    if later:
        return int(min(later, key=lambda s: s.requested_in).output_start * rate)
    return 0
