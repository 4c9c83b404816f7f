"""Filmstrips and waveforms for the timeline and the bin, made in the background through the shared cache.

The first time a file is seen its thumbnails (from keyframes) and audio peaks are made on a worker thread
and cached in Redis, so reopening a project draws them at once. A file that cannot be read is marked
offline in the bin. Qt main thread only (the work itself runs in :class:`Tasks`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from editor.media.errors import MediaError
from editor.media.frames import FrameReader
from editor.media.proxy import make_proxy, needs_proxy
from editor.media.thumbnails import filmstrip
from editor.media.waveform import waveform_peaks
from editor.model.timeline import MediaRef, Timeline
from editor.store.config import cache_dir
from editor.ui.tasks import Tasks

log = logging.getLogger(__name__)

THUMB_SIZE = (160, 90)
WAVE_BUCKETS = 100


def strip_count(media: MediaRef) -> int:
    """One thumbnail every two seconds, between 4 and 100."""
    seconds = media.duration / media.rate
    return max(4, min(100, int(seconds / 2) + 1))


def proxy_path(fingerprint: str) -> Path:
    """Where the short-GOP proxy of a source lives (the per-user cache folder)."""
    return cache_dir() / "proxies" / f"{fingerprint}.mp4"


class MediaAssets(QObject):
    proxy_ready = Signal(str, str)  # source path, proxy path
    thumbnails_ready = Signal(str, object)  # fingerprint, {source_frame: QImage}
    waveform_ready = Signal(str, object, float)  # fingerprint, (n, 2) int16 peaks, buckets per second
    offline_changed = Signal(str, bool)  # fingerprint, offline

    def __init__(self, tasks: Tasks, cache: Any, parent: QObject | None = None,
                 start_job: Callable[..., str] | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.cache = cache
        self.start_job = start_job  # JobRunner.start_thread_job: proxies show in the jobs panel
        self._requested: set[str] = set()
        self.offline: set[str] = set()

    def ensure(self, timeline: Timeline | None) -> None:
        """Start making what is missing for the media of ``timeline``."""
        if timeline is None:
            return
        for media in timeline.media:
            if media.fingerprint in self._requested:
                continue
            self._requested.add(media.fingerprint)
            if not os.path.exists(media.path):
                self.offline.add(media.fingerprint)
                self.offline_changed.emit(media.fingerprint, True)
                continue
            if media.has_video:
                self.tasks.run(self._check_proxy, media, on_error=lambda e, m=media: self._failed(m, e))
                self.tasks.run(self._thumbs, media, on_done=lambda r, m=media: self._got_thumbs(m, r),
                               on_error=lambda e, m=media: self._failed(m, e))
            if media.has_audio:
                self.tasks.run(lambda path=media.path: waveform_peaks(path, buckets_per_second=WAVE_BUCKETS,
                                                                      cache=self.cache),
                               on_done=lambda p, m=media: self.waveform_ready.emit(m.fingerprint, p.as_array(),
                                                                                   float(p.buckets_per_second)),
                               on_error=lambda e, m=media: self._failed(m, e))

    def forget(self, fingerprint: str) -> None:
        self._requested.discard(fingerprint)
        self.offline.discard(fingerprint)

    def _check_proxy(self, media: MediaRef) -> None:
        """Worker thread: use the proxy if there is one; start making it if the source has long GOPs."""
        target = proxy_path(media.fingerprint)
        if target.exists():
            self.proxy_ready.emit(media.path, str(target))
            return
        reader = FrameReader(media.path)
        try:
            long_gop = needs_proxy(reader.keyframe_indices(), reader.frame_count)
        finally:
            reader.close()
        if not long_gop or self.start_job is None:
            return

        def work(progress: Callable[[float, str], None], cancel: Any) -> str:
            make_proxy(media.path, target, on_progress=progress, cancel=cancel)
            self.proxy_ready.emit(media.path, str(target))
            return str(target)

        self.start_job("proxy", work, {"source": media.path, "fingerprint": media.fingerprint},
                       title=f"Proxy of {Path(media.path).name}")

    def _thumbs(self, media: MediaRef) -> dict[int, bytes]:
        strip = filmstrip(media.path, strip_count(media), THUMB_SIZE, cache=self.cache)
        return {int(Fraction(t.time) * media.rate): t.jpeg for t in strip if t.jpeg}

    def _got_thumbs(self, media: MediaRef, jpegs: dict[int, bytes]) -> None:
        images = {frame: QImage.fromData(data, "JPEG") for frame, data in jpegs.items()}
        self.thumbnails_ready.emit(media.fingerprint, {f: img for f, img in images.items() if not img.isNull()})

    def _failed(self, media: MediaRef, exc: BaseException) -> None:
        if isinstance(exc, MediaError) and not os.path.exists(media.path):
            self.offline.add(media.fingerprint)
            self.offline_changed.emit(media.fingerprint, True)
        elif not isinstance(exc, MediaError):
            log.error("making thumbnails/waveform of %s failed", media.path, exc_info=exc)
