"""Event channel across processes: publish -> receive latency, and how many events a second one channel
carries to 10 subscriber processes. Not a test.

    .venv/bin/python bench/sync.py [--subscribers 10] [--latency-events 300] [--burst 5000]

Subscribers are separate processes (``RedisEventBus.subscribe``, as a window's); the publisher is this
process (``RedisEventBus.publish``, as a job runner's, encoding the same job payload). Latency is the
subscriber's ``time.time()`` at delivery minus the publisher's at the call (same machine, same clock).
The reference, measured in the same run, is bare redis-py PUBLISH -> pubsub.get_message with no
encoding or decoding. Uses a private data folder (embedded servers started for the run and stopped
after) unless CUTLINE_DATABASE_URL / CUTLINE_REDIS_URL are set.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._common import pct, private_data_dir  # noqa: E402

SUBSCRIBER = r"""
import json, sys, threading, time
from editor.store.bus import RedisEventBus, CHANNEL, decode_event
from editor.store.redis_conn import RedisConnection
import redis

url, mode, expect_lat, expect_burst = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
lat, burst_times = [], []
done = threading.Event()

def on(recv_t, run, n, sent):
    if run == "lat":
        lat.append(recv_t - sent)
    elif run == "burst":
        burst_times.append(recv_t)
    if len(lat) >= expect_lat and len(burst_times) >= expect_burst:
        done.set()

if mode == "bus":
    bus = RedisEventBus(RedisConnection(url), "bench-sub")
    sub = bus.subscribe(lambda e: on(time.time(), e.get("run"), e.get("n"), e.get("sentAt")))
    print("ready", flush=True)
    done.wait(120)
    sub.close()
else:
    client = redis.Redis.from_url(url)
    ps = client.pubsub(ignore_subscribe_messages=True)
    ps.subscribe("bench:raw")
    print("ready", flush=True)
    deadline = time.monotonic() + 120
    while not done.is_set() and time.monotonic() < deadline:
        m = ps.get_message(timeout=0.5)
        if m and m["type"] == "message":
            t = time.time()
            run, n, sent = m["data"].split(b" ")
            on(t, run.decode(), int(n), float(sent))
summary = [burst_times[0], burst_times[-1], len(burst_times)] if burst_times else None
print(json.dumps({"lat": lat, "burst": summary}), flush=True)
"""



def run(mode: str, url: str, subscribers: int, n_lat: int, n_burst: int) -> dict:
    import redis

    from editor.store.bus import RedisEventBus
    from editor.store.redis_conn import RedisConnection

    procs = [subprocess.Popen([sys.executable, "-c", SUBSCRIBER, url, mode, str(n_lat), str(n_burst)],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True) for _ in range(subscribers)]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    time.sleep(0.3)
    bus = RedisEventBus(RedisConnection(url), "bench-pub")
    raw = redis.Redis.from_url(url)
    job = {"operationId": "5d7c1f7e-0000-4000-8000-000000000000", "operation": "export", "progress": 0.0,
           "message": "frame 1 of 500", "status": "running", "title": "Export film.mp4", "owner": "bench-pub"}

    def send(kind: str, n: int) -> None:
        if mode == "bus":
            bus.publish("progress", **job, run=kind, n=n, sentAt=time.time())
        else:
            raw.publish("bench:raw", f"{kind} {n} {time.time()}")

    for n in range(n_lat):  # paced, like progress updates (but faster than the 10/s a job sends)
        send("lat", n)
        time.sleep(0.004)
    t0 = time.time()
    for n in range(n_burst):
        send("burst", n)
    published = time.time() - t0
    results = []
    for p in procs:
        out, _ = p.communicate(timeout=180)
        results.append(json.loads(out.strip().splitlines()[-1]))
    lat = [x * 1000 for r in results for x in r["lat"]]
    ends = [r["burst"][1] for r in results if r["burst"]]
    got = sum(r["burst"][2] for r in results if r["burst"])
    span = max(ends) - t0 if ends else float("nan")
    return {"lat": lat, "rate": n_burst / span, "delivered": got / (n_burst * subscribers),
            "publish_rate": n_burst / published}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=10)
    parser.add_argument("--latency-events", type=int, default=300)
    parser.add_argument("--burst", type=int, default=5000)
    args = parser.parse_args()
    tmp = None
    if not os.environ.get("CUTLINE_REDIS_URL"):
        tmp = str(private_data_dir("cutline-bench-sync-"))
    from editor.store.servers import EmbeddedServers

    servers = None
    url = os.environ.get("CUTLINE_REDIS_URL")
    if not url:
        servers = EmbeddedServers(Path(tmp) / "servers")
        url = servers.ensure(postgres=False).redis_url
    try:
        print(f"{args.subscribers} subscriber processes, 1 publisher process, one channel "
              f"({'embedded Valkey' if servers else 'CUTLINE_REDIS_URL'})", flush=True)
        ref = run("raw", url, args.subscribers, args.latency_events, args.burst)
        bus = run("bus", url, args.subscribers, args.latency_events, args.burst)
        for name, r in (("bare redis-py (reference)", ref), ("RedisEventBus (Cutline events)", bus)):
            print(f"{name:<32} latency p50 {pct(r['lat'], .5):6.2f} ms  p99 {pct(r['lat'], .99):6.2f} ms  "
                  f"max {max(r['lat']):6.2f} ms  (n={len(r['lat'])})", flush=True)
            print(f"{'':<32} burst: {r['rate']:8.0f} events/s delivered to all {args.subscribers} "
                  f"({r['rate'] * args.subscribers:8.0f} deliveries/s; publish {r['publish_rate']:7.0f}/s; "
                  f"{100 * r['delivered']:.1f} % delivered)", flush=True)
        p99 = pct(bus["lat"], .99)
        print(f"event p99 vs design target 100 ms: ratio {p99 / 100:.3f}; vs aim 10 ms: {p99 / 10:.2f}; "
              f"vs bare redis-py p99: {p99 / pct(ref['lat'], .99):.2f}x; throughput vs bare: "
              f"{bus['rate'] / ref['rate']:.2f}x", flush=True)
        print(f"a job sends at most 10 progress events a second: one channel carries "
              f"~{bus['rate'] / 10:.0f} such jobs to {args.subscribers} windows", flush=True)
    finally:
        if servers is not None:
            servers.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
