"""Rendering on workers: the same export in one process, through the queue on one worker, chunked on one worker
and chunked on two workers, all on this machine. Not a test.

    .venv/bin/python bench/farm.py [--frames 250] [--size 1280x720] [--chunks 4] [--preset fast]

The reference, measured in the same run, is ``editor.media.render.render`` called in this process (no queue, no
child process). "queue, 1 part" is ``cutline render --farm`` on one ``cutline worker``; "chunked" splits the
export into ``--chunks`` picture parts + one sound part and joins them by stream copy. Uses a private data folder
(embedded servers started for the run and stopped after).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._common import private_data_dir  # noqa: E402


def start_worker(name: str, concurrency: int = 1) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-m", "editor", "worker", "--name", name, "--concurrency",
                             str(concurrency)], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    line = proc.stderr.readline()
    assert "listening" in line, line
    return proc


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=250)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--chunks", type=int, default=4)
    parser.add_argument("--preset", default="fast", choices=["fast", "high"])
    args = parser.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    data = private_data_dir("cutline-bench-farm-")
    os.environ["CUTLINE_CONFIG_DIR"] = str(data / "config")
    os.environ["CUTLINE_CACHE_DIR"] = str(data / "cache")

    import uuid

    from editor.jobs.export import render_spec_for
    from editor.jobs.importing import import_files
    from editor.jobs.runner import JobRunner
    from editor.media.render import render
    from editor.media.synth import make_clip
    from editor.model.navigate import timeline_from_media
    from editor.store.bus import open_bus
    from editor.store.services import Store

    store = Store.open()
    media = Path(tempfile.mkdtemp(prefix="cutline-bench-farm-media-"))
    src = media / "source.mp4"
    make_clip(src, frames=args.frames, fps=Fraction(25), size=(w, h), texture=True, grain=8)
    refs = import_files([src], store.cache, store.media).refs
    timeline = timeline_from_media(refs, name="bench")
    spec = render_spec_for(timeline, preset=args.preset)
    bus = open_bus(store.redis, store.endpoints.database_url, "bench")
    runner = JobRunner(store, bus, f"bench-{uuid.uuid4().hex[:6]}")
    seconds = args.frames / 25
    print(f"{args.frames} frames ({seconds:.0f} s) of {w}x{h}, preset {args.preset}, {os.cpu_count()} cores",
          flush=True)

    def farm(out: Path, chunks: int) -> float:
        t0 = time.perf_counter()
        job_id = runner.start_export(spec, out, args.preset, farm=True, chunks=chunks)
        if chunks > 1:
            state = runner.wait(job_id, timeout=3600)
        else:
            from editor.jobs.state import read_redis

            while (state := read_redis(store.redis, job_id)) is None or not state.finished:
                time.sleep(0.05)
        assert state is not None and state.status == "complete", state
        return time.perf_counter() - t0

    workers: list[subprocess.Popen[str]] = []
    try:
        t0 = time.perf_counter()
        render(spec, media / "ref.mp4")
        ref = time.perf_counter() - t0
        workers.append(start_worker("bench-1"))
        one_part = farm(media / "one.mp4", 1)
        chunked_1 = farm(media / "chunked1.mp4", args.chunks)
        workers.append(start_worker("bench-2"))
        chunked_2 = farm(media / "chunked2.mp4", args.chunks)
        rows = [("in process (reference)", ref), ("queue, 1 part, 1 worker", one_part),
                (f"chunked {args.chunks} parts, 1 worker", chunked_1),
                (f"chunked {args.chunks} parts, 2 workers", chunked_2)]
        for name, t in rows:
            print(f"{name:<30} {t:7.2f} s  {args.frames / t:6.1f} fps  {t / ref:5.2f}x of the reference", flush=True)
        print(f"queue overhead (1 part vs in process): {one_part - ref:+.2f} s ({one_part / ref:.2f}x)")
        print(f"chunking overhead (chunked vs 1 part, same worker): {chunked_1 / one_part:.2f}x")
        print(f"2 workers vs 1 (chunked, same machine): {chunked_1 / chunked_2:.2f}x faster")
    finally:
        for p in workers:
            p.terminate()
            p.wait(timeout=15)
        runner.close()
        store.close(stop_servers=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
