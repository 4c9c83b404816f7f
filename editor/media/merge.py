"""Merge whole files end to end without corrupting them: check that their streams match (codec, coding
parameters, size, pixel format, time base; sound codec, sample rate, channels), copy where they do, and
re-encode only what must be, saying so.

- Every file matches the first: a stream copy of each file whole (picture and sound copied packet by packet;
  the sound stays within half a packet of the picture at every join, never accumulating, as ``render_copy``
  guarantees).
- Some file's picture differs: a smart render: the matching files are copied, the others are re-encoded to
  the first file's codec, size and rate (each such file named with the reason); the sound is re-encoded to
  the sample.
- Only the sound differs: the picture is copied and the sound re-encoded (said).

Worker thread or the CLI's main thread; never touches Qt.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from editor.media.render_spec import RenderSpec

from editor.media.errors import MediaError
from editor.media.probe import open_input

__all__ = ["stream_differences", "merge_files"]


def _describe(path: str) -> dict[str, Any]:
    with open_input(path) as c:
        if not c.streams.video:
            raise MediaError(f"{Path(path).name}: has no video; merge joins video files")
        v = c.streams.video[0]
        cc = v.codec_context
        d: dict[str, Any] = {
            "video codec": cc.name, "size": f"{cc.width}x{cc.height}",
            "pixel format": cc.format.name if cc.format else None,
            "frame rate": Fraction(v.average_rate or v.guessed_rate or 0),
            "time base": Fraction(v.time_base or 0), "video parameters": bytes(cc.extradata or b"")}
        if c.streams.audio:
            a = c.streams.audio[0].codec_context
            d.update({"audio codec": a.name, "sample rate": a.sample_rate, "channels": a.channels,
                      "audio parameters": bytes(a.extradata or b"")})
        else:
            d["audio codec"] = None
        return d


_VIDEO_KEYS = ("video codec", "size", "pixel format", "frame rate", "video parameters")
_AUDIO_KEYS = ("audio codec", "sample rate", "channels", "audio parameters")


def stream_differences(paths: list[str]) -> list[tuple[str, list[str], list[str]]]:
    """For each file after the first: (path, how its picture differs, how its sound differs), in words.
    The time base is compared too but only reported (a copy rescales timestamps). Worker thread."""
    first = _describe(paths[0])
    out = []
    for p in paths[1:]:
        d = _describe(p)

        def words(keys: tuple[str, ...], d: dict[str, Any] = d) -> list[str]:
            res = []
            for k in keys:
                if d.get(k) != first.get(k):
                    if k.endswith("parameters"):
                        res.append(f"{k} differ")
                    else:
                        res.append(f"{k} {_text(d.get(k))} (first file: {_text(first.get(k))})")
            return res

        out.append((p, words(_VIDEO_KEYS), words(_AUDIO_KEYS)))
    return out


def _text(v: Any) -> str:
    if v is None:
        return "none"
    if isinstance(v, Fraction):
        return f"{float(v):.3f}".rstrip("0").rstrip(".")
    return str(v)


def merge_plan(paths: list[str | os.PathLike[str]], out: str | os.PathLike[str]) -> tuple[RenderSpec, list[str]]:
    """The render spec that joins ``paths`` whole (copy when every file matches the first, else smart: only
    what differs is re-encoded) and the notes saying so. MediaError (one line) for what cannot be merged.
    Worker thread (it reads every file's index)."""
    from editor.media.render import RenderClip, RenderSpec
    from editor.media.render_copy import file_index, stream_meta

    files = [str(Path(p).expanduser()) for p in paths]
    if len(files) < 2:
        raise MediaError("merge needs at least two files")
    for f in files:
        if not Path(f).exists():
            raise MediaError(f"{f}: file not found")
    outp = Path(out)
    if any(Path(f).resolve() == outp.resolve() for f in files):
        raise MediaError(f"{outp}: is one of the inputs; choose another output")
    diffs = stream_differences(files)
    clips, at = [], Fraction(0)
    for f in files:
        ix, _order = file_index(f)
        if not len(ix):
            raise MediaError(f"{Path(f).name}: has no video frames")
        clips.append(RenderClip(f, Fraction(0), ix.duration, at))
        at += ix.duration
    meta = stream_meta(files[0])
    video_differs = any(v for _p, v, _a in diffs)
    audio_differs = any(a for _p, _v, a in diffs)
    mode = "smart" if video_differs else "copy"
    notes: list[str] = []
    for p, v, a in diffs:
        if v:
            notes.append(f"{Path(p).name}: picture re-encoded to match the first file ({'; '.join(v)})")
        if a:
            notes.append(f"{Path(p).name}: sound differs ({'; '.join(a)}): the sound is re-encoded")
    if not video_differs and not audio_differs:
        notes.append("every file matches the first: copied, nothing re-encoded")
    elif not video_differs:
        notes.append("picture copied from every file")
    spec = RenderSpec(tuple(clips), width=meta.width - meta.width % 2, height=meta.height - meta.height % 2,
                      fps=meta.rate, mode=mode)
    return spec, notes


def merge_files(paths: list[str | os.PathLike[str]], out: str | os.PathLike[str], *, overwrite: bool = False,
                on_progress: Any = None) -> dict[str, Any]:
    """Join ``paths`` whole into ``out``; returns path, frames, mode, per-file modes and notes (what was
    re-encoded and why). MediaError / RenderError (one line) for what cannot be merged. Worker thread."""
    from editor.media.render import render

    outp = Path(out)
    spec, notes = merge_plan(paths, outp)
    result = render(spec, outp, overwrite=overwrite, on_progress=on_progress)
    per_file = [{"path": s.path, "mode": s.mode, "reason": s.reason,
                 "output": [round(float(s.output_start), 6), round(float(s.output_end), 6)]}
                for s in result.segments]
    for n in result.notes:
        if "seam" in n or "re-encoded the whole" in n:
            notes.append(n)
    return {"path": str(result.path), "frames": result.frames, "mode": result.mode_used, "files": per_file,
            "notes": notes}
