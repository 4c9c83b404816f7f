"""Media engine benchmark: PyAV paths against Debian's `ffmpeg` CLI measured in the same run.

    .venv/bin/python bench/media.py [--quick]

Generates its 1080p files into a temporary directory (synthetic frames that carry their frame number,
so exactness is checked too), then prints figures and ratios. Not a test. Needs the `ffmpeg` CLI only
as the reference; the editor itself never calls it.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._common import pct as _quantile  # noqa: E402
from editor.media.cache import MemoryBytesCache  # noqa: E402
from editor.media.frames import FrameReader  # noqa: E402
from editor.media.render import RenderClip, RenderSpec, render  # noqa: E402
from editor.media.synth import make_clip, read_frame_number  # noqa: E402
from editor.media.thumbnails import filmstrip  # noqa: E402

FFMPEG = shutil.which("ffmpeg")


def ffmpeg(*args: str) -> float:
    assert FFMPEG, "the ffmpeg CLI is needed as the reference"
    t = time.perf_counter()
    subprocess.run([FFMPEG, "-nostdin", "-v", "error", "-y", *args], check=True)
    return time.perf_counter() - t


def line(name: str, value: str, note: str = "") -> None:
    print(f"  {name:<52} {value:>14}  {note}", flush=True)


def decode_all(path: Path, fit: tuple[int, int] | None, fmt: str, frames: int) -> float:
    with FrameReader(path, fit=fit, pixel_format=fmt, cache_bytes=64 << 20) as reader:
        t = time.perf_counter()
        n = 0
        for pic in reader.iter_from(0):
            n += 1
            last = pic
        dt = time.perf_counter() - t
        assert n == frames
        arr = last.to_ndarray()
        assert read_frame_number(arr[..., [2, 1, 0]] if fmt == "bgra" else arr) == frames - 1
    return dt


def bench_decode(path: Path, frames: int) -> None:
    print("decode throughput, 1080p H.264 (best of 2, runs alternated with the reference)")
    ref = min(ffmpeg("-threads", "2", "-i", str(path), "-an", "-f", "null", "-") for _ in range(2))
    ref_fps = frames / ref
    line("ffmpeg -threads 2 -f null", f"{ref_fps:8.1f} fps")
    for label, fit, fmt in (("PyAV → RGB24 full size (FrameReader)", None, "rgb24"),
                            ("PyAV → BGRA 960x540 (viewer frames)", (960, 540), "bgra")):
        dt = min(decode_all(path, fit, fmt, frames) for _ in range(2))
        line(label, f"{frames / dt:8.1f} fps", f"ratio {frames / dt / ref_fps:.2f} (target >= 0.8)")


def bench_seek(path: Path, frames: int, samples: int) -> None:
    print("frame-exact random seek, 1080p, keyframe every 250 frames (960x540 BGRA out)")
    rng = random.Random(42)
    with FrameReader(path, fit=(960, 540), pixel_format="bgra") as reader:
        times = []
        for _ in range(samples):
            target = rng.randrange(frames)
            t = time.perf_counter()
            pic = reader.read(target)
            times.append((time.perf_counter() - t) * 1000)
            assert read_frame_number(pic.to_ndarray()[..., [2, 1, 0]]) == target
        line("random seek p50", f"{_quantile(times, 0.50):8.0f} ms")
        line("random seek p95", f"{_quantile(times, 0.95):8.0f} ms", "(aim < 150 ms)")
        steps_back, steps_fwd = [], []
        for _ in range(8):
            base = rng.randrange(20, frames - 20)
            reader.read(base)
            for i in range(1, 6):
                t = time.perf_counter()
                reader.read(base - i)
                steps_back.append((time.perf_counter() - t) * 1000)
            reader.read(base)
            for i in range(1, 6):
                t = time.perf_counter()
                reader.read(base + i)
                steps_fwd.append((time.perf_counter() - t) * 1000)
        line("one-frame step back from a cached position p95", f"{_quantile(steps_back, 0.95):8.2f} ms", "(< 20 ms)")
        line("one-frame step forward from the playhead p95", f"{_quantile(steps_fwd, 0.95):8.2f} ms", "(< 20 ms)")
        line("keyframe preview while scrubbing p95", f"{_preview(reader, rng, frames):8.1f} ms",
             "(shown at once, refined by the exact read)")


def _preview(reader: FrameReader, rng: random.Random, frames: int) -> float:
    times = []
    for _ in range(20):
        reader.clear_cache()
        t = time.perf_counter()
        reader.read_keyframe_before(rng.randrange(frames))
        times.append((time.perf_counter() - t) * 1000)
    return _quantile(times, 0.95)


def bench_thumbnails(path: Path) -> None:
    print("100-thumbnail filmstrip, 60 s 1080p (keyframe every 2 s), 160x90 JPEG")
    out = Path(tempfile.mkdtemp())
    ref = ffmpeg("-skip_frame", "nokey", "-i", str(path), "-an", "-vf", "scale=160:90",
                 "-fps_mode", "passthrough",
                 str(out / "k%03d.jpg"))
    shutil.rmtree(out)
    cache = MemoryBytesCache()
    t = time.perf_counter()
    thumbs = filmstrip(path, 100, (160, 90), cache=cache)
    cold = time.perf_counter() - t
    t = time.perf_counter()
    warm_thumbs = filmstrip(path, 100, (160, 90), cache=cache)
    warm = time.perf_counter() - t
    assert len(thumbs) == 100 and [x.jpeg for x in thumbs] == [x.jpeg for x in warm_thumbs]
    line("ffmpeg -skip_frame nokey → jpg (all keyframes)", f"{ref:8.2f} s")
    line("filmstrip cold (keyframes, decoded once each)", f"{cold:8.2f} s", f"ratio {ref / cold:.2f}")
    line("filmstrip warm (dict cache)", f"{warm * 1000:8.1f} ms")


def bench_export(path: Path, seconds: int) -> None:
    print(f"export, {seconds} s of 1080p (best of 2, alternated)")
    out = Path(tempfile.mkdtemp())
    spec = RenderSpec((RenderClip(str(path), Fraction(0), Fraction(seconds), Fraction(0)),), width=1920,
                      height=1080, fps=Fraction(25), preset="veryfast", crf=20)
    refs, ourss = [], []
    for _ in range(2):
        refs.append(ffmpeg("-i", str(path), "-t", str(seconds), "-c:v", "libx264", "-preset", "veryfast",
                           "-crf", "20", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "192k",
                           str(out / "ref.mp4")))
        t = time.perf_counter()
        result = render(spec, out / "ours.mp4")
        ourss.append(time.perf_counter() - t)
        assert result.frames == seconds * 25
    ref, ours = min(refs), min(ourss)
    line("ffmpeg re-encode libx264 veryfast + aac", f"{ref:8.2f} s")
    line("render() re-encode, same preset", f"{ours:8.2f} s", f"ratio {ref / ours:.2f} (target >= 0.9)")
    spec = RenderSpec((RenderClip(str(path), Fraction(10), Fraction(20), Fraction(0)),), mode="copy")
    refs, ourss = [], []
    for _ in range(3):
        refs.append(ffmpeg("-ss", "10", "-to", "20", "-i", str(path), "-c", "copy", str(out / "refcopy.mp4")))
        t = time.perf_counter()
        render(spec, out / "copy.mp4")
        ourss.append(time.perf_counter() - t)
    ref_copy, ours_copy = min(refs), min(ourss)
    spec = RenderSpec((RenderClip(str(path), Fraction(131, 25), Fraction(21), Fraction(0)),), mode="smart",
                      preset="veryfast")
    t = time.perf_counter()
    smart = render(spec, out / "smart.mp4")
    ours_smart = time.perf_counter() - t
    assert smart.mode_used == "smart" and smart.frames == 394
    line("ffmpeg stream-copy cut (10 s)", f"{ref_copy * 1000:8.0f} ms", "(includes process start)")
    line("render() copy mode, same cut", f"{ours_copy * 1000:8.0f} ms", f"ratio {ref_copy / ours_copy:.2f} "
         "(target >= 0.9)")
    line("render() smart cut 5.24–21.00 s (mid-GOP cuts)", f"{ours_smart * 1000:8.0f} ms",
         "(re-encodes 4.8 s + 1 s of edges, copies 10 s)")
    shutil.rmtree(out)


def _whole(cmd: list[str]) -> float:
    import os

    # as installed: byte-compiled modules (this machine sets PYTHONDONTWRITEBYTECODE, which recompiles each run)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    return time.perf_counter() - t


CUTLINE = [sys.executable, "-c", "from editor.cli import main; raise SystemExit(main())"]


def bench_cut(path: Path) -> None:
    """``cutline cut`` against the matching ffmpeg commands, whole processes, best of 3 (alternated)."""
    print(f"cut {path.name} (60 s 1080p, keyframe every 2 s), whole processes, best of 3")
    out = Path(tempfile.mkdtemp())
    env_cmd = [*CUTLINE, "cut", str(path)]
    ff = [FFMPEG or "ffmpeg", "-nostdin", "-v", "error", "-y"]
    runs: dict[str, list[float]] = {k: [] for k in ("ff_copy", "copy", "ff_enc", "enc", "smart", "reenc3")}
    three = ["--segment", "3.32-17.68", "--segment", "22.12-38.92", "--segment", "41.48-57.28"]
    _whole([*env_cmd, "--segment", "1-2", "--mode", "copy", "-o", str(out / "warm.mp4")])  # write the .pyc once
    for _ in range(3):
        runs["ff_copy"].append(_whole([*ff, "-ss", "20", "-to", "40", "-i", str(path), "-c", "copy",
                                       str(out / "ff-copy.mp4")]))
        runs["copy"].append(_whole([*env_cmd, "--segment", "20-40", "--mode", "copy", "-o", str(out / "copy.mp4"),
                                    "--overwrite"]))
    for _ in range(2):
        runs["ff_enc"].append(_whole([*ff, "-ss", "20", "-to", "40", "-i", str(path), "-c:v", "libx264", "-preset",
                                      "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "192k",
                                      str(out / "ff-enc.mp4")]))
        runs["enc"].append(_whole([*env_cmd, "--segment", "20-40", "--mode", "reencode", "--preset", "veryfast",
                                   "--crf", "20", "-o", str(out / "enc.mp4"), "--overwrite"]))
        runs["smart"].append(_whole([*env_cmd, *three, "--mode", "smart", "--preset", "veryfast",
                                     "-o", str(out / "smart.mp4"), "--overwrite"]))
    runs["reenc3"].append(_whole([*env_cmd, *three, "--mode", "reencode", "--preset", "veryfast",
                                  "-o", str(out / "reenc3.mp4"), "--overwrite"]))
    b = {k: min(v) for k, v in runs.items()}
    line("ffmpeg -ss 20 -to 40 -c copy", f"{b['ff_copy'] * 1000:8.0f} ms")
    line("cutline cut --mode copy (same 20 s)", f"{b['copy'] * 1000:8.0f} ms",
         f"{b['copy'] / b['ff_copy']:.2f}x ffmpeg (goal <= 1.5x)")
    line("ffmpeg re-encode 20 s, x264 veryfast crf 20 + aac", f"{b['ff_enc']:8.2f} s")
    line("cutline cut --mode reencode, same", f"{b['enc']:8.2f} s",
         f"speed {b['ff_enc'] / b['enc']:.2f} of ffmpeg (goal >= 0.95)")
    line("cutline cut --mode reencode, three cuts (47 s)", f"{b['reenc3']:8.2f} s")
    line("cutline cut --mode smart, same three cuts", f"{b['smart']:8.2f} s",
         f"{b['reenc3'] / b['smart']:.1f}x faster than re-encoding (goal >= 5x)")
    shutil.rmtree(out)


def bench_cut_long(root: Path, minutes: int) -> None:
    """A 20 s copy from the middle of a long file: only that part is indexed (by seconds), or the whole file
    (a segment given in frame numbers needs every frame's number), against ffmpeg -c copy."""
    path = root / f"long-{minutes}min.mp4"
    if not path.exists():
        subprocess.run([FFMPEG, "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                        f"testsrc2=size=320x240:rate=25:duration={minutes * 60}", "-f", "lavfi", "-i",
                        "sine=frequency=440:sample_rate=48000", "-shortest", "-c:v", "libx264", "-preset",
                        "ultrafast", "-g", "50", "-bf", "2", "-c:a", "aac", str(path)], check=True)
    print(f"copy 20 s from the middle of {path.name} (320x240, keyframe every 2 s), whole processes, best of 3")
    out = Path(tempfile.mkdtemp())
    mid = minutes * 30
    ff = [FFMPEG or "ffmpeg", "-nostdin", "-v", "error", "-y", "-ss", str(mid), "-to", str(mid + 20), "-i",
          str(path), "-c", "copy", str(out / "ff.mp4")]
    by_time = [*CUTLINE, "cut", str(path), "--segment", f"{mid}-{mid + 20}", "--mode", "copy", "-o",
               str(out / "t.mp4"), "--overwrite"]
    by_frame = [*CUTLINE, "cut", str(path), "--segment", f"f{mid * 25}-f{(mid + 20) * 25}", "--mode", "copy",
                "-o", str(out / "f.mp4"), "--overwrite"]
    runs: dict[str, list[float]] = {"ff": [], "time": [], "frame": []}
    for _ in range(3):
        runs["ff"].append(_whole(ff))
        runs["time"].append(_whole(by_time))
        runs["frame"].append(_whole(by_frame))
    b = {k: min(v) for k, v in runs.items()}
    line("ffmpeg -ss -to -c copy", f"{b['ff'] * 1000:8.0f} ms")
    line("cutline cut --mode copy, segment in seconds", f"{b['time'] * 1000:8.0f} ms",
         f"{b['time'] / b['ff']:.2f}x ffmpeg (indexes the part it copies)")
    line("cutline cut --mode copy, segment in frames", f"{b['frame'] * 1000:8.0f} ms",
         f"{b['frame'] / b['ff']:.2f}x ffmpeg (indexes the whole file)")
    shutil.rmtree(out)


CHILD = """
import json, resource, sys, time
from fractions import Fraction as F
from editor.media.render import RenderClip, RenderSpec, render
path, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
clips = [RenderClip.from_frames(path, (k * 7) % 90, (k * 7) % 90 + 5, F(25), k * 5) for k in range(n)]
t = time.perf_counter()
result = render(RenderSpec(tuple(clips), width=320, height=240, preset="ultrafast"), out)
print(json.dumps({"s": time.perf_counter() - t, "frames": result.frames,
                  "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def bench_long_timeline(root: Path) -> None:
    """Export time and peak memory of the render process against the number of clips (issue 18)."""
    print("export of N clips of 5 frames (320x240 source, one file), render in a child process")
    src = root / "short-320.mp4"
    if not src.exists():
        make_clip(src, frames=100, size=(320, 240), gop=25)
    out = Path(tempfile.mkdtemp())
    for n in (1, 100, 1000):
        proc = subprocess.run([sys.executable, "-c", CHILD, str(src), str(n), str(out / f"n{n}.mp4")],
                              check=True, capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
        r = __import__("json").loads(proc.stdout.splitlines()[-1])
        line(f"{n} clips ({r['frames']} frames)", f"{r['s']:8.2f} s", f"peak RSS {r['rss'] / 1024:.0f} MiB")
    shutil.rmtree(out)


def bench_ui_tick(path: Path) -> None:
    print("16 ms UI tick on the main thread beside decoding at full speed")

    def ticks(seconds: float) -> list[float]:
        late = []
        nxt = time.perf_counter() + 0.016
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            time.sleep(max(0.0, nxt - time.perf_counter()))
            now = time.perf_counter()
            late.append((now - nxt) * 1000)
            nxt = max(nxt + 0.016, now)
        return late

    idle = ticks(1.5)
    stop = threading.Event()

    def decode() -> None:
        with FrameReader(path, fit=(960, 540), pixel_format="bgra", cache_bytes=32 << 20) as reader:
            for _ in reader.iter_from(0):
                if stop.is_set():
                    return

    worker = threading.Thread(target=decode)
    worker.start()
    busy = ticks(4.0)
    stop.set()
    worker.join()
    line("tick lateness idle p99", f"{_quantile(idle, 0.99):8.2f} ms")
    line("tick lateness beside full-speed decode p99", f"{_quantile(busy, 0.99):8.2f} ms")
    # playback in the window (frames shown, dropped, Qt timer lag) is measured by bench/ui.py


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="shorter files (smoke run)")
    parser.add_argument("--keep", help="directory to generate into and keep")
    parser.add_argument("--only", choices=["cut"], help="only the cut and long-timeline sections")
    args = parser.parse_args()
    if not FFMPEG:
        print("ffmpeg CLI not found", file=sys.stderr)
        return 1
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="cutline-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    secs = 8 if args.quick else 24
    t0 = time.perf_counter()
    main_file = root / f"camera-{secs}s.mp4"
    strip_file = root / "strip-60s.mp4"
    if not main_file.exists():
        make_clip(main_file, frames=secs * 25, size=(1920, 1080), gop=250, preset="superfast", texture=True,
                  grain=24)  # film grain: about as costly to decode as camera footage (~20 Mbit/s)
    if not strip_file.exists():
        subprocess.run([FFMPEG, "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                        f"testsrc2=size=1920x1080:rate=25:duration={20 if args.quick else 60}",
                        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                        "-shortest", "-c:v", "libx264", "-preset", "superfast", "-g", "50",
                        "-keyint_min", "50", "-sc_threshold", "0", "-c:a", "aac", str(strip_file)],
                       check=True)
    print(f"generated media in {time.perf_counter() - t0:.1f} s ({root})")
    print(f"python {sys.version.split()[0]}, PyAV {__import__('av').__version__}, "
          f"{subprocess.run([FFMPEG, '-version'], capture_output=True, text=True).stdout.splitlines()[0]}")
    frames = secs * 25
    if args.only == "cut":
        bench_cut(strip_file)
        bench_cut_long(root, 5 if args.quick else 30)
        bench_long_timeline(root)
        return 0
    bench_decode(main_file, frames)
    bench_seek(main_file, frames, 12 if args.quick else 25)
    bench_thumbnails(strip_file)
    bench_export(main_file, 8 if args.quick else 12)
    bench_cut(strip_file)
    bench_cut_long(root, 5 if args.quick else 30)
    bench_long_timeline(root)
    bench_ui_tick(main_file)
    print(f"total {time.perf_counter() - t0:.1f} s")
    if not args.keep:
        shutil.rmtree(root)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

