"""The layer rules of DESIGN.md, read from the imports: fails when a layer imports what it must not."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FORBIDDEN = {
    "editor/model": ["PySide6", "av", "psycopg", "psycopg_pool", "redis", "qasync", "editor.media", "editor.store",
                     "editor.jobs", "editor.ui", "editor.app", "editor.cli"],
    "editor/media": ["PySide6", "psycopg", "psycopg_pool", "redis", "qasync", "editor.store", "editor.jobs",
                     "editor.ui", "editor.app", "editor.cli"],
    "editor/store": ["PySide6", "av", "qasync", "editor.media", "editor.jobs", "editor.ui", "editor.app",
                     "editor.cli"],
    "editor/jobs": ["PySide6", "qasync", "editor.ui", "editor.app"],
}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[int, str]] = []
    package = path.relative_to(ROOT).with_suffix("").parts
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[: -node.level])
                found.append((node.lineno, f"{base}.{node.module}" if node.module else base))
            elif node.module:
                found.append((node.lineno, node.module))
    return found


def test_layers_import_only_what_they_may() -> None:
    broken = []
    for folder, forbidden in FORBIDDEN.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            for line, module in imported_modules(path):
                if any(module == f or module.startswith(f + ".") for f in forbidden):
                    broken.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert not broken, "layer rules broken:\n" + "\n".join(broken)


def test_the_rule_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    sample = ROOT / "editor" / "model" / "_layer_probe_tmp.py"
    sample.write_text("from PySide6 import QtCore\n", encoding="utf-8")
    try:
        assert (1, "PySide6") in imported_modules(sample)
    finally:
        sample.unlink()
