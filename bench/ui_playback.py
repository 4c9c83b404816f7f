"""What a user sees when playing in the window (issue 17): frames shown per second, frames dropped, Qt timer
lag p99 and resident memory in the real offscreen window for 1080p30, 1080p60 and 4K30 HEVC, each while that
file's own background jobs (proxy, filmstrip, waveform) are pending or running and after they finished; far
seeks and holding ← on the source and on its proxy; the waveform of a 30-minute file against FFmpeg. FFmpeg's
decode rate of each file is measured in the same run as the limit. Called by bench/ui.py; not a test.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from bench._common import pct

FFMPEG = "ffmpeg"


def rss_mb() -> float:
    """Resident memory of this process (MiB)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / (1 << 20)


def ffmpeg_decode_fps(path: Path, frames: int) -> float:
    """FFmpeg's own decode rate of ``path`` (2 threads, no output): the limit of any player here."""
    t0 = time.perf_counter()
    subprocess.run([FFMPEG, "-v", "error", "-threads", "2", "-i", str(path), "-an", "-f", "null", "-"], check=True)
    return frames / (time.perf_counter() - t0)


def make_media(folder: Path) -> list[tuple[str, Path, int, Fraction]]:
    """The three files of the playback table, made with PyAV in a child process (so that the encoders' memory
    is not counted as the window's), one keyframe every 250 frames like cameras."""
    import json
    import sys

    code = ("import json, sys; from pathlib import Path; from bench.ui_playback import _make_media; "
            "print(json.dumps([[n, str(p), f, str(r)] for n, p, f, r in _make_media(Path(sys.argv[1]))]))")
    run = subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    lines = run.stdout.strip().splitlines()
    for line in lines[:-1]:
        print(line, flush=True)
    return [(n, Path(p), int(f), Fraction(r)) for n, p, f, r in json.loads(lines[-1])]


def _make_media(folder: Path) -> list[tuple[str, Path, int, Fraction]]:
    import av

    from editor.media.synth import make_clip

    hevc = "libx265" in av.codecs_available
    # grain 20 makes 1080p cost what camera footage costs to decode (~140 frames/s in ffmpeg here)
    files = [("1080p30 H.264", folder / "p1080_30.mp4", 300, Fraction(30), (1920, 1080), None, 20),
             ("1080p60 H.264", folder / "p1080_60.mp4", 480, Fraction(60), (1920, 1080), None, 20),
             ("4K30 HEVC" if hevc else "4K30 H.264 (no libx265)", folder / "p2160_30.mp4", 150, Fraction(30),
              (3840, 2160), "libx265" if hevc else None, 30)]
    out = []
    for name, path, frames, fps, size, codec, grain in files:
        t0 = time.perf_counter()
        make_clip(path, frames=frames, fps=fps, size=size, gop=250, texture=True, grain=grain, codec=codec,
                  preset="ultrafast")
        print(f"(made {name}: {frames} frames in {time.perf_counter() - t0:.1f} s)", flush=True)
        out.append((name, path, frames, fps))
    return out


