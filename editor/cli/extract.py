"""`cutline extract FILE --stream a:1 -o OUT` (one stream, losslessly) and `cutline merge A B C -o OUT`.

Need no database and no server. Main thread of the CLI process; never imports Qt.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(sub: Any) -> None:
    """Add ``extract`` and ``merge`` to the ``cutline`` parser. Main thread."""
    p = sub.add_parser("extract", help="copy one stream of a file into its own file (lossless)")
    p.add_argument("file")
    p.add_argument("--stream", required=True, metavar="KIND:N", help="v:0, a:1, s:0 (N counts within its kind)")
    p.add_argument("-o", "--out", required=True, help="output file: .aac/.m4a/.mka/.srt/.mkv/.h264 ...")
    p.add_argument("--overwrite", action="store_true")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_extract)

    m = sub.add_parser("merge", help="join whole files end to end (copied where their streams match)")
    m.add_argument("files", nargs="+", metavar="FILE")
    m.add_argument("-o", "--out", required=True)
    m.add_argument("--overwrite", action="store_true")
    m.add_argument("--json", action="store_true")
    m.set_defaults(func=cmd_merge)


def cmd_extract(args: argparse.Namespace) -> int:
    """Extract one stream; exit 0 or one line. Main thread of the CLI process."""
    from editor.media.extract import extract_stream

    info = extract_stream(args.file, args.stream, args.out, overwrite=args.overwrite)
    lang = f", language {info['language']}" if info["language"] else ""
    print(f"wrote {info['path']} ({info['kind']} {info['codec']}{lang}, {info['packets']} packets, copied)",
          file=sys.stderr)
    if args.json:
        print(json.dumps(info, ensure_ascii=False))
    return 0


def cmd_merge(args: argparse.Namespace) -> int:
    """Merge files; exit 0 or one line. Main thread of the CLI process."""
    from editor.cli.jobs import ProgressBar
    from editor.media.merge import merge_files

    bar = ProgressBar()
    result = merge_files(args.files, args.out, overwrite=args.overwrite, on_progress=bar.update)
    bar.end()
    for line in result["notes"]:
        print(f"cutline: {line}", file=sys.stderr)
    print(f"wrote {result['path']} ({result['frames']} frames, {result['mode']})", file=sys.stderr)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    return 0
