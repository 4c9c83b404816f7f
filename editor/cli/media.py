"""`cutline probe`, `cutline snapshot`, `cutline thumbnails`: media commands on the same core as the window.

Runs on the main thread of a plain process; never imports Qt.
"""

from __future__ import annotations

import argparse
import re
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

from editor.media.errors import MediaError


def register(subparsers: Any) -> None:
    """Add the media sub-commands to the ``cutline`` parser. Main thread."""
    p = subparsers.add_parser("probe", help="describe a media file")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="print the probe result as JSON")
    p.add_argument("--no-cache", action="store_true", help="do not use the shared cache")
    p.add_argument("--keyframes", action="store_true",
                   help="also list every keyframe (frame number and time; reads the whole file)")
    p.set_defaults(func=cmd_probe)

    s = subparsers.add_parser("snapshot", help="write the exact frame shown at a time as PNG")
    s.add_argument("file")
    s.add_argument("--at", required=True, help="seconds (12.5), HH:MM:SS.mmm, or f123 for a frame number")
    s.add_argument("--out", required=True, help="output PNG file")
    s.set_defaults(func=cmd_snapshot)

    t = subparsers.add_parser("thumbnails", help="write a filmstrip of JPEG thumbnails")
    t.add_argument("file")
    t.add_argument("--count", type=int, default=10)
    t.add_argument("--size", default="160x90", help="WxH box each thumbnail fits in")
    t.add_argument("--out", required=True, help="output directory")
    t.add_argument("--exact", action="store_true", help="exact frames instead of nearest keyframes")
    t.add_argument("--no-cache", action="store_true", help="do not use the shared cache")
    t.set_defaults(func=cmd_thumbnails)


def parse_position(text: str) -> int | Fraction:
    """``f123`` → frame 123; ``12.5`` / ``1:02.5`` / ``01:02:03.250`` → seconds as a Fraction. Any thread."""
    text = text.strip()
    m = re.fullmatch(r"[fF](\d+)", text)
    if m:
        return int(m.group(1))
    m = re.fullmatch(r"(?:(?:(\d+):)?(\d+):)?(\d+(?:\.\d+)?)", text)
    if not m:
        raise MediaError(f"'{text}' is not a time: use seconds (12.5), HH:MM:SS.mmm or f123 (frame)")
    hours, minutes, seconds = m.groups()
    return Fraction(int(hours or 0) * 3600 + int(minutes or 0) * 60) + Fraction(seconds)


def parse_size(text: str) -> tuple[int, int]:
    """``WxH`` → (width, height). Any thread."""
    m = re.fullmatch(r"(\d+)[xX](\d+)", text.strip())
    if not m or int(m.group(1)) < 2 or int(m.group(2)) < 2:
        raise MediaError(f"'{text}' is not a size: use WxH, e.g. 160x90")
    return int(m.group(1)), int(m.group(2))


def _cache(args: argparse.Namespace) -> Any:
    if getattr(args, "no_cache", False):
        return None
    try:
        from editor.cli.context import open_cache
    except ImportError:
        return None
    try:
        return open_cache()
    except Exception as exc:  # noqa: BLE001 - the commands work, slower, without a cache
        print(f"cutline: cache unavailable ({exc}); continuing without it", file=sys.stderr)
        return None


def cmd_probe(args: argparse.Namespace) -> int:
    """Print what the file holds. Main thread of the CLI process."""
    from editor.media.probe import keyframes, probe

    info = probe(args.file, cache=_cache(args))
    keys = keyframes(args.file) if args.keyframes else None
    if args.json:
        if keys is None:
            print(info.to_json())
        else:
            import json

            data = json.loads(info.to_json())
            data["keyframes"] = [{"frame": i, "time": float(t), "exact_time": f"{t.numerator}/{t.denominator}"}
                                 for i, t in keys]
            print(json.dumps(data, sort_keys=True))
        return 0
    print(info.summary())
    if keys is not None:
        print(f"  keyframes: {len(keys)}")
        for i, t in keys:
            print(f"    f{i}  {float(t):.3f} s")
    return 0


def cmd_snapshot(args: argparse.Namespace) -> int:
    """Write the exact frame at ``--at``, full size, rotation applied, as PNG.
    Main thread of the CLI process.
    """
    from editor.media.frames import FrameReader
    from editor.media.still import write_png

    position = parse_position(args.at)
    out = Path(args.out)
    if not out.parent.is_dir():
        raise MediaError(f"{out}: the folder {out.parent} does not exist")
    with FrameReader(args.file, pixel_format="rgb24", cache_bytes=0) as reader:
        pic = reader.read(position, back_window=0)
        write_png(pic.to_ndarray(), out, "rgb24")
    print(f"{out}: frame {pic.index} at {float(pic.time):.3f} s, {pic.width}x{pic.height}")
    return 0


def _hits(cache: object) -> int:
    stats = getattr(cache, "stats", None)
    return int(getattr(stats, "hits", 0))


def cmd_thumbnails(args: argparse.Namespace) -> int:
    """Write ``--count`` thumbnails as thumb-NNN.jpg into ``--out``. Main thread of the CLI process."""
    from editor.media.thumbnails import filmstrip

    if args.count < 1:
        raise MediaError("--count must be at least 1")
    size = parse_size(args.size)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise MediaError(f"{out}: exists and is not a folder")
    cache = _cache(args)
    hits_before = _hits(cache)
    thumbs = filmstrip(args.file, args.count, size, exact=args.exact, cache=cache)
    if any(not th.jpeg for th in thumbs):  # never an empty file
        raise MediaError(f"{args.file}: some thumbnails could not be decoded; nothing written")
    out.mkdir(parents=True, exist_ok=True)
    for i, th in enumerate(thumbs):
        target = out / f"thumb-{i:03d}.jpg"
        tmp = target.with_name(f".{target.name}.partial")
        tmp.write_bytes(th.jpeg)
        tmp.replace(target)
    size_text = f"{thumbs[0].width}x{thumbs[0].height}" if thumbs else "-"
    served = _hits(cache) - hits_before
    cached = f", {min(served, len(thumbs))} served from the cache" if cache is not None else ", no cache"
    print(f"{out}: {len(thumbs)} thumbnails, {size_text}{cached}")
    return 0
