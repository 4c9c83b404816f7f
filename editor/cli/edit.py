"""`cutline edit PROJECT`: edits as JSON lines on stdin, saved through exactly the window's path.

Each line is ``{"edit": NAME, "params": {...}}`` with a name and parameters of the model's edit registry
(``cutline edit --list``). Each edit goes through an :class:`~editor.store.editing.EditingSession`, as in the
window: journaled first, saved to PostgreSQL with its history row and id, rebased onto other writers'
revisions, published to other windows. One JSON line on stdout per input line:

- ``{"line": n, "edit": NAME, "id": ID, "status": "journaled"}`` once the edit is durable (on disk; or
  ``"saved"`` when the journal cannot be written and PostgreSQL took it);
- ``"status": "unchanged"`` (it changed nothing: nothing saved), ``"not_applicable"`` (the edit cannot be made
  on the timeline as it is), ``"invalid"`` (not a JSON object with a known edit): with ``"error"``;
- later, ``{"id": ID, "status": "dropped", "error": ...}`` for an edit another writer's newer work made
  impossible when it was rebased.

Exit 0 when every edit is in PostgreSQL; exit 1 with one line on stderr when the database cannot be reached
(the edits stay in the journal, and the next ``cutline edit PROJECT`` or window saves them:
``cutline edit PROJECT < /dev/null`` saves what a killed process journaled). Main thread of the CLI process.
"""

from __future__ import annotations

import argparse
import inspect
import json
import logging
import sys
from typing import Any

from editor.cli import CliError


def register(sub: Any) -> None:
    edit = sub.add_parser("edit", help="apply edits (JSON lines on stdin) to a project, saved as a window saves")
    edit.add_argument("project", nargs="?", help="id or exact name")
    edit.add_argument("--list", action="store_true", help="print the edit names and their parameters")
    edit.add_argument("--json", action="store_true", help="with --list: one JSON object per edit")
    edit.add_argument("--timeout", type=float, default=30.0,
                      help="seconds to wait for PostgreSQL at the end (default 30); the rest stays journaled")
    edit.set_defaults(func=cmd_edit)


def edit_signatures() -> list[tuple[str, list[tuple[str, bool, Any]]]]:
    """Each registry edit with its parameters: (name, required, default)."""
    from editor.model.registry import EDITS

    out = []
    for name, fn in sorted(EDITS.items()):
        params = list(inspect.signature(fn).parameters.values())[1:]
        out.append((name, [(p.name, p.default is inspect.Parameter.empty,
                            None if p.default is inspect.Parameter.empty else p.default) for p in params]))
    return out


def _print_list(as_json: bool) -> int:
    for name, params in edit_signatures():
        if as_json:
            print(json.dumps({"edit": name, "params": {p: ({"required": True} if req else {"default": d})
                                                       for p, req, d in params}}, default=str))
        else:
            shown = ", ".join(p if req else f"{p}={d!r}" for p, req, d in params)
            print(f"{name}({shown})")
    return 0


def _say(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _parse(line: str) -> tuple[str, dict[str, Any]]:
    try:
        obj = json.loads(line)
    except ValueError as exc:
        raise CliError(f"not JSON: {exc}") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("edit"), str):
        raise CliError('expected {"edit": NAME, "params": {...}}')
    params = obj.get("params", {})
    if not isinstance(params, dict):
        raise CliError("params must be an object")
    unknown = set(obj) - {"edit", "params"}
    if unknown:
        raise CliError(f"unknown key(s) {', '.join(sorted(unknown))}")
    return obj["edit"], params


def cmd_edit(args: argparse.Namespace) -> int:
    if args.list:
        return _print_list(args.json)
    if not args.project:
        raise CliError("name a project (cutline edit PROJECT < edits.jsonl), or ask for --list")
    from editor.cli.context import open_store
    from editor.model.errors import TimelineError
    from editor.store.bus import open_bus
    from editor.store.config import data_dir
    from editor.store.editing import EditingSession

    # The pool's reconnection chatter is not for the user: the outcome is said in one line at the end.
    logging.getLogger("psycopg").setLevel(logging.CRITICAL)
    store = open_store()
    project = store.projects.find(args.project)
    bus = open_bus(store.redis, store.endpoints.database_url, f"edit-{project.id}")
    session = EditingSession(store.projects, data_dir() / "journal", project, bus=bus)
    if session.recovered:
        print(f"cutline: saving {session.recovered} edit(s) a previous writer journaled", file=sys.stderr)
    reported = 0

    def report_refused() -> None:
        nonlocal reported
        session.pump()
        for edit_id, name, why in session.refused[reported:]:
            _say({"id": edit_id, "edit": name, "status": "dropped", "error": why})
        reported = len(session.refused)

    try:
        for n, raw in enumerate(sys.stdin, 1):
            if not raw.strip():
                continue
            try:
                name, params = _parse(raw)
            except CliError as exc:
                _say({"line": n, "status": "invalid", "error": str(exc)})
                continue
            before = session.history
            try:
                session.apply(name, params)
            except TimelineError as exc:
                status = "invalid" if str(exc).startswith(f"unknown edit {name!r}") else "not_applicable"
                _say({"line": n, "edit": name, "status": status, "error": str(exc)})
                continue
            if session.history is before:
                _say({"line": n, "edit": name, "status": "unchanged"})
                continue
            if session.saver.journaled:
                _say({"line": n, "edit": name, "id": session.last_edit_id, "status": "journaled"})
            elif session.saver.flush(args.timeout):  # the journal cannot be written: durable once saved
                _say({"line": n, "edit": name, "id": session.last_edit_id, "status": "saved"})
            else:
                break
            report_refused()
    finally:
        saved = session.close(timeout=args.timeout)
        report_refused()
        getattr(bus, "close", lambda: None)()
    if not saved:
        pending = session.saver.pending
        where = "in the journal" if session.saver.journal_error is None else "nowhere: the journal cannot be written"
        raise CliError(f"the database did not take {pending} edit(s) ({session.saver.state}); they are kept {where}"
                       f" and saved by the next `cutline edit {project.id}` or window")
    print(f"cutline: project {project.id} saved at revision {session.revision}", file=sys.stderr)
    return 0
