"""From the model's timeline to the media layer's render spec: what an export job renders.

The timeline counts integer frames at ``timeline.rate``; a :class:`RenderSpec` counts ``Fraction`` seconds.
Every clip (or the part of it inside the range) becomes a :class:`RenderClip` starting where the range
starts, so the output has exactly ``end - start`` frames at the timeline's rate: the frames the timeline
shows. Video comes from video tracks (a higher track index is on top), sound from audio tracks.

Presets (what the export dialog offers):

- ``high``  — H.264 (libx264 preset medium, CRF 18) + AAC
- ``fast``  — H.264 (libx264 preset veryfast, CRF 23) + AAC
- ``copy``  — lossless stream copy: a keyframe cut (each segment starts at the keyframe at or before its
  start; the real ranges are in ``editor.media.render.copy_plan``); needs one video track without gaps, and
  takes the sound of the video clips' own files, so it refuses (one line) a timeline whose sound differs:
  gain, fades, mute, reverse, another layout on the sound track, several sound tracks
- ``smart`` — exact at both ends: copies what it can, re-encodes the frames around each cut (same limits)

Output choices (container by the output's extension, codecs, CRF or bitrate, size, rate) go through
``render_spec_for``'s keywords; ``editor.media.render_output`` says what each container takes.

Pure apart from reading the media references; any thread.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

from editor.media.errors import RenderError
from editor.media.render import RenderClip, RenderSpec
from editor.model.layers import has_picture_effects
from editor.model.navigate import duration, timeline_from_media
from editor.model.segments import enabled_segments
from editor.model.serialize import timeline_to_json
from editor.model.time import parse_timecode
from editor.model.timeline import Clip, Gap, MediaRef, Timeline, Track

__all__ = ["PRESETS", "ExportPreset", "render_spec_for", "export_range", "parse_range"]


@dataclass(frozen=True, slots=True)
class ExportPreset:
    name: str
    label: str
    mode: str
    preset: str = "medium"
    crf: int = 18


PRESETS: dict[str, ExportPreset] = {
    "high": ExportPreset("high", "High quality (H.264, CRF 18)", "reencode", "medium", 18),
    "fast": ExportPreset("fast", "Fast (H.264 veryfast, CRF 23)", "reencode", "veryfast", 23),
    "copy": ExportPreset("copy", "Lossless stream copy", "copy"),
    "smart": ExportPreset("smart", "Smart cut (copy where possible)", "smart", "medium", 18),
}
DEFAULT_SIZE = (1920, 1080)


def export_range(timeline: Timeline, in_out: bool | tuple[int, int] = False) -> tuple[int, int]:
    """The frames ``[start, end)`` to export: the whole timeline, its in/out points (``True``; a missing
    point means the start or the end), or an explicit pair. Raises RenderError when the range is empty."""
    total = duration(timeline)
    if in_out is True:
        start = timeline.in_point if timeline.in_point is not None else 0
        end = timeline.out_point if timeline.out_point is not None else total
        if timeline.in_point is None and timeline.out_point is None:
            raise RenderError("the timeline has no in or out point; set them or export the whole timeline")
    elif isinstance(in_out, tuple):
        start, end = int(in_out[0]), int(in_out[1])
    else:
        start, end = 0, total
    start, end = max(0, start), min(end, total)
    if end <= start:
        raise RenderError(f"nothing to export: the range {start}–{end} of a {total}-frame timeline is empty")
    return start, end


def parse_range(text: str, timeline: Timeline) -> bool | tuple[int, int]:
    """``"in-out"`` (the timeline's points) or ``"A-B"`` with A and B as timecodes, clock times or
    ``123f`` frame counts at the timeline's rate. Raises ValueError (one line) when unreadable."""
    text = text.strip()
    if text.lower() in ("in-out", "inout", "in/out"):
        return True
    if text.lower() in ("all", "whole", ""):
        return False
    left, sep, right = text.partition("-")
    if not sep:
        raise ValueError(f"range {text!r}: expected in-out or START-END such as 00:00:01.000-00:00:03.000")
    try:
        return parse_timecode(left, timeline.rate), parse_timecode(right, timeline.rate)
    except Exception as exc:  # TimecodeError: one line for the user
        raise ValueError(f"range {text!r}: {exc}") from None


def _output_size(timeline: Timeline, clips: list[Clip]) -> tuple[int, int]:
    """The size of the project's first video (the first of its media bin that the export uses), even."""
    used = {c.media.fingerprint for c in clips if c.media.has_video and c.media.width and c.media.height}
    first = next((m for m in timeline.media if m.fingerprint in used), None)
    if first is None:
        first = next((c.media for c in clips if c.media.fingerprint in used), None)
    if first is None or not first.width or not first.height:
        return DEFAULT_SIZE
    return max(2, first.width - first.width % 2), max(2, first.height - first.height % 2)


def _sound_clip(item: Clip, track: Track, s0: int, e0: int, lo: int, hi: int, start: int, end: int,
                rate: Fraction, src_in: Fraction, src_out: Fraction, ti: int) -> RenderClip:
    """The sound of an audio-track clip: gain (clip + track), fades, and a crossfade's tail under the next
    clip (source after the clip's end, as much as the media has). Pure; any thread."""
    m = item.media
    gain = 10 ** ((item.gain_db + track.gain_db) / 20)
    tail = 0
    if item.crossfade and hi == e0 and not item.reverse:
        have = m.duration / m.rate - src_out  # source seconds left after the clip
        tail = min(item.crossfade, end - e0, int(have * rate / item.speed))
        src_out += Fraction(tail) / rate * item.speed
    fades = None
    if item.fade_in or item.fade_out or tail:
        fin = (Fraction(s0 - start) / rate, Fraction(s0 + item.fade_in - start) / rate)
        out_a = e0 if tail else e0 - item.fade_out
        fout = (Fraction(out_a - start) / rate, Fraction(e0 + tail - start) / rate)
        fades = (*fin, *fout)
    return RenderClip(m.path, src_in, src_out, Fraction(lo - start) / rate, speed=item.speed, track=ti,
                      video=False, audio=True, gain=gain, fades=fades, reverse=item.reverse)


def _copy_sound_problem(timeline: Timeline, start: int, end: int, video_track: int) -> str:
    """Why a copy or smart export, which takes each video clip's own sound as its file holds it, would not
    be the sound the timeline plays in ``[start, end)`` ("" when it would be). Pure; any thread."""
    rate = timeline.rate

    def spans(track: Track, with_sound: bool) -> list[tuple[str, int, int, Fraction, Fraction]]:
        """(file, first frame, end frame, source seconds at the first, speed) of each run of the track's sound
        in the range, a run being one piece of a file played on: a clip split in two is still one run."""
        starts = track.starts()
        out: list[tuple[str, int, int, Fraction, Fraction]] = []
        for i, item in enumerate(track.items):
            lo, hi = max(starts[i], start), min(starts[i + 1], end)
            if hi > lo and type(item) is Clip and (item.media.has_audio or not with_sound):
                at = Fraction(item.source_in) / item.media.rate + Fraction(lo - starts[i]) / rate * item.speed
                if out:
                    path, a, b, src, speed = out[-1]
                    if (path, b, speed) == (item.media.path, lo, item.speed) and src + (b - a) / rate * speed == at:
                        out[-1] = (path, a, hi, src, speed)
                        continue
                out.append((item.media.path, lo, hi, at, item.speed))
        return out

    def edited(item: Clip) -> str:
        if item.reverse:
            return "play a clip backwards"
        if item.muted:
            return "mute a clip"
        if item.gain_db:
            return f"apply a clip's gain ({item.gain_db:+g} dB)"
        if item.fade_in or item.fade_out or item.crossfade:
            return "apply a clip's fades or crossfade"
        return ""

    def first_edit(ti: int) -> str:
        track = timeline.tracks[ti]
        starts = track.starts()
        for i, item in enumerate(track.items):
            lo, hi = max(starts[i], start), min(starts[i + 1], end)
            if hi > lo and type(item) is Clip and (what := edited(item)):
                return f"{what}: {item.name or Path(item.media.path).name} on {track.name} at frame {starts[i]}"
        return ""

    if what := first_edit(video_track):
        return what
    sound = [i for i, t in enumerate(timeline.tracks) if t.kind == "audio" and any(type(it) is Clip for it in t.items)]
    if not sound:
        return ""  # no sound tracks at all: the clips' own sound, as a plain cut of the files
    soloing = any(timeline.tracks[i].solo for i in sound)
    playing = [i for i in sound if not timeline.tracks[i].muted and (timeline.tracks[i].solo or not soloing)]
    if len(playing) > 1:
        return "mix several sound tracks"
    for i in sound:
        if timeline.tracks[i].gain_db and i in playing:
            return f"apply {timeline.tracks[i].name}'s gain ({timeline.tracks[i].gain_db:+g} dB)"
        if what := first_edit(i):
            return what
    video_sound = spans(timeline.tracks[video_track], True)
    heard = spans(timeline.tracks[playing[0]], True) if playing else []
    if heard != video_sound:
        return (f"play the sound as {timeline.tracks[playing[0]].name} has it (it is not the video clips' own "
                "sound there)" if playing else "leave the sound out (its tracks are muted)")
    return ""


def render_spec_for(timeline: Timeline, *, preset: str = "high", in_out: bool | tuple[int, int] = False,
                    width: int | None = None, height: int | None = None, fps: Fraction | None = None,
                    video_codec: str = "", audio_codec: str = "", crf: int | None = None,
                    video_bitrate: int = 0, burn_subtitles: bool = False, chapters: bool = False) -> RenderSpec:
    """The render spec of ``timeline`` (or its range) with an export preset and the user's output choices
    (codecs, CRF or bitrate, size, frame rate; empty/None: the preset's and the timeline's). A timeline with
    sound only renders sound only; with ``chapters`` its markers in the range become the output's chapters.
    Pure; any thread.

    Raises RenderError (one line) for an unknown preset, an empty range, or a copy/smart export of a
    timeline that cannot be stream-copied.
    """
    if preset not in PRESETS:
        raise RenderError(f"unknown export preset {preset!r} (choose {', '.join(PRESETS)})")
    p = PRESETS[preset]
    start, end = export_range(timeline, in_out)
    rate = timeline.rate
    used: list[Clip] = []
    clips: list[RenderClip] = []
    copying = p.mode in ("copy", "smart")
    effects = has_picture_effects(timeline)
    if copying and effects:
        raise RenderError(f"the {preset} export cannot draw titles, fades, dissolves or picture-in-picture; "
                          "use high or fast")
    video_tracks = [i for i, t in enumerate(timeline.tracks) if t.kind == "video" and
                    any(type(it) is Clip for it in t.items)]
    if copying and len(video_tracks) != 1:
        raise RenderError(f"the {preset} export needs exactly one video track with clips "
                          f"(this timeline has {len(video_tracks)}); use high or fast")
    if copying and (problem := _copy_sound_problem(timeline, start, end, video_tracks[0])):
        raise RenderError(f"the {preset} export keeps each clip's own sound as its file has it, so it cannot "
                          f"{problem}; use high or fast")
    soloing = any(t.solo for t in timeline.tracks if t.kind == "audio")
    for ti, track in enumerate(timeline.tracks):
        if track.kind not in ("video", "audio") or (copying and ti not in video_tracks) or track.hidden:
            continue
        silent = track.muted or (soloing and track.kind == "audio" and not track.solo)
        starts = track.starts()
        covered = start
        for i, item in enumerate(track.items):
            s0, e0 = starts[i], starts[i + 1]
            lo, hi = max(s0, start), min(e0, end)
            if hi <= lo:
                continue
            if type(item) is Gap:
                if copying:
                    raise RenderError(f"the {preset} export cannot copy a gap (at frame {lo}); "
                                      "use high or fast")
                continue
            if type(item) is not Clip:
                continue
            m = item.media
            if copying and lo > covered:
                raise RenderError(f"the {preset} export cannot copy a gap (at frame {covered}); "
                                  "use high or fast")
            covered = hi
            src_in = Fraction(item.source_in) / m.rate + Fraction(lo - s0) / rate * item.speed
            src_out = src_in + Fraction(hi - lo) / rate * item.speed
            if item.reverse:  # timeline frame k of the clip shows source frame (last - k)
                whole_out = Fraction(item.source_in) / m.rate + Fraction(e0 - s0) / rate * item.speed
                src_in = whole_out - Fraction(hi - s0) / rate * item.speed
                src_out = whole_out - Fraction(lo - s0) / rate * item.speed
            video = track.kind == "video" and m.has_video
            audio = m.has_audio and (track.kind == "audio" or copying) and not silent and not item.muted
            if not (video or audio):
                continue
            used.append(item)
            if video or copying:
                clips.append(RenderClip(m.path, src_in, src_out, Fraction(lo - start) / rate, speed=item.speed,
                                        track=ti, video=video, audio=audio, reverse=item.reverse))
            else:
                clips.append(_sound_clip(item, track, s0, e0, lo, hi, start, end, rate, src_in, src_out, ti))
        if copying and covered < end:
            raise RenderError(f"the {preset} export cannot copy the empty end of the range (from frame "
                              f"{covered}); use high or fast")
    burn = burn_subtitles and any(tr.kind == "subtitle" and tr.items for tr in timeline.tracks)
    if copying and burn:
        raise RenderError(f"the {preset} export cannot burn in subtitles; use high or fast")
    composition = timeline_to_json(timeline) if effects or burn else ""
    if not clips and not composition:
        raise RenderError("nothing to export: the range holds no clips")
    w, h = _output_size(timeline, used)
    if width is not None and height is not None:
        w, h = max(2, width - width % 2), max(2, height - height % 2)
    out_rate = Fraction(fps) if fps else rate
    if out_rate <= 0:
        raise RenderError(f"the frame rate must be positive (got {fps})")
    marks = marker_chapters(timeline, start, end) if chapters else ()
    return RenderSpec(clips=tuple(clips), width=w, height=h, fps=out_rate, mode=p.mode, preset=p.preset,
                      crf=p.crf if crf is None else crf, range_start=Fraction(0),
                      range_end=Fraction(end - start) / rate, video_codec=video_codec, audio_codec=audio_codec,
                      video_bitrate=video_bitrate, audio_only=not any(c.video for c in clips) and not composition,
                      composition=composition, composition_start=start, burn_subtitles=burn, chapters=marks)


def marker_chapters(timeline: Timeline, start: int, end: int) -> tuple[tuple[Fraction, Fraction, str], ...]:
    """The markers in ``[start, end)`` as chapters (output seconds): each runs to the next marker or the end;
    a first marker after the start gets a "Start" chapter before it. None without markers. Pure; any thread."""
    frames = sorted({m.frame: m for m in timeline.markers if start <= m.frame < end}.items())
    if not frames:
        return ()
    rate = timeline.rate
    marks = [(f, m.label or f"Chapter {n}") for n, (f, m) in enumerate(frames, start=1)]
    if marks[0][0] > start:
        marks.insert(0, (start, "Start"))
    ends = [f for f, _t in marks[1:]] + [end]
    return tuple((Fraction(f - start) / rate, Fraction(e - start) / rate, title)
                 for (f, title), e in zip(marks, ends, strict=True))


def joined_spec(specs: list[RenderSpec], names: list[str]) -> RenderSpec:
    """One render of ``specs`` (each from its own time 0, as :func:`render_spec_for` makes them) one after
    another, with a chapter per part named by ``names`` ("Segment n" when empty). RenderError (one line) for
    parts drawn by the compositor (titles, fades, dissolves, picture-in-picture, burnt subtitles), which are
    exported one file each. Pure; any thread."""
    if not specs:
        raise RenderError("nothing to export: no segment is enabled")
    if any(s.composition for s in specs):
        raise RenderError("segments with titles, fades, dissolves, picture-in-picture or burnt-in subtitles "
                          "cannot be joined yet; export them one file each")
    clips: list[RenderClip] = []
    chapters: list[tuple[Fraction, Fraction, str]] = []
    at = Fraction(0)
    for n, s in enumerate(specs):
        length = s.end - s.start
        for c in s.clips:
            fades = (c.fades[0] - s.start + at, c.fades[1] - s.start + at, c.fades[2] - s.start + at,
                     c.fades[3] - s.start + at) if c.fades is not None else None
            clips.append(replace(c, timeline_start=c.timeline_start - s.start + at, fades=fades))
        name = names[n] if n < len(names) and names[n] else f"Segment {n + 1}"
        chapters.append((at, at + length, name))
        at += length
    return replace(specs[0], clips=tuple(clips), range_start=Fraction(0), range_end=at, chapters=tuple(chapters))


def batch_specs(timeline: Timeline, media: list[MediaRef], preset: str
                ) -> list[tuple[MediaRef, RenderSpec | None, str]]:
    """The enabled segments of ``timeline`` applied by time to each file of ``media`` (LosslessCut's batch):
    per file, the spec of its segments joined (a chapter each) or None and why (a segment past the file's
    end is shortened to it or left out, and said). Pure; any thread."""
    segs = enabled_segments(timeline)
    if not segs:
        raise RenderError("no enabled segment: B adds one from the in/out range")
    out: list[tuple[MediaRef, RenderSpec | None, str]] = []
    for ref in media:
        tl = timeline_from_media([ref])
        end = duration(tl)
        parts: list[RenderSpec] = []
        names: list[str] = []
        said: list[str] = []
        for n, g in enumerate(segs, start=1):
            a = round(Fraction(g.start) / timeline.rate * tl.rate)
            b = min(end, round(Fraction(g.end) / timeline.rate * tl.rate))
            if b <= a:
                said.append(f"segment {n} starts after its end")
                continue
            if b < round(Fraction(g.end) / timeline.rate * tl.rate):
                said.append(f"segment {n} shortened to its end")
            try:
                parts.append(render_spec_for(tl, preset=preset, in_out=(a, b)))
            except RenderError as exc:
                said.append(f"segment {n}: {exc}")
                continue
            names.append(g.name)
        if not parts:
            out.append((ref, None, "; ".join(said) or "nothing to cut"))
            continue
        out.append((ref, joined_spec(parts, names), "; ".join(said)))
    return out
