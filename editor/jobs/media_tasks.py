"""The queue's media tasks (proxy, thumbnails/filmstrip, waveform) by path: results go where every window
finds them (the proxy file beside its source's cache folder, thumbnails and peaks in the shared cache).

Arguments are JSON: ``{"job_id", "path", "out"?, "count"?, "size"?}``. Worker thread; no Qt.
"""

from __future__ import annotations

import threading
from typing import Any

from editor.jobs.paths import map_path


def media_work(kind: str, args: dict[str, Any], store: Any, path_map: dict[str, str]) -> Any:
    """The work function (``work(report, cancel)``) of a media task."""
    import os

    from editor.media.errors import MediaError

    path = map_path(str(args["path"]), path_map)

    def check() -> None:
        if not os.access(path, os.R_OK):
            raise MediaError(f"this worker cannot read {path} (is the shared storage mounted? see path_map)")

    if kind == "proxy":
        from editor.media.proxy import make_proxy

        def proxy(report: Any, cancel: threading.Event) -> str:
            check()
            return str(make_proxy(path, map_path(str(args["out"]), path_map), on_progress=report, cancel=cancel))

        return proxy
    if kind == "thumbnails":
        from editor.media.thumbnails import filmstrip

        def thumbs(report: Any, cancel: threading.Event) -> int:
            check()
            size = args.get("size") or [160, 90]
            return len(filmstrip(path, int(args.get("count", 20)), (int(size[0]), int(size[1])),
                                 cache=store.cache))

        return thumbs
    if kind == "waveform":
        from editor.media.waveform import waveform_peaks

        def wave(report: Any, cancel: threading.Event) -> int:
            check()
            peaks = waveform_peaks(path, cache=store.cache)
            return len(getattr(peaks, "lo", b"") or b"")

        return wave
    raise ValueError(f"not a media task: {kind!r}")


def media_lock(kind: str, path: str) -> str:
    """The queueing lock of a media task: one proxy (or waveform, filmstrip) of a file queued at a time."""
    return f"{kind}:{path}"
