"""`cutline cut FILE --segment A-B ... --mode smart|reencode|copy -o OUT`: cut a file without a project.

``A`` and ``B`` take the forms ``--at`` takes (``12.5``, ``00:00:12.500``, ``f300``); ``B`` is exclusive
(``f38-f133`` keeps 95 frames). Segments are joined in order into OUT; with ``--separate`` OUT is a name
template (``{n}``, ``{name}``) or a folder and each segment is its own file. A progress bar on stderr; for a
copy the real range of every segment (a keyframe cut) on stderr; with ``--json`` a summary on stdout. Needs
no database and no server: it renders in this process. Exit 0, or 1 with one line.

Main thread of the CLI process; never imports Qt.
"""

from __future__ import annotations

import argparse
import json
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

from editor.cli import CliError


def register(sub: Any) -> None:
    """Add ``cut`` to the ``cutline`` parser. Main thread."""
    p = sub.add_parser("cut", help="cut segments out of a media file (smart, re-encode or stream copy)")
    p.add_argument("file")
    p.add_argument("--segment", action="append", required=True, metavar="A-B",
                   help="a range to keep: 12.5-20, 00:00:12.500-00:00:20.000 or f300-f500 (end exclusive)")
    p.add_argument("--mode", default="smart", choices=["smart", "reencode", "copy"],
                   help="smart: exact, re-encodes only around the cuts; copy: keyframe cut; reencode: all")
    p.add_argument("-o", "--out", required=True, help="output file (the container follows the extension)")
    p.add_argument("--separate", action="store_true",
                   help="one file per segment: OUT is a folder or a template with {n} and/or {name}")
    p.add_argument("--json", action="store_true", help="print a summary as JSON on stdout")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output")
    p.add_argument("--video-codec", default="", help="h264, hevc, av1, vp9, prores (what the container takes)")
    p.add_argument("--audio-codec", default="", help="aac, opus, pcm, pcm24, mp3, flac")
    p.add_argument("--crf", type=int, default=None, help="quality of re-encoded video (lower is better)")
    p.add_argument("--bitrate", default="", help="video bitrate instead of CRF, e.g. 8M or 2500k")
    p.add_argument("--audio-bitrate", default="192k")
    p.add_argument("--size", default="", help="WxH of re-encoded output (default: the source's)")
    p.add_argument("--fps", default="", help="frame rate of re-encoded output (default: the source's)")
    p.add_argument("--preset", default="veryfast", help="encoder speed preset (x264 names)")
    p.set_defaults(func=cmd_cut)


def parse_bitrate(text: str) -> int:
    """``8M`` / ``2500k`` / ``192000`` -> bits per second. Any thread."""
    t = text.strip().lower()
    scale = 1
    if t.endswith("m"):
        t, scale = t[:-1], 1_000_000
    elif t.endswith("k"):
        t, scale = t[:-1], 1000
    try:
        value = int(float(t) * scale)
    except ValueError:
        raise CliError(f"'{text}' is not a bitrate: use e.g. 8M, 2500k or 192000") from None
    if value <= 0:
        raise CliError(f"'{text}' is not a bitrate: it must be positive")
    return value


def parse_segment(text: str) -> tuple[int | Fraction, int | Fraction]:
    """``A-B`` -> (A, B), each a frame number (int) or seconds (Fraction). Any thread."""
    from editor.cli.media import parse_position

    left, sep, right = text.strip().partition("-")
    if not sep or not left or not right:
        raise CliError(f"segment '{text}': expected A-B such as 12.5-20, 00:00:01.000-00:00:03.000 or f38-f133")
    return parse_position(left), parse_position(right)


def _frames_of(index: Any, a: int | Fraction, b: int | Fraction, text: str, name: str) -> tuple[int, int]:
    """[first, end) frame indices: the frame shown at A up to the last frame that starts before B."""
    import bisect

    n = len(index)

    def at(v: int | Fraction, end: bool) -> int:
        if isinstance(v, int):
            return v
        if not end:
            return max(0, index.index_at(v))
        return bisect.bisect_left(index.pts, index.origin.pts_at(v))

    lo, hi = at(a, False), at(b, True)
    if lo >= n:
        raise CliError(f"segment '{text}': starts after the end of {name} ({n} frames, "
                       f"{float(index.duration):.3f} s)")
    hi = min(hi, n)
    if hi <= lo:
        raise CliError(f"segment '{text}': holds no frame (the end must be after the start)")
    return lo, hi


def _outputs(args: argparse.Namespace, src: Path, count: int) -> list[Path]:
    out = Path(args.out).expanduser()
    if not args.separate:
        return [out]
    if out.is_dir() or args.out.endswith(("/", "\\")):
        out.mkdir(parents=True, exist_ok=True)
        return [out / f"{src.stem}-{n}{src.suffix}" for n in range(1, count + 1)]
    if "{n}" not in args.out:
        raise CliError(f"{args.out}: with --separate, give a folder or a name with {{n}} (e.g. part-{{n}}.mp4)")
    return [Path(args.out.replace("{n}", str(n)).replace("{name}", src.stem)).expanduser()
            for n in range(1, count + 1)]


