"""`cutline extract` (one stream, lossless, language kept) and `cutline merge` (copied when the files match,
re-encoded only where they do not, said; sound in sync through every join, not accumulating)."""

from __future__ import annotations

import json
from pathlib import Path

import av
import pytest

from editor.media.synth import add_streams, make_clip, measure_sync
from tests.media.test_render_cut_cli import cutline, no_servers_env, numbers


@pytest.fixture(scope="module")
def multi(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("extract")
    clip = make_clip(root / "src.mp4", frames=50, gop=25)
    return add_streams(clip, root / "multi.mkv").path


def packets(path: Path, kind: str) -> list[bytes]:
    with av.open(str(path)) as c:
        s = [x for x in c.streams if x.type == kind][0]
        return [bytes(p) for p in c.demux(s) if p.size]


def test_extract_copies_one_audio_stream_with_its_language(tmp_path, multi) -> None:
    out = tmp_path / "fra.mka"
    proc = cutline("extract", str(multi), "--stream", "a:1", "-o", str(out), "--json", env=no_servers_env(tmp_path))
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["language"] == "fra" and info["codec"] == "aac"
    with av.open(str(out)) as c:
        assert [s.type for s in c.streams] == ["audio"] and c.streams.audio[0].metadata["language"] == "fra"
    with av.open(str(multi)) as c:
        src = [bytes(p) for p in c.demux(c.streams.audio[1]) if p.size]
    assert packets(out, "audio") == src  # bit for bit


def test_extract_subtitles_and_video(tmp_path, multi) -> None:
    env = no_servers_env(tmp_path)
    srt = tmp_path / "subs.srt"
    assert cutline("extract", str(multi), "--stream", "s:0", "-o", str(srt), env=env).returncode == 0
    text = srt.read_text(encoding="utf-8")
    with av.open(str(multi)) as c:  # the time the source holds, to the millisecond
        (first, *_rest) = [p for p in c.demux(c.streams.subtitles[0]) if p.size]
        ms = int(first.pts * first.time_base * 1000)
    assert f"00:00:00,{ms:03d} --> 00:00:01,{ms:03d}" in text and "Hello" in text
    video = tmp_path / "video.mkv"
    assert cutline("extract", str(multi), "--stream", "v:0", "-o", str(video), env=env).returncode == 0
    assert numbers(video) == list(range(50))
    with av.open(str(video)) as c:
        assert not c.streams.audio


@pytest.mark.parametrize("ref, message", [("a:5", "has no audio stream 5 (it has 1 video, 2 audio, 1 subtitle)"),
                                          ("x1", "is not a stream: use v:N, a:N or s:N")])
def test_extract_bad_stream_is_one_line(tmp_path, multi, ref, message) -> None:
    proc = cutline("extract", str(multi), "--stream", ref, "-o", str(tmp_path / "o.mka"),
                   env=no_servers_env(tmp_path))
    assert proc.returncode == 1 and message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


@pytest.fixture(scope="module")
def flashes(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("merge")
    # lengths that are not whole AAC packets, so a join that lost or added sound would accumulate
    return [make_clip(root / f"part{k}.mp4", frames=n, gop=25, flash=True, codec="libx264").path
            for k, n in enumerate((63, 57, 71))]


def test_merge_of_matching_files_copies_and_stays_in_sync(tmp_path, flashes) -> None:
    out = tmp_path / "merged.mp4"
    proc = cutline("merge", *map(str, flashes), "-o", str(out), "--json", env=no_servers_env(tmp_path))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["mode"] == "copy" and "copied, nothing re-encoded" in proc.stderr
    assert result["frames"] == 63 + 57 + 71
    with av.open(str(out)) as c:
        assert c.streams.video[0].frames in (0, 191)
    for a, b in zip(packets(out, "video")[:63], packets(flashes[0], "video"), strict=False):
        assert a[:len(b)] == b  # copied bit for bit (the last gets an end-of-sequence NAL)
    sync = measure_sync(out)
    assert len(sync.offsets_ms) == 3 + 3 + 3 and not sync.unmatched_flashes
    assert sync.worst_ms <= 12.0, sync.offsets_ms
    assert abs(sync.offsets_ms[-1] - sync.offsets_ms[0]) <= 12.0  # not accumulating


def test_merge_re_encodes_only_the_file_that_differs_and_says_why(tmp_path, flashes) -> None:
    other = make_clip(tmp_path / "big.mp4", frames=50, gop=25, flash=True, size=(352, 288), codec="libx264",
                      sample_rate=44100).path
    out = tmp_path / "merged.mp4"
    proc = cutline("merge", str(flashes[0]), str(other), str(flashes[1]), "-o", str(out), "--json",
                   env=no_servers_env(tmp_path))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert "big.mp4: picture re-encoded to match the first file (size 352x288 (first file: 320x240)" in proc.stderr
    assert "sample rate 44100 (first file: 48000)" in proc.stderr
    modes = [f["mode"] for f in result["files"]]
    assert modes[1] == "reencode" and modes[0] != "reencode" and modes[2] != "reencode"
    with av.open(str(out)) as c:
        v = c.streams.video[0]
        assert (v.codec_context.width, v.codec_context.height) == (320, 240)
        assert sum(1 for _ in c.decode(v)) == 63 + 50 + 57
    sync = measure_sync(out)
    assert len(sync.offsets_ms) == 3 + 2 + 3 and sync.worst_ms <= 12.0, sync.offsets_ms


def test_merge_refuses_what_it_cannot_do(tmp_path, flashes) -> None:
    env = no_servers_env(tmp_path)
    proc = cutline("merge", str(flashes[0]), "-o", str(tmp_path / "o.mp4"), env=env)
    assert proc.returncode == 1 and "at least two files" in proc.stderr
    proc = cutline("merge", str(flashes[0]), str(tmp_path / "missing.mp4"), "-o", str(tmp_path / "o.mp4"), env=env)
    assert proc.returncode == 1 and "missing.mp4: file not found" in proc.stderr
