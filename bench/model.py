"""Benchmark of the timeline model on a 10,000-clip timeline: each edit and (de)serialization, p50/p99 in ms.

Run: ``.venv/bin/python bench/model.py [clips]``. Not a test. The reference line is a plain tuple copy of the
same size measured in the same run, so figures can be compared across machines as ratios.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from editor.model import edits, marks, playhead  # noqa: E402
from editor.model.errors import EditError  # noqa: E402
from editor.model.history import History  # noqa: E402
from editor.model.navigate import edit_points, timeline_from_media  # noqa: E402
from editor.model.registry import apply_edit  # noqa: E402
from editor.model.serialize import timeline_from_json, timeline_to_dict, timeline_to_json  # noqa: E402
from editor.model.timeline import MediaRef, Timeline  # noqa: E402


def build(n: int) -> Timeline:
    media = [
        MediaRef(f"fp{i}", f"/media/clip{i}.mov", 2_000 + i, Fraction(30000, 1001), True, True, 1920, 1080)
        for i in range(50)
    ]
    t = timeline_from_media(media[:1])
    v = t.tracks[0]
    a = t.tracks[1]
    # Build directly (fast) : n clips on V1 of 100 frames each, every one linked to an A1 clip.
    from editor.model.timeline import Clip, Track

    vi, ai = [], []
    next_id = 1
    for i in range(n):
        m = media[i % 50]
        vi.append(Clip(next_id, m, 100 + i % 500, 100, Fraction(1), m.path.rsplit("/", 1)[-1]))
        ai.append(Clip(next_id + 1, m, 100 + i % 500, 100, Fraction(1), m.path.rsplit("/", 1)[-1]))
        next_id += 2
    return Timeline(
        rate=t.rate,
        tracks=(Track(v.kind, v.name, tuple(vi)), Track(a.kind, a.name, tuple(ai))),
        media=tuple(media),
        next_id=next_id,
    )


def measure(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    repeat = 200
    t = build(n)
    mid_clip = t.tracks[0].items[n // 2]
    next_clip = t.tracks[0].items[n // 2 + 1]
    mid = t.tracks[0].starts()[n // 2]
    big = tuple(range(n))
    ops: list[tuple[str, Callable[[], object]]] = [
        ("reference: copy a tuple of n refs", lambda: big[:-1] + (1,)),
        ("split (track 0, middle)", lambda: edits.split(t, 0, mid + 50)),
        ("split_all", lambda: edits.split_all(t, mid + 50)),
        ("trim_in (plain, linked)", lambda: edits.trim_in(t, mid_clip.id, mid + 10)),
        ("trim_out (plain, linked)", lambda: edits.trim_out(t, mid_clip.id, mid + 90)),
        ("ripple_trim_in (Q)", lambda: playhead.trim_start_to_playhead(t, mid + 10)),
        ("ripple_trim_out (W)", lambda: playhead.trim_end_to_playhead(t, mid + 90)),
        ("ripple_delete (X)", lambda: playhead.ripple_delete_at_playhead(t, mid + 10)),
        ("lift (Delete)", lambda: playhead.lift_at_playhead(t, mid + 10)),
        ("move_clip (into a gap, linked)", lambda: edits.move_clip(lifted, next_clip.id, 0, mid + 50)),
        ("set_speed 1/2", lambda: edits.set_speed(t, mid_clip.id, Fraction(1, 2))),
        ("insert_clip (middle)", lambda: edits.insert_clip(t, 0, mid, t.media[0], 0, 50)),
        ("append_clip", lambda: edits.append_clip(t, 0, t.media[1], 0, 50)),
        ("add_marker", lambda: marks.add_marker(t, mid)),
        ("add_cue", lambda: marks.add_cue(t, mid, mid + 30, "hello")),
        ("apply_edit('split') via registry", lambda: apply_edit(t, "split", {"track": 0, "frame": mid + 50})),
        ("History.apply + undo", lambda: History(t).apply("split", {"track": 0, "frame": mid + 50}).undo()),
        ("edit_points", lambda: edit_points(t)),
    ]
    lifted = edits.lift(t, mid_clip.id)
    print(f"timeline: {n} clips on V1 + {n} linked on A1 ({2 * n} clips), {repeat} runs each")
    print(f"{'operation':<42} {'p50 ms':>8} {'p99 ms':>8} {'p50/ref':>8}")
    ref = [0.0]

    def row(name: str, p50: float, p99: float) -> None:
        if not ref[0]:
            ref[0] = p50
        print(f"{name:<42} {p50:8.3f} {p99:8.3f} {p50 / ref[0]:8.0f}x")

    for name, fn in ops:
        p50, p99 = measure(fn, repeat)
        row(name, p50, p99)

    # serialization: after an edit (new timeline, most items' JSON cached) and cold (no cache at all)
    # a user's session: each edit works on the previous result (no cached positions), then it is serialized
    chain = {"t": t}
    step = {"k": 0}

    def edit_and_save() -> None:
        step["k"] += 1
        cur = chain["t"]
        frame = (step["k"] * 7919) % (n * 100 - 200) + 50
        for f in (frame, frame + 1, frame + 2):  # the playhead may sit on a cut already
            try:
                cur = playhead.split_at_playhead(cur, f)
                break
            except EditError:
                continue
        chain["t"] = cur
        timeline_to_json(cur)

    p50, p99 = measure(edit_and_save, repeat)
    row("chained edit (S at playhead) + to-JSON", p50, p99)
    edited = edits.split(t, 0, mid + 50)
    timeline_to_json(t)
    p50, p99 = measure(lambda: timeline_to_json(edits.split(t, 0, mid + 50)), repeat)
    row("edit (split) + to-JSON", p50, p99)
    p50, p99 = measure(lambda: timeline_to_json(edited), repeat)
    row("to-JSON (warm cache)", p50, p99)
    text = timeline_to_json(edited)
    cold = []
    for _ in range(10):
        fresh = build(n)
        t0 = time.perf_counter()
        timeline_to_json(fresh)
        cold.append((time.perf_counter() - t0) * 1000)
    cold.sort()
    row("to-JSON cold (nothing cached yet)", statistics.median(cold), cold[-1])
    p50, p99 = measure(lambda: json.loads(text), 30)
    row("(json.loads of the same text alone)", p50, p99)
    p50, p99 = measure(lambda: timeline_from_json(text), 30)
    row("from-JSON (parse + validate)", p50, p99)
    p50, p99 = measure(lambda: timeline_to_dict(edited), 30)
    row("to-dict", p50, p99)
    print(f"JSON size: {len(text) / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
