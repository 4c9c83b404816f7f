from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import av

from editor.media.synth import read_frame_number

ROOT = Path(__file__).resolve().parents[2]


def cutline(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "editor", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)


def test_probe_command(media) -> None:
    proc = cutline("probe", str(media.rotated.path))
    assert proc.returncode == 0 and "h264" in proc.stdout and "rotated 90" in proc.stdout
    proc = cutline("probe", str(media.mp4.path), "--json", "--no-cache")
    data = json.loads(proc.stdout)
    assert data["video"]["width"] == 320 and data["audio"]["sample_rate"] == 48000


def test_user_errors_are_one_line(tmp_path) -> None:
    proc = cutline("probe", str(tmp_path / "missing.mp4"))
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1 and "missing.mp4" in proc.stderr
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00" * 1000)
    proc = cutline("probe", str(junk), "--no-cache")
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1 and "junk.mp4" in proc.stderr


def test_snapshot_writes_the_exact_frame(tmp_path, media) -> None:
    for at, expected in (("f17", 17), ("1.5", 37), ("00:00:01.000", 25)):
        out = tmp_path / f"{expected}.png"
        proc = cutline("snapshot", str(media.rotated.path), "--at", at, "--out", str(out))
        assert proc.returncode == 0, proc.stderr
        with av.open(str(out)) as f:
            frame = next(f.decode(video=0))
        assert (frame.width, frame.height) == (240, 320)  # rotation applied, full size
        assert read_frame_number(frame.to_ndarray(format="rgb24")) == expected
    proc = cutline("snapshot", str(media.rotated.path), "--at", "99", "--out", str(tmp_path / "x.png"))
    assert proc.returncode == 1 and "outside" in proc.stderr


def test_thumbnails_command(tmp_path, media) -> None:
    out = tmp_path / "strip"
    proc = cutline("thumbnails", str(media.mp4.path), "--count", "6", "--size", "160x90", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    files = sorted(out.iterdir())
    assert len(files) == 6 and all(f.read_bytes()[:2] == b"\xff\xd8" for f in files)
    proc = cutline("thumbnails", str(media.mp4.path), "--size", "bad", "--out", str(out))
    assert proc.returncode == 1 and "WxH" in proc.stderr
