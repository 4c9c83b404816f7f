"""The export dialog (Ctrl+E): preset, range, output file and what it holds (container, codecs, quality, size,
frame rate); for a stream copy, the real range of every segment (a keyframe cut) before the export starts.

The container follows the output's extension (choosing a format changes it); the codecs offered are the
ones that container takes with this FFmpeg. An existing output is replaced only after the dialog asks. The
export runs as a job in a child process; its progress shows in the jobs panel of every window.
Qt main thread only (the copy plan is worked out on the task pool).
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from editor.jobs.export import PRESETS, export_range, joined_spec, render_spec_for
from editor.media.chapters import CHAPTER_CONTAINERS
from editor.media.render_output import output_format, output_formats, safe_file_name
from editor.model.segments import enabled_segments
from editor.model.time import format_timecode
from editor.model.timeline import Segment
from editor.ui.controller import EditorController

SIZES = [(3840, 2160), (2560, 1440), (1920, 1080), (1280, 720), (854, 480), (640, 360)]
RATES = [Fraction(24000, 1001), Fraction(24), Fraction(25), Fraction(30000, 1001), Fraction(30), Fraction(50),
         Fraction(60000, 1001), Fraction(60)]
CODEC_LABELS = {"h264": "H.264", "hevc": "HEVC (H.265)", "av1": "AV1", "vp9": "VP9", "prores": "ProRes 422",
                "mpeg2": "MPEG-2", "aac": "AAC", "opus": "Opus", "pcm": "PCM 16-bit", "pcm24": "PCM 24-bit",
                "mp3": "MP3", "flac": "FLAC"}


def default_output(name: str, folder: Path | None = None, extension: str = ".mp4") -> Path:
    safe = safe_file_name(name, "export")
    folder = folder or Path.home() / "Videos"
    if not folder.is_dir():
        folder = Path.home()
    candidate = folder / f"{safe}{extension}"
    n = 2
    while candidate.exists():
        candidate = folder / f"{safe} ({n}){extension}"
        n += 1
    return candidate


def _rate_text(rate: Fraction) -> str:
    return f"{float(rate):.3f}".rstrip("0").rstrip(".")


def segment_outputs(out: Path, segments: tuple[Segment, ...]) -> list[Path]:
    """One output per segment beside ``out``: ``NAME 01 intro.mp4``, ``NAME 02.mp4`` … (the segment's name,
    made safe for a file name, when it has one). Pure."""
    width = max(2, len(str(len(segments))))
    paths = []
    for n, seg in enumerate(segments, 1):
        label = safe_file_name(seg.name)
        paths.append(out.with_name(f"{out.stem} {n:0{width}d}{' ' + label if label else ''}{out.suffix}"))
    return paths


class ExportDialog(QDialog):
    def __init__(self, jobs: Any, controller: EditorController, parent: QWidget | None = None, *,
                 segments: bool | str = False) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.controller = controller
        self.job_id: str | None = None
        self.job_ids: list[str] = []  # every job started (one per segment with "Segments, one file each")
        self.plan_text = ""
        self._plan_generation = 0
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
        self._segments = enabled_segments(timeline)
        self.by_segment = QRadioButton("Segments, one file each")
        self.by_segment.setObjectName("export_segments")
        self.by_segment.setEnabled(bool(self._segments))
        if self._segments:
            total = sum(g.end - g.start for g in self._segments)
            self.by_segment.setText(f"Segments, one file each ({len(self._segments)} enabled,"
                                    f" {format_timecode(total, timeline.rate)} in all)")
        self.joined = QRadioButton("Segments, joined into one file")
        self.joined.setObjectName("export_segments_joined")
        self.joined.setEnabled(bool(self._segments))
        if self._segments:
            self.joined.setText(f"Segments, joined into one file (a chapter each, "
                                f"{format_timecode(total, timeline.rate)})")
            if segments:
                (self.joined if segments == "joined" else self.by_segment).setChecked(True)
        self._range_group = QButtonGroup(self)  # one range: the radios have no common parent yet, so Qt would
        for radio in (self.whole, self.in_out, self.by_segment, self.joined):  # not keep them exclusive
            self._range_group.addButton(radio)
        self.output = QLineEdit(str(default_output(session.name if session else "export")))
        browse = QPushButton("Browse…")
        browse.setAutoDefault(False)  # Return exports, wherever the focus is
        browse.clicked.connect(self.browse)
        out_row = QHBoxLayout()
        out_row.addWidget(self.output, 1)
        out_row.addWidget(browse)

        self.format = QComboBox()
        for f in output_formats():
            self.format.addItem(f"{f.label} (.{f.extension.lstrip('.')})", f.extension)
        self.video_codec = QComboBox()
        self.audio_codec = QComboBox()
        self.quality_kind = QComboBox()
        self.quality_kind.addItem("Constant quality (CRF)", "crf")
        self.quality_kind.addItem("Bitrate (kb/s)", "bitrate")
        self.quality = QSpinBox()
        self.quality.setRange(0, 200_000)
        self.frame_size = QComboBox()
        w, h = self._timeline_size()
        self.frame_size.addItem(f"As the timeline ({w}×{h})", None)
        for sw, sh in SIZES:
            if (sw, sh) != (w, h):
                self.frame_size.addItem(f"{sw}×{sh}", (sw, sh))
        self.rate = QComboBox()
        self.rate.addItem(f"As the timeline ({_rate_text(timeline.rate)} fps)", None)
        for r in RATES:
            if r != timeline.rate:
                self.rate.addItem(f"{_rate_text(r)} fps", r)
        self.burn = QCheckBox("Burn in subtitles")
        self.burn.setObjectName("burn_subtitles")
        self.burn.setEnabled(any(tr.kind == "subtitle" and tr.items for tr in timeline.tracks))
        self.chapters = QCheckBox("Markers as chapters")
        self.chapters.setObjectName("chapters")
        self.chapters.setToolTip("Each marker starts a chapter of the output (MP4, MOV, MKV, WebM)")
        self.chapters.setChecked(bool(timeline.markers))
        self.where = QComboBox()  # "Render on workers": the shared queue's `cutline worker`s, maybe in parts
        self.where.addItem("This machine", 0)
        self.where.addItem("Workers (one part)", 1)
        self.where.addItem("Workers, in 4 parts at once", 4)
        self.plan = QLabel("")
        self.plan.setWordWrap(True)
        self.plan.setMinimumHeight(self.plan.fontMetrics().lineSpacing() * 5)  # a few segments, unclipped
        self.error = QLabel("")
        self.error.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Preset", self.preset)
        form.addRow("Subtitles", self.burn)
        form.addRow("Chapters", self.chapters)
        range_box = QVBoxLayout()
        range_box.addWidget(self.whole)
        range_box.addWidget(self.in_out)
        range_box.addWidget(self.by_segment)
        range_box.addWidget(self.joined)
        form.addRow("Range", range_box)
        form.addRow("Output", out_row)
        form.addRow("Format", self.format)
        form.addRow("Video", self.video_codec)
        form.addRow("Audio", self.audio_codec)
        quality_row = QHBoxLayout()
        quality_row.addWidget(self.quality_kind, 1)
        quality_row.addWidget(self.quality)
        form.addRow("Quality", quality_row)
        form.addRow("Size", self.frame_size)
        form.addRow("Frame rate", self.rate)
        form.addRow("Render on", self.where)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        buttons.button(QDialogButtonBox.StandardButton.Ok).setDefault(True)
        buttons.accepted.connect(self.start)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.plan)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(680, max(560, self.sizeHint().height()))  # every row and the copy plan under them

        self.format.currentIndexChanged.connect(self._format_changed)
        self.output.editingFinished.connect(self._output_changed)
        self.preset.currentIndexChanged.connect(self._preset_changed)
        self.quality_kind.currentIndexChanged.connect(self._quality_kind_changed)
        self.whole.toggled.connect(lambda _on: self._update_plan())
        self.by_segment.toggled.connect(lambda _on: self._update_plan())
        self.joined.toggled.connect(lambda _on: self._fill_codecs())  # the chapters choice follows
        self._output_changed()
        self._preset_changed()

    # -- what the choices mean -------------------------------------------------------------------------

    def _timeline_size(self) -> tuple[int, int]:
        try:
            spec = render_spec_for(self.controller.timeline, preset="fast")  # type: ignore[arg-type]
            return spec.width, spec.height
        except Exception:  # noqa: BLE001 - an empty timeline: the dialog says so on Export
            return 1920, 1080

    def _output_changed(self) -> None:
        ext = Path(self.output.text().strip()).suffix.lower()
        i = self.format.findData(ext)
        if i >= 0 and i != self.format.currentIndex():
            self.format.setCurrentIndex(i)  # calls _format_changed
        else:
            self._fill_codecs()

    def _format_changed(self) -> None:
        ext = self.format.currentData()
        text = self.output.text().strip()
        if text and ext and Path(text).suffix.lower() != ext:
            self.output.setText(str(Path(text).with_suffix(ext)))
        self._fill_codecs()

    def _fill_codecs(self) -> None:
        try:
            fmt = output_format(f"x{self.format.currentData()}")
        except Exception:  # noqa: BLE001 - unknown extension: said on Export
            return
        copying = PRESETS[self.preset.currentData()].mode in ("copy", "smart")
        for combo, codecs, none in ((self.video_codec, fmt.video, "No video (sound only)"),
                                    (self.audio_codec, fmt.audio, "")):
            keep = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            if combo is self.video_codec and copying:
                combo.addItem("As the source (copied)", "")
            for c in codecs:
                combo.addItem(CODEC_LABELS.get(c, c), c)
            if not codecs and none:
                combo.addItem(none, "")
            i = combo.findData(keep)
            combo.setCurrentIndex(max(0, i))
            combo.blockSignals(False)
        self.video_codec.setEnabled(bool(fmt.video) and not copying)
        # joined segments are the chapters themselves; else the markers, where the container keeps chapters
        self.chapters.setEnabled(bool(self.controller.timeline and self.controller.timeline.markers)
                                 and fmt.muxer in CHAPTER_CONTAINERS and not self.joined.isChecked())
        self._update_plan()

    def _preset_changed(self) -> None:
        p = PRESETS[self.preset.currentData()]
        reencode = p.mode == "reencode"
        for w in (self.quality_kind, self.quality, self.frame_size, self.rate):
            w.setEnabled(reencode or w is self.quality_kind or w is self.quality)
        self._quality_kind_changed()
        self._fill_codecs()

    def _quality_kind_changed(self) -> None:
        if self.quality_kind.currentData() == "crf":
            self.quality.setRange(0, 51)
            self.quality.setValue(PRESETS[self.preset.currentData()].crf)
            self.quality.setSuffix("")
        else:
            self.quality.setRange(100, 200_000)
            self.quality.setValue(8000)
            self.quality.setSuffix(" kb/s")

    def ranges(self) -> list[bool | tuple[int, int]]:
        """What each output holds: the whole timeline or the in/out range (one output), or each enabled
        segment (one output each)."""
        if self.by_segment.isChecked() and self._segments:
            return [(g.start, g.end) for g in self._segments]
        if self.joined.isChecked() and self._segments:
            return [False]  # one output: the spec says what it holds
        return [self.in_out.isChecked()]

    def specs(self) -> list[Any]:
        """The render spec of every output (RenderError, one line, when the choices do not fit)."""
        if self.joined.isChecked() and self._segments:
            return [joined_spec([self.spec((g.start, g.end), chapters=False) for g in self._segments],
                                [g.name for g in self._segments])]
        return [self.spec(r) for r in self.ranges()]

    def spec(self, in_out: bool | tuple[int, int] | None = None, chapters: bool | None = None) -> Any:
        """The render spec of the current choices (RenderError, one line, when they do not fit)."""
        size = self.frame_size.currentData()
        crf = self.quality.value() if self.quality_kind.currentData() == "crf" else None
        bitrate = self.quality.value() * 1000 if self.quality_kind.currentData() == "bitrate" else 0
        return render_spec_for(self.controller.timeline,  # type: ignore[arg-type]
                               preset=self.preset.currentData(),
                               in_out=self.in_out.isChecked() if in_out is None else in_out,
                               width=size[0] if size else None, height=size[1] if size else None,
                               fps=self.rate.currentData(), video_codec=self.video_codec.currentData() or "",
                               audio_codec=self.audio_codec.currentData() or "", crf=crf, video_bitrate=bitrate,
                               burn_subtitles=self.burn.isChecked(),
                               chapters=(self.chapters.isChecked() and self.chapters.isEnabled()
                                         if chapters is None else chapters))

    def _update_plan(self) -> None:
        """For a copy, work out (on the task pool) where every segment really starts and ends."""
        self._plan_generation += 1
        generation = self._plan_generation
        mode = PRESETS[self.preset.currentData()].mode
        if mode == "reencode":
            self.plan_text = ""
            self.plan.setText("")
            return
        if mode == "smart":
            self.plan_text = "Smart cut: exact at both ends; only the frames around each cut are re-encoded."
            self.plan.setText(self.plan_text)
            return
        try:
            specs = self.specs()
        except Exception as exc:  # noqa: BLE001 - shown, not raised
            self.plan_text = str(exc)
            self.plan.setText(self.plan_text)
            return
        self.plan.setText("Stream copy: finding the keyframes…")
        files = (segment_outputs(Path(self.output.text().strip()), self._segments) if len(specs) > 1 else [])

        def done(plans: Any) -> None:
            if generation != self._plan_generation:
                return  # the choices changed meanwhile
            lines = ["Stream copy is a keyframe cut: each segment starts at the keyframe at or before its start."]
            for k, segments in enumerate(plans):
                if files:
                    lines.append(f"{files[k].name}:")
                for s in segments:
                    exact = "exact" if s.exact else (f"asked {float(s.requested_in):.3f}–"
                                                     f"{float(s.requested_out):.3f} s")
                    lines.append(f"{'  ' if files else ''}Segment {s.index + 1}: {Path(s.path).name} "
                                 f"{float(s.actual_in):.3f}–{float(s.actual_out):.3f} s ({exact})")
            self.plan_text = "\n".join(lines)
            self.plan.setText(self.plan_text)

        def failed(exc: BaseException) -> None:
            if generation == self._plan_generation:
                self.plan_text = str(exc)
                self.plan.setText(self.plan_text)

        from editor.media.render import copy_plan

        def plan_all() -> list[Any]:
            return [copy_plan(spec) for spec in specs]

        tasks = getattr(getattr(self.controller, "ctx", None), "tasks", None)
        if tasks is None:
            try:
                done(plan_all())
            except Exception as exc:  # noqa: BLE001
                failed(exc)
            return
        tasks.run(plan_all, on_done=done, on_error=failed)

    # -- actions ---------------------------------------------------------------------------------------

    def browse(self) -> None:
        filters = ";;".join(f"{f.label} (*{f.extension})" for f in output_formats())
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.output.text(), filters)
        if path:
            self.output.setText(path)
            self._output_changed()

    def confirm_overwrite(self, out: Path, count: int = 1) -> bool:
        """Ask before replacing an existing file (Replace / Cancel, Cancel the default)."""
        more = f" (and {count - 1} more of the files to write)" if count > 1 else ""
        box = QMessageBox(QMessageBox.Icon.Warning, "Replace file? — Cutline",
                          f"{out.name} already exists in {out.parent}{more}. Replace it?", parent=self)
        replace = box.addButton("&Replace", QMessageBox.ButtonRole.AcceptRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.exec()
        return box.clickedButton() is replace

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
        session = self.controller.session
        try:
            output_format(out)
            specs = self.specs()
        except Exception as exc:  # noqa: BLE001 - a bad preset, range or format is shown, not raised
            self.error.setText(str(exc))
            return
        ranges = self.ranges()
        outs = segment_outputs(out, self._segments) if len(specs) > 1 else [out]
        existing = [o for o in outs if o.exists()]
        if existing and not self.confirm_overwrite(existing[0], len(existing)):
            self.error.setText(f"{existing[0].name} exists; choose another name or replace it")
            return
        try:
            parts = int(self.where.currentData() or 0)
            extra = {"farm": True, "chunks": parts} if parts else {}
            for spec, target, in_out in zip(specs, outs, ranges, strict=True):
                self.job_ids.append(self.jobs.start_export(spec, str(target), self.preset.currentData(), in_out,
                                                           session.project_id if session else None, **extra))
        except Exception as exc:  # noqa: BLE001 - shown, not raised
            self.error.setText(str(exc))
            return
        self.job_id = self.job_ids[0]
        what = out.name if len(outs) == 1 else f"{len(outs)} files ({outs[0].name} …)"
        self.controller.message.emit(f"Export started: {what} (progress in the jobs panel)")
        self.accept()
