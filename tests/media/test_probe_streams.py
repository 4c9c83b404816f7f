"""Probe: a frame count for every container, every audio and subtitle stream with its language, keyframes,
timecode, the origin; and the CLI's `--keyframes`."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from editor.media.frames import FrameReader
from editor.media.probe import MediaInfo, keyframes, probe
from editor.media.synth import add_streams, make_clip, make_edit_list_clip, make_open_gop_clip

ROOT = Path(__file__).resolve().parents[2]


def cutline(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "editor", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


CONTAINERS = ("mp4", "mov", "mkv", "webm", "ts", "m2ts", "avi")


@pytest.mark.parametrize("suffix", CONTAINERS)
def test_frame_count_in_every_container_is_what_the_reader_reads(tmp_path, suffix) -> None:
    codec = {"webm": "libvpx-vp9", "mov": "libx264", "avi": "mpeg4"}.get(suffix)
    clip = make_clip(tmp_path / f"clip.{suffix}", frames=53, gop=20, codec=codec, bframes=suffix != "avi")
    info = probe(clip.path)
    assert info.video is not None
    assert info.video.frame_count == 53
    with FrameReader(clip.path) as reader:
        assert reader.frame_count == info.video.frame_count


def test_frame_count_leaves_out_what_is_not_a_frame(tmp_path) -> None:
    opengop = make_open_gop_clip(tmp_path / "opengop.ts", frames=60, gop=20)
    edit = make_edit_list_clip(tmp_path / "edit.mp4", frames=60, gop=20, start_frame=27)
    for clip in (opengop, edit):
        info = probe(clip.path)
        assert info.video is not None and info.video.frame_count == clip.frames
    ts = probe(opengop.path)
    assert ts.origin > Fraction(13, 10)  # container time of frame 0 (TS offset + the GOP left out)


def test_every_audio_and_subtitle_stream_with_its_language(tmp_path) -> None:
    base = make_clip(tmp_path / "base.mp4", frames=50)
    clip = add_streams(base, tmp_path / "tracks.mkv", audio_languages=("eng", "fra", "jpn"),
                       subtitle_languages=("deu", "spa"))
    info = probe(clip.path)
    assert [a.language for a in info.audio_streams] == ["eng", "fra", "jpn"]
    assert [a.title for a in info.audio_streams] == ["Sound eng", "Sound fra", "Sound jpn"]
    assert info.audio == info.audio_streams[0]
    assert [(t.codec, t.language) for t in info.subtitles] == [("srt", "deu"), ("srt", "spa")]
    assert len({a.index for a in info.audio_streams} | {t.index for t in info.subtitles}) == 5
    assert MediaInfo.from_json(info.to_json()) == info
    text = info.summary()
    assert "fra" in text and "jpn" in text and "subtitles" in text and "spa" in text
    mp4 = probe(add_streams(base, tmp_path / "tracks.mp4", audio_languages=("eng", "ita")).path)
    assert [a.language for a in mp4.audio_streams] == ["eng", "ita"]


def test_timecode(tmp_path) -> None:
    path = tmp_path / "tc.mov"
    with av.open(str(path), "w") as out:
        v = out.add_stream("libx264", rate=25)
        v.width, v.height, v.pix_fmt = 64, 64, "yuv420p"
        v.metadata["timecode"] = "10:00:00:00"
        for i in range(5):
            frame = av.VideoFrame.from_ndarray(np.zeros((64, 64, 3), np.uint8), format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, 25)
            out.mux(v.encode(frame))
        out.mux(v.encode(None))
    info = probe(path)
    assert info.timecode == "10:00:00:00" and "timecode: 10:00:00:00" in info.summary()
    assert probe(make_clip(tmp_path / "none.mp4", frames=5).path).timecode is None


def test_keyframes_listed_from_the_origin(tmp_path) -> None:
    ts = make_clip(tmp_path / "k.ts", frames=70, gop=20)
    assert keyframes(ts.path) == [(0, Fraction(0)), (20, Fraction(4, 5)), (40, Fraction(8, 5)),
                                  (60, Fraction(12, 5))]
    proc = cutline("probe", str(ts.path), "--keyframes", "--no-cache")
    assert proc.returncode == 0, proc.stderr
    assert "keyframes: 4" in proc.stdout and "f20  0.800 s" in proc.stdout and "70 frames" in proc.stdout
    proc = cutline("probe", str(ts.path), "--keyframes", "--json", "--no-cache")
    data = json.loads(proc.stdout)
    assert [k["frame"] for k in data["keyframes"]] == [0, 20, 40, 60]
    assert data["keyframes"][3]["exact_time"] == "12/5"
    assert data["video"]["frame_count"] == 70
    audio = make_clip(tmp_path / "a.m4a", frames=25, video=False)
    proc = cutline("probe", str(audio.path), "--keyframes", "--no-cache")
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1 and "no video" in proc.stderr
