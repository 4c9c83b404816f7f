"""Batch cutting benchmark: one segment list on 20 files, ``cutline cut`` (one process for the batch) against
the matching ffmpeg commands run one by one, in the same run.

    .venv/bin/python bench/batch.py [--files 20] [--seconds 30]

Generates ``--files`` 1080p H.264/AAC files (FFmpeg's test source, a keyframe every 2 s) into a temporary
folder, writes a segment list (two ranges, one counted from each file's end), then times, best of 2:

- copy: ``cutline cut *.mp4 --segments-from list.csv --separate --mode copy`` against, per file and segment,
  ``ffmpeg -ss A -to B -i FILE -c copy`` (what a shell loop would run);
- smart: the same batch in ``--mode smart`` against ffmpeg re-encoding every segment (x264 veryfast, AAC),
  since ffmpeg has no smart cut.

Checks that every output exists, and prints the figures and ratios. Not a test; needs the ``ffmpeg`` CLI
as the reference only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FFMPEG = shutil.which("ffmpeg")
CUTLINE = [sys.executable, "-c", "from editor.cli import main; raise SystemExit(main())"]
ROOT = Path(__file__).resolve().parents[1]


def _run(cmd: list[str]) -> float:
    # as installed: byte-compiled modules (this machine sets PYTHONDONTWRITEBYTECODE, which recompiles each run)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=env, cwd=ROOT)
    return time.perf_counter() - t


def line(name: str, value: str, note: str = "") -> None:
    print(f"  {name:<56} {value:>10}  {note}", flush=True)


def make_files(folder: Path, count: int, seconds: int) -> list[Path]:
    """``count`` different 1080p files of ``seconds`` (each its own test pattern start and tone)."""
    files = []
    for n in range(count):
        path = folder / f"take {n + 1:02d}.mp4"
        subprocess.run([FFMPEG or "ffmpeg", "-nostdin", "-v", "error", "-y",
                        "-f", "lavfi", "-i", f"testsrc2=size=1920x1080:rate=25:duration={seconds}",
                        "-f", "lavfi", "-i", f"sine=frequency={300 + 20 * n}:sample_rate=48000",
                        "-shortest", "-c:v", "libx264", "-preset", "superfast", "-g", "50", "-keyint_min", "50",
                        "-sc_threshold", "0", "-c:a", "aac", str(path)], check=True)
        files.append(path)
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=30)
    args = parser.parse_args()
    if not FFMPEG:
        print("ffmpeg CLI not found", file=sys.stderr)
        return 1
    root = Path(tempfile.mkdtemp(prefix="cutline-batch-"))
    try:
        t0 = time.perf_counter()
        files = make_files(root, args.files, args.seconds)
        print(f"generated {len(files)} files of {args.seconds} s 1080p in {time.perf_counter() - t0:.1f} s ({root})")
        end = args.seconds
        segments = [(3.3, 11.7), (end - 10.3, end - 2.1)]  # mid-GOP cuts; the second one before the end
        listing = root / "list.csv"
        listing.write_text("3.3,11.7,opening\nend-10.3,end-2.1,closing\n", encoding="utf-8")
        figures: dict[str, list[float]] = {k: [] for k in ("ff_copy", "copy", "ff_enc", "smart")}
        for _round in range(2):
            for mode in ("copy", "smart"):
                out = root / f"out-{mode}"
                shutil.rmtree(out, ignore_errors=True)
                out.mkdir()
                figures[mode].append(_run([*CUTLINE, "cut", *map(str, files), "--segments-from", str(listing),
                                           "--separate", "--mode", mode, "--preset", "veryfast", "-o", str(out)]))
                made = sorted(out.rglob("*.mp4"))
                assert len(made) == 2 * len(files), f"{mode}: {len(made)} outputs for {len(files)} files"
            for key, codec in (("ff_copy", ["-c", "copy"]),
                               ("ff_enc", ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-c:a", "aac"])):
                out = root / f"out-{key}"
                shutil.rmtree(out, ignore_errors=True)
                out.mkdir()
                total = 0.0
                for f in files:
                    for k, (a, b) in enumerate(segments):
                        total += _run([FFMPEG, "-nostdin", "-v", "error", "-y", "-ss", f"{a}", "-to", f"{b}",
                                       "-i", str(f), *codec, str(out / f"{f.stem}-{k}.mp4")])
                figures[key].append(total)
        best = {k: min(v) for k, v in figures.items()}
        n = len(files) * len(segments)
        print(f"batch of {len(files)} files x {len(segments)} segments ({n} outputs), best of 2, whole processes")
        line("ffmpeg -c copy, one process per segment", f"{best['ff_copy']:.2f} s")
        line("cutline cut --mode copy, one process for the batch", f"{best['copy']:.2f} s",
             f"{best['copy'] / best['ff_copy']:.2f}x ffmpeg's time")
        line("ffmpeg re-encode per segment (x264 veryfast + aac)", f"{best['ff_enc']:.2f} s")
        line("cutline cut --mode smart (exact, re-encodes the edges only)", f"{best['smart']:.2f} s",
             f"{best['ff_enc'] / best['smart']:.2f}x faster than ffmpeg re-encoding")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
