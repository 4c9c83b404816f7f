"""The project browser (Ctrl+O): projects in PostgreSQL, newest first; open, new, rename, duplicate, delete.

Every database call runs through :class:`Tasks`; the dialog stays responsive. Qt main thread only.
"""

from __future__ import annotations

from typing import Any

import shiboken6
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from editor.model.time import format_timecode, parse_rate
from editor.store.projects import ProjectSummary
from editor.ui.context import AppContext
from editor.ui.controller import EditorController


def duration_text(summary: dict[str, Any]) -> str:
    if not summary.get("rate"):
        return "—"
    return format_timecode(int(summary.get("duration_frames", 0)), parse_rate(summary["rate"]))


class ProjectBrowser(QDialog):
    def __init__(self, ctx: AppContext, controller: EditorController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.controller = controller
        self.rows: list[ProjectSummary] = []
        self.setWindowTitle("Projects — Cutline")
        self.resize(760, 480)
        self.recent: list[int] = []
        self.table = QTableWidget(0, 5, self)
        self.table.setHorizontalHeaderLabels(["", "Name", "Duration", "Clips", "Last change"])
        self.table.setIconSize(QSize(96, 54))
        self.table.verticalHeader().setDefaultSectionSize(60)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(lambda _i: self.open_selected())
        self.status = QLabel("Loading…")
        buttons = QHBoxLayout()
        for text, slot in (("&Open", self.open_selected), ("&New…", self.new), ("&Rename…", self.rename),
                           ("D&uplicate", self.duplicate), ("&Delete…", self.delete), ("Close", self.reject)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            buttons.addWidget(button)
            if text == "&Open":
                button.setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.refresh()

    def refresh(self, select: int | None = None, row: int | None = None) -> None:
        """Reload the list; then select project ``select``, else the project selected now, else ``row``
        (clamped), else the first. Main thread; the loading runs on a worker."""
        store, session_id = self.ctx.store, self.ctx.session_id
        if select is None and row is None:
            current = self.selected()
            select = current.id if current is not None else None

        def load() -> tuple[list[ProjectSummary], list[int]]:
            recent: list[int] = []
            if session_id:
                data = store.sessions.get(session_id) or {}
                recent = [p for p in data.get("recent_projects", []) if isinstance(p, int)]
            rows = store.projects.list(200)
            order = {pid: i for i, pid in enumerate(recent)}
            rows.sort(key=lambda p: (order.get(p.id, len(order)), -p.updated_at.timestamp()))
            return rows, recent

        self.ctx.tasks.run(load, on_done=lambda result: self._show(*result, select=select, row=row),
                           on_error=self._error)

    def _show(self, rows: list[ProjectSummary], recent: list[int], select: int | None = None,
              row: int | None = None) -> None:
        self.rows = rows
        self.recent = recent
        self.table.setRowCount(len(rows))
        for r, p in enumerate(rows):
            name = f"{p.name}   · recent" if p.id in recent else p.name
            values = ("", name, duration_text(p.summary), str(p.summary.get("clips", "")),
                      p.updated_at.astimezone().strftime("%Y-%m-%d %H:%M"))
            for c, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, p.id)
                self.table.setItem(r, c, item)
            poster = p.summary.get("poster") if isinstance(p.summary, dict) else None
            if isinstance(poster, dict) and poster.get("path"):
                self._load_poster(r, p.id, str(poster["path"]))
        self.table.resizeColumnsToContents()
        if rows:
            wanted = next((r for r, p in enumerate(rows) if p.id == select), None)
            if wanted is None:
                wanted = min(max(row or 0, 0), len(rows) - 1)
            self.table.selectRow(wanted)
        self.table.setFocus()
        self.status.setText(f"{len(rows)} project(s)" if rows else "No projects yet: press New")

    def _load_poster(self, row: int, project_id: int, path: str) -> None:
        from editor.media.thumbnails import filmstrip

        cache = self.ctx.store.cache

        def make() -> bytes:
            strip = filmstrip(path, 1, (96, 54), cache=cache)
            return strip[0].jpeg if strip else b""

        def show(jpeg: bytes) -> None:
            if not shiboken6.isValid(self.table):  # the browser was closed while the poster was made
                return
            if row < len(self.rows) and self.rows[row].id == project_id and jpeg:
                image = QImage.fromData(jpeg, "JPEG")
                item = self.table.item(row, 0)
                if item is not None and not image.isNull():
                    item.setIcon(QIcon(QPixmap.fromImage(image)))

        self.ctx.tasks.run(make, on_done=show, on_error=lambda _e: None)  # offline media: no poster

    def _error(self, exc: BaseException) -> None:
        self.status.setText(str(exc))

    def selected(self) -> ProjectSummary | None:
        row = self.table.currentRow()
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def open_selected(self) -> None:
        project = self.selected()
        if project is not None:
            self.controller.open_project(project.id)
            self.accept()

    def new(self) -> None:
        name, ok = QInputDialog.getText(self, "New project", "Name:", text="Untitled")
        if ok and name.strip():
            self.controller.new_project(name.strip())
            self.accept()

    def rename(self) -> None:
        project = self.selected()
        if project is None:
            return
        name, ok = QInputDialog.getText(self, "Rename project", "Name:", text=project.name)
        if ok and name.strip():
            def done(_row: Any) -> None:
                if self.controller.session and self.controller.session.project_id == project.id:
                    self.controller.session.name = name.strip()
                    self.controller.project_changed.emit((project.id, name.strip()))
                self.refresh(select=project.id)  # the renamed project stays selected, wherever it sorts

            self.ctx.tasks.run(self.ctx.store.projects.rename, project.id, name.strip(), on_done=done,
                               on_error=self._error)

    def duplicate(self) -> None:
        project = self.selected()
        if project is not None:
            self.ctx.tasks.run(self.ctx.store.projects.duplicate, project.id, f"{project.name} (copy)",
                               on_done=lambda copy: self.refresh(select=copy.id), on_error=self._error)

    def delete(self) -> None:
        project = self.selected()
        if project is None:
            return
        if self.controller.session and self.controller.session.project_id == project.id:
            self.status.setText("That project is open in this window; open another one first")
            return
        answer = QMessageBox.question(self, "Delete project",
                                      f"Delete “{project.name}” and its history? This cannot be undone.")
        if answer == QMessageBox.StandardButton.Yes:
            at = self.table.currentRow()
            self.ctx.tasks.run(self.ctx.store.projects.delete, project.id,
                               on_done=lambda _r: self.refresh(row=at), on_error=self._error)
