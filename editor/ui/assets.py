"""Filmstrips and waveforms for the timeline and the bin, made in the background through the shared cache.

The first time a file is seen its thumbnails (from keyframes) and audio peaks are made on a worker thread
and cached in Redis, so reopening a project draws them at once. A file that cannot be read is marked
offline in the bin. Qt main thread only (the work itself runs in :class:`Tasks`).
"""

from __future__ import annotations

import logging
import os
from fractions import Fraction
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from editor.media.errors import MediaError
from editor.media.thumbnails import filmstrip
from editor.media.waveform import waveform_peaks
from editor.model.timeline import MediaRef, Timeline
from editor.ui.tasks import Tasks

log = logging.getLogger(__name__)

THUMB_SIZE = (160, 90)
WAVE_BUCKETS = 100


def strip_count(media: MediaRef) -> int:
    """One thumbnail every two seconds, between 4 and 100."""
    seconds = media.duration / media.rate
    return max(4, min(100, int(seconds / 2) + 1))


class MediaAssets(QObject):
    thumbnails_ready = Signal(str, object)  # fingerprint, {source_frame: QImage}
    waveform_ready = Signal(str, object, float)  # fingerprint, (n, 2) int16 peaks, buckets per second
    offline_changed = Signal(str, bool)  # fingerprint, offline

    def __init__(self, tasks: Tasks, cache: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.cache = cache
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
