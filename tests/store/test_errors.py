"""One user-error base class: what the CLI and the window show as one line; anything else is a bug."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from editor.cli import CliError
from editor.media.errors import MediaError, RenderCancelled
from editor.model.errors import EditError, TimecodeError, UserError
from editor.store.errors import ConflictError, DatabaseUnavailable, JournalError, StoreError

ROOT = Path(__file__).resolve().parents[2]


def test_model_media_store_and_cli_errors_share_one_base() -> None:
    for cls in (EditError, TimecodeError, MediaError, RenderCancelled, StoreError, DatabaseUnavailable,
                ConflictError, JournalError, CliError):
        assert issubclass(cls, UserError), cls
    assert not issubclass(RuntimeError, UserError)


@pytest.mark.parametrize(
    "args, stdin, words",
    [
        (["edit"], "", "name a project"),
        (["edit", "no such project 42"], "", "no project named"),
        (["edit", "999999999"], "", "no project 999999999"),
    ],
)
def test_cutline_edit_user_errors_are_one_line(store, args: list[str], stdin: str, words: str) -> None:
    run = subprocess.run([sys.executable, "-m", "editor", *args], cwd=ROOT, input=stdin, capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 1, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in run.stderr, run.stderr


def test_cutline_edit_list_names_every_registry_edit_with_its_parameters() -> None:
    from editor.model.registry import EDITS

    run = subprocess.run([sys.executable, "-m", "editor", "edit", "--list", "--json"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    import json

    listed = {obj["edit"]: obj["params"] for obj in map(json.loads, run.stdout.splitlines())}
    assert set(listed) == set(EDITS)
    assert listed["split"]["track"] == {"required": True} and listed["add_marker"]["label"] == {"default": ""}
