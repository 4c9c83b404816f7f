"""`cutline worker`: a queue worker on any machine that reaches the servers.

It runs exports, proxies, filmstrips and waveforms from the shared queue (:mod:`editor.jobs.queue`). It listens to
``media``, ``export.copy``, ``export.audio`` and ``export.{encoder}`` for each encoder this PyAV build has, so it
never fetches a job it cannot encode. SIGTERM or Ctrl+C: the running jobs get 2 s, then are handed back to the
queue (another worker takes them) and the process exits, well within 10 s. Main thread of the process.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from editor.cli import CliError


def register(sub: Any) -> None:
    worker = sub.add_parser("worker", help="render jobs from the shared queue on this machine")
    worker.add_argument("--name", default="", help="this worker's name (default: HOST-PID)")
    worker.add_argument("--concurrency", type=int, default=1, help="jobs at once (default 1)")
    worker.add_argument("--queues", nargs="*", default=None,
                        help="listen only to these queues (media, export.copy, export.audio, export.libx264, ...)")
    worker.add_argument("--without-encoder", action="append", default=[], metavar="ENCODER",
                        help="act as if this encoder were missing (keeps this machine off that codec)")
    worker.add_argument("--heartbeat", type=float, default=5.0, help="seconds between heartbeats (default 5)")
    worker.add_argument("--stalled-after", type=float, default=20.0,
                        help="a worker silent this long is dead: its jobs go to others (default 20 s)")
    worker.add_argument("--graceful", type=float, default=2.0,
                        help="on SIGTERM, seconds a running job may take to finish before it is handed back (2)")
    worker.set_defaults(func=cmd_worker)


def cmd_worker(args: argparse.Namespace) -> int:
    import os
    import uuid

    from editor.cli.context import open_store
    from editor.jobs import queue
    from editor.jobs.runner import JobRunner
    from editor.store.bus import open_bus
    from editor.store.config import load_settings
    from editor.store.presence import Presence, this_host

    if not 1 <= args.concurrency <= 64:
        raise CliError("--concurrency must be from 1 to 64")
    if not 0 <= args.graceful <= 8:
        raise CliError("--graceful must be from 0 to 8 seconds (the worker exits within 10 s)")
    if not 0.2 <= args.heartbeat <= 600 or not args.heartbeat < args.stalled_after <= 3600:
        raise CliError("--heartbeat must be 0.2-600 s and --stalled-after longer than it (at most 3600 s)")
    name = args.name or f"{this_host()}-{os.getpid()}"
    if not name.replace("-", "").replace("_", "").replace(".", "").isalnum() or len(name) > 100:
        raise CliError(f"worker name {name!r}: use letters, digits, '-', '_' and '.' (at most 100)")
    encoders = queue.available_encoders(args.without_encoder)
    queues = queue.worker_queues(encoders)
    if args.queues is not None:
        unknown = [q for q in args.queues if not (q in queues or q.startswith("local."))]
        if unknown:
            raise CliError(f"this worker cannot serve {', '.join(unknown)} (it can: {', '.join(queues)})")
        queues = list(args.queues)
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    store = open_store()
    instance = f"worker-{uuid.uuid4().hex[:8]}"
    bus = open_bus(store.redis, store.endpoints.database_url, instance)
    presence = Presence(store.redis, instance, kind="worker", bus=bus).start()
    runner = JobRunner(store, bus, instance, worker_name=name, path_map=load_settings().path_map)
    worker = queue.QueueWorker(store.endpoints.database_url, runner, name=name, queues=queues,
                               concurrency=args.concurrency, heartbeat=args.heartbeat,
                               stalled_after=args.stalled_after, encoders=encoders, redis=store.redis,
                               host=this_host(), graceful=args.graceful)
    print(f"worker {name}: listening to {', '.join(queues)} (Ctrl+C stops)", file=sys.stderr, flush=True)
    try:
        worker.run()
    except KeyboardInterrupt:
        pass
    finally:
        runner.close(cancel=True, timeout=5)
        presence.stop()
    print(f"worker {name}: stopped", file=sys.stderr, flush=True)
    return 0
