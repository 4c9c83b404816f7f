"""Edits by name: ``apply_edit(timeline, "split", {"track": 0, "frame": 120})``.

Each edit is stored as an ``EditRecord`` (name + JSON-able params), the row the store appends to the
``edit_history`` table, so a project's history can be replayed after a crash. Parameters are the keyword
arguments of the function of that name, with Fractions written as strings (``"1/2"``) and media as
``media_to_dict`` dicts. Every function here is pure; any thread.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from . import clip_edits, edits, looks, marks, playhead, relink, segments, track_edits
from .errors import EditError, TimelineFormatError
from .serialize import media_from_dict, media_to_dict
from .time import format_rate
from .timeline import MediaRef, Timeline

__all__ = ["EDITS", "EditRecord", "apply_edit", "edit", "encode_params"]

_FUNCS: list[Callable[..., Timeline]] = [
    edits.add_track,
    edits.append_clip,
    edits.append_media,
    edits.insert_media,
    edits.insert_clip,
    edits.trim_in,
    edits.trim_out,
    edits.ripple_trim_in,
    edits.ripple_trim_out,
    edits.split,
    edits.split_all,
    edits.ripple_delete,
    edits.ripple_delete_range,
    edits.lift,
    edits.move_clip,
    edits.set_speed,
    edits.set_rate,
    marks.add_marker,
    marks.move_marker,
    marks.edit_marker,
    marks.remove_marker,
    marks.set_in,
    marks.set_out,
    marks.set_in_out,
    marks.clear_in_out,
    marks.add_cue,
    marks.edit_cue,
    marks.remove_cue,
    marks.set_cues,
    playhead.split_at_playhead,
    playhead.split_all_at_playhead,
    playhead.trim_start_to_playhead,
    playhead.trim_end_to_playhead,
    playhead.ripple_delete_at_playhead,
    playhead.lift_at_playhead,
    relink.relink_media,
    looks.set_look,
    looks.set_fade,
    looks.set_dissolve,
    looks.add_title,
    looks.edit_title,
    looks.retime_title,
    looks.remove_title,
    segments.add_segment,
    segments.remove_segment,
    segments.rename_segment,
    segments.color_segment,
    segments.enable_segment,
    segments.move_segment,
    segments.split_segment,
    segments.merge_segments,
    segments.invert_segments,
    segments.set_segments,
    track_edits.remove_track,
    track_edits.rename_track,
    track_edits.move_track,
    track_edits.set_track,
    clip_edits.roll_edit,
    clip_edits.slip_clip,
    clip_edits.overwrite_clip,
    clip_edits.set_clip_audio,
    clip_edits.crossfade,
    clip_edits.set_reverse,
]
#: Every edit the editor can make, by name.
EDITS: dict[str, Callable[..., Timeline]] = {f.__name__: f for f in _FUNCS}

_SIGS = {name: inspect.signature(f) for name, f in EDITS.items()}


@dataclass(frozen=True, slots=True)
class EditRecord:
    """One applied edit: its name, its JSON-able parameters and the drag-merge key it was made with."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    merge_key: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """``{"name", "params", "merge_key"}`` for the edit_history table."""
        return {"name": self.name, "params": self.params, "merge_key": self.merge_key}

    def to_row(self) -> tuple[str, dict[str, Any]]:
        """``(edit_type, params)`` for the edit_history table's columns; a merge key rides in params as
        ``"_merge_key"`` so a replay merges drags the same way."""
        params = dict(self.params)
        if self.merge_key is not None:
            params["_merge_key"] = self.merge_key
        return self.name, params

    @staticmethod
    def from_row(edit_type: str, params: Mapping[str, Any]) -> EditRecord:
        """Inverse of ``to_row``."""
        p = dict(params)
        key = p.pop("_merge_key", None)
        return EditRecord.from_dict({"name": edit_type, "params": p, "merge_key": key})

    @staticmethod
    def from_dict(d: Mapping[str, Any]) -> EditRecord:
        """Inverse of ``to_dict``; TimelineFormatError for a malformed row."""
        name, params, key = d.get("name"), d.get("params", {}), d.get("merge_key")
        if (
            not isinstance(name, str)
            or not isinstance(params, dict)
            or not (key is None or isinstance(key, str))
        ):
            raise TimelineFormatError(
                f"edit record: expected name (text), params (object), merge_key, got {d!r}"
            )
        return EditRecord(name, params, key)


def _encode(v: Any) -> Any:
    if isinstance(v, Fraction):
        return format_rate(v) if v > 0 else str(v)
    if isinstance(v, MediaRef):
        return media_to_dict(v)
    if isinstance(v, (list, tuple)):
        return [_encode(x) for x in v]
    return v


def encode_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments of an edit as JSON-able values (Fraction -> "n/d", MediaRef -> dict).
    Pure; any thread."""
    return {k: _encode(v) for k, v in params.items()}


def _decode(name: str, params: Mapping[str, Any]) -> dict[str, Any]:
    if name not in EDITS:
        raise EditError(f"unknown edit {name!r}")
    if not isinstance(params, Mapping):
        raise EditError(f"{name}: parameters must be an object, got {params!r}")
    sig = _SIGS[name]
    allowed = list(sig.parameters)[1:]
    for k in params:
        if k not in allowed:
            raise EditError(f"{name}: unknown parameter {k!r} (expected {', '.join(allowed)})")
    for k in allowed:
        if sig.parameters[k].default is inspect.Parameter.empty and k not in params:
            raise EditError(f"{name}: missing parameter {k!r}")
    out = dict(params)
    if isinstance(out.get("media"), Mapping):
        try:
            out["media"] = media_from_dict(out["media"], f"{name}.media")
        except TimelineFormatError as e:
            raise EditError(str(e)) from None
    if isinstance(out.get("segments"), list):
        out["segments"] = [tuple(c) if isinstance(c, list) else c for c in out["segments"]]
    if isinstance(out.get("cues"), list):
        out["cues"] = [tuple(c) if isinstance(c, list) else c for c in out["cues"]]
    return out


def apply_edit(timeline: Timeline, name: str, params: Mapping[str, Any] | None = None) -> Timeline:
    """Apply the edit ``name`` with JSON-able ``params`` (as stored in edit_history); EditError when it is
    unknown, its parameters are wrong, or it cannot be applied. Pure; any thread.
    """
    kwargs = _decode(name, params or {})
    out = EDITS[name](timeline, **kwargs)
    if name not in track_edits.TRACK_EDITS:
        locked = track_edits.locked_tracks_changed(timeline, out)
        if locked is not None:
            raise EditError(f"track {locked!r} is locked: unlock it to edit it")
    return out


def edit(timeline: Timeline, name: str, **params: Any) -> tuple[Timeline, EditRecord]:
    """Apply an edit given Python values, returning the new timeline and its replayable record.
    Pure; any thread."""
    record = EditRecord(name, encode_params(params))
    return apply_edit(timeline, name, record.params), record
