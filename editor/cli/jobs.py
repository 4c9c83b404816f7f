"""`cutline render|jobs|events|cancel`: export jobs from a terminal, and the live event channel.

``cutline render PROJECT OUT`` runs an export job in this process (the render itself in a child
process): every open window shows its progress, and this process keeps its own presence heartbeat.
Progress goes to stderr as a bar on a terminal, as plain lines otherwise. Exit 0 on success, 1 with a
one-line error, 130 on Ctrl+C (the job is cancelled and no partial output is left).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import signal
import sys
import threading
import time
import uuid
from typing import Any

from editor.cli import CliError
from editor.cli.progress import ProgressBar
from editor.store.validate import escape_control as _s
from editor.store.validate import escape_json_text


def register(sub: Any) -> None:
    render = sub.add_parser("render", help="export a project to a video file, as a job every window sees")
    render.add_argument("project", help="project id or exact name")
    render.add_argument("out", help="output file; its extension chooses the container (mp4 mov mkv webm ts m4a wav)")
    render.add_argument("--preset", default="high", choices=["high", "fast", "copy", "smart"],
                        help="high: H.264 CRF 18; fast: veryfast CRF 23; copy: stream copy; smart: smart cut")
    render.add_argument("--range", dest="range_", metavar="RANGE",
                        help="in-out (the timeline's in/out points) or START-END,"
                        " e.g. 00:00:01.000-00:00:03.000")
    render.add_argument("--json", action="store_true", help="print the final job state as JSON")
    render.add_argument("--overwrite", action="store_true", help="replace an existing output")
    render.add_argument("--burn-subtitles", action="store_true", help="draw the subtitle cues into the picture")
    render.add_argument("--chapters", action="store_true",
                        help="write the markers as chapters (MP4, MOV, MKV, WebM)")
    render.add_argument("--video-codec", default="", help="h264, hevc, av1, vp9, prores (what the container takes)")
    render.add_argument("--audio-codec", default="", help="aac, opus, pcm, pcm24, mp3, flac")
    render.add_argument("--crf", type=int, default=None, help="quality (lower is better)")
    render.add_argument("--bitrate", default="", help="video bitrate instead of CRF, e.g. 8M")
    render.add_argument("--size", default="", help="WxH (default: the largest clip's)")
    render.add_argument("--fps", default="", help="frame rate (default: the timeline's)")
    render.add_argument("--farm", action="store_true",
                        help="queue the export for `cutline worker`s (any machine) instead of rendering here")
    render.add_argument("--chunks", type=int, default=1,
                        help="with --farm: split the export into this many parts rendered at once, then joined")
    render.set_defaults(func=cmd_render)

    jobs = sub.add_parser("jobs", help="recent jobs of every window and process")
    jobs.add_argument("--limit", type=int, default=20)
    jobs.add_argument("--json", action="store_true")
    jobs.set_defaults(func=cmd_jobs)

    events = sub.add_parser("events", help="print the event channel live, one message a line")
    events.add_argument("--json", action="store_true", help="one JSON object a line")
    events.add_argument("--count", type=int, default=0, help="stop after this many events")
    events.add_argument("--timeout", type=float, default=0.0, help="stop after this many seconds")
    events.set_defaults(func=cmd_events)

    cancel = sub.add_parser("cancel", help="cancel a running job, whichever window or process runs it")
    cancel.add_argument("job", help="job id")
    cancel.set_defaults(func=cmd_cancel)


# ---- render -----------------------------------------------------------------------------------------

def cmd_render(args: argparse.Namespace) -> int:
    from pathlib import Path

    from editor.cli.context import open_store
    from editor.jobs.export import parse_range
    from editor.jobs.runner import JobRunner
    from editor.store.autosave import load_timeline
    from editor.store.bus import open_bus
    from editor.store.presence import Presence

    store = open_store()
    project = store.projects.find(args.project)
    timeline = load_timeline(project)
    try:
        in_out = parse_range(args.range_, timeline) if args.range_ else False
    except ValueError as exc:
        raise CliError(str(exc)) from None
    out = Path(args.out).expanduser().absolute()
    if not out.parent.is_dir():
        raise CliError(f"{out}: the folder {out.parent} does not exist")
    if out.exists() and not args.overwrite:
        raise CliError(f"{out}: already exists (use --overwrite to replace it)")
    if not 1 <= args.chunks <= 256 or (args.chunks > 1 and not args.farm):
        raise CliError("--chunks must be from 1 to 256, and needs --farm")
    spec = _render_spec(args, timeline, in_out, out)
    instance = f"render-{uuid.uuid4().hex[:8]}"
    bus = open_bus(store.redis, store.endpoints.database_url, instance)
    presence = Presence(store.redis, instance, project_id=project.id, project_name=project.name,
                        kind="render", bus=bus).start()
    runner = JobRunner(store, bus, instance)
    bar = ProgressBar()
    runner.add_listener(lambda s: bar.update(s.progress, s.message) if not s.finished else None)
    # SIGTERM (e.g. from a script's timeout) cancels like Ctrl+C does.
    previous = signal.signal(signal.SIGTERM, lambda *_: _raise_interrupt())
    job_id = ""
    try:
        job_id = _enqueue_saved_revision(store, runner, project, spec, out, args, in_out)
        where = " on the workers" if args.farm else ""
        print(f"job {job_id}: exporting project {project.id} {project.name!r} to {out}{where}", file=sys.stderr)
        try:
            state = _wait_farm(store, bar, job_id) if args.farm and args.chunks <= 1 else _wait(runner, job_id)
        except KeyboardInterrupt:
            runner.cancel(job_id)
            state = runner.wait(job_id, timeout=15)
            bar.end()
            print("cutline: cancelled; no output was written", file=sys.stderr)
            return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
        runner.close(cancel=True, timeout=15)
        presence.stop()
    bar.end()
    assert state is not None
    if args.json:
        print(json.dumps(state.to_json(), ensure_ascii=False))
    if state.status == "complete":
        print(f"wrote {out}", file=sys.stderr)
        return 0
    raise CliError(state.message or f"the export ended as {state.status}")


def _render_spec(args: argparse.Namespace, timeline: Any, in_out: Any, out: Any) -> Any:
    """The spec of the export with the output choices; for a copy, the real range of every segment (a
    keyframe cut) is printed on stderr before anything is written."""
    from fractions import Fraction

    from editor.cli.cut import parse_bitrate
    from editor.cli.media import parse_size
    from editor.jobs.export import render_spec_for
    from editor.media.render import copy_plan
    from editor.media.render_output import choose_codecs

    size = parse_size(args.size) if args.size else None
    try:
        fps = Fraction(args.fps) if args.fps else None
    except (ValueError, ZeroDivisionError):
        raise CliError(f"'{args.fps}' is not a frame rate: use e.g. 25 or 30000/1001") from None
    spec = render_spec_for(timeline, preset=args.preset, in_out=in_out, width=size[0] if size else None,
                           height=size[1] if size else None, fps=fps, video_codec=args.video_codec,
                           audio_codec=args.audio_codec, crf=args.crf,
                           video_bitrate=parse_bitrate(args.bitrate) if args.bitrate else 0,
                           burn_subtitles=bool(getattr(args, "burn_subtitles", False)),
                           chapters=bool(getattr(args, "chapters", False)))
    choose_codecs(out, spec.video_codec, spec.audio_codec, spec.has_video)
    if spec.mode == "copy":
        for s in copy_plan(spec):
            print(f"segment {s.index + 1}: keyframe cut, copies {float(s.actual_in):.3f}-{float(s.actual_out):.3f} s"
                  f" of {s.path} (asked {float(s.requested_in):.3f}-{float(s.requested_out):.3f} s)", file=sys.stderr)
    return spec


def _enqueue_saved_revision(store: Any, runner: Any, project: Any, spec: Any, out: Any, args: argparse.Namespace,
                            in_out: Any) -> str:
    """Enqueue the export in one transaction with a share lock on the project's revision, so the job renders
    the saved revision it names (``params.revision``); a project saved meanwhile is refused in one line."""
    from editor.store.jobs_repo import hold_project_revision

    title = f"Export {out.name} ({project.name})"
    if args.chunks > 1:  # the coordinator enqueues its parts as it starts
        return runner.start_export(spec, out, args.preset, in_out, project.id, title=title, farm=True,
                                   chunks=args.chunks)
    with store.db.connection() as conn, conn.transaction():
        revision = hold_project_revision(conn, project.id)
        if revision != project.revision:
            raise CliError(f"project {project.name!r} was saved again (revision {revision}) while the export "
                           "started; run it again")
        return runner.start_export(spec, out, args.preset, in_out, project.id, title=title, farm=args.farm,
                                   conn=conn)


def _wait_farm(store: Any, bar: ProgressBar, job_id: str) -> Any:
    """Follow a job another process runs, from its Redis keys (never polling PostgreSQL while it runs)."""
    from editor.jobs.state import read_redis

    while True:
        state = read_redis(store.redis, job_id)
        if state is not None:
            if state.finished:
                return state
            bar.update(state.progress, state.message)
        time.sleep(0.2)


def _raise_interrupt() -> None:
    raise KeyboardInterrupt


def _wait(runner: Any, job_id: str) -> Any:
    while True:  # short waits, so Ctrl+C is seen at once
        state = runner.wait(job_id, timeout=0.2)
        if state is not None:
            return state


# ---- jobs ---------------------------------------------------------------------------------------------

def _when(ts: float | None) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S") if ts else "-"


def cmd_jobs(args: argparse.Namespace) -> int:
    from editor.cli.context import open_store
    from editor.jobs.reaper import reap_orphaned_jobs
    from editor.jobs.state import JobState, order_for_panel, read_redis
    from editor.store.bus import open_bus
    from editor.store.jobs_repo import JobRepository

    store = open_store()
    bus = open_bus(store.redis, store.endpoints.database_url, f"cli-{uuid.uuid4().hex[:8]}")
    reap_orphaned_jobs(store, bus)
    states: list[JobState] = []
    for row in JobRepository(store.db).recent(args.limit):
        state = JobState.from_row(row)
        live = read_redis(store.redis, row.id) if row.status == "running" else None
        states.append(live if live is not None else state)
    states = order_for_panel(states)
    if args.json:
        sys.stdout.write(escape_json_text(json.dumps([s.to_json() for s in states], ensure_ascii=False, indent=2))
                         + "\n")
        return 0
    if not states:
        print("no jobs yet")
        return 0
    print(f"{'ID':<36}  {'KIND':<10}  {'STATUS':<9}  {'PROGRESS':>8}  {'STARTED':<19}  TITLE / MESSAGE")
    for s in states:
        detail = s.title + (f" — {s.message}" if s.message and s.status != "complete" else "")
        print(f"{_s(s.id):<36}  {_s(s.operation):<10}  {s.status:<9}  {s.progress:7.1f}%  "
              f"{_when(s.started_at):<19}  {_s(detail)}")
    return 0


# ---- events -------------------------------------------------------------------------------------------

def _event_line(event: Any) -> str:
    """One line for an event, every value from the channel escaped (a planted message cannot drive the
    terminal) and bounded (a time or a progress that is not a number is shown as such, not a traceback)."""
    sent = event.sent_at if isinstance(event.sent_at, (int, float)) and 0 < event.sent_at < 1e11 else time.time()
    at = dt.datetime.fromtimestamp(sent).strftime("%H:%M:%S.%f")[:-3]
    data = event.data
    if "operationId" in data and event.type != "heartbeat":
        progress = data.get("progress", 0)
        shown = f"{progress:5.1f}%" if isinstance(progress, (int, float)) and abs(progress) < 1e6 else "    ?%"
        extra = f" {_s(data.get('operation', ''))[:40]} {shown} {_s(data.get('message', ''))[:500]}"
        return f"{at} {event.type:<12} {_s(data['operationId'])[:64]}{extra}"
    return f"{at} {event.type:<12} " + " ".join(f"{_s(k)[:40]}={_s(v)[:200]}" for k, v in data.items())


def cmd_events(args: argparse.Namespace) -> int:
    import queue

    from editor.cli.context import open_store
    from editor.store.bus import open_bus

    if not 0 <= args.timeout <= 10**7 or not 0 <= args.count <= 10**9:
        raise CliError("--timeout and --count must be positive numbers (seconds, events)")
    deadline = time.monotonic() + args.timeout if args.timeout > 0 else None
    store = open_store()
    bus = open_bus(store.redis, store.endpoints.database_url, f"cli-{uuid.uuid4().hex[:8]}")
    got: queue.Queue[Any] = queue.Queue()
    carrier = "Redis pub/sub" if store.redis.configured else "PostgreSQL LISTEN/NOTIFY"
    # Subscribing waits for the server (up to a few seconds when it is down): in the background, so
    # --timeout is kept; the listener reconnects by itself when the server comes back.
    subscriptions: list[Any] = []
    threading.Thread(target=lambda: subscriptions.append(bus.subscribe(got.put)), name="cutline-events-subscribe",
                     daemon=True).start()
    print(f"listening on the event channel ({carrier}); Ctrl+C stops", file=sys.stderr, flush=True)
    seen = 0
    try:
        while args.count <= 0 or seen < args.count:
            wait = 0.5 if deadline is None else min(0.5, deadline - time.monotonic())
            if wait <= 0:
                break
            try:
                event = got.get(timeout=wait)
            except queue.Empty:
                continue
            seen += 1
            if args.json:
                record = {"type": event.type, "source": event.source, "t": event.sent_at, **event.data}
                line = escape_json_text(json.dumps(record, ensure_ascii=False))
            else:
                line = _event_line(event)
            sys.stdout.write(line + "\n")
            sys.stdout.flush()
    finally:
        for subscription in subscriptions:
            subscription.close()
    return 0


# ---- cancel -------------------------------------------------------------------------------------------

def cmd_cancel(args: argparse.Namespace) -> int:
    from editor.cli.context import open_store
    from editor.jobs.runner import request_cancel
    from editor.jobs.state import read_job
    from editor.store.bus import open_bus
    from editor.store.jobs_repo import JobRepository

    store = open_store()
    state = read_job(store.redis, JobRepository(store.db), args.job)
    if state is None:
        raise CliError(f"there is no job {args.job}")
    if state.finished:
        raise CliError(f"job {args.job} already ended ({state.status})")
    request_cancel(store.redis, open_bus(store.redis, store.endpoints.database_url, "cli"), args.job)
    print(f"asked the process running job {args.job} to cancel it", file=sys.stderr)
    return 0
