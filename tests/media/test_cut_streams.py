"""`cutline cut` keeps the streams asked for (default: every audio and subtitle stream with its language),
subtitles moved with the cuts, and one chapter per joined segment; sync through it all."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import pytest

from editor.media.chapters import read_chapters
from editor.media.synth import add_streams, make_clip, measure_sync
from tests.media.test_render_cut_cli import cutline, no_servers_env, numbers


@pytest.fixture(scope="module")
def multi(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("streams")
    return add_streams(make_clip(root / "src.mp4", frames=75, gop=25), root / "multi.mkv").path


def streams(path: Path) -> list[tuple[str, str]]:
    with av.open(str(path)) as c:
        return [(s.type, s.metadata.get("language", "")) for s in c.streams]


def subtitle_times(path: Path) -> list[tuple[float, float]]:
    with av.open(str(path)) as c:
        from editor.media.origin import time_origin

        o = time_origin(c)
        return [(round(float(o.time_of(p.pts, p.time_base)), 3), round(float(p.duration * p.time_base), 3))
                for p in c.demux(c.streams.subtitles[0]) if p.size]


@pytest.mark.parametrize("mode", ["smart", "copy"])
def test_default_keeps_every_stream_with_languages_and_moves_subtitles_with_the_cuts(tmp_path, multi, mode) -> None:
    out = tmp_path / "cut.mkv"
    src_sub = subtitle_times(multi)[0]  # (start, duration) in the source, ~0.52 s for 1 s
    proc = cutline("cut", str(multi), "--segment", "f10-f25", "--segment", "f25-f45", "--mode", mode,
                   "-o", str(out), "--json", env=no_servers_env(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert streams(out) == [("video", ""), ("audio", "eng"), ("audio", "fra"), ("subtitle", "deu")]
    assert numbers(out) == list(range(10, 45)) if mode == "smart" else numbers(out)[0] == 0
    summary = json.loads(proc.stdout)["outputs"][0]
    (a0, a1), (b0, b1) = summary["ranges"]
    start, dur = src_sub
    # the subtitle is cut at the join: its first part in segment 1, the rest at the start of segment 2
    expected = [(round(start - a0, 3), round(a1 - start, 3)), (round(a1 - a0, 3), round(start + dur - b0, 3))]
    got = subtitle_times(out)
    assert len(got) == 2 and all(abs(g[0] - e[0]) <= 0.002 and abs(g[1] - e[1]) <= 0.002
                                 for g, e in zip(got, expected, strict=True)), (got, expected)
    chapters = read_chapters(out)
    assert [c.title for c in chapters] == ["Segment 1", "Segment 2"]
    assert abs(chapters[1].start - Fraction(str(a1 - a0))) <= Fraction(1, 1000)


def test_streams_option_keeps_only_what_is_asked(tmp_path, multi) -> None:
    out = tmp_path / "fra.mkv"
    proc = cutline("cut", str(multi), "--segment", "0-2", "--streams", "v:0,a:1", "--mode", "smart", "-o", str(out),
                   env=no_servers_env(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert streams(out) == [("video", ""), ("audio", "fra")]
    with av.open(str(out)) as c:
        secs = sum(f.samples for f in c.decode(audio=0)) / 48000
    assert abs(secs - 2.0) < 0.05


def test_mp4_output_says_subtitles_are_not_kept_and_bad_streams_are_one_line(tmp_path, multi) -> None:
    env = no_servers_env(tmp_path)
    out = tmp_path / "cut.mp4"
    proc = cutline("cut", str(multi), "--segment", "0-1", "-o", str(out), env=env)
    assert proc.returncode == 0, proc.stderr
    assert "subtitle streams are kept in MKV outputs only" in proc.stderr
    assert streams(out)[1:] == [("audio", "eng"), ("audio", "fra")] and streams(out)[0][0] == "video"
    for bad, msg in [("a:7", "has no audio stream 7"), ("v:1", "has no video stream 1"),
                     ("a:0", "keep v:0"), ("q:0", "is not a stream")]:
        proc = cutline("cut", str(multi), "--segment", "0-1", "--streams", bad, "-o", str(tmp_path / "x.mkv"),
                       env=env)
        assert proc.returncode == 1 and msg in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, bad


def test_chapters_and_sync_after_a_copy_of_a_flash_and_beep_file(tmp_path) -> None:
    clip = make_clip(tmp_path / "flash.mp4", frames=200, gop=20, flash=True, codec="libx264")
    lst = tmp_path / "list.csv"
    lst.write_text("0.9,2.2,first\n3.9,5.3,second\n5.9,7.8,third\n", encoding="utf-8")
    out = tmp_path / "out.mp4"
    proc = cutline("cut", str(clip.path), "--segments-from", str(lst), "--mode", "copy", "-o", str(out),
                   env=no_servers_env(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert [c.title for c in read_chapters(out)] == ["first", "second", "third"]
    sync = measure_sync(out)
    assert len(sync.offsets_ms) >= 4 and not sync.unmatched_flashes and sync.worst_ms <= 12.0, sync.offsets_ms
    nochap = tmp_path / "plain.mp4"
    assert cutline("cut", str(clip.path), "--segments-from", str(lst), "--mode", "copy", "--no-chapters", "-o",
                   str(nochap), env=no_servers_env(tmp_path)).returncode == 0
    assert read_chapters(nochap) == []
