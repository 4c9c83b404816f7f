"""`snapshot` and `thumbnails` on MPEG-TS with B-frames (its 1.4 s start offset, several GOPs), and on a
file whose video cannot be decoded: one line, exit 1, no file written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import av
import pytest

from editor.media.synth import SynthClip, make_clip, make_open_gop_clip, read_frame_number

ROOT = Path(__file__).resolve().parents[2]


def cutline(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "editor", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture(scope="module")
def ts(tmp_path_factory: pytest.TempPathFactory) -> SynthClip:
    return make_clip(tmp_path_factory.mktemp("ts") / "bframes.ts", frames=90, gop=30)


def png_number(path: Path) -> int:
    with av.open(str(path)) as f:
        return read_frame_number(next(f.decode(video=0)).to_ndarray(format="rgb24"))


def test_snapshot_of_a_b_frame_ts_is_the_exact_frame(tmp_path, ts) -> None:
    for at, expected in (("f0", 0), ("f29", 29), ("f30", 30), ("f61", 61), ("1.0", 25), ("00:00:03.560", 89)):
        out = tmp_path / f"{expected}.png"
        proc = cutline("snapshot", str(ts.path), "--at", at, "--out", str(out))
        assert proc.returncode == 0, proc.stderr
        assert png_number(out) == expected
        assert f"frame {expected} at" in proc.stdout


def test_snapshot_of_an_open_gop_start_is_its_first_decodable_frame(tmp_path) -> None:
    clip = make_open_gop_clip(tmp_path / "opengop.ts", frames=60, gop=20)
    out = tmp_path / "first.png"
    proc = cutline("snapshot", str(clip.path), "--at", "f0", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert png_number(out) == clip.first_number == 20


def test_thumbnails_of_a_ts_are_real_pictures(tmp_path, ts) -> None:
    for extra in ((), ("--exact",)):
        out = tmp_path / f"thumbs{len(extra)}"
        proc = cutline("thumbnails", str(ts.path), "--count", "6", "--out", str(out), "--no-cache", *extra)
        assert proc.returncode == 0, proc.stderr
        files = sorted(out.iterdir())
        assert len(files) == 6
        for f in files:
            assert f.stat().st_size > 200 and f.read_bytes()[:2] == b"\xff\xd8"
            with av.open(str(f)) as img:
                next(img.decode(video=0))  # a JPEG that decodes


@pytest.fixture
def undecodable(tmp_path: Path, ts: SynthClip) -> Path:
    """The TS's packets with the video's payload replaced by noise: it demuxes, nothing decodes."""
    bad = tmp_path / "noise.ts"
    with av.open(str(ts.path)) as inp, av.open(str(bad), "w") as out:
        ov = out.add_stream_from_template(inp.streams.video[0])
        for packet in inp.demux(inp.streams.video[0]):
            if packet.size == 0:
                continue
            noise = av.Packet(b"\x00\x00\x01" + os.urandom(packet.size))
            noise.pts, noise.dts, noise.is_keyframe = packet.pts, packet.dts, packet.is_keyframe
            noise.time_base = packet.time_base
            noise.stream = ov
            out.mux(noise)
    return bad


def test_undecodable_video_fails_in_one_line_and_writes_nothing(tmp_path, undecodable) -> None:
    out = tmp_path / "thumbs"
    proc = cutline("thumbnails", str(undecodable), "--count", "4", "--out", str(out), "--no-cache")
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "noise.ts" in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists() or not any(out.iterdir())
    snap = tmp_path / "snap.png"
    proc = cutline("snapshot", str(undecodable), "--at", "f10", "--out", str(snap))
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1 and "noise.ts" in proc.stderr
    assert not snap.exists()
