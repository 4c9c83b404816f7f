"""Property tests over random sequences of edits: invariants hold, undo restores, round trips are identity."""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from editor.model.edits import linked_partners
from editor.model.errors import EditError
from editor.model.history import History
from editor.model.marks import set_cues
from editor.model.navigate import duration, timeline_from_media
from editor.model.otio_io import export_otio, import_otio
from editor.model.registry import EditRecord
from editor.model.serialize import timeline_from_json, timeline_to_json
from editor.model.timeline import Clip, Gap, Timeline, validate

from .conftest import NTSC, A, B, C

MEDIA = [A, B, C, NTSC]
SPEEDS = ["1", "2", "1/2", "3/2", "2/3"]
TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.just("\n"), max_size=8)
# CUTLINE_HYPOTHESIS_EXAMPLES=3000 for a deeper search than the default run (kept well under 60 s).
SETTINGS = settings(
    max_examples=int(os.environ.get("CUTLINE_HYPOTHESIS_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def item_ids(t: Timeline) -> list[int]:
    return [it.id for tr in t.tracks for it in tr.items if type(it) is not Gap]  # type: ignore[union-attr]


def draw_edit(data: st.DataObject, t: Timeline, names: list[str]) -> tuple[str, dict[str, Any]]:
    name = data.draw(st.sampled_from(names))
    end = duration(t) + 40
    frame = st.integers(0, end)
    ids = item_ids(t) or [1]
    cid = st.sampled_from(ids)
    cues = [it.id for tr in t.tracks if tr.kind == "subtitle" for it in tr.items if type(it) is not Gap]
    cue = st.sampled_from(cues or [1])  # type: ignore[attr-defined]
    track = st.integers(0, len(t.tracks) - 1)
    media = st.sampled_from(MEDIA).map(
        lambda m: {
            "schema": "MediaRef.1",
            "fingerprint": m.fingerprint,
            "path": m.path,
            "duration": m.duration,
            "rate": str(m.rate),
            "has_video": m.has_video,
            "has_audio": m.has_audio,
            "width": m.width,
            "height": m.height,
        }
    )
    marker = st.sampled_from([m.id for m in t.markers] or [1])
    b = st.booleans()
    gen: dict[str, dict[str, Any]] = {
        "split": {"track": track, "frame": frame, "with_linked": b},
        "split_all": {"frame": frame},
        "trim_in": {"clip_id": cid, "frame": frame, "with_linked": b},
        "trim_out": {"clip_id": cid, "frame": frame, "with_linked": b},
        "ripple_trim_in": {"clip_id": cid, "frame": frame, "ripple_all": b},
        "ripple_trim_out": {"clip_id": cid, "frame": frame, "ripple_all": b},
        "ripple_delete": {"clip_id": cid, "ripple_all": b},
        "ripple_delete_range": {"start": frame, "end": frame},
        "lift": {"clip_id": cid, "with_linked": b},
        "move_clip": {"clip_id": cid, "track": track, "frame": frame, "with_linked": b},
        "set_speed": {"clip_id": cid, "speed": st.sampled_from(SPEEDS), "ripple_all": b},
        "insert_clip": {
            "track": track,
            "frame": frame,
            "media": media,
            "source_in": st.integers(0, 20),
            "duration": st.integers(1, 60),
            "ripple_all": b,
        },
        "append_clip": {"track": track, "media": media, "duration": st.integers(1, 60)},
        "add_marker": {"frame": frame, "label": TEXT, "color": st.sampled_from(["red", "blue"])},
        "move_marker": {"marker_id": marker, "frame": frame},
        "remove_marker": {"marker_id": marker},
        "add_cue": {"start": frame, "end": frame, "text": TEXT},
        "edit_cue": {"cue_id": cue, "text": TEXT, "start": st.none() | frame, "end": st.none() | frame},
        "remove_cue": {"cue_id": cue},
        "set_in": {"frame": frame},
        "set_out": {"frame": frame},
        "split_at_playhead": {"frame": frame},
        "trim_start_to_playhead": {"frame": frame},
        "trim_end_to_playhead": {"frame": frame},
        "ripple_delete_at_playhead": {"frame": frame},
        "lift_at_playhead": {"frame": frame},
        "add_track": {"kind": st.sampled_from(["video", "audio", "subtitle"])},
        "set_clip_audio": {"clip_id": cid, "gain_db": st.none() | st.sampled_from([-12.5, 0.0, 3.0]),
                           "muted": st.none() | b, "fade_in": st.none() | st.integers(0, 20),
                           "fade_out": st.none() | st.integers(0, 20)},
        "set_reverse": {"clip_id": cid, "reverse": b},
        "crossfade": {"clip_id": cid, "frames": st.integers(0, 10)},
        "set_fade": {"item_id": cid, "fade_in": st.none() | st.integers(0, 20),
                     "fade_out": st.none() | st.integers(0, 20)},
        "set_look": {"item_id": cid, "opacity": st.none() | st.sampled_from(["1/2", "1"]),
                     "x": st.none() | st.sampled_from(["0.25", "-1/3"]),
                     "scale": st.none() | st.sampled_from(["2", "3/4"])},
        "add_title": {"track": st.sampled_from([k for k, tr in enumerate(t.tracks) if tr.kind == "video"] or [0]),
                      "frame": st.integers(duration(t), end), "duration": st.integers(1, 40), "text": TEXT,
                      "color": st.sampled_from(["#ffffff", "#12ab34"])},
        "set_track": {"track": track, "muted": st.none() | b, "solo": st.none() | b, "locked": st.none() | b,
                      "hidden": st.none() | b, "gain_db": st.none() | st.sampled_from([-6.0, 1.5])},
        "add_segment": {"start": frame, "end": frame, "label": TEXT, "color": st.sampled_from(["green", "blue"])},
    }
    return name, {k: data.draw(v) for k, v in gen[name].items()}


ALL = [
    "split",
    "split_all",
    "trim_in",
    "trim_out",
    "ripple_trim_in",
    "ripple_trim_out",
    "ripple_delete",
    "ripple_delete_range",
    "lift",
    "move_clip",
    "set_speed",
    "insert_clip",
    "append_clip",
    "add_marker",
    "move_marker",
    "remove_marker",
    "add_cue",
    "edit_cue",
    "remove_cue",
    "set_in",
    "set_out",
    "split_at_playhead",
    "trim_start_to_playhead",
    "trim_end_to_playhead",
    "ripple_delete_at_playhead",
    "lift_at_playhead",
    "add_track",
    "set_clip_audio",
    "set_reverse",
    "crossfade",
    "set_fade",
    "set_look",
    "add_title",
    "set_track",
    "add_segment",
]


def _with_cues(t: Timeline, cues: bool) -> Timeline:
    return set_cues(t, [(5, 30, "one"), (40, 41, "two"), (60, 90, "three")]) if cues else t


start_timelines = st.builds(
    _with_cues,
    st.lists(st.sampled_from(MEDIA), min_size=1, max_size=4).map(timeline_from_media),
    st.booleans(),
)


@SETTINGS
@given(start=start_timelines, data=st.data(), steps=st.integers(1, 25))
def test_random_edits_keep_invariants_and_undo_restores(
    start: Timeline, data: st.DataObject, steps: int
) -> None:
    h = History(start)
    rows: list[EditRecord] = []
    for _ in range(steps):
        name, params = draw_edit(data, h.present, ALL)
        key = data.draw(st.sampled_from([None, None, "drag"]))
        try:
            h = h.apply(name, params, merge_key=key)
        except EditError:
            continue
        if h.last_record is not None:  # None: a no-op edit, nothing to store
            rows.append(h.last_record)
        validate(h.present)
    end = h.present
    # serialize -> load is identity, and OTIO export -> import keeps everything (ranges included)
    assert timeline_from_json(timeline_to_json(end)) == end
    assert import_otio(export_otio(end)) == end
    # the stored rows replay to the same state
    assert History.replay(start, rows).present == end
    # undo everything: back to the start
    while h.can_undo:
        h = h.undo()
    assert h.present == start
    while h.can_redo:
        h = h.redo()
    assert h.present == end


SYNC = [
    "split",
    "split_all",
    "ripple_trim_in",
    "ripple_trim_out",
    "ripple_delete",
    "ripple_delete_range",
    "set_speed",
    "trim_start_to_playhead",
    "trim_end_to_playhead",
    "ripple_delete_at_playhead",
]


@SETTINGS
@given(start=start_timelines, data=st.data(), steps=st.integers(1, 15))
def test_ripple_edits_keep_linked_audio_in_sync(start: Timeline, data: st.DataObject, steps: int) -> None:
    t = start
    for _ in range(steps):
        name, params = draw_edit(data, t, SYNC)
        params.pop("with_linked", None)
        params["ripple_all"] = True if "ripple_all" in params else None
        if params["ripple_all"] is None:
            del params["ripple_all"]
        try:
            t = History(t).apply(name, params).present
        except EditError:
            continue
        validate(t)
        v1 = t.tracks[0]
        for i, it in enumerate(v1.items):
            if isinstance(it, Clip) and it.media.has_audio:
                assert linked_partners(t, 0, i), f"after {name}({params}) video clip {it.id} lost its audio"
