"""Renders in a child process, so a crash inside an encoder cannot take the editor down.

Child: ``python -m editor.media.render_process SPEC.json OUT [--partial PATH]`` renders and prints JSON
lines on stdout: ``{"type": "progress", "progress": 42.0, "message": "..."}``, then one
``{"type": "complete", "path": ..., "frames": ..., "mode": ..., "notes": [...], "segments": [...]}`` (the
whole ``RenderResult``) or
``{"type": "error", "message": ..., "cancelled": bool}``. Exit code 0 on success, 1 on error,
2 on bad arguments. SIGTERM cancels cleanly.

Parent: ``render_in_subprocess(spec, out, on_progress, cancel_event)`` spawns the child, parses its lines,
returns its ``RenderResult`` (notes and segments included: what a job keeps and shows after the end), kills
it on cancel and raises RenderError (or RenderCancelled) if it fails or dies, even by a signal; no partial
file is left. Worker thread (it blocks
until the child ends); never touches Qt.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from editor.media.errors import MediaError, RenderCancelled, RenderError
from editor.media.render import RenderResult, RenderSpec, render, temporary_output_path

ProgressCallback = Callable[[float, str], None]


def _emit(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def child_main(argv: list[str] | None = None) -> int:
    """Entry point of the render child process (main thread of that process)."""
    parser = argparse.ArgumentParser(prog="python -m editor.media.render_process")
    parser.add_argument("spec", help="render spec JSON file ('-' for stdin)")
    parser.add_argument("out", help="output file")
    parser.add_argument("--partial", help="temporary output path (default: hidden name beside OUT)")
    args = parser.parse_args(argv)
    cancel = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: cancel.set())
    try:
        text = sys.stdin.read() if args.spec == "-" else Path(args.spec).read_text()
        spec = RenderSpec.from_json(text)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        _emit({"type": "error", "message": f"{args.spec}: not a valid render spec ({exc})",
               "cancelled": False})
        return 1
    try:
        result = render(spec, args.out, cancel=cancel, partial_path=args.partial,
                        on_progress=lambda p, m: _emit({"type": "progress", "progress": round(p, 2),
                                                        "message": m}))
    except RenderCancelled as exc:
        _emit({"type": "error", "message": str(exc), "cancelled": True})
        return 1
    except MediaError as exc:
        _emit({"type": "error", "message": str(exc), "cancelled": False})
        return 1
    _emit({"type": "complete", **result.to_json()})
    return 0


def child_command(python: str | None = None) -> list[str]:
    """How to start the render child: ``python -m editor.media.render_process``, or, in a frozen bundle
    (no Python to run ``-m`` with), the bundle's own executable with ``--render-child``. Any thread."""
    if python is None and getattr(sys, "frozen", False):
        return [sys.executable, "--render-child"]
    return [python or sys.executable, "-m", "editor.media.render_process"]


def render_in_subprocess(spec: RenderSpec, out: str | os.PathLike[str],
                         on_progress: ProgressCallback | None = None,
                         cancel_event: threading.Event | None = None,
                         *, python: str | None = None) -> RenderResult:
    """Render ``spec`` to ``out`` in a child process; returns what it wrote (path, frames, mode used, notes,
    segments).

    Raises RenderCancelled when ``cancel_event`` is set (the child is terminated, then killed), and
    RenderError when the child reports an error or dies (even by a signal). No partial file is left under
    ``out`` nor under the temporary name. Worker thread; never touches Qt.
    """
    out = Path(out)
    partial = temporary_output_path(out)
    spec_path = out.with_name(f".{out.stem}.spec-{os.getpid()}-{threading.get_ident()}.json")
    spec_path.write_text(spec.to_json())
    cmd = [*child_command(python), str(spec_path), str(out), "--partial", str(partial)]
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    result: dict | None = None
    stderr_tail: list[str] = []
    cancelled = threading.Event()

    def watch_cancel() -> None:
        if cancel_event is None:
            return
        while proc.poll() is None:
            if cancel_event.wait(0.1):
                cancelled.set()
                proc.terminate()
                try:
                    proc.wait(timeout=3)
                except subprocess.TimeoutExpired:
                    proc.kill()
                return

    def drain_stderr() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            stderr_tail.append(line.rstrip())
            del stderr_tail[:-20]

    watchers = [threading.Thread(target=watch_cancel, daemon=True, name="render-cancel-watch"),
                threading.Thread(target=drain_stderr, daemon=True, name="render-stderr")]
    for w in watchers:
        w.start()
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            try:
                msg = json.loads(line)
            except json.JSONDecodeError:
                continue  # not ours (a library printing to stdout): ignore
            if not isinstance(msg, dict):
                continue
            if msg.get("type") == "progress" and on_progress is not None:
                on_progress(float(msg.get("progress", 0.0)), str(msg.get("message", "")))
            elif msg.get("type") in ("complete", "error"):
                result = msg
        code = proc.wait()
        for w in watchers:
            w.join(timeout=1)
    except BaseException:
        proc.kill()
        proc.wait()
        _cleanup(out, partial, delete_out=False)
        raise
    finally:
        spec_path.unlink(missing_ok=True)
    if code == 0 and result is not None and result.get("type") == "complete" and out.exists():
        try:  # finished (even if a cancel arrived too late to matter)
            return RenderResult.from_json({**result, "path": str(out)})
        except (KeyError, TypeError, ValueError, ArithmeticError):
            return RenderResult(out, int(result.get("frames") or 0), str(result.get("mode") or spec.mode))
    if cancelled.is_set() or (result and result.get("cancelled")):
        _cleanup(out, partial, delete_out=False)
        raise RenderCancelled(f"{out}: render cancelled", out)
    _cleanup(out, partial, delete_out=False)
    if result is not None and result.get("type") == "error":
        raise RenderError(str(result.get("message")), out)
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        raise RenderError(f"{out}: the render process was killed by {name}", out)
    detail = stderr_tail[-1] if stderr_tail else f"exit code {code}"
    raise RenderError(f"{out}: the render process failed ({detail})", out)


def _cleanup(out: Path, partial: Path, delete_out: bool) -> None:
    partial.unlink(missing_ok=True)
    if delete_out:
        out.unlink(missing_ok=True)


if __name__ == "__main__":
    raise SystemExit(child_main())
