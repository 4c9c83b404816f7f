"""Undo/redo of any depth over immutable timelines: undo is swapping references, never copying.

A drag sends many edits with the same ``merge_key`` (the UI makes one key per gesture, e.g.
``"drag:<gesture id>"``); they merge into one undo entry, as in Shotcut's ``mergeWith``. Every step is an
``EditRecord`` (including ``undo`` and ``redo``), so ``History.replay`` rebuilds the same state from the
edit_history rows after a crash. Everything here is pure; any thread.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from .errors import EditError
from .registry import EditRecord, apply_edit, encode_params
from .timeline import Timeline

__all__ = ["Entry", "History", "label_of"]

_LABELS = {
    "set_in_out": "Set in/out", "clear_in_out": "Clear in/out", "set_in": "Set in", "set_out": "Set out",
    "append_media": "Append", "insert_media": "Insert", "append_clip": "Append", "insert_clip": "Insert",
    "set_speed": "Change speed", "relink_media": "Relink", "set_cues": "Import subtitles",
    "split_all": "Split all tracks", "split_all_at_playhead": "Split all tracks",
    "roll_edit": "Roll", "slip_clip": "Slip", "overwrite_clip": "Paste", "set_clip_audio": "Change clip sound",
    "set_track": "Change track", "set_reverse": "Reverse",
}


def label_of(name: str) -> str:
    """What a menu calls an edit ("ripple_delete_at_playhead" -> "Ripple delete"). Pure; any thread."""
    if name in _LABELS:
        return _LABELS[name]
    for suffix in ("_at_playhead", "_to_playhead", "_range"):
        name = name.removesuffix(suffix)
    return name.replace("_", " ").capitalize()


def check_text(value: Any, where: str = "params") -> None:
    """EditError for text that cannot be saved: invalid Unicode (a lone surrogate) or a NUL character (refused
    by PostgreSQL). Checked at the edit, so a bad label never reaches the journal or the database."""
    if isinstance(value, str):
        if "\x00" in value:
            raise EditError(f"{where}: text cannot contain a NUL character")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise EditError(f"{where}: text is not valid Unicode (it holds a lone surrogate)") from None
    elif isinstance(value, Mapping):
        for k, v in value.items():
            check_text(k, where)
            check_text(v, f"{where}.{k}")
    elif isinstance(value, (list, tuple)):
        for v in value:
            check_text(v, where)


@dataclass(frozen=True, slots=True)
class Entry:
    """One undo step: the records that made it, the timeline before and after."""

    records: tuple[EditRecord, ...]
    before: Timeline
    after: Timeline
    merge_key: str | None = None

    @property
    def name(self) -> str:
        """The name of the edit that began this step (a ripple delete that also clears in/out is a ripple
        delete)."""
        return self.records[0].name

    @property
    def label(self) -> str:
        """What the menu shows: "Undo <label>"."""
        return label_of(self.name)


@dataclass(frozen=True, slots=True)
class _Stack:
    top: Entry
    rest: _Stack | None
    size: int


def _push(s: _Stack | None, e: Entry) -> _Stack:
    return _Stack(e, s, 1 if s is None else s.size + 1)


@dataclass(frozen=True, slots=True)
class History:
    """The present timeline with its undo and redo stacks. Start one with ``History(timeline)``."""

    present: Timeline
    _undo: _Stack | None = None
    _redo: _Stack | None = None
    _open: bool = False  # the last step was an apply, so a same-key edit may merge into it
    last_record: EditRecord | None = None

    @property
    def can_undo(self) -> bool:
        return self._undo is not None

    @property
    def can_redo(self) -> bool:
        return self._redo is not None

    @property
    def undo_depth(self) -> int:
        return 0 if self._undo is None else self._undo.size

    @property
    def redo_depth(self) -> int:
        return 0 if self._redo is None else self._redo.size

    @property
    def undo_name(self) -> str | None:
        """Name of the edit ``undo`` would revert, or None."""
        return None if self._undo is None else self._undo.top.name

    @property
    def redo_name(self) -> str | None:
        return None if self._redo is None else self._redo.top.name

    @property
    def undo_label(self) -> str | None:
        """"Ripple delete" for the Edit menu's "Undo Ripple delete", or None when there is nothing."""
        return None if self._undo is None else self._undo.top.label

    @property
    def redo_label(self) -> str | None:
        return None if self._redo is None else self._redo.top.label

    def apply(
        self, name: str, params: Mapping[str, Any] | None = None, merge_key: str | None = None
    ) -> History:
        """Apply an edit by name (see ``registry.apply_edit``) as a new undo step, or merged into the last one
        when ``merge_key`` matches it. Clears redo. Raises EditError and leaves history unchanged on failure.
        ``last_record`` of the result is the row to append to edit_history (None after a no-op edit).
        """
        record = EditRecord(name, encode_params(params or {}), merge_key)
        check_text(record.params, name)
        after = apply_edit(self.present, name, record.params)
        if after is self.present or after == self.present:  # a no-op (e.g. clearing an unset range): no step
            return replace(self, last_record=None)
        return self.push(after, record)

    def push(self, after: Timeline, record: EditRecord) -> History:
        """Record a timeline the caller already computed with ``record`` (e.g. from ``registry.edit``)."""
        top = self._undo.top if self._undo is not None else None
        key = record.merge_key
        if key is not None and self._open and top is not None and top.merge_key == key:
            records = top.records + (record,)
            try:
                if apply_edit(top.before, record.name, record.params) == after:
                    records = (record,)  # the last step alone gets there from the entry's start
            except EditError:
                pass  # it needs the steps before it: keep them all
            entry = Entry(records, top.before, after, key)
            assert self._undo is not None
            return History(after, _push(self._undo.rest, entry), None, True, record)
        return History(
            after, _push(self._undo, Entry((record,), self.present, after, key)), None, True, record
        )

    def undo(self) -> History:
        """Go back one step; EditError when there is nothing to undo."""
        if self._undo is None:
            raise EditError("nothing to undo")
        e = self._undo.top
        return History(e.before, self._undo.rest, _push(self._redo, e), False, EditRecord("undo"))

    def redo(self) -> History:
        """Redo the last undone step; EditError when there is nothing to redo."""
        if self._redo is None:
            raise EditError("nothing to redo")
        e = self._redo.top
        return History(e.after, _push(self._undo, e), self._redo.rest, False, EditRecord("redo"))

    def step(self, record: EditRecord | Mapping[str, Any]) -> History:
        """Apply one stored row: an edit, ``{"name": "undo"}`` or ``{"name": "redo"}``."""
        rec = record if isinstance(record, EditRecord) else EditRecord.from_dict(record)
        if rec.name == "undo":
            return self.undo()
        if rec.name == "redo":
            return self.redo()
        return self.apply(rec.name, rec.params, rec.merge_key)

    @staticmethod
    def replay(base: Timeline, records: Iterable[EditRecord | Mapping[str, Any]]) -> History:
        """Rebuild a history from a base timeline and the edit_history rows made on it, in order.
        EditError names the row that fails."""
        h = History(base)
        for n, rec in enumerate(records):
            try:
                h = h.step(rec)
            except EditError as e:
                raise EditError(f"edit_history row {n}: {e}") from None
        return h
