"""`cutline projects new|list|show|rename|delete|history`."""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any

from editor.cli import CliError
from editor.store.validate import escape_control as _s
from editor.store.validate import escape_json_text

_RATE_ARG = re.compile(r"^\s*\d{1,7}(?:\s*/\s*\d{1,7}|\.\d{1,6})?\s*$")


def register(sub: Any) -> None:
    projects = sub.add_parser("projects", help="projects in the database")
    actions = projects.add_subparsers(dest="action", metavar="ACTION", parser_class=type(projects))
    projects.set_defaults(func=lambda args: (projects.print_help(), 2)[1])

    new = actions.add_parser("new", help="a new project holding FILEs one after another")
    new.add_argument("name")
    new.add_argument("files", nargs="*", metavar="FILE")
    new.add_argument("--rate", help="frame rate, e.g. 25 or 30000/1001 (default: the first video's)")
    new.add_argument("--json", action="store_true")
    new.set_defaults(func=cmd_new)

    lst = actions.add_parser("list", help="projects, newest first")
    lst.add_argument("--limit", type=int, default=50)
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=cmd_list)

    show = actions.add_parser("show", help="one project: tracks, clips, markers")
    show.add_argument("project", help="id or exact name")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_show)

    rename = actions.add_parser("rename", help="rename a project")
    rename.add_argument("project")
    rename.add_argument("name")
    rename.add_argument("--json", action="store_true")
    rename.set_defaults(func=cmd_rename)

    delete = actions.add_parser("delete", help="delete a project and its history")
    delete.add_argument("project")
    delete.add_argument("--json", action="store_true")
    delete.set_defaults(func=cmd_delete)

    history = actions.add_parser("history", help="a project's edit history")
    history.add_argument("project")
    history.add_argument("--json", action="store_true")
    history.set_defaults(func=cmd_history)


def _emit(args: argparse.Namespace, data: Any, text: str) -> None:
    """Print ``data`` as JSON or ``text``; every name or message from the database in ``text`` went
    through ``_s`` (control characters escaped), and JSON has them escaped too."""
    if args.json:
        sys.stdout.write(escape_json_text(json.dumps(data, ensure_ascii=False, indent=2, default=str)) + "\n")
    else:
        print(text)


def _summary_json(p: Any) -> dict[str, Any]:
    return {"id": p.id, "name": p.name, "description": p.description, "revision": p.revision,
            "summary": p.summary, "created_at": p.created_at.isoformat(), "updated_at": p.updated_at.isoformat()}


def _duration_text(summary: Any) -> str:
    """The summary's duration as a timecode; ``--:--:--:--`` when the stored summary is missing or not
    sane (a planted ``"1e99999999"`` rate would otherwise make Fraction compute forever)."""
    from editor.model.time import format_timecode
    from editor.store.validate import BadValue, fraction_text, int_in

    if not isinstance(summary, dict) or not summary.get("rate"):
        return "--:--:--:--"
    try:
        rate = fraction_text(summary["rate"], max_value=1_000_000)
        frames = int_in(summary.get("duration_frames", 0), 0, 1 << 53, "duration_frames") or 0
        return format_timecode(frames, rate)
    except (BadValue, ValueError, ArithmeticError):
        return "--:--:--:--"


def cmd_new(args: argparse.Namespace) -> int:
    from editor.cli.context import open_store
    from editor.jobs.importing import import_files
    from editor.model.navigate import timeline_from_media
    from editor.model.serialize import SCHEMA_VERSION, timeline_to_json
    from editor.store.autosave import summary_of

    if args.rate is not None and not _RATE_ARG.match(args.rate):  # "1e99999999" would never finish
        raise CliError(f"--rate: expected a frame rate like 25, 29.97 or 30000/1001, got {_s(args.rate[:40])!r}")
    store = open_store()
    result = import_files(args.files, store.cache, store.media)
    if result.failures:
        path, reason = result.failures[0]
        raise CliError(reason if path in reason else f"{path}: {reason}")
    timeline = timeline_from_media(result.refs, rate=args.rate, name=args.name)
    project = store.projects.create(args.name, timeline_to_json(timeline), SCHEMA_VERSION,
                                    summary=summary_of(timeline))
    _emit(args, {**_summary_json(project), "files": [r.path for r in result.refs]},
          f"created project {project.id} {_s(repr(project.name))} with {len(result.refs)} file(s)")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from editor.cli.context import open_store

    rows = open_store().projects.list(limit=args.limit)
    lines = [f"{'ID':>6}  {'DURATION':<11}  {'REV':>4}  {'CHANGED':<19}  NAME"]
    lines += [f"{p.id:>6}  {_duration_text(p.summary):<11}  {p.revision:>4}  "
              f"{p.updated_at.strftime('%Y-%m-%d %H:%M:%S')}  {_s(p.name)}" for p in rows]
    _emit(args, [_summary_json(p) for p in rows], "\n".join(lines) if rows else "no projects yet")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from editor.cli.context import open_store
    from editor.model.time import format_timecode
    from editor.model.timeline import Clip, Gap
    from editor.store.autosave import load_timeline

    project = open_store().projects.find(args.project)
    timeline = load_timeline(project)
    tc = lambda f: format_timecode(f, timeline.rate)  # noqa: E731
    lines = [f"project {project.id} {_s(repr(project.name))}, revision {project.revision}, "
             f"{timeline.rate} fps, duration {_duration_text(project.summary)}"]
    for track in timeline.tracks:
        lines.append(f"  {_s(track.name)} ({track.kind})")
        for item, start in zip(track.items, track.starts(), strict=False):
            if isinstance(item, Gap):
                lines.append(f"    {tc(start)}  gap {item.duration} frames")
            elif isinstance(item, Clip):
                lines.append(f"    {tc(start)}  {_s(item.name or item.media.path)}  [{item.duration} frames from "
                             f"source frame {item.source_in}" + (f", speed {item.speed}" if item.speed != 1 else "")
                             + "]")
            else:
                lines.append(f"    {tc(start)}  “{_s(item.text)}”  [{item.duration} frames]")
    for marker in timeline.markers:
        lines.append(f"  marker {tc(marker.frame)} {marker.color} {_s(marker.label)}")
    data = {**_summary_json(project), "timeline": project.timeline_state}
    _emit(args, data, "\n".join(lines))
    return 0


def cmd_rename(args: argparse.Namespace) -> int:
    from editor.cli.context import open_store

    store = open_store()
    row = store.projects.rename(store.projects.find(args.project).id, args.name)
    _emit(args, _summary_json(row), f"renamed project {row.id} to {_s(repr(row.name))}")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    from editor.cli.context import open_store

    store = open_store()
    project = store.projects.find(args.project)
    store.projects.delete(project.id)
    _emit(args, {"id": project.id, "deleted": True}, f"deleted project {project.id} {_s(repr(project.name))}")
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    from editor.cli.context import open_store

    store = open_store()
    project = store.projects.find(args.project)
    rows = store.projects.history(project.id)
    data = [{"revision": r.revision, "edit": r.edit_type, "params": r.params, "merge_key": r.merge_key,
             "at": r.created_at.isoformat()} for r in rows]
    text = "\n".join(f"{r.revision:>5}  {r.created_at.strftime('%H:%M:%S')}  {_s(r.edit_type)}  "
                     f"{_s(json.dumps(r.params, ensure_ascii=False))}" for r in rows)
    _emit(args, data, text)
    return 0
