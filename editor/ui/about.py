"""Help ▸ About: Cutline's version, the libraries it runs on, where its files are, and a button that copies
all of it for a bug report. Qt main thread only (the report is gathered without touching a server)."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from editor import diagnostics


def diagnostics_text(servers: list[str] | None = None) -> str:
    """The text "Copy diagnostics" puts on the clipboard. ``servers``: lines about the servers in use."""
    return "\n".join([*diagnostics.report_lines(), *(servers or [])])


class AboutDialog(QDialog):
    def __init__(self, servers: list[str] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Cutline")
        self.resize(620, 420)
        title = QLabel(f"<h2>Cutline {diagnostics.version()}</h2>"
                       "<p>Cut video fast with the keyboard, and never lose work.</p>")
        self.text = QPlainTextEdit(diagnostics_text(servers))
        self.text.setReadOnly(True)
        self.copy_button = QPushButton("&Copy diagnostics")
        self.copy_button.clicked.connect(self.copy)
        self.copied = QLabel("")
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        close.setDefault(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.copied, 1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.text, 1)
        layout.addLayout(buttons)
        self.copy_button.setFocus()

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text.toPlainText())
        self.copied.setText("Copied: paste it into your bug report")
