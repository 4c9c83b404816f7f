"""The Picture menu's commands: fades, dissolves, titles, opacity / position / scale.

Each acts on the selected clip or title (clicked on the timeline) when it is on a video track, else on
the top-most picture item under the playhead, and makes one registry edit through the controller (so it
is undoable, saved and synced). Fades and dissolves toggle: a second press removes them. Qt main thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QDialog, QWidget

from editor.model._trackops import region_free
from editor.model.picture import Title
from editor.model.timeline import Clip, Gap, Timeline
from editor.ui.title_dialog import LookDialog, TitleDialog

__all__ = ["PictureCommands"]


def _picture(it: object) -> bool:
    return type(it) is Clip or type(it) is Title


class PictureCommands:
    """Picture edits for a window: ``handlers()`` maps action names to these methods."""

    def __init__(self, controller: Any, parent: QWidget) -> None:
        self.controller = controller
        self.parent = parent

    def handlers(self) -> dict[str, Callable[[], None]]:
        return {"fade_in": self.fade_in, "fade_out": self.fade_out, "dissolve": self.dissolve,
                "add_title": self.add_title, "edit_title": self.edit_title, "clip_look": self.clip_look}

    # ---- which item ----------------------------------------------------------------------------
    def target(self, titles_only: bool = False) -> tuple[int, int, Clip | Title] | None:
        """(track, item index, item): the selected picture item, else the top-most one under the playhead
        (only titles with ``titles_only``)."""
        want = (lambda it: type(it) is Title) if titles_only else _picture
        tl: Timeline | None = self.controller.timeline
        if tl is None:
            return None
        ti, item_id = self.controller.selection
        if 0 <= ti < len(tl.tracks) and tl.tracks[ti].kind == "video":
            i = tl.tracks[ti].index_of(item_id)
            if i is not None and want(tl.tracks[ti].items[i]):
                return ti, i, tl.tracks[ti].items[i]  # type: ignore[return-value]
        frame = self.controller.playhead
        for ti in range(len(tl.tracks) - 1, -1, -1):
            tr = tl.tracks[ti]
            if tr.kind != "video":
                continue
            i = tr.index_at(min(frame, max(0, tr.end - 1)))
            if i is not None and want(tr.items[i]):
                return ti, i, tr.items[i]  # type: ignore[return-value]
        return None

    def _none(self, what: str) -> None:
        self.controller.message.emit(f"{what}: select a clip or title on a video track, or put the playhead on one")

    # ---- commands ------------------------------------------------------------------------------
    def _second(self) -> int:
        tl = self.controller.timeline
        return max(1, round(tl.rate)) if tl is not None else 25

    def fade_in(self) -> None:
        found = self.target()
        if found is None:
            return self._none("Fade in")
        _, _, item = found
        frames = 0 if item.look.fade_in else min(self._second(), item.duration - item.look.fade_out)
        self.controller.edit("set_fade", item_id=item.id, fade_in=frames)

    def fade_out(self) -> None:
        found = self.target()
        if found is None:
            return self._none("Fade out")
        _, _, item = found
        frames = 0 if item.look.fade_out else min(self._second(), item.duration - item.look.fade_in)
        self.controller.edit("set_fade", item_id=item.id, fade_out=frames)

    def dissolve(self) -> None:
        """A one-second dissolve at the cut nearest the playhead on the item's track (again: removed)."""
        found = self.target()
        if found is None:
            return self._none("Dissolve")
        ti, i, item = found
        tr = self.controller.timeline.tracks[ti]
        start = tr.starts()[i]
        # in the first half of the item: the cut at its start; in the second half: the cut at its end
        if self.controller.playhead >= start + item.duration / 2 and i + 1 < len(tr.items) \
                and _picture(tr.items[i + 1]):
            i += 1
            item = tr.items[i]  # type: ignore[assignment]
        prev = tr.items[i - 1] if i > 0 else None
        if prev is None or type(prev) is Gap:
            self.controller.message.emit("Dissolve: the clip needs another clip right before it on its track")
            return
        frames = 0 if item.look.dissolve else min(self._second(), 2 * prev.duration, 2 * item.duration)
        self.controller.edit("set_dissolve", item_id=item.id, frames=frames)

    def add_title(self) -> None:
        tl: Timeline | None = self.controller.timeline
        if tl is None:
            self.controller.message.emit("Open or create a project first (Ctrl+O, Ctrl+N)")
            return
        dialog = TitleDialog(self.parent)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        v = dialog.values()
        frames = max(1, round(v.seconds * float(tl.rate)))
        at = self.controller.playhead
        # the top-most video track free there; else a new video track on top (one undo step with it)
        track = next((ti for ti in range(len(tl.tracks) - 1, -1, -1) if tl.tracks[ti].kind == "video"
                      and region_free(tl.tracks[ti], at, at + frames)), None)
        self.controller.edit("add_title", track=track, frame=at, duration=frames, text=v.text, font=v.font,
                             size=v.size, color=v.color)

    def edit_title(self) -> None:
        found = self.target(titles_only=True)
        if found is None or type(found[2]) is not Title:
            self.controller.message.emit("Edit title: select a title, or put the playhead on one")
            return
        t = found[2]
        dialog = TitleDialog(self.parent, editing=True, text=t.text, font=t.font, size=t.size, color=t.color,
                             seconds=t.duration / float(self.controller.timeline.rate))
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        v = dialog.values()
        self.controller.edit("edit_title", title_id=t.id, text=v.text, font=v.font, size=v.size, color=v.color)

    def clip_look(self) -> None:
        found = self.target()
        if found is None:
            return self._none("Opacity, position and scale")
        item = found[2]
        dialog = LookDialog(item.look, self.parent)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.controller.edit("set_look", item_id=item.id, **dialog.values())
