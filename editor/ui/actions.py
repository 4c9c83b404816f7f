"""Every action of the window by name, with its default keys: the keymap and the cheat sheet read this.

The keys follow what Shotcut and LosslessCut users know. A user's overrides (Preferences, or
``keymap`` in config.json: ``{"split": "Ctrl+B"}``, several keys separated by ``;``) replace the
defaults of that action. Qt main thread only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget


@dataclass(frozen=True, slots=True)
class ActionSpec:
    name: str
    label: str
    keys: tuple[str, ...]
    menu: str  # File, Edit, Audio, Tracks, Picture, Playback, Marks, View, Help


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("new_project", "New project", ("Ctrl+N",), "File"),
    ActionSpec("open_project", "Projects…", ("Ctrl+O",), "File"),
    ActionSpec("import_media", "Import media…", ("Ctrl+I",), "File"),
    ActionSpec("export", "Export…", ("Ctrl+E",), "File"),
    ActionSpec("export_frame", "Export frame as PNG…", ("Ctrl+Shift+E",), "File"),
    ActionSpec("export_segments", "Export segments, one file each…", ("Ctrl+Alt+E",), "Segments"),
    ActionSpec("export_segments_joined", "Export segments, joined into one file…", ("Ctrl+Alt+Shift+E",),
               "Segments"),
    ActionSpec("batch_cut", "Cut the selected files with these segments…", ("Ctrl+Alt+B",), "Segments"),
    ActionSpec("merge_files", "Merge the selected files…", ("Ctrl+Alt+M",), "File"),
    ActionSpec("import_srt", "Import subtitles (SRT)…", (), "File"),
    ActionSpec("export_srt", "Export subtitles (SRT)…", (), "File"),
    ActionSpec("preferences", "Preferences…", ("Ctrl+,",), "File"),
    ActionSpec("quit", "Quit", ("Ctrl+Q",), "File"),
    ActionSpec("undo", "Undo", ("Ctrl+Z",), "Edit"),
    ActionSpec("redo", "Redo", ("Ctrl+Shift+Z", "Ctrl+Y"), "Edit"),
    ActionSpec("split", "Split at playhead", ("S",), "Edit"),
    ActionSpec("split_all", "Split all tracks at playhead", ("Shift+S",), "Edit"),
    ActionSpec("trim_start", "Ripple-trim clip start to playhead", ("Q",), "Edit"),
    ActionSpec("trim_end", "Ripple-trim clip end to playhead", ("W",), "Edit"),
    ActionSpec("ripple_delete", "Ripple delete (clip, or the in/out range)", ("X", "Shift+Del"), "Edit"),
    ActionSpec("lift", "Lift (leave a gap)", ("Del",), "Edit"),
    # Picture (editor/ui/picture_commands.py): on the selected clip or title, else the one under the playhead
    ActionSpec("fade_in", "Fade in (1 s; again: none)", ("Shift+F",), "Picture"),
    ActionSpec("fade_out", "Fade out (1 s; again: none)", ("Ctrl+Shift+F",), "Picture"),
    ActionSpec("dissolve", "Dissolve at the nearest cut (1 s; again: none)", ("Shift+D",), "Picture"),
    ActionSpec("add_title", "Add title…", ("T",), "Picture"),
    ActionSpec("edit_title", "Edit title…", ("Shift+T",), "Picture"),
    ActionSpec("clip_look", "Opacity, position and scale…", ("Shift+P",), "Picture"),
    # Subtitles (editor/ui/subtitle_editor.py)
    ActionSpec("add_cue", "Add subtitle at playhead…", ("C",), "Picture"),
    ActionSpec("edit_cue", "Edit subtitle under playhead…", ("Shift+C",), "Picture"),
    ActionSpec("toggle_subtitles", "Show subtitles over the picture", ("Shift+V",), "Picture"),
    ActionSpec("copy_clip", "Copy clip", ("Ctrl+C",), "Edit"),
    ActionSpec("paste_clip", "Paste clip at playhead", ("Ctrl+V",), "Edit"),
    ActionSpec("clip_speed", "Clip speed…", ("Ctrl+R",), "Edit"),
    ActionSpec("clip_reverse", "Reverse clip", ("Alt+R",), "Edit"),
    ActionSpec("slip_back", "Slip clip one frame earlier", ("Alt+,",), "Edit"),
    ActionSpec("slip_forward", "Slip clip one frame later", ("Alt+.",), "Edit"),
    ActionSpec("roll_to_playhead", "Roll the cut after the clip to the playhead", ("Alt+W",), "Edit"),
    ActionSpec("clip_mute", "Mute / unmute clip", ("Alt+U",), "Audio"),  # Alt+M opens the Marks menu
    ActionSpec("gain_up", "Clip gain +1 dB", ("Alt+=",), "Audio"),
    ActionSpec("gain_down", "Clip gain −1 dB", ("Alt+-",), "Audio"),
    ActionSpec("fade_in_to_playhead", "Fade clip sound in up to the playhead", ("Ctrl+[",), "Audio"),
    ActionSpec("fade_out_from_playhead", "Fade clip sound out from the playhead", ("Ctrl+]",), "Audio"),
    ActionSpec("crossfade", "Crossfade into the next clip (1 s)", ("Alt+X",), "Audio"),
    ActionSpec("add_video_track", "Add video track", ("Ctrl+Shift+V",), "Tracks"),
    ActionSpec("add_audio_track", "Add audio track", ("Ctrl+Shift+A",), "Tracks"),
    ActionSpec("remove_track", "Remove track", ("Ctrl+Shift+Del",), "Tracks"),
    ActionSpec("rename_track", "Rename track…", ("Ctrl+Shift+N",), "Tracks"),
    ActionSpec("track_up", "Move track up", ("Ctrl+Shift+Up",), "Tracks"),
    ActionSpec("track_down", "Move track down", ("Ctrl+Shift+Down",), "Tracks"),
    ActionSpec("track_mute", "Mute / unmute track", ("Ctrl+Shift+M",), "Tracks"),
    ActionSpec("track_solo", "Solo track", ("Ctrl+Shift+S",), "Tracks"),
    ActionSpec("track_lock", "Lock / unlock track", ("Ctrl+Shift+L",), "Tracks"),
    ActionSpec("track_hide", "Hide / show track", ("Ctrl+Shift+H",), "Tracks"),
    ActionSpec("track_gain", "Track gain…", ("Ctrl+Shift+G",), "Tracks"),
    ActionSpec("play_pause", "Play / pause", ("Space",), "Playback"),
    ActionSpec("preview_copy_cut", "Play as the copy export will cut it", ("Shift+Space",), "Playback"),
    ActionSpec("shuttle_back", "Play backwards (again: faster)", ("J",), "Playback"),
    ActionSpec("pause", "Pause", ("K",), "Playback"),
    ActionSpec("shuttle_forward", "Play forwards (again: faster)", ("L",), "Playback"),
    ActionSpec("frame_back", "Back one frame", ("Left",), "Playback"),
    ActionSpec("frame_forward", "Forward one frame", ("Right",), "Playback"),
    ActionSpec("second_back", "Back one second", ("Shift+Left",), "Playback"),
    ActionSpec("second_forward", "Forward one second", ("Shift+Right",), "Playback"),
    ActionSpec("go_start", "Go to start", ("Home",), "Playback"),
    ActionSpec("go_end", "Go to end", ("End",), "Playback"),
    ActionSpec("prev_edit", "Previous edit point", ("Up",), "Playback"),
    ActionSpec("next_edit", "Next edit point", ("Down",), "Playback"),
    ActionSpec("prev_keyframe", "Previous keyframe", ("Ctrl+Left",), "Playback"),
    ActionSpec("next_keyframe", "Next keyframe", ("Ctrl+Right",), "Playback"),
    ActionSpec("set_in", "Set in point", ("I",), "Marks"),
    ActionSpec("set_out", "Set out point", ("O",), "Marks"),
    ActionSpec("clear_in", "Clear in point", ("Alt+I",), "Marks"),
    ActionSpec("clear_out", "Clear out point", ("Alt+O",), "Marks"),
    ActionSpec("add_marker", "Add marker", ("M",), "Marks"),
    # One sequence each: "<" and "Shift+<" (or "Shift+,") both match the same key press on X11, and Qt then
    # triggers neither ("Ambiguous shortcut overload").
    ActionSpec("prev_marker", "Previous marker", ("<",), "Marks"),
    ActionSpec("next_marker", "Next marker", (">",), "Marks"),
    ActionSpec("zoom_in", "Zoom in", ("+", "=", "Ctrl+="), "View"),
    ActionSpec("zoom_out", "Zoom out", ("-", "Ctrl+-"), "View"),
    ActionSpec("zoom_fit", "Zoom to fit", ("0",), "View"),
    ActionSpec("fullscreen_viewer", "Full-screen viewer", ("F",), "View"),
    ActionSpec("leave_fullscreen", "Leave full-screen viewer", ("Esc",), "View"),
    ActionSpec("toggle_jobs", "Jobs panel", ("Ctrl+J",), "View"),
    ActionSpec("segment_add", "New segment from in/out", ("B",), "Segments"),
    ActionSpec("segment_prev", "Select previous segment", ("Alt+Up",), "Segments"),
    ActionSpec("segment_next", "Select next segment", ("Alt+Down",), "Segments"),
    ActionSpec("segment_up", "Move segment up (export order)", ("Alt+Shift+Up",), "Segments"),
    ActionSpec("segment_down", "Move segment down (export order)", ("Alt+Shift+Down",), "Segments"),
    ActionSpec("segment_toggle", "Enable / disable segment", ("Alt+D",), "Segments"),
    ActionSpec("segment_rename", "Rename segment…", ("F2",), "Segments"),
    ActionSpec("segment_color", "Next segment colour", ("Alt+C",), "Segments"),
    ActionSpec("segment_go_start", "Go to segment start", ("Alt+Home",), "Segments"),
    ActionSpec("segment_go_end", "Go to segment end", ("Alt+End",), "Segments"),
    ActionSpec("segment_split", "Split segment at playhead", ("Alt+K",), "Segments"),
    ActionSpec("segment_merge", "Merge segment with the next", ("Alt+J",), "Segments"),
    ActionSpec("segment_invert", "Invert segments (keep the rest)", ("Alt+N",), "Segments"),
    ActionSpec("segment_delete", "Delete segment", ("Alt+Del",), "Segments"),
    ActionSpec("toggle_segments", "Segments panel", ("Ctrl+G",), "View"),
    ActionSpec("cheat_sheet", "Keyboard shortcuts", ("?", "F1"), "Help"),
    ActionSpec("about", "About Cutline", (), "Help"),
)

SPECS = {spec.name: spec for spec in ACTIONS}


def keys_for(spec: ActionSpec, keymap: dict[str, str]) -> list[QKeySequence]:
    override = keymap.get(spec.name)
    texts = [k.strip() for k in override.split(";")] if override else list(spec.keys)
    return [QKeySequence(t) for t in texts if t]


def conflicts(keymap: dict[str, str]) -> list[str]:
    """Key sequences bound to more than one action (shown in Preferences; the first action wins)."""
    seen: dict[str, str] = {}
    clashes = []
    for spec in ACTIONS:
        for seq in keys_for(spec, keymap):
            text = seq.toString()
            if text in seen and seen[text] != spec.name:
                clashes.append(f"{text}: {seen[text]} and {spec.name}")
            seen.setdefault(text, spec.name)
    return clashes


def show_undo_labels(actions: dict[str, QAction], undo: str | None, redo: str | None) -> None:
    """"Undo Ripple delete" / "Redo Split" in the Edit menu, each disabled when there is nothing to do."""
    for name, verb, label in (("undo", "Undo", undo), ("redo", "Redo", redo)):
        action = actions.get(name)
        if action is not None:
            action.setText(f"{verb} {label}" if label else verb)
            action.setEnabled(label is not None)


def build_actions(
    owner: QWidget, handlers: dict[str, Callable[[], None]], keymap: dict[str, str]
) -> dict[str, QAction]:
    """One QAction per spec, added to ``owner`` so its keys work anywhere in the window."""
    actions: dict[str, QAction] = {}
    for spec in ACTIONS:
        action = QAction(spec.label, owner)
        action.setObjectName(spec.name)
        action.setShortcuts(keys_for(spec, keymap))
        handler = handlers.get(spec.name)
        if handler is not None:
            action.triggered.connect(lambda _checked=False, h=handler: h())
        else:
            action.setEnabled(False)
        owner.addAction(action)
        actions[spec.name] = action
    return actions


def apply_keymap(actions: dict[str, QAction], keymap: dict[str, str]) -> None:
    """Rebind the window's actions to ``keymap`` at once (Preferences ▸ Save), no restart needed."""
    for spec in ACTIONS:
        action = actions.get(spec.name)
        if action is not None:
            action.setShortcuts(keys_for(spec, keymap))
