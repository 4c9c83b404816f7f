"""The queue's media tasks (proxy, thumbnails/filmstrip, waveform) by path: results go where every window
finds them (the proxy file beside its source's cache folder, thumbnails and peaks in the shared cache).

Arguments are JSON: ``{"job_id", "path", "out"?, "count"?, "size"?, "exact"?, "buckets"?}``. A window's own
tasks (on its local queue) pass its playback gate: the work pauses between pieces while the window plays.
Worker thread; no Qt.
"""

from __future__ import annotations

import threading
from typing import Any

from editor.jobs.paths import map_path
from editor.jobs.priority import PlaybackGate


def media_work(kind: str, args: dict[str, Any], store: Any, path_map: dict[str, str],
               gate: PlaybackGate | None = None) -> Any:
    """The work function (``work(report, cancel)``) of a media task; with ``gate`` it pauses while the
    window plays."""
    import os

    from editor.media.errors import MediaError, RenderCancelled

    path = map_path(str(args["path"]), path_map)

    def pause_point(cancel: threading.Event) -> Any:
        """Between pieces of work: end at once when cancelled, wait while the window plays."""
        def pause() -> None:
            if cancel.is_set():
                raise RenderCancelled("cancelled")
            if gate is not None:
                gate.wait_idle(cancel)
        return pause

    def check() -> None:
        if not os.access(path, os.R_OK):
            raise MediaError(f"this worker cannot read {path} (is the shared storage mounted? see path_map)")

    if kind == "proxy":
        from editor.media.proxy import make_proxy

        def proxy(report: Any, cancel: threading.Event) -> str:
            check()
            return str(make_proxy(path, map_path(str(args["out"]), path_map), on_progress=report, cancel=cancel,
                                  pause=pause_point(cancel),
                                  threads=int(args.get("threads", 0))))

        return proxy
    if kind == "thumbnails":
        from editor.media.thumbnails import filmstrip

        def thumbs(report: Any, cancel: threading.Event) -> int:
            check()
            size = args.get("size") or [160, 90]
            return len(filmstrip(path, int(args.get("count", 20)), (int(size[0]), int(size[1])),
                                 exact=bool(args.get("exact", False)), cache=store.cache))

        return thumbs
    if kind == "waveform":
        from editor.media.waveform import waveform_peaks

        def wave(report: Any, cancel: threading.Event) -> int:
            check()
            peaks = waveform_peaks(path, buckets_per_second=int(args.get("buckets", 100)), cache=store.cache,
                                   pause=pause_point(cancel))
            return len(getattr(peaks, "lo", b"") or b"")

        return wave
    raise ValueError(f"not a media task: {kind!r}")


def media_lock(kind: str, path: str) -> str:
    """The queueing lock of a media task: one proxy (or waveform, filmstrip) of a file queued at a time."""
    return f"{kind}:{path}"
