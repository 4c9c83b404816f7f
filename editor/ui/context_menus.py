"""Right-click menus of the timeline's clips and tracks and of the media bin. Every entry is an existing
action of :mod:`editor.ui.actions` (same label, same keys, same handler). Qt main thread only."""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

CLIP_MENU: tuple[str, ...] = (
    "split", "trim_start", "trim_end", "lift", "ripple_delete", "-", "copy_clip", "paste_clip", "-",
    "clip_speed", "clip_reverse", "slip_back", "slip_forward", "roll_to_playhead", "-",
    "clip_mute", "gain_up", "gain_down", "fade_in_to_playhead", "fade_out_from_playhead", "crossfade",
)
TRACK_MENU: tuple[str, ...] = (
    "paste_clip", "-", "add_video_track", "add_audio_track", "rename_track", "remove_track", "track_up",
    "track_down", "-", "track_mute", "track_solo", "track_lock", "track_hide", "track_gain",
)
BIN_MENU: tuple[str, ...] = ("import_media", "-", "add_video_track", "add_audio_track", "-", "batch_cut", "merge_files")


def build_menu(parent: QWidget, actions: dict[str, QAction], names: tuple[str, ...]) -> QMenu:
    """A menu of the named actions ("-": a separator)."""
    menu = QMenu(parent)
    for name in names:
        if name == "-":
            menu.addSeparator()
        elif name in actions:
            menu.addAction(actions[name])
    return menu


def menu_for(track: int, clip_id: int) -> tuple[str, ...] | None:
    """Which menu a right click at (track, clip) opens: a clip's, a track's, or none."""
    if clip_id >= 0:
        return CLIP_MENU
    if track >= 0:
        return TRACK_MENU
    return None
