"""Render a timeline to a file: re-encode, stream copy or smart cut (the entry point every caller uses).

The timeline arrives as plain spec dataclasses (``RenderSpec`` of ``RenderClip``, in ``render_spec``); the
jobs layer converts the model into them. Times are ``Fraction`` seconds; source times count from the
file's time origin (its frame 0, as ``FrameReader`` counts).

- ``mode="reencode"`` (``render_reencode``): exactly ``round(duration * fps)`` frames, any mix of sizes,
  rates, rotations and pixel formats, the sound mixed in sync; the container follows the extension
  (``render_output``), audio-only outputs and audio-only projects write sound only.
- ``mode="copy"`` (``render_copy``): a keyframe cut; every segment's real range is in
  ``RenderResult.segments`` and the notes; the sound is re-cut to the sample.
- ``mode="smart"`` (``smartcut``): exact frames at both ends (copied GOPs, re-encoded edges), every seam
  checked against the source after writing; segments that cannot be copied are re-encoded and say why;
  when nothing can be copied the whole range is re-encoded and the notes say why.

Progress goes to ``on_progress(percent, message)``; ``cancel`` (a threading.Event) stops the render with
``RenderCancelled``. Output is written under a temporary name in the target directory and moved into
place with ``os.replace`` only on success; an existing output is refused unless ``overwrite``.
Worker thread or child process; never touches Qt.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import av

from editor.media.errors import MediaError, RenderError
from editor.media.render_copy import copy_plan
from editor.media.render_output import choose_codecs, output_format, output_formats
from editor.media.render_spec import (
    MODES,
    SAMPLE_RATE,
    Progress,
    ProgressCallback,
    RenderClip,
    RenderResult,
    RenderSpec,
    SegmentReport,
    temporary_output_path,
)


def render(spec: RenderSpec, out: str | os.PathLike[str], *, on_progress: ProgressCallback | None = None,
           cancel: threading.Event | None = None, partial_path: str | os.PathLike[str] | None = None,
           overwrite: bool = True) -> RenderResult:
    """Render ``spec`` to ``out``; raises RenderError/RenderCancelled (no file left under ``out``).

    ``partial_path`` names the temporary file (the parent process uses it to clean up after a killed
    child); by default a hidden name beside ``out``. Worker thread or child process; never touches Qt.
    """
    out = Path(out)
    if not spec.clips:
        raise RenderError(f"{out}: nothing to render (the timeline is empty)", out)
    if not out.parent.is_dir():
        raise RenderError(f"{out}: the folder {out.parent} does not exist", out)
    if out.exists() and not overwrite:
        raise RenderError(f"{out}: already exists (use --overwrite to replace it)", out)
    choose_codecs(out, spec.video_codec, spec.audio_codec, spec.has_video)  # refuse what cannot be written
    tmp = Path(partial_path) if partial_path else temporary_output_path(out)
    progress = Progress(on_progress, cancel)
    try:
        progress.report(0.0, "starting", force=True)
        mode = spec.mode
        notes: list[str] = []
        segments: tuple[SegmentReport, ...] = ()
        frames = -1
        if mode != "reencode" and (not spec.has_video or output_format(out).audio_only):
            notes.append(f"{mode}: the output holds sound only, so it is re-encoded")
            mode = "reencode"
        if mode == "smart":
            from editor.media.smartcut import SmartCutUnsupported, smart_cut

            try:
                frames, smart_notes, segs = smart_cut(spec, tmp, progress)
                notes += smart_notes
                segments = tuple(segs)
                if all(s.mode == "copy" for s in segments):
                    mode = "copy"
            except SmartCutUnsupported as exc:
                tmp.unlink(missing_ok=True)
                mode = "reencode"
                notes.append(f"smart: {exc}; re-encoded the whole range")
        if frames >= 0:
            pass
        elif mode == "copy":
            from editor.media.render_copy import render_copy

            frames, copy_notes, segs = render_copy(spec, tmp, progress)
            notes += copy_notes
            segments = tuple(segs)
        else:
            from editor.media.render_reencode import render_reencode

            frames = render_reencode(spec, tmp, progress)
        progress.check()
        if spec.chapters:
            notes += _write_chapters(spec, tmp, out)
        os.replace(tmp, out)
        progress.report(100.0, "done", force=True)
        return RenderResult(out, frames, mode, tuple(notes), segments)
    except RenderError:
        raise
    except MediaError as exc:
        raise RenderError(f"{out}: render failed: {exc}", out) from exc
    except av.error.FFmpegError as exc:
        raise RenderError(f"{out}: render failed: {exc}", out) from exc
    except OSError as exc:
        raise RenderError(f"{out}: render failed: {exc.strerror or exc}", out) from exc
    finally:
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass


def _write_chapters(spec: RenderSpec, tmp: Path, out: Path) -> list[str]:
    """Put ``spec.chapters`` into the rendered ``tmp`` (one remux, packets as they are); a note when the
    container of ``out`` keeps no chapters. Worker thread or child process."""
    from editor.media.chapters import CHAPTER_CONTAINERS, Chapter
    from editor.media.streams import StreamChoice, add_streams_and_chapters

    if output_format(out).muxer not in CHAPTER_CONTAINERS:
        return [f"{out.name}: this container keeps no chapters; the markers were not written as chapters"]
    chapters = [Chapter(a, b, t) for a, b, t in spec.chapters]
    return add_streams_and_chapters(spec.clips[0].path if spec.clips else tmp, tmp, [],
                                    StreamChoice(True, False, (), ()), chapters)


def cuts_on_keyframes(spec: RenderSpec) -> tuple[bool, str]:
    """Whether a stream copy of ``spec`` is exact (every segment starts and ends where asked), and if not,
    why (the first segment that is not). Worker thread."""
    for c in spec.clips:
        if c.speed != 1:
            return False, f"{Path(c.path).name} plays at speed {c.speed}"
    for seg in copy_plan(spec):
        if not seg.exact:
            return False, seg.reason
    return True, ""


__all__ = ["MODES", "SAMPLE_RATE", "RenderClip", "RenderSpec", "RenderResult", "SegmentReport",
           "render", "cuts_on_keyframes", "copy_plan", "temporary_output_path", "output_formats", "output_format"]
