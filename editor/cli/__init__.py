"""`cutline` command line: headless commands on the same core as the window.

Each module in this package that holds commands exposes ``register(subparsers)``, adding its
sub-commands with ``parser.set_defaults(func=handler)``; a handler takes the parsed
``argparse.Namespace`` and returns the exit code. User errors become one line on stderr and exit 1
(bad arguments exit 2); tracebacks are for bugs only.

Runs on the main thread of a plain process; never imports Qt unless the window is asked for.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from editor.model.errors import UserError

#: Modules that add sub-commands, in the order their commands are listed in ``--help``.
COMMAND_MODULES = (
    "editor.cli.servers",
    "editor.cli.projects",
    "editor.cli.media",
    "editor.cli.cut",
    "editor.cli.interchange",
    "editor.cli.jobs",
    "editor.cli.edit",
    "editor.cli.worker",
)

#: Where each command lives, so that ``cutline CMD`` loads only the module of CMD (the others cost a command
#: ~30 ms at start). A command missing here still works: then every module is loaded.
COMMAND_HOMES = {
    "doctor": "editor.cli.servers", "servers": "editor.cli.servers", "projects": "editor.cli.projects",
    "probe": "editor.cli.media", "snapshot": "editor.cli.media", "thumbnails": "editor.cli.media",
    "cut": "editor.cli.cut", "export": "editor.cli.interchange", "import-subtitles": "editor.cli.interchange",
    "render": "editor.cli.jobs", "jobs": "editor.cli.jobs", "events": "editor.cli.jobs", "cancel": "editor.cli.jobs",
    "edit": "editor.cli.edit",
}


class CliError(UserError):
    """A user error: printed as one line on stderr, exit code 1."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no usage dump
        self.exit(2, f"cutline: {message}\n")


def build_parser(only: str | None = None) -> tuple[argparse.ArgumentParser, set[str]]:
    """The parser, and the names of its sub-commands; with ``only`` (a command of ``COMMAND_HOMES``), a parser
    holding just the commands of that command's module."""
    parser = _Parser(prog="cutline", description="Cutline video editor. Without a command, opens the window.")
    parser.add_argument("--version", action=_VersionAction, nargs=0, help="show the version and exit")
    parser.add_argument("--verbose", action="store_true", help="log everything to stderr and the log file")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in (COMMAND_HOMES[only],) if only in COMMAND_HOMES else COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # that command group is not built yet
                continue
            raise
        module.register(sub)
    return parser, set(sub.choices)


class _VersionAction(argparse.Action):
    """``--version``, looked up only when asked (reading the package metadata costs every command ~50 ms)."""

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        parser.exit(0, f"cutline {_version()}\n")


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("cutline")
    except Exception:  # noqa: BLE001 - running from a checkout without install
        return "dev"


def _opens_window(args: list[str], commands: set[str]) -> bool:
    """`cutline`, `cutline FILE...`, `cutline --smoke-test` open the window; the rest are commands."""
    if not args:
        return True
    first = args[0]
    if first in commands or first in ("-h", "--help", "--version"):
        return False
    if first.startswith("-"):
        return first in ("--smoke-test", "--project") or first.startswith("--project=")
    return os.path.exists(first) or os.path.splitext(first)[1] != "" or os.sep in first


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    from editor.diagnostics import setup_logging

    if args_list[:1] == ["--render-child"]:  # a frozen bundle's render child process (see render_process)
        from editor.media.render_process import child_main

        setup_logging(process="render child")
        return child_main(args_list[1:])
    verbose = "--verbose" in args_list  # anywhere on the line: the window and every command take it
    args_list = [a for a in args_list if a != "--verbose"]
    first = args_list[0] if args_list else None
    parser, commands = build_parser(first if first in COMMAND_HOMES else None)
    if _opens_window(args_list, commands):
        from editor.app import main as app_main

        return app_main(args_list + (["--verbose"] if verbose else []))
    if args_list and args_list[0] not in commands and not args_list[0].startswith("-"):
        print(f"cutline: unknown command {args_list[0]!r} (see cutline --help)", file=sys.stderr)
        return 2
    args = parser.parse_args(args_list)
    setup_logging(verbose, process=f"cutline {args_list[0]}" if args_list else "cutline")
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        from editor.store.validate import escape_control

        print(f"cutline: {escape_control(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("cutline: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `cutline projects list | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
