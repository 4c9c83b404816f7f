"""The editor window: media bin, viewer, timeline, jobs panel, transport and status bars.

Thin: it lays out the views, turns keys (QActions from :mod:`editor.ui.actions`) into controller
commands, and shows the controller's state. Qt main thread only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent, QGuiApplication, QImage
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from editor.jobs.board import JobsService
from editor.jobs.priority import PlaybackGate
from editor.model.navigate import duration, next_point, previous_point
from editor.model.time import format_timecode
from editor.model.timeline import Timeline
from editor.ui.actions import ACTIONS, build_actions, show_undo_labels
from editor.ui.assets import MediaAssets
from editor.ui.audio import AudioOutput
from editor.ui.audio_view import AudioView
from editor.ui.context import AppContext
from editor.ui.controller import EditorController
from editor.ui.jobs_panel import JobsPanel
from editor.ui.media_bin import MediaBin
from editor.ui.picture_commands import PictureCommands
from editor.ui.preview import PreviewEngine
from editor.ui.subtitle_editor import SubtitleCommands
from editor.ui.subtitle_overlay import SubtitleOverlay
from editor.ui.timeline_view import TimelineView
from editor.ui.viewer import ViewerWidget

log = logging.getLogger(__name__)

MEDIA_FILTER = (
    "Media (*.mp4 *.mov *.mkv *.webm *.m4v *.avi *.ts *.mts *.m2ts *.mxf *.mpg *.mpeg"
    " *.wav *.mp3 *.m4a *.aac *.flac *.ogg *.opus);;All files (*)"
)


#: Below this width (pixels) the window starts without the jobs dock, so the viewer keeps its room.
NARROW_WINDOW = 1100


class MainWindow(QMainWindow):
    job_changed = Signal(object)  # JobState, from any thread
    presence_changed = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.jobs = JobsService(ctx.store, ctx.bus, ctx.instance_id, on_change=self.job_changed.emit,
                                on_presence=lambda _e: self.presence_changed.emit())
        self.controller = EditorController(ctx, self)
        self.gate = PlaybackGate()  # playback first: this window's background jobs wait while it plays
        self.jobs.runner.run_below_playback(self.gate)
        self.preview = PreviewEngine(self, gate=self.gate)
        self.audio = AudioOutput(self)
        self.assets = MediaAssets(ctx.tasks, ctx.store.cache, self, runner=self.jobs.runner,
                                  gate=self.gate)
        self._project_name: str | None = None
        self._save_state = ("saved", "")
        self._other_windows = 0
        self._told_jobs: set[str] = set()  # exports whose closing words were shown in the status bar
        self.next_frame_path: str | None = None  # tests set this to skip the file dialog of Export frame
        self._fit_pending = False
        self.setObjectName("MainWindow")
        self.resize(1400, 860)
        self._build()
        self.audio_view = AudioView(self.viewer, self.timeline_view._waves.get)
        self.subtitle_overlay = SubtitleOverlay(self.viewer)
        self.subtitles = SubtitleCommands(self.controller, self, ctx.tasks, self.subtitle_overlay)
        from editor.ui.clip_commands import ClipCommands

        self.clip_commands = ClipCommands(self.controller, self)
        from editor.ui.batch_commands import BatchCommands

        self.batch = BatchCommands(self)
        self.job_changed.connect(self.batch.on_job)  # a batch says what it did when its last job ends
        from editor.ui.cut_preview import CutPreview

        self.cut_preview = CutPreview(self)
        handlers = {**self._handlers(), **self.clip_commands.handlers(), **self.batch.handlers(),
                    **self.cut_preview.handlers()}
        for name, ripple in (("lift", False), ("ripple_delete", True)):  # several clips selected: all of them
            handlers[name] = lambda one=handlers[name], ripple=ripple: (
                self.clip_commands.remove_many(self.timeline_view.selected_ids(), ripple)
                if len(self.timeline_view.selected_ids()) > 1 else one())
        self.actions_by_name = build_actions(self, handlers, ctx.store.settings.keymap)
        self._build_menus()
        self.media_bin.view().setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.media_bin.view().customContextMenuRequested.connect(self._bin_menu)
        show_undo_labels(self.actions_by_name, None, None)
        self._connect()
        self._update_title()
        self.status_timer = QTimer(self)
        self.status_timer.setInterval(5000)
        self.status_timer.timeout.connect(self.refresh_server_status)
        self.status_timer.start()
        self.refresh_server_status()
        ctx.tasks.run(self.jobs.start, on_done=lambda _j: self._show_jobs(), on_error=self._jobs_failed)

    # ---- layout --------------------------------------------------------------------------------
    def _build(self) -> None:
        self.media_bin = MediaBin()
        self.viewer = ViewerWidget()
        self.timeline_view = TimelineView()
        self.jobs_panel = JobsPanel()
        self.timecode_label = QLabel("00:00:00:00")
        self.timecode_label.setObjectName("timecode")
        self.play_button = QPushButton("▶")
        self.play_button.setToolTip("Play / pause (Space)")
        self.play_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.play_button.clicked.connect(self.toggle_play)
        self.rate_label = QLabel("")

        transport = QHBoxLayout()
        style = self.style()
        pix = QStyle.StandardPixmap
        self.play_button.setText("")
        self.play_button.setIcon(style.standardIcon(pix.SP_MediaPlay))
        buttons = (
            (pix.SP_MediaSkipBackward, "Go to start (Home)", self.controller.go_start),
            (pix.SP_MediaSeekBackward, "Back one frame (←)", lambda: self._step(-1)),
            (None, "", None),
            (pix.SP_MediaSeekForward, "Forward one frame (→)", lambda: self._step(1)),
            (pix.SP_MediaSkipForward, "Go to end (End)", self.controller.go_end),
        )
        for icon, tip, slot in buttons:
            if icon is None:
                transport.addWidget(self.play_button)
                continue
            button = QPushButton()
            button.setIcon(style.standardIcon(icon))
            button.setToolTip(tip)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(slot)
            transport.addWidget(button)
        transport.addSpacing(16)
        transport.addWidget(self.timecode_label)
        transport.addWidget(self.rate_label)
        transport.addStretch(1)

        centre = QWidget()
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        centre_layout.addWidget(self.viewer, 1)
        centre_layout.addLayout(transport)

        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(self.media_bin)
        top.addWidget(centre)
        top.setStretchFactor(1, 1)
        top.setSizes([280, 820])
        top.setCollapsible(1, False)  # the viewer never disappears; the bin can be dragged shut

        # The jobs panel is a dock: movable, floatable, closable, toggled with Ctrl+J; a narrow window starts
        # without it so it never crowds the viewer (a job that starts says how to show it).
        self.jobs_dock = QDockWidget("Jobs", self)
        self.jobs_dock.setObjectName("jobsDock")
        self.jobs_dock.setWidget(self.jobs_panel)
        self.jobs_dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                                   | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                                   | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.jobs_dock)
        self._jobs_dock_chosen = False  # set once the user shows or hides it: then the width rule stops
        from editor.ui.segments_panel import SegmentsPanel

        self.segments_panel = SegmentsPanel(self.controller)
        self.segments_dock = QDockWidget("Segments", self)
        self.segments_dock.setObjectName("segmentsDock")
        self.segments_dock.setWidget(self.segments_panel)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.segments_dock)
        self.tabifyDockWidget(self.jobs_dock, self.segments_dock)  # one column of docks, not two
        self.jobs_dock.raise_()
        self._segments_dock_chosen = False  # like the jobs dock: hidden in a narrow window until asked for

        main = QSplitter(Qt.Orientation.Vertical)
        main.addWidget(top)
        main.addWidget(self.timeline_view)
        main.setStretchFactor(0, 3)
        main.setStretchFactor(1, 2)
        self.setCentralWidget(main)

        self.db_label = QLabel()
        self.redis_label = QLabel()
        self.windows_label = QLabel()
        self.audio_label = QLabel(self.audio.status)
        self.save_label = QLabel()  # says why edits are not saved, for as long as they are not
        self.save_label.setObjectName("saveState")
        for label in (self.save_label, self.db_label, self.redis_label, self.windows_label, self.audio_label):
            self.statusBar().addPermanentWidget(label)
        for widget in (self.media_bin, self.viewer, self.timeline_view, self.jobs_panel, self.jobs_dock, centre,
                       top, main, self.segments_panel, self.segments_dock):
            widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def _build_menus(self) -> None:
        menus: dict[str, Any] = {}
        for spec in ACTIONS:
            menu = menus.get(spec.menu)
            if menu is None:
                menu = menus[spec.menu] = self.menuBar().addMenu(f"&{spec.menu}")
            menu.addAction(self.actions_by_name[spec.name])

    def _handlers(self) -> dict[str, Any]:
        c = self.controller
        return {
            "new_project": self.new_project, "open_project": self.open_projects, "import_media": self.import_media,
            "export": self.export, "export_segments": lambda: self.export(segments=True),
            "export_segments_joined": lambda: self.export(segments="joined"),
            "export_frame": self.export_frame, "preferences": self.preferences,
            "quit": self.close,
            "undo": c.undo, "redo": c.redo, "split": c.split, "split_all": c.split_all,
            "trim_start": c.trim_start, "trim_end": c.trim_end, "ripple_delete": c.ripple_delete, "lift": c.lift,
            "play_pause": self.toggle_play, "shuttle_back": lambda: self.shuttle(-1), "pause": self.pause,
            "shuttle_forward": lambda: self.shuttle(1),
            "frame_back": lambda: self._step(-1), "frame_forward": lambda: self._step(1),
            "second_back": lambda: self._step_seconds(-1), "second_forward": lambda: self._step_seconds(1),
            "go_start": c.go_start, "go_end": c.go_end, "prev_edit": c.prev_edit, "next_edit": c.next_edit,
            "prev_keyframe": lambda: self._jump_keyframe(False), "next_keyframe": lambda: self._jump_keyframe(True),
            "set_in": c.set_in, "set_out": c.set_out, "clear_in": c.clear_in, "clear_out": c.clear_out,
            "add_marker": c.add_marker, "prev_marker": c.prev_marker, "next_marker": c.next_marker,
            "zoom_in": self.timeline_view.zoom_in, "zoom_out": self.timeline_view.zoom_out,
            "zoom_fit": self.timeline_view.zoom_fit, "fullscreen_viewer": self.toggle_fullscreen_viewer,
            "leave_fullscreen": self.leave_fullscreen_viewer, "toggle_jobs": self.toggle_jobs_panel,
            "cheat_sheet": self.cheat_sheet, "about": self.about,
            **PictureCommands(c, self).handlers(), **self.subtitles.handlers(),
            "toggle_segments": self.toggle_segments_panel,
            **self.segments_panel.handlers(),
        }

    def _connect(self) -> None:
        c = self.controller
        c.timeline_changed.connect(self._on_timeline)
        c.playhead_changed.connect(self._on_playhead)
        c.selection_changed.connect(self.timeline_view.set_selection)
        c.project_changed.connect(self._on_project)
        c.save_state_changed.connect(self._on_save_state)
        c.history_changed.connect(lambda undo, redo: show_undo_labels(self.actions_by_name, undo, redo))
        c.message.connect(self.show_message)
        c.busy.connect(lambda text: self.statusBar().showMessage(text) if text else self.statusBar().clearMessage())
        self.timeline_view.seek_requested.connect(self._seek)
        self.timeline_view.selection_changed.connect(c.select)
        self.timeline_view.item_activated.connect(self._on_item_activated)
        self.timeline_view.move_requested.connect(self._move_clips)
        self.timeline_view.edit_requested.connect(lambda name, params: c.edit_with(name, params))
        self.timeline_view.context_requested.connect(self._context_menu)
        self.timeline_view.files_dropped.connect(lambda paths, frame: c.import_files(list(paths), frame))
        self.media_bin.files_dropped.connect(lambda paths: c.import_files(list(paths)))
        self.assets.thumbnails_ready.connect(self._on_thumbnails)
        self.assets.proxy_ready.connect(self.preview.use_proxy)
        self.assets.waveform_ready.connect(self.timeline_view.set_waveform)
        self.assets.keyframes_ready.connect(self.timeline_view.set_keyframes)
        self.assets.waveform_ready.connect(lambda *_: self.audio_view.update())
        self.assets.offline_changed.connect(self._on_offline)
        self.media_bin.media_activated.connect(self._on_media_activated)
        self.job_changed.connect(self._on_job)
        self.job_changed.connect(self.assets.on_job)  # a proxy another window made is used when it is done
        self.presence_changed.connect(self.refresh_others)
        self.jobs_panel.cancel_requested.connect(lambda job_id: self.ctx.tasks.run(self.jobs.cancel, job_id))
        self.audio.level.connect(self.viewer.set_audio_level)
        self.preview.frame_ready.connect(self._on_frame)
        self.preview.position_changed.connect(self._on_play_position)
        self.preview.playback_state.connect(self._on_playback_state)
        self.preview.dropping.connect(self.viewer.set_dropping)
        self.preview.media_offline.connect(self._on_preview_offline)

    def _move_clips(self, track: int, clip_id: int, new_track: int, new_start: int) -> None:
        """A dragged clip, or every selected clip by the same amount when it is one of several."""
        ids = self.timeline_view.selected_ids()
        timeline = self.controller.timeline
        if len(ids) > 1 and clip_id in ids and timeline is not None:
            from editor.model.edits import locate

            kind = timeline.tracks[track].kind
            of_kind = [ti for ti, tr in enumerate(timeline.tracks) if tr.kind == kind]
            step = of_kind.index(new_track) - of_kind.index(track) if new_track in of_kind else 0
            self.clip_commands.move_many(ids, new_start - locate(timeline, clip_id)[2], step, kind)
        else:
            self.controller.move_clip(track, clip_id, new_track, new_start)

    def _bin_menu(self, pos: Any) -> None:
        from editor.ui.context_menus import BIN_MENU, build_menu

        self.last_menu = build_menu(self, self.actions_by_name, BIN_MENU)
        self.last_menu.popup(self.media_bin.view().viewport().mapToGlobal(pos))

    def _context_menu(self, track: int, clip_id: int, where: Any) -> None:
        """Right click on the timeline: the clip's or the track's menu (see editor.ui.context_menus)."""
        from editor.ui.context_menus import build_menu, menu_for

        names = menu_for(track, clip_id)
        if names is not None:
            self.last_menu = build_menu(self, self.actions_by_name, names)
            self.last_menu.popup(where)

    # ---- state -> views ------------------------------------------------------------------------
    @Slot(object)
    def _on_timeline(self, timeline: Timeline | None) -> None:
        self.timeline_view.set_timeline(timeline)
        self.segments_panel.set_timeline(timeline)
        if self._fit_pending:
            self._fit_pending = False
            QTimer.singleShot(0, self.timeline_view.zoom_fit)
        self.media_bin.set_media(list(timeline.media) if timeline else [])
        self.assets.ensure(timeline)
        self.preview.set_timeline(timeline)
        if timeline is not None and self.preview.rate == 0:
            self.preview.show(timeline, self.controller.playhead)
        self._update_title()

    @Slot(str, object)
    def _on_thumbnails(self, fingerprint: str, images: dict[int, QImage]) -> None:
        self.timeline_view.set_thumbnails(fingerprint, images)
        if images:
            self.media_bin.set_thumbnail(fingerprint, images[min(images)])

    # ---- jobs and other windows ----------------------------------------------------------------
    def _show_jobs(self) -> None:
        for state in self.jobs.list_jobs():
            self._on_job(state)
        self.refresh_others()

    def _jobs_failed(self, exc: BaseException) -> None:
        self.show_message(f"Jobs are not shared with other windows: {exc}")

    @Slot(object)
    def _on_job(self, state: Any) -> None:
        if (self.jobs_panel.row(state.id) is None and not self.jobs_dock.isVisible()
                and state.owner == self.ctx.instance_id and state.operation in ("export", "proxy")
                and state.status not in ("complete", "error", "cancelled")):  # not every filmstrip
            self.show_message(f"{state.title or state.operation} started: Ctrl+J shows the jobs panel")
        if (state.status == "complete" and state.operation == "export" and state.owner == self.ctx.instance_id
                and state.message not in ("", "done") and state.id not in self._told_jobs
                and not self.batch.owns(state.id)):  # a batch sums up its exports in one line
            self._told_jobs.add(state.id)  # a copy widened to keyframes, a seam re-encoded: said once
            self.show_message(f"{state.title or 'Export'} complete: {state.message}")
        self.jobs_panel.update_job(
            state.id, operation=state.title or state.operation, progress=float(state.progress),
            message=state.message, status=state.status, started_at=state.started_at, owner=state.owner)

    def refresh_others(self) -> None:
        def count() -> int:
            return len([o for o in self.jobs.others() if o.kind == "window"])

        self.ctx.tasks.run(count, on_done=self.set_other_windows, on_error=lambda _e: None)

    @Slot(str)
    def _on_preview_offline(self, path: str) -> None:
        """The player could not read ``path`` ("" when it reads again). A report about a file the project no
        longer uses (it was relinked meanwhile) is stale and dropped, so the banner never sticks."""
        timeline = self.controller.timeline
        if path and timeline is not None and any(m.path == path for m in timeline.media):
            self.viewer.show_message(f"Media offline: {path}")
        elif not path or self.viewer.message() == f"Media offline: {path}":
            self.viewer.clear_message()

    @Slot(str, bool)
    def _on_offline(self, fingerprint: str, offline: bool) -> None:
        """A file of the project is missing: look for it near its old place, else ask the user."""
        self.media_bin.set_offline(fingerprint, offline)
        timeline = self.controller.timeline
        media = timeline.media_by_fingerprint(fingerprint) if timeline else None
        if not offline or media is None:
            return
        others = [m.path for m in timeline.media if m.fingerprint != fingerprint]

        def found(path: str | None) -> None:
            if path is None:
                self.show_message(f"Media offline: {media.path} — double-click it in the bin to locate it")
            else:
                self._relink(fingerprint, path)
                self.show_message(f"Relinked {Path(media.path).name}: found at {path}")

        from editor.jobs.relink import find_moved

        self.ctx.tasks.run(find_moved, media, others, on_done=found)

    def _relink(self, fingerprint: str, path: str) -> None:
        timeline = self.controller.timeline
        old = timeline.media_by_fingerprint(fingerprint) if timeline else None
        if self.controller.edit("relink_media", fingerprint=fingerprint, path=path):
            if old is not None and self.viewer.message() == f"Media offline: {old.path}":
                self.viewer.clear_message()  # the banner was about this file, which is found now
            self.assets.forget(fingerprint)
            self.timeline_view.forget_media(fingerprint)
            self.media_bin.set_offline(fingerprint, False)
            self._on_timeline(self.controller.timeline)

    @Slot(str)
    def _on_media_activated(self, fingerprint: str) -> None:
        timeline = self.controller.timeline
        media = timeline.media_by_fingerprint(fingerprint) if timeline else None
        if media is None or not self.media_bin.is_offline(fingerprint):
            return
        path, _ = QFileDialog.getOpenFileName(self, f"Locate {Path(media.path).name}",
                                              str(Path(media.path).parent), MEDIA_FILTER)
        if not path:
            return
        from editor.jobs.relink import same_content

        if not same_content(media, path):
            answer = QMessageBox.question(
                self, "A different file",
                f"{Path(path).name} is not the file this project used (its size, date or content differ). "
                "Use it anyway?")
            if answer != QMessageBox.StandardButton.Yes:
                return
        self._relink(fingerprint, path)

    def _on_item_activated(self, track: int, item_id: int) -> None:
        """A double-click on the timeline: edit a subtitle cue or a title."""
        tl = self.controller.timeline
        if tl is None or not 0 <= track < len(tl.tracks):
            return
        if tl.tracks[track].kind == "subtitle":
            self.subtitles.edit_cue(item_id)
        elif tl.tracks[track].kind == "video":
            self.controller.select(track, item_id)
            self.actions_by_name["edit_title"].trigger()

    @Slot(int)
    def _on_playhead(self, frame: int) -> None:
        self.timeline_view.set_playhead(frame)
        timeline = self.controller.timeline
        if timeline is not None:
            tc = format_timecode(frame, timeline.rate)
            self.timecode_label.setText(f"{tc}  ·  frame {frame}")
            self.viewer.set_position(frame, tc)
            if self.preview.rate == 0:
                self.preview.show(timeline, frame)

    @Slot(object, int)
    def _on_frame(self, image: QImage | None, frame: int) -> None:
        self.viewer.set_frame(image)
        shown = self.cut_preview.active or self.controller.timeline  # a copy preview plays its own timeline
        self.subtitle_overlay.show_at(shown, frame)
        self.audio_view.show_at(shown, frame)

    @Slot(int)
    def _on_play_position(self, frame: int) -> None:
        if self.cut_preview.active is not None:
            self.cut_preview.position(frame)  # the output's frame: the playhead stays where it was
        else:
            self.controller.set_playhead(frame)

    @Slot(float)
    def _on_playback_state(self, rate: float) -> None:
        if rate == 0:
            self.audio.stop()
            self.viewer.set_audio_level(-60.0, -60.0)
            self.cut_preview.stopped()
        self.viewer.set_playing(rate != 0)
        self.play_button.setIcon(self.style().standardIcon(
            QStyle.StandardPixmap.SP_MediaPause if rate else QStyle.StandardPixmap.SP_MediaPlay))
        self.rate_label.setText("" if rate in (0, 1) else f"{rate:+g}×")

    @Slot(object)
    def _on_project(self, project: tuple[int, str] | None) -> None:
        self._project_name = project[1] if project else None
        self.ctx.tasks.run(self.jobs.set_project, project[0] if project else None, self._project_name)
        self._update_title()
        self._fit_pending = True

    @Slot(str, str)
    def _on_save_state(self, state: str, detail: str) -> None:
        self._save_state = (state, detail)
        self._update_title()
        prefix = {"journal": "Not saved to disk", "error": "Not saved", "offline": "Offline"}.get(state)
        self.save_label.setText(f"{prefix}: {detail}" if prefix and detail else (prefix or ""))
        self.save_label.setToolTip(detail)

    def _update_title(self) -> None:
        state, detail = self._save_state
        words = {"saved": "saved", "saving": "saving…", "offline": "offline — edits kept locally",
                 "journal": "not saved — the journal cannot be written, edits kept in memory",
                 "error": "not saved"}.get(state, state)
        name = self._project_name
        self.setWindowTitle(f"{name} — {words} — Cutline" if name else "Cutline")
        self.setWindowModified(False)

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def refresh_server_status(self) -> None:
        """Which servers are in use and whether they answer; how many other windows are open."""
        store = self.ctx.store
        db_kind = "embedded" if store.endpoints.embedded_database else "external"

        def probe() -> tuple[bool, bool]:
            try:
                store.db.server_version()
                db_ok = True
            except Exception:  # noqa: BLE001 - shown, not raised
                db_ok = False
            return db_ok, store.redis.ping() if store.redis.configured else False

        def show(result: tuple[bool, bool]) -> None:
            db_ok, redis_ok = result
            self.db_label.setText(f"PostgreSQL ({db_kind}): {'✓' if db_ok else '✗ unreachable'}")
            if store.redis.configured:
                r_kind = "embedded" if store.endpoints.embedded_redis else "external"
                self.redis_label.setText(f"Redis ({r_kind}): {'✓' if redis_ok else '✗ unreachable'}")
            else:
                self.redis_label.setText("Redis: none (disk cache)")

        self.ctx.tasks.run(probe, on_done=show)
        self.refresh_others()

    def set_other_windows(self, count: int) -> None:
        self._other_windows = count
        self.windows_label.setText("no other windows" if count == 0 else f"{count} other window(s) open")

    # ---- transport -----------------------------------------------------------------------------
    def _seek(self, frame: int) -> None:
        if self.preview.rate:
            self.preview.pause()
        self.controller.set_playhead(frame)

    def _step(self, frames: int) -> None:
        self.pause()
        self.controller.step(frames)

    def _jump_keyframe(self, forward: bool) -> None:
        """To the next (previous) frame where a clip shows a keyframe of its file: where a copy cut is exact."""
        self.pause()
        c = self.controller
        points = self.timeline_view.keyframe_points()
        frame = next_point(points, c.playhead) if forward else previous_point(points, c.playhead)
        if frame is not None:
            c.set_playhead(frame)
            return
        tl = c.timeline
        waiting = tl is not None and any(m.has_video and not self.timeline_view.knows_keyframes(m.fingerprint)
                                         for m in tl.media)
        where = "after" if forward else "before"
        self.show_message(f"No keyframe {where} the playhead" + (" yet: keyframes are still being read"
                                                                  if waiting else ""))

    def _step_seconds(self, seconds: int) -> None:
        self.pause()
        self.controller.step_seconds(seconds)

    def toggle_play(self) -> None:
        if self.preview.rate:
            self.pause()
        else:
            self.shuttle(0, play=1.0)

    def pause(self) -> None:
        self.preview.pause()
        self.audio.stop()

    def shuttle(self, direction: int, play: float | None = None) -> None:
        """J/L: play backwards/forwards; pressed again in the same direction: 2×, then 4×."""
        timeline = self.controller.timeline
        if timeline is None:
            return
        current = self.preview.rate
        if play is not None:
            rate = play
        elif current and (current > 0) == (direction > 0):
            rate = max(-4.0, min(4.0, current * 2))
        else:
            rate = float(direction)
        start = self.controller.playhead
        if rate > 0 and start >= duration(timeline):
            start = 0
        self.audio.stop()
        clock = self.start_sound(timeline, start) if rate == 1.0 else None  # shuttling is silent
        self.preview.play(timeline, start, rate, clock=clock)

    def start_sound(self, timeline: Timeline, frame: int) -> Callable[[], float | None] | None:
        """Play ``timeline``'s sound from ``frame`` at normal speed; the clock the picture follows (seconds the
        device has played), or None when there is no sound (no device, or nothing to mix)."""
        if not self.audio.available:
            return None
        try:
            from editor.jobs.export import render_spec_for

            clips = render_spec_for(timeline, preset="fast").clips
        except Exception as exc:  # noqa: BLE001 - no sound is better than no playback
            log.info("no sound for this timeline: %s", exc)
            return None
        return self.audio.elapsed if self.audio.start(clips, frame / float(timeline.rate)) else None

    def toggle_jobs_panel(self) -> None:
        """Ctrl+J: show or hide the jobs dock."""
        self._jobs_dock_chosen = True
        self.jobs_dock.setVisible(not self.jobs_dock.isVisible())

    def toggle_segments_panel(self) -> None:
        """Ctrl+G: show or hide the segments dock (and bring it to the front of the dock column)."""
        self._segments_dock_chosen = True
        self.segments_dock.setVisible(not self.segments_dock.isVisible())
        if self.segments_dock.isVisible():
            self.segments_dock.raise_()

    def showEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802 - Qt's name
        super().showEvent(event)
        if not self._jobs_dock_chosen:
            self.jobs_dock.setVisible(self.width() >= NARROW_WINDOW)
        if not self._segments_dock_chosen:
            self.segments_dock.setVisible(self.width() >= NARROW_WINDOW)

    def leave_fullscreen_viewer(self) -> None:
        """Esc: back from the full-screen viewer; stops a copy preview."""
        if self.cut_preview.active is not None:
            self.pause()
        if self.viewer.isWindow():
            self.toggle_fullscreen_viewer()

    def toggle_fullscreen_viewer(self) -> None:
        if self.viewer.isFullScreen():
            self.viewer.setWindowFlags(Qt.WindowType.Widget)
            self.viewer.showNormal()
            self.centralWidget().widget(0).widget(1).layout().insertWidget(0, self.viewer, 1)  # type: ignore[union-attr]
        else:
            self.viewer.setParent(None)
            self.viewer.setWindowFlags(Qt.WindowType.Window)
            for action in self.actions():
                self.viewer.addAction(action)
            self.viewer.showFullScreen()

    # ---- commands with dialogs -----------------------------------------------------------------
    def new_project(self) -> None:
        name, ok = QInputDialog.getText(self, "New project", "Name:", text="Untitled")
        if ok and name.strip():
            self.controller.new_project(name.strip())

    def open_projects(self) -> None:
        from editor.ui.project_browser import ProjectBrowser

        ProjectBrowser(self.ctx, self.controller, self).exec()

    def import_media(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Import media", str(Path.home()), MEDIA_FILTER)
        if paths:
            self.controller.import_files(paths)

    def export(self, segments: bool | str = False) -> None:
        """The export dialog; with ``segments`` set to write each enabled segment to its own file ("joined":
        all of them one after another into one file)."""
        try:
            from editor.ui.export_dialog import ExportDialog
        except ImportError:
            self.show_message("Export is not available in this build")
            return
        tl = self.controller.timeline
        if tl is None:
            self.show_message("Open or create a project first (Ctrl+O, Ctrl+N)")
            return
        if segments and not any(g.enabled for g in tl.segments):
            self.show_message("No enabled segment to export: B adds one from the in/out range")
            return
        ExportDialog(self.jobs, self.controller, self, segments=segments).exec()

    def export_frame(self) -> None:
        """Write the frame at the playhead, full size and composed as an export composes it, as a PNG."""
        c = self.controller
        tl = c.timeline
        if tl is None:
            self.show_message("Open or create a project first (Ctrl+O, Ctrl+N)")
            return
        self.pause()
        frame = c.playhead
        stamp = format_timecode(frame, tl.rate).replace(":", "-").replace(";", "-")
        name = f"{self._project_name or 'frame'} {stamp}.png"
        path = self.next_frame_path  # tests set it to skip the dialog
        self.next_frame_path = None
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Export frame", str(Path.home() / name), "PNG image (*.png)")
        if not path:
            return
        if not path.lower().endswith(".png"):
            path += ".png"
        subtitles = self.subtitle_overlay.enabled  # as the viewer shows it: with the subtitles if they are on

        def write() -> str:
            from editor.media.still import timeline_still, write_png

            write_png(timeline_still(tl, frame, subtitles=subtitles), path)
            return path

        self.show_message(f"Exporting frame {format_timecode(frame, tl.rate)}…")
        self.ctx.tasks.run(write, on_done=lambda p: self.show_message(
                               f"Frame {format_timecode(frame, tl.rate)} saved to {p}"),
                           on_error=lambda e: self.show_message(f"Could not export the frame: {e}"))

    def preferences(self) -> None:
        from editor.ui.preferences import PreferencesDialog

        dialog = PreferencesDialog(self.ctx, self)
        if dialog.exec() and dialog.saved is not None:
            from editor.ui.actions import apply_keymap

            apply_keymap(self.actions_by_name, dialog.saved.keymap)  # keys work at once, no restart

    def cheat_sheet(self) -> None:
        from editor.ui.cheat_sheet import CheatSheet

        CheatSheet(self.actions_by_name, self).exec()

    def about(self) -> None:
        """Help ▸ About: versions, paths and "Copy diagnostics" (the status bar's server lines included)."""
        from editor.ui.about import AboutDialog

        servers = [label.text() for label in (self.db_label, self.redis_label, self.windows_label, self.audio_label)
                   if label.text()]
        AboutDialog(servers, self).exec()

    # ---- closing -------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if getattr(self, "_shut_down", False):
            super().closeEvent(event)
            return
        mine = [j for j in self.jobs.list_jobs() if not j.finished and j.owner == self.ctx.instance_id]
        if mine and self.isVisible() and QGuiApplication.platformName() != "offscreen":  # nobody to ask offscreen
            answer = QMessageBox.question(
                self, "Quit Cutline",
                f"{len(mine)} export(s) started in this window are still running. Quit and cancel them?")
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop playback and listening, cancel this window's jobs, save pending edits. Idempotent."""
        if getattr(self, "_shut_down", False):
            return
        self._shut_down = True
        self.status_timer.stop()
        self.audio.stop()
        self.preview.close()
        self.assets.close()
        self.jobs.close()
        subscription = getattr(self, "bus_subscription", None)
        if subscription is not None:
            subscription.close()
        if not self.controller.close(timeout=5):
            log.warning("some edits could not reach the database; they are kept in the journal")
        self.ctx.tasks.shutdown(wait=False)
