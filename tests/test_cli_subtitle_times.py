"""`cutline import-subtitles` then `cutline export OUT.srt` gives the cue times back to the millisecond (0.500
stays 0.500 in a 25 fps project), through the edit history and the database."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

from editor.media.synth import make_clip

ROOT = Path(__file__).resolve().parents[1]


def cutline(*args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "editor", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc


def test_srt_round_trip_keeps_the_milliseconds(store, tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "pal.mp4", frames=100, fps=Fraction(25))
    pid = str(json.loads(cutline("projects", "new", "srt times", str(clip.path), "--json").stdout)["id"])
    srt = tmp_path / "in.srt"
    srt.write_text("1\n00:00:00,500 --> 00:00:01,250\nA\n\n2\n00:00:02,017 --> 00:00:03,999\nB\n", encoding="utf-8")
    cutline("import-subtitles", pid, str(srt))
    out = tmp_path / "out.srt"
    cutline("export", pid, str(out))
    lines = [ln for ln in out.read_text(encoding="utf-8").splitlines() if "-->" in ln]
    assert lines == ["00:00:00,500 --> 00:00:01,250", "00:00:02,017 --> 00:00:03,999"]