def cmd_cut(args: argparse.Namespace) -> int:
    """Cut, join and write; exit 0, or raise a one-line user error. Main thread of the CLI process."""
    from editor.cli.media import parse_size
    from editor.cli.progress import ProgressBar
    from editor.media.errors import MediaError
    from editor.media.render import RenderClip, RenderSpec, render
    from editor.media.render_copy import file_index, stream_meta
    from editor.media.render_output import choose_codecs

    src = Path(args.file).expanduser()
    if not src.exists():
        raise CliError(f"{src}: file not found")
    ranges = [parse_segment(t) for t in args.segment]
    try:
        index, _order = file_index(str(src))
    except MediaError:
        raise
    except Exception as exc:  # noqa: BLE001 - PyAV's errors, said in one line
        raise CliError(f"{src}: cannot read media ({exc})") from None
    frames = [_frames_of(index, a, b, t, src.name) for (a, b), t in zip(ranges, args.segment, strict=True)]
    outs = _outputs(args, src, len(frames))
    for out in outs:
        if not out.parent.is_dir():
            raise CliError(f"{out}: the folder {out.parent} does not exist")
        if out.exists() and not args.overwrite:
            raise CliError(f"{out}: already exists (use --overwrite to replace it)")
        if out.resolve() == src.resolve():
            raise CliError(f"{out}: is the input file; choose another output")
        choose_codecs(out, args.video_codec, args.audio_codec, True)
    if args.mode == "reencode" and not args.size:
        with _probe(src) as (width, height, fps):  # the display size (rotation applied)
            pass
    else:
        meta = stream_meta(str(src))
        width, height, fps = meta.width, meta.height, meta.rate
    size = parse_size(args.size) if args.size else (width, height)
    size = (max(2, size[0] - size[0] % 2), max(2, size[1] - size[1] % 2))
    rate = Fraction(args.fps) if args.fps else fps
    options: dict[str, Any] = {"width": size[0], "height": size[1], "fps": rate, "mode": args.mode,
                               "preset": args.preset, "video_codec": args.video_codec,
                               "audio_codec": args.audio_codec, "audio_bitrate": parse_bitrate(args.audio_bitrate)}
    if args.crf is not None:
        options["crf"] = args.crf
    if args.bitrate:
        options["video_bitrate"] = parse_bitrate(args.bitrate)
    segments = [(index.time_of(lo), index.time_of(hi) if hi < len(index) else index.duration) for lo, hi in frames]
    jobs: list[tuple[Path, list[tuple[Fraction, Fraction]]]] = (
        [(outs[0], segments)] if not args.separate else [(o, [s]) for o, s in zip(outs, segments, strict=True)])
    bar = ProgressBar()
    summary: list[dict[str, Any]] = []
    warnings: list[str] = []
    for k, (out, segs) in enumerate(jobs):
        clips, at = [], Fraction(0)
        for a, b in segs:
            clips.append(RenderClip(str(src), a, b, at))
            at += b - a
        spec = RenderSpec(tuple(clips), **options)
        label = f"{out.name}" if len(jobs) == 1 else f"{out.name} ({k + 1}/{len(jobs)})"
        result = render(spec, out, overwrite=args.overwrite,
                        on_progress=lambda p, m, label=label: bar.update(p, f"{label} {m}"))
        bar.end()
        warnings += list(result.notes)
        for s in result.segments:
            if args.mode == "copy":
                print(f"segment {s.index + 1}: keyframe cut, copied {float(s.actual_in):.3f}-{float(s.actual_out):.3f}"
                      f" s (asked {float(s.requested_in):.3f}-{float(s.requested_out):.3f} s)", file=sys.stderr)
            elif s.mode == "reencode" and s.reason:
                print(f"segment {s.index + 1}: re-encoded ({s.reason})", file=sys.stderr)
        for note in result.notes:
            if "seam" in note or "re-encoded the whole" in note:
                print(f"cutline: {note}", file=sys.stderr)
        reports = [s.to_json() for s in result.segments] or [
            {"index": i, "path": str(src), "requested": [round(float(a), 6), round(float(b), 6)],
             "actual": [round(float(a), 6), round(float(b), 6)], "mode": result.mode_used, "exact": True}
            for i, (a, b) in enumerate(segs)]
        summary.append({"path": str(result.path), "frames": result.frames, "mode": result.mode_used,
                        "ranges": [r["actual"] for r in reports], "segments": reports})
        print(f"wrote {result.path} ({result.frames} frames, {result.mode_used})", file=sys.stderr)
    if args.json:
        print(json.dumps({"input": str(src), "outputs": summary, "warnings": warnings}, ensure_ascii=False))
    return 0


class _probe:
    """(width, height, frame rate) of the file's video, display-oriented. Main thread."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> tuple[int, int, Fraction]:
        from editor.media.probe import open_input

        with open_input(self.path) as c:
            if not c.streams.video:
                raise CliError(f"{self.path}: has no video to cut; use a sound editor")
            v = c.streams.video[0]
            w, h = v.codec_context.width, v.codec_context.height
            rotation = 0
            for frame in c.decode(v):
                rotation = int(round(frame.rotation)) % 360
                break
            if rotation % 180:
                w, h = h, w
            return w, h, Fraction(v.average_rate or v.guessed_rate or 25)

    def __exit__(self, *exc: object) -> None:
        return None
