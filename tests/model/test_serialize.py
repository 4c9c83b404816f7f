from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest

from editor.model.errors import TimelineError, TimelineFormatError
from editor.model.serialize import (
    SCHEMA_VERSION,
    timeline_from_dict,
    timeline_from_json,
    timeline_to_dict,
    timeline_to_json,
)
from editor.model.timeline import Timeline

from .conftest import sample_timeline

BASELINES = Path(__file__).resolve().parent.parent / "baselines"
UPDATE = os.environ.get("CUTLINE_UPDATE_BASELINES") == "1"


def golden(name: str, data: Any) -> Any:
    path = BASELINES / name
    if UPDATE:
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return json.loads(path.read_text(encoding="utf-8"))


def test_format_is_pinned_by_the_golden_file() -> None:
    t = sample_timeline()
    d = timeline_to_dict(t)
    assert d == golden(f"timeline.v{SCHEMA_VERSION}.json", d)
    assert timeline_from_dict(golden(f"timeline.v{SCHEMA_VERSION}.json", d)) == t


def test_older_version_is_upgraded() -> None:
    """timeline.v1.json is the sample written by Timeline.1 (rate as [num, den], in_out as a pair)."""
    old = json.loads((BASELINES / "timeline.v1.json").read_text(encoding="utf-8"))
    assert old["schema"] == "Timeline.1"
    assert timeline_from_dict(old) == sample_timeline()


def test_round_trip_and_text_forms() -> None:
    t = sample_timeline()
    text = timeline_to_json(t)
    assert json.loads(text) == timeline_to_dict(t)
    assert timeline_from_json(text) == t
    assert timeline_from_json(text.encode("utf-8")) == t
    assert timeline_from_json(timeline_to_json(t, indent=2)) == t
    assert timeline_to_json(t) == text  # cached parts give the same text


def mutate(path: list[Any], value: Any, delete: bool = False) -> dict[str, Any]:
    d = copy.deepcopy(timeline_to_dict(sample_timeline()))
    node = d
    for key in path[:-1]:
        node = node[key]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return d


@pytest.mark.parametrize(
    ("path", "value", "delete", "message"),
    [
        (
            ["tracks", 0, "items", 1, "source_in"],
            "abc",
            False,
            "tracks[0].items[1].source_in: expected an integer, got 'abc'",
        ),
        (["tracks", 0, "items", 1, "duration"], None, True, "tracks[0].items[1].duration: missing field"),
        (
            ["tracks", 0, "items", 1, "start"],
            True,
            False,
            "tracks[0].items[1].start: expected an integer, got True",
        ),
        (["tracks", 0, "items", 1, "start"], 50, False, "tracks[0].items[1]: overlaps tracks[0].items[0]"),
        (["tracks", 0, "items", 1, "duration"], 0, False, "tracks[0].items[1].duration: must be positive"),
        (["tracks", 0, "items", 1, "source_in"], 240, False, "outside the media"),
        (["tracks", 0, "items", 1, "media"], "nope", False, "no media with fingerprint 'nope'"),
        (
            ["tracks", 0, "items", 1, "speed"],
            "-1",
            False,
            "tracks[0].items[1].speed: expected a positive rate",
        ),
        (["tracks", 0, "items", 1, "id"], 1, False, "tracks[0].items[1].id: duplicate or invalid id 1"),
        (["tracks", 0, "items", 1, "schema"], "Clip.7", False, "tracks[0].items[1]: Clip.7 is newer"),
        (
            ["tracks", 0, "items", 1, "schema"],
            "Blob.1",
            False,
            "tracks[0].items[1].schema: expected Clip.N or",
        ),
        (["tracks", 0, "kind"], "smell", False, "tracks[0].kind: expected one of video, audio, subtitle"),
        (["tracks", 0, "items"], {}, False, "tracks[0].items: expected a list"),
        (["tracks", 3, "items", 0, "text"], 5, False, "tracks[3].items[0].text: expected a string, got 5"),
        (["media", 0, "duration"], "long", False, "media[0].duration: expected an integer"),
        (["media", 0, "rate"], "0", False, "media[0].rate: expected a positive rate"),
        (["markers", 0, "color"], "mauve", False, "markers[0].color: expected one of"),
        (["rate"], None, True, "rate: expected a positive rate"),
        (["next_id"], 2, False, "next_id: must be greater than every id"),
        (["in"], 400, False, "in: in point 400 must be before out point 300"),
        (["schema"], "Timeline.5", False, "Timeline.5 is newer than this version of Cutline understands"),
        (["tracks"], None, True, "tracks: missing field"),
    ],
)
def test_bad_files_name_what_is_wrong(path: list[Any], value: Any, delete: bool, message: str) -> None:
    before = sample_timeline()
    snapshot = timeline_to_json(before)
    with pytest.raises(TimelineFormatError) as info:
        timeline_from_dict(mutate(path, value, delete))
    assert message in str(info.value)
    assert "\n" not in str(info.value)
    assert timeline_to_json(before) == snapshot  # loading never touches an existing timeline


def test_malformed_json() -> None:
    with pytest.raises(TimelineFormatError, match="not valid JSON: .* line 1 column"):
        timeline_from_json('{"schema": "Timeline.2",')
    with pytest.raises(TimelineFormatError, match="expected an object"):
        timeline_from_json("[1, 2]")
    with pytest.raises(TimelineFormatError, match="schema: missing field"):
        timeline_from_json("{}")
    with pytest.raises(TimelineError, match="not valid JSON"):
        timeline_from_json(b"\xff\xfe{")


def test_empty_timeline_round_trip() -> None:
    from fractions import Fraction

    t = Timeline(rate=Fraction(24000, 1001))
    assert timeline_from_json(timeline_to_json(t)) == t
