"""Filmstrips and waveforms for the timeline and the bin, made in the background through the shared cache.

The first time a file is seen its thumbnails (from keyframes, then the exact frames), its exact audio peaks
and, for a long-GOP source, its proxy are made as jobs on the window's own queue (the job queue's local queue,
run by the window's in-process worker: the same path as an export, shown in the jobs panel) and cached in
Redis, so reopening a project draws them at once. What the cache already holds is read, not queued. Without a
runner, or when the queue cannot take the job, the same work runs here instead.

Everything runs below the player: the reads on a low-priority thread
(:class:`~editor.jobs.priority.BackgroundExecutor`) and the jobs at nice +19, both waiting while the window
plays (the :class:`~editor.jobs.priority.PlaybackGate`); a coarse waveform comes first (well under a second
for a 30-minute file), the exact one replaces it; JPEG thumbnails are decoded off the Qt thread. A file that
cannot be read is marked offline in the bin. Qt main thread unless a method says otherwise.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
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
from editor.media.thumbnails import cached_filmstrip, filmstrip
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
    _job = Signal(object)  # a JobState of the runner's, from its job's thread

    def __init__(self, tasks: Tasks, cache: Any, parent: QObject | None = None,
                 runner: Any = None, gate: PlaybackGate | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.cache = cache
        self.runner = runner  # a JobRunner: what is made is queued on its own queue (None: made here)
        self.gate = gate if gate is not None else PlaybackGate()
        self.background = BackgroundExecutor()
        self._closed = False
        self._deliver.connect(self._on_deliver)
        self._job.connect(self.on_job)
        self._requested: set[str] = set()
        self._have_exact: set[str] = set()
        self.offline: set[str] = set()
        self._lock = threading.Lock()
        self._waiting: dict[str, tuple[MediaRef, Callable[[], None]]] = {}  # job id: its media, what then
        self._proxies_elsewhere: dict[str, MediaRef] = {}  # fingerprint: a proxy another job is making
        self._unlisten = runner.add_listener(self._job.emit) if runner is not None else None

    def close(self) -> None:
        """Stop starting background work (what runs finishes; its results are dropped). Queued jobs run on:
        their results land in the cache for the next window."""
        self._closed = True
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
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
            if media.has_audio:  # a coarse waveform first (on screen within the first second), then exact
                self._run(self._first_peaks, media, on_done=lambda p, m=media: self._got_first_peaks(m, p),
                          on_error=lambda e, m=media: self._failed(m, e))
            if media.has_video:
                # the keyframe pictures, then the exact frames they stand for (keyframes on a long GOP may be
                # seconds away), cached under their own keys: each replaces its keyframe picture
                self._strip(media, exact=False)
                self.tasks.run(self._check_proxy, media, on_error=lambda e, m=media: self._failed(m, e))

    def forget(self, fingerprint: str) -> None:
        self._requested.discard(fingerprint)
        self.offline.discard(fingerprint)

    # ---- jobs ------------------------------------------------------------------------------------
    def _make(self, kind: str, media: MediaRef, title: str, then: Callable[[], None],
              here: Callable[[], None], **extra: Any) -> None:
        """Queue a ``kind`` job for ``media`` on the runner's own queue and call ``then()`` on the Qt thread
        once it completes; without a runner, or when the queue cannot take it, run ``here()`` instead. Any
        thread (the insert happens on the background thread)."""
        runner = self.runner
        if runner is None:
            here()
            return
        job_id = str(uuid.uuid4())
        with self._lock:
            self._waiting[job_id] = (media, then)

        def enqueue() -> None:
            try:
                runner.enqueue_media(kind, media.path, farm=False, job_id=job_id, title=title, **extra)
                return
            except Exception as exc:  # noqa: BLE001 - AlreadyEnqueued, or the queue is away
                with self._lock:
                    self._waiting.pop(job_id, None)
                elsewhere = type(exc).__name__ == "AlreadyEnqueued"
                if elsewhere and kind == "proxy":  # another window makes it: it is used when that job ends
                    with self._lock:
                        self._proxies_elsewhere[media.fingerprint] = media
                    return
                if not elsewhere:
                    log.warning("%s: the job queue cannot take it (%s); made in this window", title,
                                " ".join(str(exc).split()))
            here()

        self._run(enqueue)

    @Slot(object)
    def on_job(self, state: Any) -> None:
        """A job changed (this window's or, through the jobs board, another's): when one of the jobs this
        waits for ends, go on. Qt thread."""
        if self._closed or not state.finished:
            return
        with self._lock:
            entry = self._waiting.pop(state.id, None)
        if entry is not None:
            media, then = entry
            if state.status == "complete":
                then()
            elif state.status == "error":
                self._failed(media, MediaError(state.message or "failed", media.path))
        if state.operation == "proxy" and state.status == "complete":
            with self._lock:
                done = [m for m in self._proxies_elsewhere.values() if proxy_path(m.fingerprint).exists()]
                for m in done:
                    del self._proxies_elsewhere[m.fingerprint]
            for m in done:
                self.proxy_ready.emit(m.path, str(proxy_path(m.fingerprint)))

    def _strip(self, media: MediaRef, exact: bool) -> None:
        """The filmstrip from the cache, else made by a job; after the keyframe one, the exact one."""
        def got(images: dict[int, QImage] | None) -> None:
            if images is not None:
                self._got_thumbs(media, images)
                if not exact:
                    self._strip(media, exact=True)
                return
            self._make("thumbnails", media,
                       f"{'Exact filmstrip' if exact else 'Filmstrip'} of {Path(media.path).name}",
                       then=lambda: self._run(self._thumbs, media, exact, on_done=done, on_error=failed),
                       here=lambda: self._run(self._thumbs, media, exact, on_done=done, on_error=failed),
                       count=strip_count(media), size=list(THUMB_SIZE), exact=exact)

        def done(images: dict[int, QImage] | None) -> None:
            if images is not None:
                self._got_thumbs(media, images)
            if not exact:
                self._strip(media, exact=True)

        def failed(exc: BaseException) -> None:
            self._failed(media, exc)

        self._run(self._thumbs, media, exact, True, on_done=got, on_error=failed)

    def _check_proxy(self, media: MediaRef) -> None:
        """Worker thread: use the proxy if there is one; queue making it if the source has long GOPs."""
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
        if not long_gop:
            return
        gate = self.gate

        def here() -> None:
            make_proxy(media.path, target, pause=gate.pause_point(), threads=2)
            self.proxy_ready.emit(media.path, str(target))

        self._make("proxy", media, f"Proxy of {Path(media.path).name}",
                   then=lambda: self.proxy_ready.emit(media.path, str(target)),
                   here=lambda: self._run(here, on_error=lambda e: self._failed(media, e)),
                   out=str(target), threads=2)

    def _read_keyframes(self, media: MediaRef) -> None:
        """Background thread: the keyframes of the source (one pass over its packets)."""
        reader = FrameReader(media.path, cache_bytes=0, thread_count=1)
        try:
            self.keyframes_ready.emit(media.fingerprint, list(reader.keyframe_indices()))
        finally:
            reader.close()

    def _thumbs(self, media: MediaRef, exact: bool = False, cached: bool = False) -> dict[int, QImage] | None:
        """Background thread: the filmstrip (keyframes, or with ``exact`` the exact frames), JPEGs decoded
        here (QImage is safe off the Qt thread); with ``cached``, None unless the cache holds it whole."""
        args = (media.path, strip_count(media), THUMB_SIZE)
        strip = (cached_filmstrip(*args, cache=self.cache, exact=exact) if cached
                 else filmstrip(*args, cache=self.cache, exact=exact))
        if strip is None:
            return None
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

    def _got_first_peaks(self, media: MediaRef, peaks: Any) -> None:
        self._got_peaks(media, peaks)
        if media.fingerprint in self._have_exact:
            return

        def exact() -> None:
            self._run(self._exact_peaks, media, on_done=lambda p: self._got_peaks(media, p),
                      on_error=lambda e: self._failed(media, e))

        self._make("waveform", media, f"Waveform of {Path(media.path).name}", then=exact, here=exact,
                   buckets=WAVE_BUCKETS)

    def _exact_peaks(self, media: MediaRef) -> Any:
        """Background thread: the exact peaks (from the cache once their job made them); pauses while the
        window plays."""
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
