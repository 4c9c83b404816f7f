from __future__ import annotations

import inspect
import json
import sys

import pytest

from editor.model.errors import EditError, TimelineFormatError
from editor.model.history import History
from editor.model.registry import EDITS, EditRecord, apply_edit, edit
from editor.model.timeline import Timeline, validate

from .conftest import C, spans


def test_every_edit_has_a_docstring_and_json_params() -> None:
    for name, fn in EDITS.items():
        module_doc = sys.modules[fn.__module__].__doc__ or ""
        assert fn.__doc__, name
        assert "any thread" in fn.__doc__ or "any thread" in module_doc, name
        params = list(inspect.signature(fn).parameters)
        assert params[0] == "timeline", name


def test_apply_edit_by_name(basic: Timeline) -> None:
    t = apply_edit(basic, "split", {"track": 0, "frame": 100})
    assert spans(t, 0)[:2] == [(0, 100), (100, 250)]
    t2 = apply_edit(basic, "set_speed", {"clip_id": 1, "speed": "1/2"})
    assert spans(t2, 0)[0] == (0, 500)
    with pytest.raises(EditError, match="unknown edit"):
        apply_edit(basic, "explode", {})
    with pytest.raises(EditError, match="unknown parameter 'where'"):
        apply_edit(basic, "split", {"track": 0, "where": 3})
    with pytest.raises(EditError, match="missing parameter 'frame'"):
        apply_edit(basic, "split", {"track": 0})


def test_edit_returns_a_json_record(basic: Timeline) -> None:
    t, rec = edit(basic, "append_clip", track=0, media=C, duration=20)
    assert json.loads(json.dumps(rec.to_dict()))["params"]["media"]["fingerprint"] == "fp-c"
    assert apply_edit(basic, rec.name, rec.params) == t
    assert EditRecord.from_dict(rec.to_dict()) == rec
    with pytest.raises(TimelineFormatError):
        EditRecord.from_dict({"name": 3})


def test_undo_redo(basic: Timeline) -> None:
    h = History(basic)
    assert not h.can_undo
    h1 = h.apply("split", {"track": 0, "frame": 100})
    h2 = h1.apply("ripple_delete", {"clip_id": 1})
    assert h2.undo_name == "ripple_delete" and h2.undo_depth == 2
    u = h2.undo()
    assert u.present is h1.present and u.redo_name == "ripple_delete"
    assert u.undo().present is basic
    assert u.redo().present is h2.present
    with pytest.raises(EditError, match="nothing to undo"):
        h.undo()
    with pytest.raises(EditError, match="nothing to redo"):
        h2.redo()
    # a new edit after undo clears redo
    assert not u.apply("lift", {"clip_id": 4}).can_redo
    # a failing edit leaves the history as it was
    with pytest.raises(EditError):
        h2.apply("split", {"track": 0, "frame": 0})


def test_drag_merges_into_one_entry(basic: Timeline) -> None:
    h = History(basic)
    for f in (360, 370, 380, 390):
        h = h.apply("move_clip", {"clip_id": 4, "track": 0, "frame": f}, merge_key="drag:1")
    assert h.undo_depth == 1
    assert spans(h.present, 0)[-1] == (390, 640)
    assert h.undo().present is basic
    h = h.apply("move_clip", {"clip_id": 4, "track": 0, "frame": 400}, merge_key="drag:2")
    assert h.undo_depth == 2


def test_merge_keeps_non_collapsible_steps(basic: Timeline) -> None:
    h = History(basic)
    h = h.apply("split", {"track": 0, "frame": 100}, merge_key="k")
    h = h.apply("split", {"track": 0, "frame": 50}, merge_key="k")
    assert h.undo_depth == 1 and len(h._undo.top.records) == 2  # type: ignore[union-attr]
    assert h.undo().present is basic


def test_replay_rebuilds_the_same_state(basic: Timeline) -> None:
    h = History(basic)
    rows = []
    steps = [
        ("split", {"track": 0, "frame": 100}, None),
        ("move_clip", {"clip_id": 4, "track": 0, "frame": 360}, "d"),
        ("move_clip", {"clip_id": 4, "track": 0, "frame": 380}, "d"),
        ("undo", None, None),
        ("redo", None, None),
        ("add_marker", {"frame": 5, "label": "x", "color": "blue"}, None),
        ("undo", None, None),
    ]
    for name, params, key in steps:
        h = h.step({"name": name, "params": params or {}, "merge_key": key})
        rows.append(json.loads(json.dumps(h.last_record.to_dict())))  # type: ignore[union-attr]
    r = History.replay(basic, rows)
    assert r.present == h.present and r.undo_depth == h.undo_depth and r.redo_depth == h.redo_depth
    validate(r.present)
    with pytest.raises(EditError, match="row 0"):
        History.replay(basic, [{"name": "lift", "params": {"clip_id": 99}}])


def test_a_no_op_edit_makes_no_undo_step(basic: Timeline) -> None:
    h = History(basic).apply("trim_in", {"clip_id": 1, "frame": 0})
    assert h.present is basic and not h.can_undo and h.last_record is None


def test_merge_with_a_step_that_needs_the_earlier_ones(basic: Timeline) -> None:
    h = History(basic).apply("split", {"track": 0, "frame": 100}, merge_key="g")
    new_id = h.present.next_id - 2  # the right half of the split video clip
    h = h.apply("lift", {"clip_id": new_id}, merge_key="g")
    assert h.undo_depth == 1 and len(h._undo.top.records) == 2  # type: ignore[union-attr]
    assert h.undo().present is basic


def test_edit_history_rows() -> None:
    rec = EditRecord("move_clip", {"clip_id": 4, "track": 0, "frame": 9}, "drag:7")
    edit_type, params = rec.to_row()
    assert edit_type == "move_clip" and params["_merge_key"] == "drag:7"
    assert EditRecord.from_row(edit_type, json.loads(json.dumps(params))) == rec
    assert EditRecord.from_row("undo", {}) == EditRecord("undo")
