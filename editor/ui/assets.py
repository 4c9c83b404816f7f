"""Filmstrips and waveforms for the timeline and the bin, made in the background through the shared cache.

The first time a file is seen its thumbnails (from keyframes) and audio peaks are made in the background
and cached in Redis, so reopening a project draws them at once. A file that cannot be read is marked
offline in the bin. The work runs below the player: on a low-priority thread
(:class:`~editor.jobs.priority.BackgroundExecutor`) that waits while the window plays (the
:class:`~editor.jobs.priority.PlaybackGate`); a coarse waveform comes first (well under a second for a
30-minute file), the exact one replaces it; JPEG thumbnails are decoded off the Qt thread. Qt main thread
only (the work itself runs on the background thread).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QImage

from editor.jobs.priority import BackgroundExecutor, PlaybackGate
from editor.media.errors import MediaError
from editor.media.frames import FrameReader
from editor.media.proxy import make_proxy, needs_proxy
from editor.media.thumbnails import filmstrip
from editor.media.waveform import cached_peaks, coarse_peaks, waveform_peaks
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
    keyframes_ready = Signal(str, object)  # fingerprint, [keyframe frame numbers]
    _deliver = Signal(object, object)  # callback, its argument: from the background thread to the Qt thread

    def __init__(self, tasks: Tasks, cache: Any, parent: QObject | None = None,
                 start_job: Callable[..., str] | None = None, gate: PlaybackGate | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.cache = cache
        self.start_job = start_job  # JobRunner.start_thread_job: proxies show in the jobs panel
        self.gate = gate if gate is not None else PlaybackGate()
        self.background = BackgroundExecutor()
        self._closed = False
        self._deliver.connect(self._on_deliver)
        self._requested: set[str] = set()
        self._have_exact: set[str] = set()
        self.offline: set[str] = set()

    def close(self) -> None:
        """Stop starting background work (what runs finishes; its results are dropped)."""
        self._closed = True
        self.background.shutdown(wait=False)

    def _run(self, fn: Callable[..., Any], *args: Any, on_done: Callable[[Any], None] | None = None,
             on_error: Callable[[BaseException], None] | None = None) -> None:
        """Run ``fn(*args)`` on the background thread once playback is not active; callbacks on the Qt
        thread. Qt thread."""
        if self._closed:
            return

        def call() -> None:
            self.gate.wait_idle()
            try:
                result = fn(*args)
            except BaseException as exc:  # noqa: BLE001 - handed to on_error on the Qt thread
                if not self._closed and on_error is not None:
                    self._deliver.emit(on_error, exc)
                return
            if not self._closed and on_done is not None:
                self._deliver.emit(on_done, result)

        try:
            self.background.submit(call)
        except RuntimeError:  # shut down meanwhile
            pass

    @Slot(object, object)
    def _on_deliver(self, callback: Callable[[Any], None], value: Any) -> None:
        if not self._closed:
            callback(value)

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
            if media.has_audio:  # a coarse waveform first: on screen within the first second
                self._run(self._first_peaks, media, on_done=lambda p, m=media: self._got_peaks(m, p),
                          on_error=lambda e, m=media: self._failed(m, e))
            if media.has_video:
                self._run(self._thumbs, media, on_done=lambda r, m=media: self._got_thumbs(m, r),
                          on_error=lambda e, m=media: self._failed(m, e))
                # then the exact frames the thumbnails stand for (keyframes on a long GOP may be seconds
                # away), cached under their own keys; each replaces its keyframe picture when it arrives
                self._run(self._thumbs, media, True, on_done=lambda r, m=media: self._got_thumbs(m, r),
                          on_error=lambda e, m=media: self._failed(m, e))
                self.tasks.run(self._check_proxy, media, on_error=lambda e, m=media: self._failed(m, e))
            if media.has_audio:
                self._run(self._exact_peaks, media, on_done=lambda p, m=media: self._got_peaks(m, p),
                          on_error=lambda e, m=media: self._failed(m, e))

    def forget(self, fingerprint: str) -> None:
        self._requested.discard(fingerprint)
        self.offline.discard(fingerprint)

    def _check_proxy(self, media: MediaRef) -> None:
        """Worker thread: use the proxy if there is one; start making it if the source has long GOPs."""
        target = proxy_path(media.fingerprint)
        if target.exists():
            self.proxy_ready.emit(media.path, str(target))
            self._run(self._read_keyframes, media)  # below the player: the proxy plays, the source waits
            return
        reader = FrameReader(media.path, cache_bytes=0, thread_count=1)
        try:
            keys = reader.keyframe_indices()
            long_gop = needs_proxy(keys, reader.frame_count, reader.coded_size)
        finally:
            reader.close()
        self.keyframes_ready.emit(media.fingerprint, list(keys))  # the same scan: where copy cuts are exact
        if not long_gop or self.start_job is None:
            return
        gate = self.gate

        def work(progress: Callable[[float, str], None], cancel: Any) -> str:
            make_proxy(media.path, target, on_progress=progress, cancel=cancel, pause=gate.pause_point(cancel),
                       threads=2)
            self.proxy_ready.emit(media.path, str(target))
            return str(target)

        self.start_job("proxy", work, {"source": media.path, "fingerprint": media.fingerprint},
                       title=f"Proxy of {Path(media.path).name}")

    def _read_keyframes(self, media: MediaRef) -> None:
        """Background thread: the keyframes of the source (one pass over its packets)."""
        reader = FrameReader(media.path, cache_bytes=0, thread_count=1)
        try:
            self.keyframes_ready.emit(media.fingerprint, list(reader.keyframe_indices()))
        finally:
            reader.close()

    def _thumbs(self, media: MediaRef, exact: bool = False) -> dict[int, QImage]:
        """Background thread: the filmstrip (keyframes, or with ``exact`` the exact frames), JPEGs decoded
        here (QImage is safe off the Qt thread)."""
        strip = filmstrip(media.path, strip_count(media), THUMB_SIZE, cache=self.cache, exact=exact)
        images = {int(Fraction(t.time) * media.rate): QImage.fromData(t.jpeg, "JPEG") for t in strip if t.jpeg}
        return {f: img for f, img in images.items() if not img.isNull()}

    def _got_thumbs(self, media: MediaRef, images: dict[int, QImage]) -> None:
        self.thumbnails_ready.emit(media.fingerprint, images)

    def _first_peaks(self, media: MediaRef) -> Any:
        """Background thread: the exact peaks if cached, else coarse ones (decoding one packet in n)."""
        cached = cached_peaks(media.path, buckets_per_second=WAVE_BUCKETS, cache=self.cache)
        if cached is not None:
            self._have_exact.add(media.fingerprint)
            return cached
        return coarse_peaks(media.path, buckets_per_second=WAVE_BUCKETS)

    def _exact_peaks(self, media: MediaRef) -> Any:
        """Background thread: the exact peaks (None when the cached ones were shown already); pauses while
        the window plays."""
        if media.fingerprint in self._have_exact:
            return None
        return waveform_peaks(media.path, buckets_per_second=WAVE_BUCKETS, cache=self.cache,
                              pause=self.gate.pause_point())

    def _got_peaks(self, media: MediaRef, peaks: Any) -> None:
        if peaks is not None:
            self.waveform_ready.emit(media.fingerprint, peaks.as_array(), float(peaks.buckets_per_second))

    def _failed(self, media: MediaRef, exc: BaseException) -> None:
        if isinstance(exc, MediaError) and not os.path.exists(media.path):
            self.offline.add(media.fingerprint)
            self.offline_changed.emit(media.fingerprint, True)
        elif not isinstance(exc, MediaError):
            log.error("making thumbnails/waveform of %s failed", media.path, exc_info=exc)
