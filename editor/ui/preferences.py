"""Preferences: server URLs (embedded or external), cache TTLs, and the keymap. Saved to config.json.

Server changes take effect at the next start (the window says so). Qt main thread only.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from editor.store.config import Settings, save_settings
from editor.ui.actions import ACTIONS, conflicts
from editor.ui.context import AppContext


class PreferencesDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.saved: Settings | None = None  # what Save wrote, for the window to apply
        settings = ctx.store.settings
        self.setWindowTitle("Preferences — Cutline")
        self.resize(620, 640)
        form = QFormLayout()
        self.database_url = QLineEdit(settings.database_url or "")
        self.database_url.setPlaceholderText("empty: Cutline's own embedded PostgreSQL")
        self.redis_url = QLineEdit(settings.redis_url or "")
        self.redis_url.setPlaceholderText("empty: Cutline's own embedded Redis-compatible server")
        self.metadata_ttl = QSpinBox(maximum=30 * 24 * 3600, minimum=60, value=settings.metadata_ttl, suffix=" s")
        self.thumbnail_ttl = QSpinBox(maximum=365 * 24 * 3600, minimum=60, value=settings.thumbnail_ttl, suffix=" s")
        self.stop_servers = QCheckBox("Stop the embedded servers when the last Cutline window closes")
        self.stop_servers.setChecked(settings.stop_servers_on_exit)
        form.addRow("PostgreSQL URL", self.database_url)
        form.addRow("Redis URL", self.redis_url)
        form.addRow("Metadata cache TTL", self.metadata_ttl)
        form.addRow("Thumbnail cache TTL", self.thumbnail_ttl)
        form.addRow("", self.stop_servers)
        self.keymap = QTableWidget(len(ACTIONS), 2, self)
        self.keymap.setHorizontalHeaderLabels(["Action", "Keys (separate with ;)"])
        self.keymap.verticalHeader().setVisible(False)
        for row, spec in enumerate(ACTIONS):
            label = QTableWidgetItem(spec.label)
            label.setData(256, spec.name)
            self.keymap.setItem(row, 0, label)
            self.keymap.setItem(row, 1, QTableWidgetItem(settings.keymap.get(spec.name, "; ".join(spec.keys))))
        self.keymap.resizeColumnsToContents()
        self.keymap.horizontalHeader().setStretchLastSection(True)
        self.note = QLabel("Server changes take effect when Cutline starts again; keys at once.")
        self.note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Keymap"))
        layout.addWidget(self.keymap)
        layout.addWidget(self.note)
        layout.addWidget(buttons)

    def settings(self) -> Settings:
        keymap = {}
        for row, spec in enumerate(ACTIONS):
            text = (self.keymap.item(row, 1).text() if self.keymap.item(row, 1) else "").strip()
            if text and text != "; ".join(spec.keys):
                keymap[spec.name] = text
        return replace(
            self.ctx.store.settings,
            database_url=self.database_url.text().strip() or None,
            redis_url=self.redis_url.text().strip() or None,
            metadata_ttl=self.metadata_ttl.value(),
            thumbnail_ttl=self.thumbnail_ttl.value(),
            stop_servers_on_exit=self.stop_servers.isChecked(),
            keymap=keymap,
        )

    def save(self) -> None:
        settings = self.settings()
        clashes = conflicts(settings.keymap)
        if clashes:
            self.note.setText("Keys bound twice: " + "; ".join(clashes))
            return
        save_settings(settings)
        self.saved = settings
        self.accept()
