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
from editor.model.errors import UserError


def register(sub: Any) -> None:
    """Add ``cut`` to the ``cutline`` parser. Main thread."""
    p = sub.add_parser("cut", help="cut segments out of a media file (smart, re-encode or stream copy)")
    p.add_argument("files", nargs="+", metavar="FILE", help="one file, or many for a batch (the same segments)")
    p.add_argument("--segments-from", default="", metavar="LIST",
                   help="segments from a CSV (start,end[,name]; -5 or end-5: before each file's end) or a "
                        "LosslessCut .llc project")
    p.add_argument("--name-template", default="", metavar="TEMPLATE",
                   help="output names in OUT's folder: {n} {name} {source} {timecode}, e.g. "
                        "'{n}-{name}-{source}-{timecode}'")
    p.add_argument("--segment", action="append", default=[], metavar="A-B",
                   help="a range to keep: 12.5-20, 00:00:12.500-00:00:20.000 or f300-f500 (end exclusive)")
    p.add_argument("--mode", default="smart", choices=["smart", "reencode", "copy"],
                   help="smart: exact, re-encodes only around the cuts; copy: keyframe cut; reencode: all")
    p.add_argument("-o", "--out", required=True,
                   help="output file (the container follows the extension); a folder for a batch")
    p.add_argument("--separate", action="store_true",
                   help="one file per segment: OUT is a folder or a template with {n} and/or {name}")
    p.add_argument("--streams", default="", metavar="LIST",
                   help="streams to keep, e.g. v:0,a:0,a:1,s:0 (default: the picture, every audio and subtitle "
                        "stream, with their language tags; subtitles in MKV outputs)")
    p.add_argument("--no-chapters", action="store_true",
                   help="do not write one chapter per segment in a joined MP4/MOV/MKV")
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


