"""Over a thousand generated hostile inputs thrown at the loaders (seeded, so a failure repeats).

Timelines (``timeline_from_json``), cache entries (planted in the real Redis, read through
``RedisCache.get`` and then loaded the way probe loads them), events (``decode_event`` then
``JobState.from_event`` and the CLI's line) and config files (``load_settings``). Each case must end
under a time limit, with either a value or one error of the loader's kind (one line), and at most one
logged line; nothing else may escape.
"""

from __future__ import annotations

import json
import os
import random
import threading
import uuid
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from editor.cli.jobs import _event_line
from editor.jobs.state import JobState
from editor.media.probe import MediaInfo
from editor.model.errors import TimelineFormatError
from editor.model.serialize import timeline_from_json
from editor.store.bus import decode_event
from editor.store.cache import RedisCache
from editor.store.config import load_settings
from editor.store.errors import ConfigError
from editor.store.redis_conn import RedisConnection

SEED = int(os.environ.get("CUTLINE_FUZZ_SEED", "20261202"))
CASE_LIMIT = 20.0  # seconds; generous for a busy machine, a hang never ends


@dataclass(frozen=True)
class Raw:
    """JSON text written as is (NaN, 1e99999999, a 4000-digit number, deep brackets)."""

    text: str


def emit(value: Any) -> str:
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{emit(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(emit(v) for v in value) + "]"
    return json.dumps(value)


def hostile_leaf(rng: random.Random) -> Any:
    depth = rng.choice([50, 2000, 100_000])
    return rng.choice([
        None, True, False, -1, 0, 1, 2**63, -(2**70), 3.5, -0.0, 1e308,
        Raw("NaN"), Raw("Infinity"), Raw("-Infinity"), Raw("1e99999999"), Raw("9" * 5000), Raw("1e-99999999"),
        "1e99999999", "1/0", "0/0", "-25", "30000/1001", "25", "abc", "", "\x1b[2J\x1b]0;owned\x07", "\u202e",
        "../../../etc/passwd", "/dev/zero", "x" * rng.choice([10, 70_000]), "\x00", "9" * 5000,
        [], {}, [1, 2, 3], {"a": {"b": {"c": 1}}},
        Raw("[" * depth + "]" * depth), Raw('{"a":' * 3000 + "1" + "}" * 3000),
    ])


def _containers(node: Any) -> list[Any]:
    found: list[Any] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, (dict, list)):
            found.append(item)
            stack.extend(item.values() if isinstance(item, dict) else item)
    return found


def mutate(template: Any, rng: random.Random) -> Any:
    """The template with a few of its values (at any depth) replaced, removed or added."""
    value = json.loads(json.dumps(template))
    for _ in range(rng.randint(1, 4)):
        containers = _containers(value)
        if not containers:
            return hostile_leaf(rng)
        target = rng.choice(containers)
        if isinstance(target, dict):
            keys = list(target)
            action = rng.random()
            if keys and action < 0.7:
                target[rng.choice(keys)] = hostile_leaf(rng)
            elif keys and action < 0.85:
                del target[rng.choice(keys)]
            else:
                target[rng.choice(["extra", "schema", "\x1b", "x" * 50])] = hostile_leaf(rng)
        elif target:
            target[rng.randrange(len(target))] = hostile_leaf(rng)
        else:
            target.append(hostile_leaf(rng))
    return value


def hostile_text(template: Any, rng: random.Random) -> str:
    text = emit(mutate(template, rng))
    roll = rng.random()
    if roll < 0.08:
        return text[: rng.randrange(max(1, len(text)))]  # truncated
    if roll < 0.12:
        return "".join(chr(rng.randrange(0, 0x3000)) for _ in range(rng.randrange(1, 200)))  # noise
    return text


TIMELINE = {
    "schema": "Timeline.2", "name": "fuzz", "rate": "25", "next_id": 10, "in": None, "out": None,
    "media": [{"schema": "MediaRef.1", "fingerprint": "f1", "path": "/media/a.mp4", "duration": 250,
               "rate": "25", "has_video": True, "has_audio": True, "width": 320, "height": 240}],
    "markers": [{"schema": "Marker.1", "id": 5, "frame": 12, "label": "m", "color": "red"}],
    "tracks": [
        {"schema": "Track.1", "kind": "video", "name": "V1", "items": [
            {"schema": "Clip.1", "id": 1, "media": "f1", "source_in": 0, "duration": 50, "speed": "1",
             "name": "a", "start": 0},
            {"schema": "Clip.1", "id": 2, "media": "f1", "source_in": 60, "duration": 20, "speed": "2",
             "name": "b", "start": 70}]},
        {"schema": "Track.1", "kind": "subtitle", "name": "S1", "items": [
            {"schema": "SubtitleCue.1", "id": 3, "duration": 25, "text": "hello", "start": 0}]},
    ],
}
PROBE = {
    "schema": 2, "path": "/media/a.mp4", "fingerprint": "f1", "size_bytes": 500_000, "container": "mov,mp4,m4a",
    "duration": "10/1", "bit_rate": 400_000, "timecode": None, "origin": "0/1", "subtitles": [],
    "video": {"codec": "h264", "profile": "High", "width": 320, "height": 240, "rotation": 0, "pix_fmt": "yuv420p",
              "frame_rate": "25/1", "variable_frame_rate": False, "frame_count": 250, "time_base": "1/12800",
              "bit_rate": 300_000},
    "audio": {"codec": "aac", "sample_rate": 48000, "channels": 2, "layout": "stereo", "bit_rate": 96_000,
              "index": 1, "language": "eng", "title": None},
    "audio_streams": [{"codec": "aac", "sample_rate": 48000, "channels": 2, "layout": "stereo", "bit_rate": 96_000,
                       "index": 1, "language": "eng", "title": None}],
}
EVENT = {"v": 1, "type": "progress", "source": "w1", "t": 1_700_000_000.0, "operationId": str(uuid.UUID(int=1)),
         "operation": "export", "progress": 42.5, "message": "encoding", "title": "Export a.mp4", "owner": "w1",
         "projectId": 3, "startedAt": 1_700_000_000.0, "finishedAt": None, "outputPath": "/out/a.mp4"}
CONFIG = {"database_url": None, "redis_url": "redis://localhost:6379/0", "metadata_ttl": 3600,
          "thumbnail_ttl": 86400, "session_ttl": 3600, "stop_servers_on_exit": True, "keymap": {"split": "S"}}


def run_bounded(fn: Any) -> Any:
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - judged by the caller
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(CASE_LIMIT)
    if thread.is_alive():
        raise AssertionError("did not return in time (a hang)")
    if "error" in box:
        raise box["error"]
    return box.get("value")


def _one_line_error(exc: BaseException) -> None:
    assert "\n" not in str(exc), str(exc)


def test_a_thousand_hostile_inputs(store, tmp_path: Path, caplog) -> None:
    rng = random.Random(SEED)
    caplog.set_level("WARNING")
    redis_cache = store.cache if isinstance(store.cache, RedisCache) else None
    client = redis_cache.conn.client() if redis_cache is not None else None
    counts = {"timeline": 0, "cache": 0, "event": 0, "config": 0}
    failures: list[str] = []
    case_no = 0

    def judge(kind: str, text: str, fn: Any) -> None:
        nonlocal case_no
        case_no += 1
        counts[kind] += 1
        caplog.clear()
        try:
            run_bounded(fn)
        except AssertionError as exc:
            failures.append(f"{kind} #{case_no}: {exc}: {text[:120]!r}")
            return
        except BaseException as exc:  # noqa: BLE001
            failures.append(f"{kind} #{case_no}: {type(exc).__name__}: {str(exc)[:120]}: {text[:120]!r}")
            return
        lines = [r.getMessage() for r in caplog.records]
        if len(lines) > 1 or any("\n" in line for line in lines):
            failures.append(f"{kind} #{case_no}: {len(lines)} log lines: {lines[:3]}")

    for _ in range(320):
        text = hostile_text(TIMELINE, rng)

        def load_timeline(text: str = text) -> None:
            try:
                timeline_from_json(text)
            except TimelineFormatError as exc:
                _one_line_error(exc)

        judge("timeline", text, load_timeline)

    for n in range(260):
        prefix = rng.choice(["metadata", "metadata", "thumb", "wave"])
        key = f"{prefix}:fuzz-{SEED}-{n}"
        if prefix == "metadata":
            raw = hostile_text(PROBE, rng).encode("utf-8", "surrogatepass")
        else:
            raw = rng.choice([b"", b"\xff\xd8" + bytes(rng.randrange(256) for _ in range(50)), b"\x00" * 10,
                              b"\x1b[2J", b"x" * rng.choice([10, 1 << 20])])

        def load_cached(key: str = key, raw: bytes = raw) -> None:
            if redis_cache is not None and client is not None:
                client.set(key, raw, ex=60) if raw else client.delete(key)
                value = redis_cache.get(key)
            else:
                store.cache.set(key, raw or b"-", 60)
                value = store.cache.get(key)
            if value is not None and key.startswith("metadata:"):
                info = MediaInfo.from_json(value)  # what probe does with a hit: must just work
                assert info.duration is None or 0 < info.duration <= Fraction(7 * 24 * 3600)

        judge("cache", repr(raw[:120]), load_cached)

    for _ in range(320):
        text = hostile_text(EVENT, rng)

        def load_event(text: str = text) -> None:
            event = decode_event(text)
            if event is None:
                return
            state = JobState.from_event(event)
            assert state is None or 0 <= state.progress <= 100
            line = _event_line(event)
            assert "\x1b" not in line and "\x07" not in line and "\n" not in line

        judge("event", text, load_event)

    for n in range(220):
        text = hostile_text(CONFIG, rng)
        path = tmp_path / f"config-{n}.json"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))

        def load_config(path: Path = path) -> None:
            try:
                settings = load_settings(path)
            except ConfigError as exc:
                _one_line_error(exc)
                return
            if settings.redis_url:
                RedisConnection(settings.redis_url).close()

        judge("config", text, load_config)

    assert sum(counts.values()) >= 1000, counts
    assert failures == [], "\n".join(failures[:20])
