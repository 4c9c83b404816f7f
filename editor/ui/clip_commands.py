"""Commands on the selected clip and track beyond cutting: copy/paste, speed, reverse, slip, roll, sound
(mute, gain, fades, crossfade), and track edits (add, remove, rename, reorder, mute, solo, lock, hide, gain).

Each one is a model edit by name through the controller (one undo step, saved, synced). The clip is the
selected one, else the clip under the playhead on the selected track, else on the first track that has one.
Qt main thread only.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from PySide6.QtWidgets import QInputDialog, QWidget

from editor.model.timeline import Clip
from editor.ui.controller import EditorController


@dataclass(frozen=True, slots=True)
class ClipboardClip:
    """What Ctrl+C keeps: enough to put the same clip somewhere else."""

    kind: str
    params: dict[str, Any]


class ClipCommands:
    """The window's clip and track commands. Qt main thread only."""

    def __init__(self, controller: EditorController, parent: QWidget) -> None:
        self.c = controller
        self.parent = parent
        self.clipboard: ClipboardClip | None = None

    # ---- what a command acts on -----------------------------------------------------------------
    def target(self) -> tuple[int, int, Clip] | None:
        """(track index, item index, clip) the clip commands act on, or None (then a message says so)."""
        tl = self.c.timeline
        if tl is None:
            return None
        ti, cid = self.c.selection
        if cid >= 0 and 0 <= ti < len(tl.tracks):
            i = tl.tracks[ti].index_of(cid)
            if i is not None and isinstance(tl.tracks[ti].items[i], Clip):
                return ti, i, tl.tracks[ti].items[i]  # type: ignore[return-value]
        order = [ti] if ti >= 0 else []
        order += [k for k in range(len(tl.tracks)) if k not in order]
        for k in order:
            i = tl.tracks[k].index_at(self.c.playhead)
            if i is not None and isinstance(tl.tracks[k].items[i], Clip):
                return k, i, tl.tracks[k].items[i]  # type: ignore[return-value]
        self.c.message.emit("Select a clip first (click it), or put the playhead on one")
        return None

    def track(self) -> int | None:
        """The selected track, else the track of the clip under the playhead, else the first."""
        tl = self.c.timeline
        if tl is None or not tl.tracks:
            return None
        ti = self.c.selection[0]
        if 0 <= ti < len(tl.tracks):
            return ti
        for k, tr in enumerate(tl.tracks):
            if tr.index_at(self.c.playhead) is not None:
                return k
        return 0

    # ---- clips ----------------------------------------------------------------------------------
    def copy_clip(self) -> None:
        hit = self.target()
        if hit is None:
            return
        ti, _i, clip = hit
        tl = self.c.timeline
        assert tl is not None
        self.clipboard = ClipboardClip(tl.tracks[ti].kind, {
            "media": clip.media, "source_in": clip.source_in, "duration": clip.duration, "speed": clip.speed,
            "name": clip.name, "gain_db": clip.gain_db, "muted": clip.muted, "fade_in": clip.fade_in,
            "fade_out": clip.fade_out, "reverse": clip.reverse})
        self.c.message.emit(f"Copied {clip.name or 'clip'}")

    def paste_clip(self) -> None:
        """The copied clip at the playhead, over what is there, on the selected track (or the first track of
        the copied clip's kind)."""
        tl = self.c.timeline
        if tl is None or self.clipboard is None:
            self.c.message.emit("Nothing to paste: copy a clip first (Ctrl+C)")
            return
        ti = self.c.selection[0]
        if not (0 <= ti < len(tl.tracks)) or tl.tracks[ti].kind != self.clipboard.kind:
            ti = next((k for k, tr in enumerate(tl.tracks) if tr.kind == self.clipboard.kind), -1)
        if ti < 0:
            self.c.message.emit(f"No {self.clipboard.kind} track to paste on")
            return
        self.c.edit_with("overwrite_clip", {"track": ti, "frame": self.c.playhead, **self.clipboard.params})

    def set_speed(self, speed: Fraction) -> None:
        hit = self.target()
        if hit is not None:
            self.c.edit("set_speed", clip_id=hit[2].id, speed=speed)

    def speed_dialog(self) -> None:
        hit = self.target()
        if hit is None:
            return
        from editor.ui.speed_dialog import SpeedDialog

        dialog = SpeedDialog(hit[2].speed, hit[2].reverse, self.parent)
        if dialog.exec():
            key = f"speed:{hit[2].id}:{id(dialog)}"
            if dialog.speed() != hit[2].speed:
                self.c.edit("set_speed", key, clip_id=hit[2].id, speed=dialog.speed())
            if dialog.reverse() != hit[2].reverse:
                self.c.edit("set_reverse", key, clip_id=hit[2].id, reverse=dialog.reverse())

    def reverse(self) -> None:
        hit = self.target()
        if hit is not None:
            self.c.edit("set_reverse", clip_id=hit[2].id, reverse=not hit[2].reverse)

    def slip(self, frames: int) -> None:
        hit = self.target()
        if hit is not None:
            self.c.edit("slip_clip", f"slip:{hit[2].id}", clip_id=hit[2].id, frames=frames)

    def roll_to_playhead(self) -> None:
        hit = self.target()
        if hit is not None:
            self.c.edit("roll_edit", clip_id=hit[2].id, frame=self.c.playhead)

    # ---- sound ----------------------------------------------------------------------------------
    def mute(self) -> None:
        hit = self.target()
        if hit is not None:
            self.c.edit("set_clip_audio", clip_id=hit[2].id, muted=not hit[2].muted)

    def gain(self, step: float) -> None:
        hit = self.target()
        if hit is not None:
            value = max(-60.0, min(24.0, hit[2].gain_db + step))
            if self.c.edit("set_clip_audio", f"gain:{hit[2].id}", clip_id=hit[2].id, gain_db=value):
                self.c.message.emit(f"Clip gain {value:+.1f} dB")

    def fade_in_to_playhead(self) -> None:
        hit = self.target()
        if hit is not None:
            start = self._start(hit)
            self.c.edit("set_clip_audio", clip_id=hit[2].id, fade_in=max(0, self.c.playhead - start))

    def fade_out_from_playhead(self) -> None:
        hit = self.target()
        if hit is not None:
            end = self._start(hit) + hit[2].duration
            self.c.edit("set_clip_audio", clip_id=hit[2].id, fade_out=max(0, end - self.c.playhead))

    def crossfade(self) -> None:
        hit = self.target()
        tl = self.c.timeline
        if hit is not None and tl is not None:
            from editor.model.time import nominal_fps

            tr = tl.tracks[hit[0]]
            nxt = tr.items[hit[1] + 1] if hit[1] + 1 < len(tr.items) else None
            frames = min(nominal_fps(tl.rate), nxt.duration if nxt is not None else 0)
            self.c.edit("crossfade", clip_id=hit[2].id, frames=frames)

    def _start(self, hit: tuple[int, int, Clip]) -> int:
        tl = self.c.timeline
        assert tl is not None
        return tl.tracks[hit[0]].starts()[hit[1]]

    # ---- tracks ---------------------------------------------------------------------------------
    def add_track(self, kind: str) -> None:
        self.c.edit("add_track", kind=kind)

    def remove_track(self) -> None:
        ti = self.track()
        if ti is not None and self.c.edit("remove_track", track=ti):
            self.c.select(-1, -1)

    def rename_track(self) -> None:
        ti = self.track()
        tl = self.c.timeline
        if ti is None or tl is None:
            return
        name, ok = QInputDialog.getText(self.parent, "Rename track", "Name:", text=tl.tracks[ti].name)
        if ok:
            self.c.edit_with("rename_track", {"track": ti, "name": name})  # ``name`` is also edit()'s own

    def move_track(self, step: int) -> None:
        ti = self.track()
        tl = self.c.timeline
        if ti is None or tl is None:
            return
        to = ti + step
        if 0 <= to < len(tl.tracks) and self.c.edit("move_track", track=ti, to=to):
            self.c.select(to, -1)

    def toggle(self, field: str) -> None:
        ti = self.track()
        tl = self.c.timeline
        if ti is not None and tl is not None:
            now = getattr(tl.tracks[ti], field)
            if self.c.edit_with("set_track", {"track": ti, field: not now}):
                word = {"muted": "muted", "solo": "solo", "locked": "locked", "hidden": "hidden"}[field]
                self.c.message.emit(f"Track {tl.tracks[ti].name} {'' if not now else 'not '}{word}")

    def track_gain(self) -> None:
        ti = self.track()
        tl = self.c.timeline
        if ti is None or tl is None:
            return
        value, ok = QInputDialog.getDouble(self.parent, "Track gain", "Gain (dB):", tl.tracks[ti].gain_db,
                                           -60.0, 24.0, 1)
        if ok:
            self.c.edit("set_track", track=ti, gain_db=value)

    def remove_many(self, ids: list[int], ripple: bool) -> None:
        """Lift (or ripple delete) several clips as one undo step; linked partners go with them."""
        key = f"many:{id(ids)}:{len(ids)}"
        tl = self.c.timeline
        if tl is None:
            return
        from editor.model.edits import locate

        def start(i: int) -> int:
            return locate(tl, i)[2]

        present = [i for i in ids if any(tr.index_of(i) is not None for tr in tl.tracks)]
        for clip_id in sorted(present, key=start, reverse=True):  # later first: earlier positions stay
            still = self.c.timeline
            if still is not None and any(tr.index_of(clip_id) is not None for tr in still.tracks):
                self.c.edit("ripple_delete" if ripple else "lift", key, clip_id=clip_id)

    def move_many(self, ids: list[int], delta: int, track_step: int = 0, kind: str = "") -> bool:
        """Move several clips by ``delta`` frames, one undo step; with ``track_step`` the clips on ``kind``
        tracks also go that many tracks of their kind up or down (the others, and linked partners, keep their
        tracks). The whole move is checked first: when any clip cannot go, nothing moves and one line says why.
        Returns whether it moved."""
        tl = self.c.timeline
        if tl is None or not (delta or track_step):
            return False
        from editor.model.edits import locate, move_clip
        from editor.model.errors import EditError

        where = {i: locate(tl, i) for i in ids if any(tr.index_of(i) is not None for tr in tl.tracks)}
        if any(w[2] + delta < 0 for w in where.values()):
            self.c.message.emit("The clips cannot move before the start")
            return False
        of_kind = [ti for ti, tr in enumerate(tl.tracks) if tr.kind == kind]
        dest: dict[int, int] = {}
        for clip_id, (ti, _i, _start) in where.items():
            dest[clip_id] = ti
            if track_step and ti in of_kind:
                k = of_kind.index(ti) + track_step
                if not 0 <= k < len(of_kind):
                    self.c.message.emit(f"There is no {kind} track {'above' if track_step > 0 else 'below'} "
                                        "for every selected clip")
                    return False
                dest[clip_id] = of_kind[k]
        # the ones furthest in the direction of the move first, so they never land on each other
        order = sorted(where, key=lambda i: (of_kind.index(where[i][0]) * track_step if where[i][0] in of_kind
                                             else 0, where[i][2] * (1 if delta > 0 else -1)), reverse=True)
        moves: list[tuple[int, int, int]] = []
        scratch = tl
        try:
            for clip_id in order:
                if not any(tr.index_of(clip_id) is not None for tr in scratch.tracks):
                    continue
                ti, _i, start = locate(scratch, clip_id)
                if start != where[clip_id][2] and ti == dest[clip_id]:
                    continue  # moved already with its linked partner
                frame = where[clip_id][2] + delta
                scratch = move_clip(scratch, clip_id, dest[clip_id], frame)
                moves.append((clip_id, dest[clip_id], frame))
        except EditError as exc:
            self.c.message.emit(f"Cannot move the selection: {exc}")
            return False
        key = f"move:{id(ids)}:{delta}:{track_step}"
        return all(self.c.edit("move_clip", key, clip_id=clip_id, track=track, frame=frame)
                   for clip_id, track, frame in moves)

    def handlers(self) -> dict[str, Any]:
        """Action name -> handler, for :func:`editor.ui.actions.build_actions`."""
        return {
            "copy_clip": self.copy_clip, "paste_clip": self.paste_clip, "clip_speed": self.speed_dialog,
            "clip_reverse": self.reverse, "slip_back": lambda: self.slip(-1), "slip_forward": lambda: self.slip(1),
            "roll_to_playhead": self.roll_to_playhead, "clip_mute": self.mute,
            "gain_up": lambda: self.gain(1.0), "gain_down": lambda: self.gain(-1.0),
            "fade_in_to_playhead": self.fade_in_to_playhead, "fade_out_from_playhead": self.fade_out_from_playhead,
            "crossfade": self.crossfade, "add_video_track": lambda: self.add_track("video"),
            "add_audio_track": lambda: self.add_track("audio"), "remove_track": self.remove_track,
            "rename_track": self.rename_track, "track_up": lambda: self.move_track(-1),
            "track_down": lambda: self.move_track(1), "track_mute": lambda: self.toggle("muted"),
            "track_solo": lambda: self.toggle("solo"), "track_lock": lambda: self.toggle("locked"),
            "track_hide": lambda: self.toggle("hidden"), "track_gain": self.track_gain,
        }
