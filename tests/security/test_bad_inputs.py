"""Bad inputs: each gets one line (an error of the right kind, or a one-line CLI message and exit code)
within a bounded time, never a hang or a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from editor.media.errors import MediaError, MediaNotFoundError, UnsupportedMediaError
from editor.media.frames import FrameReader
from editor.media.input_check import check_input
from editor.media.probe import open_input
from editor.model.errors import TimelineFormatError
from editor.model.serialize import timeline_from_json
from editor.store.config import load_settings
from editor.store.errors import ConfigError
from editor.store.redis_conn import RedisConnection

ROOT = Path(__file__).resolve().parents[2]


def _bounded(fn, timeout: float = 30.0):
    """Run ``fn`` in a thread; fail (instead of hanging the suite) if it does not return in ``timeout``."""
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"{fn} did not return within {timeout} s"
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box.get("value")


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "clip.mp4"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("kind", ["fifo", "device", "directory", "sparse", "empty", "missing", "socket"])
def test_media_bad_inputs_are_one_line_at_once(tmp_path: Path, kind: str, fifo: Path) -> None:
    if kind == "fifo":
        path = fifo
    elif kind == "device":
        path = Path("/dev/zero")
    elif kind == "directory":
        path = tmp_path
    elif kind == "sparse":
        path = tmp_path / "huge.mp4"
        with open(path, "wb") as fh:
            fh.truncate(50 << 30)  # 50 GiB of holes
    elif kind == "empty":
        path = tmp_path / "empty.mp4"
        path.write_bytes(b"")
    elif kind == "socket":
        import socket

        path = tmp_path / "s.mp4"
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
    else:
        path = tmp_path / "gone.mp4"
    expected = MediaNotFoundError if kind == "missing" else UnsupportedMediaError
    for opener in (check_input, open_input, lambda p: FrameReader(p)):
        with pytest.raises(expected) as caught:
            _bounded(lambda o=opener: o(path))
        assert "\n" not in str(caught.value) and str(path) in str(caught.value)


def test_a_file_that_vanishes_between_check_and_open_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "vanishing.mp4"
    path.write_bytes(b"\x00" * 1000)
    check_input(path)
    path.unlink()
    with pytest.raises(MediaError) as caught:
        _bounded(lambda: open_input(path))
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("content", [
    "fifo", "folder", "huge", "deep", "nan", "ttl-bool", "ttl-huge", "ttl-text", "bogus-redis", "bogus-db",
    "port", "keymap", "list", "binary",
])
def test_bad_configs_are_one_line(tmp_path: Path, content: str) -> None:
    path = tmp_path / "config.json"
    if content == "fifo":
        os.mkfifo(path)
    elif content == "folder":
        path.mkdir()
    else:
        text = {
            "huge": '{"keymap": {"a": "' + "x" * (2 << 20) + '"}}',
            "deep": "[" * 100_000,
            "nan": '{"metadata_ttl": NaN}',
            "ttl-bool": '{"metadata_ttl": true}',
            "ttl-huge": '{"metadata_ttl": 1e308}',
            "ttl-text": '{"session_ttl": "1e99999999"}',
            "bogus-redis": '{"redis_url": "bogus://x"}',
            "bogus-db": '{"database_url": "mysql://x"}',
            "port": '{"redis_url": "redis://localhost:99999999/0"}',
            "keymap": '{"keymap": {"Split": ["S"]}}',
            "list": "[1, 2]",
            "binary": "\udcff\x00",
        }[content]
        path.write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(ConfigError) as caught:
        _bounded(lambda: load_settings(path))
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("url", ["bogus://x", "redis://localhost:notaport", "redis://", "http://x", "x\x1b[2J"])
def test_bad_redis_urls_are_one_line(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        RedisConnection(url)
    assert "\n" not in str(caught.value)


def _cutline(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "editor", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_cli_bogus_redis_url_is_one_line_exit_1() -> None:
    result = _cutline("doctor", env={"CUTLINE_REDIS_URL": "bogus://nowhere"})
    assert result.returncode == 1 and "bogus" in _one_line(result)


def test_cli_bogus_database_url_is_one_line_exit_1() -> None:
    result = _cutline("projects", "list", env={"CUTLINE_DATABASE_URL": "bogus://nowhere"})
    assert result.returncode == 1 and "bogus" in _one_line(result)


def test_cli_events_timeout_holds_with_redis_down(store) -> None:
    result = _cutline("events", "--timeout", "2", env={"CUTLINE_REDIS_URL": "redis://127.0.0.1:1/0"}, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [("events", "--timeout", "-1"), ("events", "--count", "-5"),
                                  ("events", "--timeout", "nan")])
def test_cli_numbers_out_of_range_are_one_line(args: tuple[str, ...]) -> None:
    result = _cutline(*args, timeout=60)
    assert result.returncode in (1, 2)
    _one_line(result)


@pytest.mark.parametrize("text", [
    '{"schema": "Timeline.2", "rate": "1e99999999", "name": "", "next_id": 1, "media": [], "markers": [],'
    ' "tracks": [], "in": null, "out": null}',
    '{"schema": "Timeline.2", "rate": "25", "name": "", "next_id": 1e99999999, "media": [], "markers": [],'
    ' "tracks": []}',
    '{"schema": "Timeline.2", "rate": "25", "name": "", "next_id": ' + "9" * 4000 + ', "media": [],'
    ' "markers": [], "tracks": []}',
    "[" * 1_000_000,
    '{"schema": "Timeline.2", "rate": "25/0"}',
    '{"schema": "Timeline.2", "rate": NaN}',
    '{"schema": "Timeline.1", "rate": [25, 0]}',
])
def test_hostile_timelines_are_one_line(text: str) -> None:
    with pytest.raises(TimelineFormatError) as caught:
        _bounded(lambda: timeline_from_json(text))
    assert "\n" not in str(caught.value)


def test_a_timeline_speed_with_a_giant_exponent_is_refused_at_once() -> None:
    doc = {"schema": "Timeline.2", "rate": "25", "name": "", "next_id": 3, "in": None, "out": None, "markers": [],
           "media": [{"schema": "MediaRef.1", "fingerprint": "f", "path": "/x.mp4", "duration": 100, "rate": "25",
                      "has_video": True, "has_audio": False, "width": 320, "height": 240}],
           "tracks": [{"schema": "Track.1", "kind": "video", "name": "V1", "items": [
               {"schema": "Clip.1", "id": 1, "media": "f", "source_in": 0, "duration": 10,
                "speed": "1e99999999", "name": "", "start": 0}]}]}
    with pytest.raises(TimelineFormatError, match="speed"):
        _bounded(lambda: timeline_from_json(json.dumps(doc)))


@pytest.mark.parametrize("rate", ["1e99999999", "25/0", "-25", "x"])
def test_cli_frame_rate_out_of_range_is_one_line(rate: str, store) -> None:
    result = _cutline("projects", "new", "rate check", "--rate", rate, timeout=60)
    assert result.returncode == 1
    _one_line(result)
