"""The timeline's sound for playback: every audio clip under the playhead, mixed, as s16 stereo 48 kHz.

:class:`TimelineMixer` reads forward from a position; reading on from where the last read ended
continues each clip's decoder, any other position reopens the clips there (a seek). Clips are
:class:`RenderClip` values (the jobs layer turns a timeline into them), so the picture exported and the
sound played come from the same description. Worker thread; never touches Qt.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from editor.media.errors import MediaError
from editor.media.render_sources import AudioSource
from editor.media.render_spec import RenderClip

SAMPLE_RATE = 48_000


class TimelineMixer:
    def __init__(self, clips: Sequence[RenderClip], rate: int = SAMPLE_RATE) -> None:
        self.clips = [c for c in clips if c.audio]
        self.rate = rate
        self._sources: dict[int, AudioSource] = {}
        self._next_sample: int | None = None
        self.failed: set[str] = set()  # paths whose audio could not be read (played as silence)

    def _open(self, index: int, at: Fraction) -> AudioSource | None:
        clip = self.clips[index]
        offset = max(Fraction(0), at - clip.timeline_start)
        moved = dataclasses.replace(clip, source_in=clip.source_in + offset * clip.speed,
                                    timeline_start=clip.timeline_start + offset)
        try:
            return AudioSource(moved, self.rate)
        except MediaError:
            self.failed.add(clip.path)
            return None

    def read(self, start_sample: int, count: int) -> bytes:
        """``count`` stereo samples from ``start_sample`` (at 48 kHz from the timeline's start), as s16
        interleaved bytes; silence where no clip sounds."""
        if self._next_sample != start_sample:
            self.close()
        start = Fraction(start_sample, self.rate)
        end = Fraction(start_sample + count, self.rate)
        mix = np.zeros((2, count), np.float32)
        for i, clip in enumerate(self.clips):
            if clip.timeline_end <= start or clip.timeline_start >= end:
                if i in self._sources and clip.timeline_end <= start:
                    self._sources.pop(i).close()
                continue
            source = self._sources.get(i)
            first = max(0, int(round((clip.timeline_start - start) * self.rate)))
            if source is None:
                source = self._open(i, max(start, clip.timeline_start))
                if source is None:
                    continue
                self._sources[i] = source
            last = min(count, int(round((clip.timeline_end - start) * self.rate)))
            if last > first:
                mix[:, first:last] += source.read(last - first)
        self._next_sample = start_sample + count
        pcm = np.clip(mix.T, -1.0, 1.0)
        return (pcm * 32767.0).astype("<i2").tobytes()

    def close(self) -> None:
        for source in self._sources.values():
            source.close()
        self._sources.clear()
        self._next_sample = None
