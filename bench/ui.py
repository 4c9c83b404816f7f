"""How responsive the window stays: Qt event-loop lag (p50/p99 of a 16 ms timer's lateness) while idle,
playing 1080p, making a filmstrip, exporting and saving edits; and start-up time to a usable window.

    .venv/bin/python bench/ui.py [--seconds 5] [--case servers-up|redis-hung|postgres-stopped]

Runs offscreen in a private data folder (its own embedded servers, stopped at the end). Targets: lag
p99 under 16 ms; start-up with servers running under 1.5 s; first ever start, servers included, under 5 s.
Prints one line per figure. Not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._common import pct  # noqa: E402

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

STARTUP = r"""
import os, sys, time, argparse
t0 = time.perf_counter()
from PySide6.QtWidgets import QApplication
from editor.store.services import Store
from editor.app import build_window
app = QApplication(["cutline"])
store = Store.open()
win = build_window(store, argparse.Namespace(files=[], project=int(sys.argv[1]) if sys.argv[1] != "0" else None,
                                             smoke_test=False))
win.show()
app.processEvents()
if sys.argv[1] != "0":
    while win.controller.timeline is None:
        app.processEvents()
        time.sleep(0.002)
t1 = time.perf_counter()
print(f"{(t1 - t0) * 1000:.0f}")
win.shutdown()
store.close(stop_servers=False)
"""



def measure_lag(app, seconds: float, during=None) -> list[float]:  # type: ignore[no-untyped-def]
    """Lateness (ms) of a 16 ms QTimer over ``seconds``, while ``during()`` is true if given."""
    from PySide6.QtCore import QTimer

    lags: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        lags.append(max(0.0, (now - last[0]) * 1000 - 16))
        last[0] = now

    timer = QTimer()
    timer.setInterval(16)
    timer.timeout.connect(tick)
    timer.start()
    end = time.perf_counter() + seconds
    while time.perf_counter() < end and (during is None or during()):
        app.processEvents()
        time.sleep(0.001)
    timer.stop()
    return lags[1:]


def report(name: str, lags: list[float], extra: str = "") -> None:
    if not lags:
        print(f"{name:<34} no samples")
        return
    print(f"{name:<34} lag p50 {pct(lags, .5):6.2f} ms  p99 {pct(lags, .99):6.2f} ms  max {max(lags):6.1f} ms"
          f"  (n={len(lags)}; target p99 < 16 ms, ratio {pct(lags, .99) / 16:.2f}){extra}", flush=True)


def hung_listener() -> str:
    """A local TCP server that accepts connections and never answers (a hung Redis); its redis:// URL."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(128)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            held.append(server.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    return f"redis://127.0.0.1:{server.getsockname()[1]}/0"


def edit_while(app, win, seconds: float) -> tuple[list[float], int]:  # type: ignore[no-untyped-def]
    """Lag while the window makes 20 edits a second (split, undo, marker) through its own controller."""
    from PySide6.QtCore import QTimer

    edits = [0]

    def edit() -> None:
        c = win.controller
        n = edits[0]
        c.set_playhead(5 + n % 40)
        (c.split, c.undo, c.add_marker)[n % 3]()
        edits[0] += 1

    timer = QTimer()
    timer.setInterval(50)
    timer.timeout.connect(edit)
    timer.start()
    lags = measure_lag(app, seconds)
    timer.stop()
    return lags, edits[0]


def editing_case(case: str, seconds: float) -> None:
    """One case in this process (its own data folder and servers): "redis-hung" points CUTLINE_REDIS_URL at
    a listener that never answers; "postgres-stopped" stops this process's private servers mid-edit;
    "servers-up" is the reference."""
    temp = Path(tempfile.mkdtemp(prefix=f"cutline-bench-{case}-"))
    temp.chmod(0o755)
    for name, sub in (("CUTLINE_DATA_DIR", "data"), ("CUTLINE_CONFIG_DIR", "config"), ("CUTLINE_CACHE_DIR", "cache")):
        (temp / sub).mkdir(mode=0o755)
        os.environ[name] = str(temp / sub)
    os.environ.pop("CUTLINE_DATABASE_URL", None)
    from PySide6.QtWidgets import QApplication

    from editor.app import build_window
    from editor.media.synth import make_clip
    from editor.store.servers import EmbeddedServers
    from editor.store.services import Store

    if case == "redis-hung":
        os.environ["CUTLINE_REDIS_URL"] = hung_listener()
    own_pg = EmbeddedServers(temp / "pg")  # PostgreSQL alone, so that stopping it leaves Redis up
    if case == "postgres-stopped":
        os.environ["CUTLINE_DATABASE_URL"] = own_pg.ensure(redis=False).database_url

    clip = temp / "clip.mp4"
    make_clip(clip, frames=50, fps=Fraction(25), size=(320, 240))
    app = QApplication.instance() or QApplication(["cutline"])
    t0 = time.perf_counter()
    store = Store.open()
    win = build_window(store, argparse.Namespace(files=[str(clip)], project=None, smoke_test=False))
    win.show()
    try:
        while win.controller.timeline is None:
            app.processEvents()
            time.sleep(0.005)
        opened = time.perf_counter() - t0
        measure_lag(app, 1.0)
        if case == "postgres-stopped":
            own_pg.stop()
        lags, n = edit_while(app, win, seconds)
        saver = win.controller.session.saver
        title = win.windowTitle()
        what = {"redis-hung": "Redis hung", "postgres-stopped": "PostgreSQL stopped", "servers-up": "servers up"}[case]
        report(f"editing with {what}", lags,
               f"; {n} edits, {saver.pending} waiting, title {title!r}; window opened in {opened:.1f} s")
    finally:
        win.shutdown()
        store.close(stop_servers=True)
        EmbeddedServers(temp / "data" / "servers").stop()
        own_pg.stop()
        import shutil

        shutil.rmtree(temp, ignore_errors=True)


