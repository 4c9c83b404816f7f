"""The keyboard cheat sheet (``?`` and F1): every action and its keys, as bound now. Qt main thread only."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from editor.ui.actions import ACTIONS


class CheatSheet(QDialog):
    def __init__(self, actions: dict[str, QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts — Cutline")
        self.resize(560, 720)
        table = QTableWidget(len(ACTIONS), 3, self)
        table.setHorizontalHeaderLabels(["Keys", "Action", "Menu"])
        table.verticalHeader().setVisible(False)
        for row, spec in enumerate(ACTIONS):
            keys = ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in actions[spec.name].shortcuts())
            for col, text in enumerate((keys, spec.label, spec.menu)):
                table.setItem(row, col, QTableWidgetItem(text))
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        self.table = table
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(buttons)