def _timecode(t: Fraction) -> str:
    """``00.01.02.250``: a segment's start as a file-name-safe clock."""
    ms = int(round(t * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    sec, ms = divmod(rest, 1000)
    return f"{h:02d}.{m:02d}.{sec:02d}.{ms:03d}"


def _safe(text: str) -> str:
    from editor.media.render_output import safe_file_name

    return safe_file_name(text, "segment")


def _fill(template: str, n: int, name: str, src: Path, start: Fraction) -> str:
    return (template.replace("{n}", str(n)).replace("{name}", _safe(name or src.stem))
            .replace("{source}", _safe(src.stem)).replace("{timecode}", _timecode(start)))


def _outputs(args: argparse.Namespace, src: Path, names: list[str], starts: list[Fraction],
             batch: bool) -> list[Path]:
    """Where each output goes: one path when joined, one per segment with ``--separate``."""
    out = Path(args.out).expanduser()
    folder_given = out.is_dir() or args.out.endswith(("/", "\\"))
    templated = any(k in args.out for k in ("{n}", "{name}", "{source}", "{timecode}"))
    if batch and not folder_given and not templated and not args.name_template:
        raise CliError(f"{args.out}: with several files, give a folder for -o (or a name with {{source}})")
    if folder_given:
        out.mkdir(parents=True, exist_ok=True)
    count = len(names) if args.separate else 1
    template = args.name_template
    if template:
        base = out if folder_given else out.parent
        if not Path(template).suffix:
            template += src.suffix if not templated and (folder_given or not out.suffix) else (out.suffix or src.suffix)
        if not args.separate and "{source}" not in template and batch:
            template = "{source}-" + template
        return [base / _fill(template, n, names[n - 1] if args.separate else "", src, starts[n - 1])
                for n in range(1, count + 1)]
    if not args.separate:
        if folder_given:
            return [out / f"{src.stem}-cut{src.suffix}"]
        return [Path(_fill(args.out, 1, "", src, starts[0])).expanduser()]
    if folder_given:
        return [out / f"{src.stem}-{n}{src.suffix}" for n in range(1, count + 1)]
    if "{n}" not in args.out and "{name}" not in args.out and "{timecode}" not in args.out:
        raise CliError(f"{args.out}: with --separate, give a folder or a name with {{n}} (e.g. part-{{n}}.mp4)")
    return [Path(_fill(args.out, n, names[n - 1], src, starts[n - 1])).expanduser() for n in range(1, count + 1)]


def _segment_list(args: argparse.Namespace) -> list[tuple[Any, Any, str, str]]:
    """(start, end, text, name) per segment: start/end a frame number (int), seconds (Fraction) or a
    ``TimeRef`` (from a list; resolved per file, so ``-5`` means each file's last five seconds)."""
    from editor.model.segment_io import parse_llc, parse_segments_csv

    out: list[tuple[Any, Any, str, str]] = []
    for t in args.segment:
        a, b = parse_segment(t)
        out.append((a, b, t, ""))
    if args.segments_from:
        path = Path(args.segments_from).expanduser()
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise CliError(f"{path}: segment list not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise CliError(f"{path}: cannot read the segment list ({exc})") from None
        specs = parse_llc(text)[1] if path.suffix.lower() == ".llc" else parse_segments_csv(text)
        for n, sp in enumerate(specs, start=1):
            out.append((sp.start, sp.end, f"{path.name} row {n}", sp.name))
    if not out:
        raise CliError("no segments: give --segment A-B or --segments-from LIST")
    return out


def _seconds_span(segs: list[tuple[Any, Any, str, str]]) -> tuple[Fraction, Fraction | None] | None:
    """[first start, last end) when every segment is given in seconds from the start (None: the end of the
    file): a copy then needs the index of that part of the file only. None when a frame number or a time
    from the end needs the whole file's index."""
    from editor.model.segment_io import TimeRef

    starts: list[Fraction] = []
    ends: list[Fraction | None] = []
    for a, b, _t, _n in segs:
        for v, into in ((a, starts), (b, ends)):
            if v is None and into is ends:
                into.append(None)
            elif isinstance(v, TimeRef) and not v.from_end and not isinstance(v.value, int):
                into.append(Fraction(v.value))
            elif isinstance(v, Fraction):
                into.append(v)
            else:
                return None
    last = None if any(e is None for e in ends) else max(e for e in ends if e is not None)
    return min(starts), last


def _resolve(index: Any, v: Any, end: bool) -> int | Fraction:
    """A TimeRef (or None: the end) against one file; frames and seconds pass through."""
    from editor.model.segment_io import TimeRef

    if v is None:
        return len(index)
    if not isinstance(v, TimeRef):
        return v  # type: ignore[no-any-return]
    if isinstance(v.value, int):
        return max(0, len(index) - v.value) if v.from_end else v.value
    return index.duration - v.value if v.from_end else Fraction(v.value)


def cmd_cut(args: argparse.Namespace) -> int:
    """Cut, join and write every file; exit 0, 1 when some file failed (after the summary), or raise a
    one-line user error. Main thread of the CLI process."""
    from editor.cli.progress import ProgressBar

    sources = [Path(f).expanduser() for f in args.files]
    segs = _segment_list(args)
    batch = len(sources) > 1
    if not batch:
        if not sources[0].exists():
            raise CliError(f"{sources[0]}: file not found")
    bar = ProgressBar()
    results: list[dict[str, Any]] = []
    failed: list[tuple[Path, str]] = []
    warnings: list[str] = []
    for k, src in enumerate(sources):
        def report(p: float, m: str, k: int = k) -> None:
            bar.update((k + p / 100) * 100 / len(sources), m if not batch else f"[{k + 1}/{len(sources)}] {m}")
        try:
            if not src.exists():
                raise CliError(f"{src}: file not found")
            outs, warns = _cut_one(args, src, segs, batch, report)
            results.append({"input": str(src), "outputs": outs})
            warnings += warns
        except UserError as exc:
            if not batch:
                raise
            failed.append((src, str(exc)))
    bar.end()
    if batch:
        done = sum(len(r["outputs"]) for r in results)
        print(f"batch: {len(results)} of {len(sources)} files cut ({done} outputs)"
              + (f", {len(failed)} failed:" if failed else ""), file=sys.stderr)
        for src, why in failed:
            print(f"  failed {src.name}: {why}", file=sys.stderr)
    if args.json:
        if batch:
            print(json.dumps({"files": results, "failed": [{"input": str(s), "error": e} for s, e in failed],
                              "warnings": warnings}, ensure_ascii=False))
        else:
            print(json.dumps({"input": results[0]["input"], "outputs": results[0]["outputs"],
                              "warnings": warnings}, ensure_ascii=False))
    return 1 if failed else 0


def _cut_one(args: argparse.Namespace, src: Path, segs: list[tuple[Any, Any, str, str]], batch: bool,
             on_progress: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """Cut one file; returns its outputs' summaries and the warnings. Main thread of the CLI process."""
    from editor.cli.media import parse_size
    from editor.media.errors import MediaError
    from editor.media.render import RenderClip, RenderSpec, render
    from editor.media.render_copy import file_index, stream_meta
    from editor.media.render_output import choose_codecs

    try:
        span = _seconds_span(segs) if args.mode == "copy" else None
        index, _order = file_index(str(src), *span) if span else file_index(str(src))
    except MediaError:
        raise
    except Exception as exc:  # noqa: BLE001 - PyAV's errors, said in one line
        raise CliError(f"{src}: cannot read media ({exc})") from None
    frames = [_frames_of(index, _resolve(index, a, False), _resolve(index, b, True), t, src.name)
              for a, b, t, _n in segs]
    names = [n for _a, _b, _t, n in segs]
    starts = [index.time_of(lo) for lo, _hi in frames]
    outs = _outputs(args, src, names, starts, batch)
    for out in outs:
        if not out.parent.is_dir():
            raise CliError(f"{out}: the folder {out.parent} does not exist")
        if out.exists() and not args.overwrite:
            raise CliError(f"{out}: already exists (use --overwrite to replace it)")
        if out.resolve() == src.resolve():
            raise CliError(f"{out}: is the input file; choose another output")
        choose_codecs(out, args.video_codec, args.audio_codec, True)
    if len(set(outs)) != len(outs):
        raise CliError(f"{outs[0]}: several segments would be written to the same file; add {{n}} to the name")
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
    from editor.media.streams import choose_streams

    choice = choose_streams(src, args.streams, outs[0])
    segments = [(index.time_of(lo), index.time_of(hi) if hi < len(index) else index.duration) for lo, hi in frames]
    jobs: list[tuple[Path, list[tuple[Fraction, Fraction]], list[str]]] = (
        [(outs[0], segments, names)] if not args.separate
        else [(o, [s], [nm]) for o, s, nm in zip(outs, segments, names, strict=True)])
    summary: list[dict[str, Any]] = []
    warnings: list[str] = []
    for k, (out, segs_, seg_names) in enumerate(jobs):
        clips, at = [], Fraction(0)
        for a, b in segs_:
            clips.append(RenderClip(str(src), a, b, at, audio=choice.first_audio))
            at += b - a
        spec = RenderSpec(tuple(clips), **options)
        label = f"{out.name}" if len(jobs) == 1 else f"{out.name} ({k + 1}/{len(jobs)})"
        result = render(spec, out, overwrite=args.overwrite,
                        on_progress=lambda p, m, label=label, k=k: on_progress(
                            (k + p / 100) * 100 / len(jobs), f"{label} {m}"))
        warnings += list(result.notes)
        for line in result.report_lines():
            print(line if line.startswith("segment ") else f"cutline: {line}", file=sys.stderr)
        reports = [s.to_json() for s in result.segments] or [
            {"index": i, "path": str(src), "requested": [round(float(a), 6), round(float(b), 6)],
             "actual": [round(float(a), 6), round(float(b), 6)], "mode": result.mode_used, "exact": True}
            for i, (a, b) in enumerate(segs_)]
        extra = _after_render(args, src, out, reports, seg_names, choice)
        warnings += extra.pop("notes", [])
        entry = {"path": str(result.path), "frames": result.frames, "mode": result.mode_used,
                 "ranges": [r["actual"] for r in reports], "segments": reports}
        entry.update(extra)
        summary.append(entry)
        print(f"wrote {result.path} ({result.frames} frames, {result.mode_used})", file=sys.stderr)
    return summary, warnings


def _after_render(args: argparse.Namespace, src: Path, out: Path, reports: list[dict[str, Any]],
                  names: list[str], choice: Any) -> dict[str, Any]:
    """Streams beyond the first video and audio, and chapters: a pass over the written file (see
    ``editor.media.streams``). Returns what to add to the summary. Main thread of the CLI process."""
    from editor.media.chapters import segment_chapters
    from editor.media.streams import add_streams_and_chapters

    f = lambda v: Fraction(str(v))  # noqa: E731
    pieces = [(f(r["actual"][0]), f(r["actual"][1]), f(r.get("output", [0])[0])) for r in reports]
    if len(reports) == 1 and "output" not in reports[0]:
        pieces = [(pieces[0][0], pieces[0][1], Fraction(0))]
    outputs = [(f(r["output"][0]), f(r["output"][1])) for r in reports if "output" in r]
    if not outputs:  # a re-encode: the segments lie end to end as asked
        at = Fraction(0)
        for a, b, _o in pieces:
            outputs.append((at, at + b - a))
            at += b - a
        pieces = [(a, b, o0) for (a, b, _), (o0, _o1) in zip(pieces, outputs, strict=True)]
    chapters = segment_chapters(outputs, names) if len(outputs) > 1 and not args.no_chapters else []
    notes = list(choice.notes) + add_streams_and_chapters(src, out, pieces, choice, chapters)
    for n in choice.notes:
        print(f"cutline: {n}", file=sys.stderr)
    return {"notes": notes, "chapters": [[round(float(c.start), 6), round(float(c.end), 6), c.title]
                                         for c in chapters]}


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
