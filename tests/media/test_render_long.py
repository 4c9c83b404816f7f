"""A long timeline exports in bounded memory: 500 short clips from two files, every frame exact, the peak
resident memory of the render process under 1 GB (sources are opened per clip and closed after it)."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction as F
from pathlib import Path

import av

from editor.media.render import RenderClip, RenderSpec
from editor.media.render_reencode import ClipIndex
from editor.media.synth import make_clip, read_frame_number

ROOT = Path(__file__).resolve().parents[2]
CHILD = """
import json, resource, sys
from editor.media.render import RenderSpec, render
spec = RenderSpec.from_json(open(sys.argv[1]).read())
result = render(spec, sys.argv[2])
print(json.dumps({"frames": result.frames, "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def test_500_clips_export_every_frame_exactly_in_under_1_gb(tmp_path) -> None:
    a = make_clip(tmp_path / "a.mp4", frames=100, size=(160, 120), gop=10)
    b = make_clip(tmp_path / "b.mp4", frames=100, size=(160, 120), gop=10, start_number=1000)
    clips, expected, at = [], [], 0
    for k in range(500):
        src = a if k % 2 == 0 else b
        first = (k * 7) % 97
        clips.append(RenderClip.from_frames(str(src.path), first, first + 3, F(25), at, track=k % 3 == 0))
        expected += [src.first_number + first + i for i in range(3)]
        at += 3
    spec = RenderSpec(tuple(clips), width=160, height=120, fps=F(25), preset="ultrafast")
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(spec.to_json())
    out = tmp_path / "long.mp4"
    proc = subprocess.run([sys.executable, "-c", CHILD, str(spec_file), str(out)], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout.splitlines()[-1])
    print(f"500 clips: peak RSS {report['maxrss_kb'] / 1024:.0f} MiB")
    assert report["frames"] == 1500
    assert report["maxrss_kb"] < 1024 * 1024, report  # peak resident memory of the render process
    with av.open(str(out)) as c:
        got = [read_frame_number(f.to_ndarray(format="rgb24")) for f in c.decode(c.streams.video[0])]
    assert got == expected


def test_clip_lookup_by_time_picks_the_top_clip() -> None:
    low = RenderClip("/m/a.mp4", F(0), F(10), F(0), track=0)
    mid = RenderClip("/m/b.mp4", F(0), F(2), F(3), track=1)
    top = RenderClip("/m/c.mp4", F(0), F(1), F(4), track=2)
    index = ClipIndex([low, mid, top])
    assert [index.at(F(t)) for t in (0, 3, 4, F(9, 2), 5, 9)] == [low, mid, top, top, low, low]
    assert index.at(F(10)) is None and index.at(F(-1)) is None