def editing_cases(seconds: float) -> None:
    """Each outage case in its own process, so its environment and stopped servers touch nothing else."""
    for case in ("servers-up", "redis-hung", "postgres-stopped"):  # the first: the reference, same harness
        run = subprocess.run([sys.executable, str(Path(__file__)), "--case", case, "--seconds", str(seconds)],
                             cwd=ROOT, capture_output=True, text=True, timeout=300)
        lines = [line for line in run.stdout.splitlines() if line.startswith("editing with")]
        print(lines[-1] if lines else f"editing case {case} failed: {run.stderr[-500:]}", flush=True)


def compose_main(temp: Path, seconds: float) -> None:
    """Playing a composited 1080p timeline: V1 two clips with a 1 s dissolve, V2 the first clip again as a
    third-size picture-in-picture, V3 a title over everything; the timer lag and the frames shown."""
    from fractions import Fraction as F

    from PySide6.QtWidgets import QApplication

    from editor.app import build_window
    from editor.media.synth import make_clip
    from editor.store.services import Store

    a, b = temp / "compose-a.mp4", temp / "compose-b.mp4"
    t0 = time.perf_counter()
    make_clip(a, frames=200, fps=F(25), size=(1920, 1080), gop=25, texture=True)
    make_clip(b, frames=200, fps=F(25), size=(1920, 1080), gop=25, texture=True, start_number=1000)
    print(f"(made two 8 s 1080p H.264 clips, keyframe every 25 frames, in {time.perf_counter() - t0:.1f} s)")
    app = QApplication.instance() or QApplication(["cutline"])
    store = Store.open()
    win = build_window(store, argparse.Namespace(files=[str(a), str(b)], project=None, smoke_test=False))
    win.resize(1400, 860)
    win.show()
    try:
        c = win.controller
        while c.timeline is None or len([it for it in c.timeline.tracks[0].items]) < 2:
            app.processEvents()
            time.sleep(0.005)
        tl = c.timeline
        second = tl.tracks[0].items[1]
        c.edit("set_dissolve", item_id=second.id, frames=25)
        c.edit("add_track", kind="video")
        v2 = len(c.timeline.tracks) - 1
        c.edit("append_clip", track=v2, media=tl.tracks[0].items[0].media, duration=200)
        pip = c.timeline.tracks[v2].items[0].id
        c.edit("set_look", item_id=pip, scale=F(1, 3), x=F(1, 3), y=F(-1, 3), opacity=F(3, 4))
        c.edit("add_title", track=None, frame=0, duration=400, text="Cutline 컷라인 — title", size=96)
        measure_lag(app, 3.0)  # filmstrips and waveforms of the import
        report("idle (composited timeline)", measure_lag(app, seconds / 2))
        for label, start in (("playing 1080p: 2 tracks + title", 100), ("… across the dissolve", 180)):
            c.set_playhead(start)
            win.shuttle(1)
            shown0, dropped0, t0 = win.preview.frames_shown, win.preview.frames_dropped, time.perf_counter()
            lags = measure_lag(app, seconds, during=lambda: win.preview.rate != 0)
            fps = (win.preview.frames_shown - shown0) / (time.perf_counter() - t0)
            win.pause()
            report(label, lags, f"; {fps:.1f} frames shown/s of 25, "
                                f"{win.preview.frames_dropped - dropped0} dropped")
            measure_lag(app, 0.5)
    finally:
        win.shutdown()
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--case", choices=("servers-up", "redis-hung", "postgres-stopped"),
                        help="run only this editing case")
    parser.add_argument("--playback-only", action="store_true", help="only the playback, seek and waveform figures")
    parser.add_argument("--compose", action="store_true",
                        help="only: playing a 1080p timeline with two video tracks, a dissolve and a title")
    args = parser.parse_args()
    if args.case:
        editing_case(args.case, args.seconds)
        return
    temp = Path(tempfile.mkdtemp(prefix="cutline-bench-ui-"))
    temp.chmod(0o755)
    os.environ["CUTLINE_DATA_DIR"] = str(temp / "data")
    os.environ["CUTLINE_CONFIG_DIR"] = str(temp / "config")
    (temp / "data").mkdir(mode=0o755)

    if args.playback_only:
        playback_main(temp, args.seconds)
        return
    if args.compose:
        compose_main(temp, args.seconds)
        return
    # First ever start: no servers, no database (initdb included).
    first = subprocess.run([sys.executable, "-c", STARTUP, "0"], cwd=ROOT, capture_output=True, text=True)
    print(f"first ever start to a usable window, servers included: {first.stdout.strip() or first.stderr[-300:]} ms"
          " (target < 5000 ms)", flush=True)

    from PySide6.QtWidgets import QApplication

    from editor.app import build_window
    from editor.media.synth import make_clip
    from editor.store.services import Store

    clip = temp / "bench-1080p.mp4"
    t0 = time.perf_counter()
    make_clip(clip, frames=250, fps=Fraction(25), size=(1920, 1080), gop=250, texture=True)
    print(f"(made a 10 s 1080p H.264 clip, keyframe every 250 frames, in {time.perf_counter() - t0:.1f} s)")
    app = QApplication.instance() or QApplication(["cutline"])
    store = Store.open()
    win = build_window(store, argparse.Namespace(files=[str(clip)], project=None, smoke_test=False))
    win.resize(1400, 860)
    win.show()
    try:
        while win.controller.timeline is None:
            app.processEvents()
            time.sleep(0.005)
        project_id = win.controller.session.project_id
        measure_lag(app, 1.5)  # let the filmstrip/waveform of the import finish
        report("idle", measure_lag(app, args.seconds / 2))

        win.controller.set_playhead(0)
        win.shuttle(1)
        shown0, t0 = win.preview.frames_shown, time.perf_counter()
        lags = measure_lag(app, args.seconds, during=lambda: win.preview.rate != 0)
        fps = (win.preview.frames_shown - shown0) / (time.perf_counter() - t0)
        win.pause()
        report("playing 1080p at 1x", lags, f"; {fps:.1f} frames shown/s of 25")

        from editor.media.thumbnails import filmstrip

        done = []
        win.ctx.tasks.run(lambda: filmstrip(clip, 100, (160, 90), exact=False, cache=None),
                          on_done=lambda r: done.append(len(r)))
        t0 = time.perf_counter()
        lags = measure_lag(app, 60, during=lambda: not done)
        report("making a 100-thumbnail filmstrip", lags, f"; took {time.perf_counter() - t0:.2f} s")

        out = temp / "export.mp4"
        job = win.jobs.start_export(win.controller.timeline, str(out), "fast", False, project_id)
        t0 = time.perf_counter()

        def running() -> bool:
            state = win.jobs.board.get(job)
            return state is None or not state.finished

        lags = measure_lag(app, 120, during=running)
        report("exporting (fast H.264, child process)", lags, f"; took {time.perf_counter() - t0:.2f} s")

        from PySide6.QtCore import QTimer

        edits = [0]

        def edit() -> None:
            c = win.controller
            c.set_playhead(50 + edits[0] % 100)
            c.split() if edits[0] % 2 == 0 else c.undo()
            edits[0] += 1

        editor_timer = QTimer()
        editor_timer.setInterval(50)
        editor_timer.timeout.connect(edit)
        editor_timer.start()
        lags = measure_lag(app, args.seconds)
        editor_timer.stop()
        win.controller.session.saver.flush(10)
        report("saving 20 edits a second", lags, f"; {edits[0]} edits")
    finally:
        win.shutdown()
        store.close(stop_servers=False)
    playback_cases(temp, args.seconds)

    # Start-up with the servers running (they are: this process left them up), opening the last project.
    times = []
    for _ in range(3):
        run = subprocess.run([sys.executable, "-c", STARTUP, str(project_id)], cwd=ROOT, capture_output=True,
                             text=True)
        try:
            times.append(float(run.stdout.strip()))
        except ValueError:
            print(run.stderr[-500:])
    if times:
        print("start-up to a usable window with servers running, project open: "
              f"median {statistics.median(times):.0f} ms"
              f" of {[round(t) for t in times]} (target < 1500 ms)", flush=True)
    from editor.store.servers import EmbeddedServers

    EmbeddedServers(temp / "data" / "servers").stop()
    import shutil

    shutil.rmtree(temp, ignore_errors=True)
    editing_cases(args.seconds)


def playback_cases(temp: Path, seconds: float) -> None:
    """Issue 17's figures: playback in the window per file, while its jobs run and after; seeks and steps;
    the 30-minute waveform (see bench/ui_playback.py)."""
    from PySide6.QtWidgets import QApplication

    from bench.ui_playback import playback_table, waveform_case
    from editor.store.services import Store

    app = QApplication.instance() or QApplication(["cutline"])
    store = Store.open()
    try:
        playback_table(store, app, temp, max(seconds, 6.0))
        waveform_case(store, app, temp)
    finally:
        store.close(stop_servers=False)


def playback_main(temp: Path, seconds: float) -> None:
    """``--playback-only``: the playback figures, then the servers stopped and the folder removed."""
    import shutil

    from editor.store.servers import EmbeddedServers

    try:
        playback_cases(temp, seconds)
    finally:
        EmbeddedServers(temp / "data" / "servers").stop()
        shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    main()
