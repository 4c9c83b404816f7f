"""Subtitles in the window: import / export SRT (File menu), add a cue at the playhead, edit a cue's text
and timing (a small dialog, by key, or by double-clicking the cue on the timeline), show them over the
picture. Every change is a registry edit (undoable, saved, synced). Qt main thread only.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from editor.model.layers import cue_text_at
from editor.model.timeline import SubtitleCue, Timeline

__all__ = ["CueDialog", "SubtitleCommands", "cue_at"]


def cue_at(timeline: Timeline, frame: int) -> tuple[int, int, SubtitleCue] | None:
    """(track, start, cue) of the top-most cue under ``frame``. Pure; any thread."""
    for ti in range(len(timeline.tracks) - 1, -1, -1):
        tr = timeline.tracks[ti]
        if tr.kind != "subtitle":
            continue
        i = tr.index_at(frame)
        if i is not None and type(tr.items[i]) is SubtitleCue:
            return ti, tr.starts()[i], tr.items[i]  # type: ignore[return-value]
    return None


class CueDialog(QDialog):
    """A cue's text and its first and last-plus-one frames."""

    def __init__(self, parent: QWidget | None, text: str, start: int, end: int, *, adding: bool) -> None:
        super().__init__(parent)
        self.setObjectName("cue_dialog")
        self.setWindowTitle("Add subtitle" if adding else "Edit subtitle")
        form = QFormLayout(self)
        self.text = QPlainTextEdit(text)
        self.text.setObjectName("cue_text")
        self.text.setTabChangesFocus(True)
        form.addRow("&Text", self.text)
        self.start = QSpinBox()
        self.start.setObjectName("cue_start")
        self.start.setRange(0, 1 << 30)
        self.start.setValue(start)
        self.end = QSpinBox()
        self.end.setObjectName("cue_end")
        self.end.setRange(1, 1 << 30)
        self.end.setValue(end)
        form.addRow("&Start frame", self.start)
        form.addRow("&End frame (first frame after it)", self.end)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.text.setFocus()


class SubtitleCommands:
    """The subtitle actions of a window: ``handlers()`` maps action names to these methods."""

    def __init__(self, controller: Any, parent: QWidget, tasks: Any, overlay: Any) -> None:
        self.controller, self.parent, self.tasks, self.overlay = controller, parent, tasks, overlay
        #: tests set this to skip the file dialog: the path the next import / export uses
        self.next_path: str | None = None

    def handlers(self) -> dict[str, Callable[[], None]]:
        return {"import_srt": self.import_srt, "export_srt": self.export_srt, "add_cue": self.add_cue,
                "edit_cue": self.edit_cue, "toggle_subtitles": self.toggle_subtitles}

    def _path(self, saving: bool) -> str:
        if self.next_path is not None:
            path, self.next_path = self.next_path, None
            return path
        if saving:
            return QFileDialog.getSaveFileName(self.parent, "Export subtitles", "subtitles.srt",
                                               "SubRip subtitles (*.srt)")[0]
        return QFileDialog.getOpenFileName(self.parent, "Import subtitles", "", "SubRip subtitles (*.srt)")[0]

    def import_srt(self) -> None:
        tl = self.controller.timeline
        if tl is None:
            self.controller.message.emit("Open or create a project first (Ctrl+O, Ctrl+N)")
            return
        path = self._path(False)
        if not path:
            return
        rate = tl.rate

        def read() -> list:
            from editor.model.srt_io import parse_srt_timed

            return parse_srt_timed(Path(path).read_bytes(), rate)

        def done(cues: list) -> None:
            if self.controller.edit("set_cues", cues=[[a, b, text, list(ms)] for a, b, text, ms in cues]):
                self.controller.message.emit(f"Imported {len(cues)} subtitle(s) from {Path(path).name}")

        self.tasks.run(read, on_done=done, on_error=lambda exc: self.controller.message.emit(
            f"Cannot import {Path(path).name}: {exc}"))

    def export_srt(self) -> None:
        tl = self.controller.timeline
        if tl is None or not any(tr.kind == "subtitle" and tr.items for tr in tl.tracks):
            self.controller.message.emit("Export subtitles: the timeline has no subtitles")
            return
        path = self._path(True)
        if not path:
            return
        from editor.model.srt_io import export_srt

        text = export_srt(tl)

        def write() -> None:
            Path(path).write_text(text, encoding="utf-8")

        self.tasks.run(write, on_done=lambda _r: self.controller.message.emit(f"Subtitles written to {path}"),
                       on_error=lambda exc: self.controller.message.emit(f"Cannot write {path}: {exc}"))

    def add_cue(self) -> None:
        tl = self.controller.timeline
        if tl is None:
            return
        at = self.controller.playhead
        dialog = CueDialog(self.parent, "", at, at + 2 * max(1, round(tl.rate)), adding=True)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.controller.edit("add_cue", start=dialog.start.value(), end=dialog.end.value(),
                                 text=dialog.text.toPlainText())

    def edit_cue(self, cue_id: int | None = None) -> None:
        tl = self.controller.timeline
        if tl is None:
            return
        found = cue_at(tl, self.controller.playhead)
        if cue_id is not None:
            from editor.model.edits import locate

            ti, i, start = locate(tl, cue_id)
            found = (ti, start, tl.tracks[ti].items[i])  # type: ignore[assignment]
        if found is None:
            self.controller.message.emit("Edit subtitle: put the playhead on a subtitle (or double-click it)")
            return
        _, start, cue = found
        dialog = CueDialog(self.parent, cue.text, start, start + cue.duration, adding=False)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.controller.edit("edit_cue", cue_id=cue.id, text=dialog.text.toPlainText(),
                                 start=dialog.start.value(), end=dialog.end.value())

    def toggle_subtitles(self) -> None:
        self.overlay.set_enabled(not self.overlay.enabled)
        self.overlay.show_at(self.controller.timeline, self.controller.playhead)

    def shown_text(self) -> str:
        tl = self.controller.timeline
        return cue_text_at(tl, self.controller.playhead) if tl is not None else ""
