"""editor/model imports nothing of the project outside itself, and no Qt, PyAV, psycopg or redis; no I/O."""

from __future__ import annotations

import ast
from pathlib import Path

MODEL = Path(__file__).resolve().parents[2] / "editor" / "model"
FORBIDDEN_TOP = {
    "PySide6",
    "av",
    "psycopg",
    "psycopg_pool",
    "redis",
    "qasync",
    "socket",
    "subprocess",
    "requests",
    "urllib",
    "http",
    "pathlib",
    "shutil",
    "tempfile",
    "random",
    "os",
}
FORBIDDEN_CALLS = {"open", "print", "input"}


def _imports(tree: ast.AST) -> list[tuple[str, int]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, 0) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            out.append((node.module or "", node.level))
    return out


def test_model_layer_imports() -> None:
    files = sorted(MODEL.glob("*.py"))
    assert files
    for f in files:
        tree = ast.parse(f.read_text(encoding="utf-8"))
        for name, level in _imports(tree):
            if level:
                continue  # relative: inside editor.model
            top = name.split(".")[0]
            assert top != "editor" or name.startswith("editor.model"), f"{f.name} imports {name}"
            assert top not in FORBIDDEN_TOP, f"{f.name} imports {name}"
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in FORBIDDEN_CALLS, f"{f.name} calls {node.func.id}()"
            if isinstance(node, ast.Attribute) and node.attr in {"now", "time", "perf_counter", "today"}:
                assert not (
                    isinstance(node.value, ast.Name) and node.value.id in {"time", "datetime", "_dt"}
                ), f"{f.name} reads the clock"
