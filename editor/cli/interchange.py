"""`cutline export PROJECT OUT.(otio|srt|edl)` and `cutline import-subtitles PROJECT FILE.srt`."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from editor.cli import CliError

FORMATS = (".otio", ".srt", ".edl")


def register(sub: Any) -> None:
    export = sub.add_parser("export", help="write a project as OpenTimelineIO, SRT subtitles or a CMX 3600 EDL")
    export.add_argument("project", help="id or exact name")
    export.add_argument("out", help="output file: .otio, .srt or .edl")
    export.add_argument("--json", action="store_true")
    export.set_defaults(func=cmd_export)

    subs = sub.add_parser("import-subtitles", help="replace a project's subtitles with an SRT file")
    subs.add_argument("project")
    subs.add_argument("file")
    subs.add_argument("--encoding", help="the file's text encoding (default: UTF-8, else CP949, else Latin-1)")
    subs.add_argument("--json", action="store_true")
    subs.set_defaults(func=cmd_import_subtitles)


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise CliError(f"cannot write {path}: {exc.strerror}") from None


def cmd_export(args: argparse.Namespace) -> int:
    from editor.cli.context import open_store
    from editor.model.edl import export_edl
    from editor.model.otio_io import export_otio
    from editor.model.srt_io import export_srt
    from editor.store.autosave import load_timeline

    out = Path(args.out)
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise CliError(f"cannot export to {out.name}: the name must end in .otio, .srt or .edl")
    project = open_store().projects.find(args.project)
    timeline = load_timeline(project)
    text = {".otio": export_otio, ".srt": export_srt, ".edl": export_edl}[suffix](timeline)
    _write_atomically(out, text)
    if args.json:
        print(json.dumps({"project": project.id, "out": str(out), "format": suffix[1:], "bytes": len(text.encode())}))
    else:
        print(f"wrote {out} ({suffix[1:].upper()}, project {project.id} {project.name!r})")
    return 0


def cmd_import_subtitles(args: argparse.Namespace) -> int:
    from editor.cli.context import open_store
    from editor.model.srt_io import parse_srt_timed
    from editor.store.config import data_dir
    from editor.store.editing import EditingSession

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CliError(f"{path}: file not found") from None
    except OSError as exc:
        raise CliError(f"{path}: {exc.strerror}") from None
    store = open_store()
    project = store.projects.find(args.project)
    session = EditingSession(store.projects, data_dir() / "journal", project)
    try:
        cues = parse_srt_timed(data, session.timeline.rate, args.encoding)
        session.apply("set_cues", {"cues": [[a, b, text, list(ms)] for a, b, text, ms in cues]})
    finally:
        saved = session.close(timeout=10)
    if not saved:
        raise CliError("the database did not take the change; it is kept in the journal and saved next time")
    if args.json:
        print(json.dumps({"project": project.id, "cues": len(cues), "revision": session.revision}))
    else:
        print(f"imported {len(cues)} subtitle(s) into project {project.id} {project.name!r}")
    return 0
