"""Shift+Space: play the timeline as a stream-copy export will cut it (LosslessCut's "preview the real cut").

A copy export starts each segment at the keyframe at or before its start; what that adds is easy to miss on
the timeline. This plays the export's real content instead: the copy plan is made on a worker thread
(:func:`editor.media.render.copy_plan`, the same the export dialog shows), turned into a timeline of exactly
the frames the file will hold (:mod:`editor.jobs.copy_preview`), and played from the moment under the
playhead, picture and sound. The viewer says "Copy preview" with the output's timecode; the playhead stays
where it was, and pausing (Space, K, Esc) or reaching the end goes back to it. A smart cut is exact, so it
has nothing to preview: it looks as the timeline does. Qt main thread only.
"""

from __future__ import annotations

import logging
from typing import Any

from editor.jobs.copy_preview import copy_spec, output_frame, preview_timeline
from editor.model.errors import UserError
from editor.model.time import format_timecode
from editor.model.timeline import Timeline
from editor.ui.preview import source_time

log = logging.getLogger(__name__)


class CutPreview:
    """The window's copy preview: start it, follow its positions, end it."""

    def __init__(self, window: Any) -> None:
        self.window = window
        self.active: Timeline | None = None  # the preview timeline while it plays
        self.plan: list[Any] = []
        self._generation = 0

    def handlers(self) -> dict[str, Any]:
        return {"preview_copy_cut": self.start}

    def start(self) -> None:
        """Make the copy plan of the window's export (worker thread), then play it from the playhead."""
        w = self.window
        timeline = w.controller.timeline
        if timeline is None:
            return
        w.pause()
        try:
            spec = copy_spec(timeline)
        except UserError as exc:
            w.show_message(f"No copy preview: {exc}")
            return
        self._generation += 1
        generation = self._generation
        shown = source_time(timeline, w.controller.playhead)
        w.show_message("Copy preview: finding the keyframes…")
        from editor.media.render import copy_plan

        w.ctx.tasks.run(copy_plan, spec, on_done=lambda plan: self._play(generation, timeline, plan, shown),
                        on_error=lambda exc: self._failed(generation, exc))

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation == self._generation:
            if not isinstance(exc, UserError):
                log.error("the copy plan failed", exc_info=exc)
            self.window.show_message(f"No copy preview: {exc}")

    def _play(self, generation: int, timeline: Timeline, plan: list[Any], shown: Any) -> None:
        w = self.window
        if generation != self._generation:
            return
        if w.controller.timeline is not timeline:
            w.show_message("Copy preview: the timeline changed meanwhile; press Shift+Space again")
            return
        try:
            preview = preview_timeline(timeline, plan)
        except UserError as exc:
            w.show_message(f"No copy preview: {exc}")
            return
        frame = output_frame(plan, preview.rate, shown[0].media.path, shown[1]) if shown is not None else 0
        moved = [s for s in plan if not s.exact]
        what = f"{len(moved)} segment(s) start at an earlier keyframe" if moved else "every cut is exact"
        w.show_message(f"Copy preview: playing what the file will hold ({what}); Space stops")
        self.active, self.plan = preview, plan
        w.audio.stop()
        w.preview.play(preview, frame, 1.0, clock=w.start_sound(preview, frame))

    def position(self, frame: int) -> None:
        """A playing preview moved to output ``frame``: say so in the viewer; the playhead stays."""
        if self.active is not None:
            self.window.viewer.set_position(frame, f"Copy preview  {format_timecode(frame, self.active.rate)}")

    def stopped(self) -> None:
        """Playback stopped: back to the timeline at its playhead."""
        if self.active is None:
            return
        self.active = None
        w = self.window
        timeline, frame = w.controller.timeline, w.controller.playhead
        if timeline is not None:
            w.viewer.set_position(frame, format_timecode(frame, timeline.rate))
            w.preview.show(timeline, frame)
