"""Probe and frame-exact reading across containers: `cutline probe` cold vs cached (whole processes), the frame
count against `ffprobe -count_packets`, and random access on B-frame MPEG-TS against MP4.

    .venv/bin/python bench/probe.py [--quick]

Makes its files with PyAV in a temporary folder and runs the CLI with its own data folder (the embedded
Valkey it starts there is stopped at the end). Prints figures and ratios; not a test.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from editor.media.frames import FrameReader  # noqa: E402
from editor.media.synth import make_clip, read_frame_number, stream_copy  # noqa: E402

CUTLINE = [sys.executable, "-m", "editor"]


def run(args: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True, env=env, cwd=ROOT)
    return time.perf_counter() - t


def median_ms(args: list[str], env: dict[str, str], n: int) -> float:
    return statistics.median(run(args, env) for _ in range(n)) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    opts = ap.parse_args()
    seconds, size, n = (10, (640, 360), 3) if opts.quick else (40, (1280, 720), 7)
    with tempfile.TemporaryDirectory(prefix="cutline-bench-probe-") as tmp:
        root = Path(tmp)
        env = dict(os.environ, CUTLINE_DATA_DIR=str(root / "data"), CUTLINE_CONFIG_DIR=str(root / "config"),
                   CUTLINE_CACHE_DIR=str(root / "cache"))
        env.pop("CUTLINE_DATABASE_URL", None)
        env.pop("CUTLINE_REDIS_URL", None)
        mp4 = make_clip(root / "src.mp4", frames=seconds * 25, size=size, gop=50, texture=True, grain=8)
        ts = root / "src.ts"
        stream_copy(mp4.path, ts)
        mkv = root / "src.mkv"
        stream_copy(mp4.path, mkv)
        print(f"files: {seconds} s {size[0]}x{size[1]} H.264 with B-frames, keyframe every 50 frames")
        try:
            print("\n`cutline probe FILE`, whole process, median of", n)
            for path in (mp4.path, ts, mkv):
                run([*CUTLINE, "probe", str(path)], env)  # fills the cache (and starts Valkey once)
                colds, hits = [], []
                for _ in range(n):  # interleaved, so that the machine's load falls on both alike
                    colds.append(run([*CUTLINE, "probe", str(path), "--no-cache"], env))
                    hits.append(run([*CUTLINE, "probe", str(path)], env))
                cold, cached = statistics.median(colds) * 1000, statistics.median(hits) * 1000
                print(f"  {path.suffix:5} uncached {cold:6.0f} ms   cached {cached:6.0f} ms   "
                      f"cached/uncached {cached / cold:.2f} (target < 1)")
            ffprobe = shutil.which("ffprobe")
            if ffprobe:
                print("\nframe count: cutline probe (uncached) vs ffprobe -count_packets")
                for path in (ts, mkv):
                    ours = median_ms([*CUTLINE, "probe", str(path), "--no-cache"], env, n)
                    ref = median_ms([ffprobe, "-v", "error", "-select_streams", "v:0", "-count_packets",
                                     "-show_entries", "stream=nb_read_packets", str(path)], env, n)
                    print(f"  {path.suffix:5} {ours:6.0f} ms vs {ref:6.0f} ms   ratio {ref / ours:.2f}")
            print("\nframe-exact random access (FrameReader, 40 reads, numbers checked)")
            for path in (mp4.path, ts):
                with FrameReader(path, fit=(640, 360), cache_bytes=0) as reader:
                    rng = random.Random(3)
                    times = []
                    for k in rng.sample(range(reader.frame_count), 40):
                        t = time.perf_counter()
                        pic = reader.read(k, back_window=0)
                        times.append(time.perf_counter() - t)
                        assert read_frame_number(pic.to_ndarray()) == k, (path, k)
                    times.sort()
                    print(f"  {path.suffix:5} p50 {times[20] * 1000:6.1f} ms   p95 {times[37] * 1000:6.1f} ms")
        finally:
            subprocess.run([*CUTLINE, "servers", "stop"], env=env, capture_output=True, cwd=ROOT)


if __name__ == "__main__":
    main()