class Sampler:
    """Qt timer lateness and peak resident memory while ``during()`` holds."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def run(self, seconds: float, during: Callable[[], bool] | None = None) -> tuple[list[float], float]:
        from PySide6.QtCore import QTimer

        lags: list[float] = []
        peak = [rss_mb()]
        last = [time.perf_counter()]

        def tick() -> None:
            now = time.perf_counter()
            lags.append(max(0.0, (now - last[0]) * 1000 - 16))
            last[0] = now
            peak[0] = max(peak[0], rss_mb())

        timer = QTimer()
        timer.setInterval(16)
        timer.timeout.connect(tick)
        timer.start()
        end = time.perf_counter() + seconds
        while time.perf_counter() < end and (during is None or during()):
            self.app.processEvents()
            time.sleep(0.001)
        timer.stop()
        return lags[1:], peak[0]


def open_window(store: Any, app: Any, path: Path) -> Any:
    from editor.app import build_window

    win = build_window(store, argparse.Namespace(files=[str(path)], project=None, smoke_test=False))
    win.resize(1400, 860)
    win.show()
    while win.controller.timeline is None:
        app.processEvents()
        time.sleep(0.002)
    return win


def play_for(win: Any, sampler: Sampler, seconds: float, fps: Fraction) -> dict[str, float]:
    """Play from the start for ``seconds``; what the viewer showed."""
    win.controller.set_playhead(0)
    shown0, dropped0 = win.preview.frames_shown, win.preview.frames_dropped
    marks = [0]
    win.preview.dropping.connect(lambda on: marks.__setitem__(0, marks[0] + int(on)))
    win.shuttle(1)
    t0 = time.perf_counter()
    lags, peak = sampler.run(seconds, during=lambda: win.preview.rate != 0)
    elapsed = time.perf_counter() - t0
    degrade = win.preview.degrade
    win.pause()
    shown = win.preview.frames_shown - shown0
    dropped = win.preview.frames_dropped - dropped0
    return {"fps": shown / elapsed, "rt": shown / elapsed / float(fps), "dropped": dropped,
            "p99": pct(lags, 0.99) if lags else 0.0, "rss": peak, "degrade": degrade, "marks": marks[0]}


def playback_table(store: Any, app: Any, temp: Path, seconds: float) -> None:
    os.environ["CUTLINE_CACHE_DIR"] = str(temp / "cache")
    media = make_media(temp)
    sampler = Sampler(app)
    fresh = temp / "arrival-copy.mp4"  # a copy has its own fingerprint: nothing of it is cached for the others
    shutil.copyfile(media[0][1], fresh)
    arrival_stall(store, app, sampler, fresh)
    rows = [measure_file(store, app, sampler, seconds, *m) for m in media]
    print("\n| file | ffmpeg decode (limit) | while its jobs run: shown/s, dropped, lag p99, RSS | after: shown/s, "
          "dropped, lag p99, RSS |")
    print("|---|---|---|---|")
    for name, fps, limit, d, a, _paused, _jobs, _proxy, _secs in rows:
        print(f"| {name} | {limit:.0f} fps | {d['fps']:.1f} of {float(fps):.0f} ({d['rt']:.2f}×), {d['dropped']}, "
              f"{d['p99']:.1f} ms, {d['rss']:.0f} MB | {a['fps']:.1f} ({a['rt']:.2f}×), {a['dropped']}, "
              f"{a['p99']:.1f} ms, {a['rss']:.0f} MB |")
    play_while_exporting(store, app, sampler, media[0][1], media[0][3], temp)
    seek_and_step(app, media[0][1], temp)


def arrival_stall(store: Any, app: Any, sampler: Sampler, path: Path) -> None:
    """A new file opened and left alone: the Qt thread's longest stall while its filmstrip and waveforms
    arrive (from the moment the window shows its timeline)."""
    cache = os.environ.get("CUTLINE_CACHE_DIR", "")
    os.environ["CUTLINE_CACHE_DIR"] = cache + "-arrival"  # its proxy must not serve the windows measured next
    win = open_window(store, app, path)
    got = {"thumbs": 0, "waves": 0}
    win.assets.thumbnails_ready.connect(lambda *_: got.__setitem__("thumbs", got["thumbs"] + 1))
    win.assets.waveform_ready.connect(lambda *_: got.__setitem__("waves", got["waves"] + 1))
    t0 = time.perf_counter()
    try:
        lags, _ = sampler.run(60, during=lambda: got["thumbs"] < 1 or got["waves"] < 2)
    finally:
        win.shutdown()
        os.environ["CUTLINE_CACHE_DIR"] = cache
    print(f"{path.name} opened, nothing played: filmstrip and both waveforms in {time.perf_counter() - t0:.2f} s; "
          f"Qt timer lateness max {max(lags):.1f} ms, p99 {pct(lags, .99):.1f} ms while they arrive "
          "(target: no stall over 16 ms)", flush=True)


def measure_file(store: Any, app: Any, sampler: Sampler, seconds: float, name: str, path: Path, frames: int,
                 fps: Fraction) -> tuple[Any, ...]:
    """One file in a new window: play while its jobs are pending, let them finish, play again."""
    limit = ffmpeg_decode_fps(path, frames)
    win = open_window(store, app, path)
    done: dict[str, Any] = {"proxy": None, "thumbs": None, "waves": 0}
    t_open = time.perf_counter()
    win.assets.proxy_ready.connect(lambda *_: done.__setitem__("proxy", time.perf_counter() - t_open))
    win.assets.thumbnails_ready.connect(lambda *_: done.__setitem__("thumbs", time.perf_counter() - t_open))
    win.assets.waveform_ready.connect(lambda *_: done.__setitem__("waves", done["waves"] + 1))
    length = frames / float(fps)
    try:
        during = play_for(win, sampler, min(seconds, length - 0.5), fps)
        # then let the background jobs finish (the proxy of a long-GOP or 4K file is the long one)
        t_idle = time.perf_counter()
        sampler.run(180, during=lambda: done["proxy"] is None or done["thumbs"] is None or done["waves"] < 2
                    and not win.assets._have_exact)  # exact peaks from the cache come once
        jobs_s = time.perf_counter() - t_idle
        paused = win.gate.paused_seconds  # counted when a paused job resumes
        after = play_for(win, sampler, min(seconds, length - 0.5), fps)
    finally:
        win.shutdown()
    proxy_s = done["proxy"]
    ready = f"{proxy_s:.1f} s" if proxy_s else "never"
    print(f"{name}: ffmpeg decodes {limit:.0f} frames/s; while its jobs are pending: {during['fps']:.1f} "
          f"frames/s ({during['rt']:.2f}x real time), {during['dropped']} dropped, lag p99 {during['p99']:.1f} ms, "
          f"{during['rss']:.0f} MB (degrade step {during['degrade']}); jobs paused {paused:.1f} s while playing, "
          f"finished {jobs_s:.1f} s after (proxy of {length:.0f} s ready {ready} after opening); after: "
          f"{after['fps']:.1f} frames/s ({after['rt']:.2f}x), {after['dropped']} dropped, lag p99 "
          f"{after['p99']:.1f} ms, {after['rss']:.0f} MB", flush=True)
    return (name, fps, limit, during, after, paused, jobs_s, proxy_s, length)


def play_while_exporting(store: Any, app: Any, sampler: Sampler, path: Path, fps: Fraction, temp: Path) -> None:
    """The same file exported (fast H.264, a child process at nice +10) while the window plays it."""
    win = open_window(store, app, path)
    try:
        sampler.run(30, during=lambda: bool(win.jobs.runner.running()))  # its own proxy job, if any
        out = temp / "export-while-playing.mp4"
        t0 = time.perf_counter()
        job = win.jobs.start_export(win.controller.timeline, str(out), "fast")
        figures = play_for(win, sampler, 8.0, fps)
        sampler.run(120, during=lambda: job in win.jobs.runner.running())
        took = time.perf_counter() - t0
    finally:
        win.shutdown()
    print(f"{path.name} played while its export ran: {figures['fps']:.1f} frames/s ({figures['rt']:.2f}x), "
          f"{figures['dropped']} dropped, lag p99 {figures['p99']:.1f} ms, degrade step {figures['degrade']}; "
          f"the export took {took:.1f} s", flush=True)


def _number(image: Any) -> int:
    from editor.media.synth import read_frame_number
    from editor.ui.preview import qimage_to_rgb

    return read_frame_number(qimage_to_rgb(image))


def seek_and_step(app: Any, path: Path, temp: Path) -> None:
    """Far seeks (keyframe first, then exact) and holding ← at 25 key repeats a second, in the window's
    engine, on the long-GOP source and on its proxy."""
    from editor.jobs.importing import import_files
    from editor.media.proxy import make_proxy
    from editor.model.navigate import timeline_from_media

    timeline = timeline_from_media(import_files([path]).refs)
    frames = timeline.media[0].duration
    proxy = temp / "bench-proxy.mp4"
    t0 = time.perf_counter()
    make_proxy(path, proxy)
    proxy_s = time.perf_counter() - t0
    seconds = frames / float(timeline.media[0].rate)
    t0 = time.perf_counter()
    w, h = 960, 540
    subprocess.run([FFMPEG, "-v", "error", "-y", "-i", str(path), "-an", "-vf", f"scale={w}:{h}", "-c:v", "libx264",
                    "-preset", "ultrafast", "-tune", "fastdecode", "-g", "12", "-bf", "0", str(temp / "ff-proxy.mp4")],
                   check=True)
    ff_s = time.perf_counter() - t0
    print(f"proxy of {seconds:.0f} s 1080p: {proxy_s:.1f} s ({seconds / proxy_s:.1f}x real time; ffmpeg's same "
          f"encode {ff_s:.1f} s, ratio {ff_s / proxy_s:.2f})", flush=True)
    for label, use_proxy in (("source (GOP 250)", False), ("proxy", True)):
        seek_figures(app, timeline, frames, label, (str(path.resolve()), str(proxy)) if use_proxy else None)


def seek_figures(app: Any, timeline: Any, frames: int, label: str, proxy: tuple[str, str] | None) -> None:
    """25 far seeks and 120 steps back (held ←) in a fresh engine of the window, on the source or its proxy."""
    from editor.ui.preview import PreviewEngine

    engine = PreviewEngine(fit=(960, 540))
    if proxy is not None:
        engine.use_proxy(*proxy)
    got: list[tuple[float, int, int]] = []
    engine.frame_ready.connect(lambda image, frame: got.append((time.perf_counter(), frame, _number(image))))

    def wait_exact(frame: int, timeout: float = 10.0) -> None:
        end = time.perf_counter() + timeout
        while time.perf_counter() < end and not any(f == frame and n == frame for _, f, n in got):
            app.processEvents()
            time.sleep(0.0005)

    try:
        engine.show(timeline, 5)
        wait_exact(5)
        rng = random.Random(7)
        first_ms, exact_ms = [], []
        for _ in range(25):
            target = rng.randrange(0, frames)
            got.clear()
            t = time.perf_counter()
            engine.show(timeline, target)
            wait_exact(target)
            if got:
                first_ms.append((got[0][0] - t) * 1000)
                exact_ms.append((next((g[0] for g in got if g[2] == target), time.perf_counter()) - t) * 1000)
        start = frames - 20
        engine.show(timeline, start)
        wait_exact(start)
        step_ms = []
        wrong = 0
        for frame in range(start - 1, start - 1 - 120, -1):
            got.clear()
            t = time.perf_counter()
            engine.show(timeline, frame)
            wait_exact(frame)
            shown = next((g for g in got if g[1] == frame), None)
            if shown is not None:
                step_ms.append((shown[0] - t) * 1000)
                wrong += shown[2] != frame
            pause_until = t + 0.040  # 25 key repeats a second
            while time.perf_counter() < pause_until:
                app.processEvents()
                time.sleep(0.001)
    finally:
        engine.close()
    print(f"{label}: far seek, first picture p50 {pct(first_ms, .5):.0f} ms p95 {pct(first_ms, .95):.0f} ms; "
          f"exact p50 {pct(exact_ms, .5):.0f} ms p95 {pct(exact_ms, .95):.0f} ms (target 150 on the proxy); "
          f"holding ← p50 {pct(step_ms, .5):.1f} ms p95 {pct(step_ms, .95):.1f} ms over {len(step_ms)} steps "
          f"across a keyframe (target p95 < 40 ms; {wrong} not exact)", flush=True)


def waveform_case(store: Any, app: Any, temp: Path) -> None:
    """A 30-minute file: coarse and exact peaks against FFmpeg decoding the same peaks; in the window, the
    time from opening to the first waveform on screen and the longest Qt stall on the way."""
    from editor.media.waveform import coarse_peaks, waveform_peaks

    path = temp / "long-30min.m4a"
    t0 = time.perf_counter()
    subprocess.run([FFMPEG, "-v", "error", "-y", "-f", "lavfi", "-i",
                    "sine=frequency=440:sample_rate=48000:duration=1800,volume='0.2+0.7*abs(sin(t/3))':eval=frame",
                    "-ac", "2", "-c:a", "aac", "-b:a", "128k", str(path)], check=True)
    print(f"(made a 30-minute AAC file in {time.perf_counter() - t0:.1f} s)", flush=True)
    rows = []
    for _ in range(3):  # interleaved: the machine is shared, so compare within each round
        t0 = time.perf_counter()
        raw = subprocess.run([FFMPEG, "-v", "error", "-i", str(path), "-vn", "-ac", "1", "-f", "f32le", "-"],
                             capture_output=True, check=True).stdout
        mono = np.frombuffer(raw, np.float32)
        n = mono.size // 480 * 480
        blocks = mono[:n].reshape(-1, 480)
        ff_hi = blocks.max(axis=1)
        blocks.min(axis=1)
        ff_s = time.perf_counter() - t0
        del raw, mono, blocks
        t0 = time.perf_counter()
        coarse_peaks(path)
        coarse_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        ours = waveform_peaks(path).as_array()[:, 1] / 32767
        ours_s = time.perf_counter() - t0
        k = min(ours.size, ff_hi.size)
        rows.append((ff_s, coarse_s, ours_s, float(np.abs(ours[:k] - ff_hi[:k]).max())))
    ratios = sorted(ff_s / ours_s for ff_s, _c, ours_s, _d in rows)
    rounds = ", ".join(f"{r:.2f}" for r in ratios)
    print(f"30-minute waveform: median ratio to ffmpeg {ratios[1]:.2f} (rounds: {rounds})")
    for ff_s, coarse_s, ours_s, diff in rows:
        print(f"30-minute waveform: exact {ours_s:.2f} s vs ffmpeg -f f32le + the same min/max {ff_s:.2f} s "
              f"(ratio {ff_s / ours_s:.2f}, target >= 1.0; peaks differ by at most {diff:.3f}); "
              f"coarse {coarse_s:.2f} s",
              flush=True)
    sampler = Sampler(app)
    t_open = time.perf_counter()
    from editor.app import build_window

    win = build_window(store, argparse.Namespace(files=[str(path)], project=None, smoke_test=False))
    win.resize(1400, 860)
    win.show()
    seen: list[float] = []
    win.assets.waveform_ready.connect(lambda *_: seen.append(time.perf_counter() - t_open))
    try:
        while win.controller.timeline is None:  # the window's own start is not what is measured here
            app.processEvents()
            time.sleep(0.002)
        lags, _ = sampler.run(30, during=lambda: len(seen) < 2)
    finally:
        win.shutdown()
    first = f"{seen[0]:.2f} s" if seen else "never"
    exact = f"{seen[1]:.2f} s" if len(seen) > 1 else "not within 30 s"
    print(f"in the window: first waveform {first} after opening (target < 1 s), exact {exact}; longest Qt stall "
          f"(16 ms timer lateness, max) {max(lags) if lags else 0:.1f} ms, p99 {pct(lags, .99) if lags else 0:.1f} ms "
          "(target < 16 ms)", flush=True)
