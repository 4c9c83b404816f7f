"""`cutline projects new NAME FILE...` runs the project at the rate of its first video (25 fps here)."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

from editor.media.synth import make_clip

ROOT = Path(__file__).resolve().parents[1]


def test_new_project_from_25_fps_ts_runs_at_25(store, tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "pal.ts", frames=50, fps=Fraction(25), gop=25)
    proc = subprocess.run([sys.executable, "-m", "editor", "projects", "new", "PAL test", str(clip.path), "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["summary"]["rate"] == "25"
    assert data["summary"]["duration_frames"] == 50
