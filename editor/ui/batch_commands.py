"""What the media bin does with several selected files: batch cut and merge.

Batch cut: the timeline's enabled segments applied, by time, to every selected file; each file's segments
are joined into one output (a chapter each) in a folder the user picks, as one export job per file on the
window's queue; when the last job of a batch ends, one line says what was written and what was not (and
why). The specs come from :func:`editor.jobs.export.batch_specs`.

Merge: the selected files joined whole, in the bin's order, into one file (copied where every file matches
the first, smart where one differs: :func:`editor.media.merge.merge_plan`), as one export job. Qt main
thread only.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

from editor.jobs.export import batch_specs
from editor.media.render_output import output_format
from editor.model.errors import UserError
from editor.ui.export_dialog import default_output

log = logging.getLogger(__name__)

#: What the batch's mode question offers: label -> export preset.
MODES = {"Smart cut (exact)": "smart", "Stream copy (keyframe cut)": "copy", "Re-encode (fast)": "fast"}


def _output_for(folder: Path, source: str) -> Path:
    """``{source name} cut{.ext}`` in ``folder``, numbered when taken; the source's container when Cutline
    writes it, else MP4."""
    src = Path(source)
    ext = src.suffix.lower()
    try:
        output_format(f"x{ext}")
    except Exception:  # noqa: BLE001 - a container Cutline does not write
        ext = ".mp4"
    return default_output(f"{src.stem} cut", folder, ext)


class BatchCommands:
    """The window's batch cut: ask, start one job per file, sum up at the end."""

    def __init__(self, window: Any) -> None:
        self.window = window
        self.next_folder: str | None = None  # tests set this to skip the folder dialog
        self.next_merge_path: str | None = None  # tests set this to skip the save dialog of a merge
        self._batches: list[dict[str, Any]] = []
        self._jobs: set[str] = set()  # every batch's jobs: their own closing words give way to the batch's

    def owns(self, job_id: str) -> bool:
        """Whether ``job_id`` is one of a batch's exports."""
        return job_id in self._jobs

    def handlers(self) -> dict[str, Any]:
        return {"batch_cut": self.batch_cut, "merge_files": self.merge_selected}

    def merge_selected(self) -> None:
        """Join the files selected in the bin, whole and in the bin's order, into one file."""
        win = self.window
        files = win.media_bin.selected_media()
        if len(files) < 2:
            win.show_message("Select two or more files in the media bin to merge (Shift or Ctrl for several)")
            return
        first = Path(files[0].path)
        out = self.next_merge_path
        self.next_merge_path = None
        if out is None:
            suggested = _output_for(first.parent, str(first.with_name(f"{first.stem} merged{first.suffix}")))
            out, _ = QFileDialog.getSaveFileName(win, "Merge into", str(suggested))
        if not out:
            return
        target = Path(out).expanduser()
        if target.exists():
            answer = QMessageBox.question(win, "Replace file? — Cutline", f"{target.name} already exists. Replace it?",
                                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                                          QMessageBox.StandardButton.Cancel)
            if answer != QMessageBox.StandardButton.Yes:
                return
        from editor.media.merge import merge_plan

        paths = [m.path for m in files]
        win.show_message(f"Merging {len(paths)} files: checking that their streams match…")
        session = win.controller.session

        def start(plan: Any) -> None:
            spec, notes = plan
            try:
                win.jobs.start_export(spec, str(target), spec.mode, False, session.project_id if session else None)
            except UserError as exc:
                win.show_message(str(exc))
                return
            win.show_message(f"Merging {len(paths)} files into {target.name}: {'; '.join(notes)}")

        def failed(exc: BaseException) -> None:
            if not isinstance(exc, UserError):
                log.error("merging %s failed", paths, exc_info=exc)  # a bug: its traceback in the log
            win.show_message(f"Cannot merge: {' '.join(str(exc).split())}")

        win.ctx.tasks.run(merge_plan, paths, target, on_done=start, on_error=failed)

    def batch_cut(self) -> None:
        """Cut every file selected in the bin with the enabled segments, one output each."""
        win = self.window
        tl = win.controller.timeline
        if tl is None:
            win.show_message("Open or create a project first (Ctrl+O, Ctrl+N)")
            return
        files = win.media_bin.selected_media()
        if not files:
            win.show_message("Select the files to cut in the media bin first (Shift or Ctrl for several)")
            return
        segments = [g for g in tl.segments if g.enabled]
        if not segments:
            win.show_message("No enabled segment to cut with: B adds one from the in/out range")
            return
        parent: QWidget = win
        label, ok = QInputDialog.getItem(parent, "Cut files — Cutline",
                                         f"Cut {len(files)} file{'s' if len(files) > 1 else ''} with "
                                         f"{len(segments)} segment{'s' if len(segments) > 1 else ''}, each file's "
                                         "segments joined into one file:", list(MODES), 0, False)
        if not ok:
            return
        folder = self.next_folder
        self.next_folder = None
        if folder is None:
            folder = QFileDialog.getExistingDirectory(parent, "Cut files into", str(Path(files[0].path).parent))
        if not folder:
            return
        preset = MODES[label]
        try:
            plans = batch_specs(tl, files, preset)
        except UserError as exc:
            win.show_message(str(exc))
            return
        session = win.controller.session
        jobs: dict[str, str] = {}
        left_out: list[str] = []
        notes: list[str] = []
        for ref, spec, said in plans:
            name = Path(ref.path).name
            if spec is None:
                left_out.append(f"{name} ({said})")
                continue
            if said:
                notes.append(f"{name}: {said}")
            try:
                job = win.jobs.start_export(spec, str(_output_for(Path(folder), ref.path)), preset, False,
                                            session.project_id if session else None)
            except UserError as exc:
                left_out.append(f"{name} ({exc})")
                continue
            jobs[job] = name
            self._jobs.add(job)
        self._batches.append({"jobs": jobs, "ended": {}, "left_out": left_out, "notes": notes, "folder": folder})
        if jobs:
            win.show_message(f"Cutting {len(jobs)} file{'s' if len(jobs) > 1 else ''} into {folder} "
                             "(progress in the jobs panel)")
        else:
            self._sum_up(self._batches.pop())

    def on_job(self, state: Any) -> None:
        """A job changed: when it ends the last of its batch, say what the batch did."""
        if not state.finished:
            return
        for batch in list(self._batches):
            if state.id in batch["jobs"] and state.id not in batch["ended"]:
                batch["ended"][state.id] = state
                if len(batch["ended"]) == len(batch["jobs"]):
                    self._batches.remove(batch)
                    self._sum_up(batch)

    def _sum_up(self, batch: dict[str, Any]) -> None:
        jobs, ended = batch["jobs"], batch["ended"]
        done = [jobs[j] for j, s in ended.items() if s.status == "complete"]
        failed = [f"{jobs[j]} ({' '.join(s.message.split()) or s.status})" for j, s in ended.items()
                  if s.status != "complete"] + batch["left_out"]
        total = len(jobs) + len(batch["left_out"])
        text = f"Batch cut: {len(done)} of {total} files written to {batch['folder']}"
        if failed:
            text += "; not cut: " + ", ".join(failed)
        if batch["notes"]:
            text += "; " + "; ".join(batch["notes"])
        self.window.show_message(text)
