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

__all__ = ["Entry", "History"]


@dataclass(frozen=True, slots=True)
class Entry:
    """One undo step: the records that made it, the timeline before and after."""

    records: tuple[EditRecord, ...]
    before: Timeline
    after: Timeline
    merge_key: str | None = None

    @property
    def name(self) -> str:
        """The edit name for menus ("Undo split")."""
        return self.records[-1].name


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

    def apply(
        self, name: str, params: Mapping[str, Any] | None = None, merge_key: str | None = None
    ) -> History:
        """Apply an edit by name (see ``registry.apply_edit``) as a new undo step, or merged into the last one
        when ``merge_key`` matches it. Clears redo. Raises EditError and leaves history unchanged on failure.
        ``last_record`` of the result is the row to append to edit_history (None after a no-op edit).
        """
        record = EditRecord(name, encode_params(params or {}), merge_key)
        after = apply_edit(self.present, name, record.params)
        if after is self.present:  # a no-op (e.g. trimming to where the edge already is): no undo step
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
