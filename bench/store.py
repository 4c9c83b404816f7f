"""Store latencies on the real servers: p50/p99 in ms, against the design notes' targets.

    .venv/bin/python bench/store.py [--projects 10000]

Uses a private data folder (embedded servers started for the run and stopped after) unless
CUTLINE_DATABASE_URL / CUTLINE_REDIS_URL are set. Prints one line per measurement. Not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._common import pct, private_data_dir  # noqa: E402


def report(name: str, samples: list[float], target_p99: float | None = None) -> None:
    ms = [s * 1000 for s in samples]
    line = (f"{name:<44} n={len(ms):<5} p50 {pct(ms, .5):7.2f} ms  p99 {pct(ms, .99):7.2f} ms"
            f"  mean {statistics.mean(ms):7.2f}")
    if target_p99 is not None:
        line += f"  (target p99 < {target_p99:g} ms; ratio {pct(ms, .99) / target_p99:.2f})"
    print(line, flush=True)


def timeline_state(kib: int) -> dict:
    clips = []
    n = kib * 1024 // 175
    for i in range(n):
        clips.append({"OTIO_SCHEMA": "Clip.1", "media": f"{i:032x}", "path": f"/videos/take{i}.mp4",
                      "source_in": i * 10, "source_out": i * 10 + 250, "speed": "1", "name": f"take {i}"})
    return {"OTIO_SCHEMA": "Timeline.1", "rate": "25", "tracks": [{"kind": "video", "items": clips}]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()

    temp = None
    if not os.environ.get("CUTLINE_DATABASE_URL"):
        temp = str(private_data_dir("cutline-bench-"))
    from editor.store.services import Store

    t0 = time.perf_counter()
    store = Store.open()
    print(f"servers ready in {(time.perf_counter() - t0) * 1000:.0f} ms "
          f"({'embedded' if store.endpoints.embedded_database else 'external'} PostgreSQL, "
          f"{'embedded' if store.endpoints.embedded_redis else 'external' if store.redis.configured else 'no'} Redis)")
    try:
        have = store.projects.count()
        if have < args.projects:
            t0 = time.perf_counter()
            with store.db.connection() as conn:
                conn.execute(
                    "INSERT INTO projects (name, timeline_state, schema_version, updated_at)"
                    " SELECT 'bench ' || g, '{}'::jsonb, 1, now() - make_interval(secs => g)"
                    " FROM generate_series(1, %s) g",
                    (args.projects - have,),
                )
            print(f"seeded {args.projects - have} projects in {time.perf_counter() - t0:.1f} s")

        state = timeline_state(100)
        import json

        print(f"timeline state: {len(json.dumps(state)) / 1024:.0f} KiB JSON")
        project = store.projects.create("bench save", state, 1)
        rev = project.revision
        samples = []
        for i in range(args.rounds // 3):
            state["tracks"][0]["items"][i % 10]["source_in"] += 1
            t0 = time.perf_counter()
            rev = store.projects.save(project.id, rev, state, 1, "trim", {"clip": i % 10, "delta": 1})
            samples.append(time.perf_counter() - t0)
        report("save 100 KiB timeline + history row", samples, 100 / 10)

        samples = []
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            page = store.projects.list(limit=50)
            samples.append(time.perf_counter() - t0)
        assert len(page) == 50
        report(f"list 50 of {store.projects.count()} projects (first page)", samples, 50 / 10)

        from editor.store.projects import cursor_of

        samples = []
        cursor = cursor_of(page[-1])
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            next_page = store.projects.list(limit=50, after=cursor)
            samples.append(time.perf_counter() - t0)
            cursor = cursor_of(next_page[-1]) if len(next_page) == 50 else cursor_of(page[-1])
        report("list 50 projects (keyset, deeper pages)", samples, 50 / 10)

        samples = []
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            store.projects.get(project.id)
            samples.append(time.perf_counter() - t0)
        report("get one project with its 100 KiB state", samples, 50 / 10)

        thumb = os.urandom(12_000)
        samples_set, samples_get = [], []
        for i in range(args.rounds * 3):
            key = f"thumb:bench:{i}:160x90"
            t0 = time.perf_counter()
            store.cache.set(key, thumb, 600)
            samples_set.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            assert store.cache.get(key) == thumb
            samples_get.append(time.perf_counter() - t0)
        report("thumbnail cache set (12 KB JPEG)", samples_set, 5 / 10)
        report("thumbnail cache get (12 KB JPEG)", samples_get, 5 / 10)
        if hasattr(store.cache, "invalidate"):
            store.cache.invalidate("thumb:bench:*")
    finally:
        store.close(stop_servers=temp is not None)
        if temp:
            import shutil

            shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    main()
