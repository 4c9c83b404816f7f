"""The export dialog (Ctrl+E): preset, range (whole timeline or in/out) and output file.

The export runs as a job in a child process; its progress shows in the jobs panel of every window.
Qt main thread only.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from editor.jobs.export import PRESETS, export_range
from editor.model.time import format_timecode
from editor.ui.controller import EditorController


def default_output(name: str, folder: Path | None = None) -> Path:
    safe = "".join(ch if ch not in '/\\:*?"<>|' else "_" for ch in name).strip() or "export"
    folder = folder or Path.home() / "Videos"
    if not folder.is_dir():
        folder = Path.home()
    candidate = folder / f"{safe}.mp4"
    n = 2
    while candidate.exists():
        candidate = folder / f"{safe} ({n}).mp4"
        n += 1
    return candidate


class ExportDialog(QDialog):
    def __init__(self, jobs: Any, controller: EditorController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.controller = controller
        self.job_id: str | None = None
        timeline = controller.timeline
        assert timeline is not None
        session = controller.session
        self.setWindowTitle("Export — Cutline")
        self.preset = QComboBox()
        for key, preset in PRESETS.items():
            self.preset.addItem(preset.label, key)
        self.whole = QRadioButton("Whole timeline")
        self.in_out = QRadioButton("In to out")
        has_range = timeline.in_point is not None or timeline.out_point is not None
        self.in_out.setEnabled(has_range)
        (self.in_out if has_range else self.whole).setChecked(True)
        start, end = export_range(timeline, False)
        self.whole.setText(f"Whole timeline ({format_timecode(end - start, timeline.rate)})")
        if has_range:
            a, b = export_range(timeline, True)
            self.in_out.setText(f"In to out ({format_timecode(a, timeline.rate)} – {format_timecode(b, timeline.rate)},"
                                f" {b - a} frames)")
        self.output = QLineEdit(str(default_output(session.name if session else "export")))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self.browse)
        out_row = QHBoxLayout()
        out_row.addWidget(self.output, 1)
        out_row.addWidget(browse)
        self.error = QLabel("")
        self.error.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Preset", self.preset)
        range_box = QVBoxLayout()
        range_box.addWidget(self.whole)
        range_box.addWidget(self.in_out)
        form.addRow("Range", range_box)
        form.addRow("Output", out_row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        buttons.accepted.connect(self.start)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(620, 220)

    def browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.output.text(), "MP4 video (*.mp4);;"
                                              "QuickTime (*.mov);;Matroska (*.mkv)")
        if path:
            self.output.setText(path)

    def start(self) -> None:
        out = Path(self.output.text().strip()).expanduser()
        if not out.name:
            self.error.setText("Choose an output file")
            return
        if not out.parent.is_dir():
            self.error.setText(f"The folder {out.parent} does not exist")
            return
        if not os.access(out.parent, os.W_OK):
            self.error.setText(f"The folder {out.parent} is not writable")
            return
        timeline = self.controller.timeline
        session = self.controller.session
        try:
            self.job_id = self.jobs.start_export(timeline, str(out), self.preset.currentData(),
                                                 self.in_out.isChecked(), session.project_id if session else None)
        except Exception as exc:  # noqa: BLE001 - a bad preset or range is shown, not raised
            self.error.setText(str(exc))
            return
        self.controller.message.emit(f"Export started: {out.name} (progress in the jobs panel)")
        self.accept()
