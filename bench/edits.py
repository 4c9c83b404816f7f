"""How many edits a writer saves, and how fast: edits/s with p50/p99 save latency on a big timeline, and the
throughput of concurrent `cutline edit` writers on one project.

    .venv/bin/python bench/edits.py [--clips 10000] [--rate 100] [--seconds 10] [--writers 3]

Save latency is from the edit (``EditingSession.apply``) to the saver's ``saved`` event covering it (the edit
and its history row committed in PostgreSQL). Runs in a private data folder (its own embedded servers, stopped
at the end). Targets: >= 100 edits/s with p99 < 50 ms on a 10,000-clip timeline. Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._common import pct, private_data_dir  # noqa: E402


def big_timeline(clips: int):  # type: ignore[no-untyped-def]
    """One video and one audio track of ``clips`` clips in all (each cut makes two: picture and sound)."""
    from editor.model.edits import split
    from editor.model.navigate import timeline_from_media
    from editor.model.timeline import MediaRef

    per_track = clips // 2
    media = MediaRef("b" * 32, "/videos/bench.mp4", duration=per_track * 20, rate=Fraction(25), width=1920,
                     height=1080)
    timeline = timeline_from_media([media])
    for n in range(1, per_track):
        timeline = split(timeline, 0, n * 20)
    return timeline


class Latencies:
    """Submit times by sequence number; a ``saved`` event settles every edit up to its ``seq``."""

    def __init__(self) -> None:
        self.sent: dict[int, float] = {}
        self.done: list[float] = []
        self.lock = threading.Lock()

    def on_save(self, event) -> None:  # type: ignore[no-untyped-def]
        if event.kind != "saved" or not event.seq:
            return
        now = time.perf_counter()
        with self.lock:
            for seq in [s for s in self.sent if s <= event.seq]:
                self.done.append(now - self.sent.pop(seq))


def one_writer(store, clips: int, rate: float, seconds: float) -> None:  # type: ignore[no-untyped-def]
    from editor.model.serialize import SCHEMA_VERSION, timeline_to_json
    from editor.store.autosave import summary_of
    from editor.store.bus import open_bus
    from editor.store.config import data_dir
    from editor.store.editing import EditingSession

    t0 = time.perf_counter()
    timeline = big_timeline(clips)
    state = timeline_to_json(timeline)
    project = store.projects.create("bench edits", state, SCHEMA_VERSION, summary=summary_of(timeline))
    print(f"{clips} clips: {len(state) / 1e6:.1f} MB of JSON, made in {time.perf_counter() - t0:.1f} s", flush=True)
    bus = open_bus(store.redis, store.endpoints.database_url, "bench-edits")
    from editor.store.projects import EditRow

    bare, rev = [], project.revision  # the floor: one transaction writing this state, measured now
    for _ in range(30):
        t = time.perf_counter()
        rev = store.projects.save_edits(project.id, rev, [EditRow(None, "bench", {})], state, SCHEMA_VERSION,
                                        checkpoint=False)
        bare.append((time.perf_counter() - t) * 1000)
    print(f"reference: one bare save of that state p50 {pct(bare, .5):.1f} ms p99 {pct(bare, .99):.1f} ms"
          " (PostgreSQL parsing the JSONB is most of it)", flush=True)
    for offset, (label, target) in enumerate((("paced", rate), ("as fast as possible", 0.0))):
        lat = Latencies()
        session = EditingSession(store.projects, data_dir() / "journal", store.projects.get(project.id),
                                 on_save=lat.on_save, bus=bus)
        n, start = 0, time.perf_counter()
        apply_ms: list[float] = []
        while time.perf_counter() - start < seconds:
            if target:
                wait = start + n / target - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
            t = time.perf_counter()
            if n % 2:
                session.apply("add_marker", {"frame": (n * 7) % (clips * 10), "label": f"m{n}"})
            else:
                session.apply("split", {"track": 0, "frame": (n * 20 + 7 + 3 * offset) % (clips * 10)})
            with lat.lock:
                lat.sent[session.saver.last_seq] = t
            apply_ms.append((time.perf_counter() - t) * 1000)
            n += 1
        submitted = time.perf_counter() - start
        assert session.saver.flush(120), "not all saved"
        took = time.perf_counter() - start
        session.close()
        ms = [d * 1000 for d in lat.done]
        print(f"one writer, {label:<20} {n} edits in {took:5.1f} s: {n / took:6.1f} edits/s saved"
              f" (submitted at {n / submitted:6.1f}/s); save latency p50 {pct(ms, .5):6.1f} ms"
              f" p99 {pct(ms, .99):6.1f} ms (target p99 < 50 ms; ratio {pct(ms, .99) / 50:.2f});"
              f" apply on the owner thread p99 {pct(apply_ms, .99):.2f} ms", flush=True)
        project = store.projects.get(project.id)


def concurrent_writers(store, writers: int, edits: int) -> None:  # type: ignore[no-untyped-def]
    from editor.model.navigate import timeline_from_media
    from editor.model.serialize import SCHEMA_VERSION, timeline_to_json
    from editor.model.timeline import MediaRef

    media = MediaRef("c" * 32, "/videos/c.mp4", duration=5000, rate=Fraction(25), width=320, height=240)
    project = store.projects.create("bench writers", timeline_to_json(timeline_from_media([media])), SCHEMA_VERSION)
    lines = ["".join(json.dumps({"edit": "add_marker", "params": {"frame": i % 5000, "label": f"w{w}-{i}"}}) + "\n"
                     for i in range(edits)) for w in range(writers)]
    for count in (1, writers):
        procs = [subprocess.Popen([sys.executable, "-m", "editor", "edit", str(project.id)], cwd=ROOT,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(count)]
        time.sleep(1.5)  # started and opened (the time measured is the edits', not Python's start-up)
        before = store.projects.revision(project.id)
        start = time.perf_counter()
        outs: list[tuple[str, str]] = []

        def run(proc: subprocess.Popen[str], text: str, into: list[tuple[str, str]] = outs) -> None:
            into.append(proc.communicate(text, timeout=300))

        threads = [threading.Thread(target=run, args=pt) for pt in zip(procs, lines, strict=False)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        took = time.perf_counter() - start
        assert all(p.returncode == 0 for p in procs), [o[1] for o in outs]
        saved = store.projects.revision(project.id) - before
        print(f"{count} concurrent `cutline edit` writer(s): {saved} edits saved in {took:.1f} s ="
              f" {saved / took:6.1f} edits/s in all (start-up excluded)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clips", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--writers", type=int, default=3)
    parser.add_argument("--edits", type=int, default=500, help="edits per concurrent writer")
    args = parser.parse_args()
    private = not os.environ.get("CUTLINE_DATABASE_URL")
    if private:
        private_data_dir("cutline-bench-edits-")
    from editor.store.services import Store

    store = Store.open()
    try:
        one_writer(store, args.clips, args.rate, args.seconds)
        concurrent_writers(store, args.writers, args.edits)
    finally:
        store.close(stop_servers=private)


if __name__ == "__main__":
    main()
