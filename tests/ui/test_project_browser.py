"""The project browser keeps the selection on the project just renamed or duplicated (the next Duplicate or
Delete must not hit another project), driven with keys on the real servers."""

from __future__ import annotations

import uuid
from fractions import Fraction

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog

from editor.model.serialize import SCHEMA_VERSION, timeline_to_json
from editor.model.timeline import Timeline

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def browser(qtbot, store):
    from editor.ui.context import AppContext
    from editor.ui.controller import EditorController
    from editor.ui.project_browser import ProjectBrowser
    from editor.ui.tasks import Tasks

    tag = uuid.uuid4().hex[:8]
    empty = timeline_to_json(Timeline(rate=Fraction(25), name="t"))
    made = [store.projects.create(f"browser {tag} {i}", empty, SCHEMA_VERSION) for i in range(3)]
    tasks = Tasks()
    ctx = AppContext.create(store, tasks)
    # As in a real window: the session's recent project is listed first, so a refresh that selects the first
    # row lands on another project than the one just renamed or duplicated.
    ctx.session_id = store.sessions.create()
    store.sessions.add_recent_project(ctx.session_id, made[2].id)
    controller = EditorController(ctx)
    dialog = ProjectBrowser(ctx, controller)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: any(p.id == made[0].id for p in dialog.rows), timeout=10000)
    yield dialog, made
    for project in made:
        try:
            store.projects.delete(project.id)
        except Exception:  # noqa: BLE001 - the test deleted it itself
            pass


def _fill_and_accept(text: str):  # type: ignore[no-untyped-def]
    """An answer for ``when_dialog``: type ``text`` into the input dialog and press OK."""
    def fill(dialog: QInputDialog) -> None:
        dialog.setTextValue(text)
        dialog.accept()
    return fill


def _select(qtbot, dialog, project_id: int) -> None:
    row = next(r for r, p in enumerate(dialog.rows) if p.id == project_id)
    dialog.table.setFocus()
    qtbot.keyClick(dialog.table, Qt.Key.Key_Home)
    for _ in range(row):
        qtbot.keyClick(dialog.table, Qt.Key.Key_Down)
    assert dialog.selected().id == project_id


def test_rename_keeps_the_renamed_project_selected(qtbot, browser, when_dialog) -> None:
    dialog, made = browser
    target = made[0]  # the oldest of the three: not the first row
    _select(qtbot, dialog, target.id)
    when_dialog(QInputDialog, _fill_and_accept("a renamed project"))
    qtbot.keyClick(dialog, Qt.Key.Key_R, Qt.KeyboardModifier.AltModifier)  # &Rename…
    qtbot.waitUntil(lambda: any(p.name == "a renamed project" for p in dialog.rows), timeout=10000)
    assert dialog.selected().id == target.id and dialog.selected().name == "a renamed project"


def test_duplicate_selects_the_copy_and_delete_selects_a_neighbour(qtbot, browser, when_dialog) -> None:
    dialog, made = browser
    _select(qtbot, dialog, made[1].id)
    qtbot.keyClick(dialog, Qt.Key.Key_U, Qt.KeyboardModifier.AltModifier)  # D&uplicate
    qtbot.waitUntil(lambda: dialog.selected() is not None and dialog.selected().name.endswith("(copy)"),
                    timeout=10000)
    copy = dialog.selected()
    made.append(copy)  # cleaned up by the fixture
    assert copy.name == f"{made[1].name} (copy)" and copy.id not in (m.id for m in made[:3])
    count = len(dialog.rows)
    row = dialog.table.currentRow()
    from PySide6.QtWidgets import QMessageBox

    when_dialog(QMessageBox, lambda box: box.button(QMessageBox.StandardButton.Yes).click())
    qtbot.keyClick(dialog, Qt.Key.Key_D, Qt.KeyboardModifier.AltModifier)  # &Delete…
    qtbot.waitUntil(lambda: len(dialog.rows) == count - 1, timeout=10000)
    assert all(p.id != copy.id for p in dialog.rows)
    assert dialog.table.currentRow() == min(row, len(dialog.rows) - 1)
