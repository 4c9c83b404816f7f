"""Stepping backwards like a player: a decode buffer per GOP so that holding ← costs a cache hit a frame.

An exact frame of a long-GOP source is decoded from the keyframe before it, so stepping back one frame at
a time naively decodes up to a whole GOP per step. :class:`BackwardBuffer` wraps a
:class:`~editor.media.frames.FrameReader` whose cache is a view on a byte budget:

- a step back to a frame that is not cached decodes, in one pass from the keyframe, a *chunk* of frames
  ending at it (sized so that two chunks fit in the budget) and keeps them;
- between requests :meth:`prefetch_step` fills the chunk before the lowest frame of the current run, a few
  frames at a time (so a new request never waits long), before the user gets there;
- frames left behind (above the playhead) are dropped to make room.

Frames stay exact: every picture comes from ``FrameReader.read`` of its own index. One thread (the
viewer's decode thread) uses a buffer; never touches Qt.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from editor.media.frame_cache import FrameCache
from editor.media.frames import FrameReader, Picture

#: A request this many frames or fewer before the previous one continues a backward run.
BACK_STEP_MAX = 3
#: Frames decoded per prefetch piece (a new request waits at most this many decodes).
PIECE = 4
_KEEP_AHEAD = 2  # frames above the playhead kept for a step forward
_MIN_CHUNK = 8
_MAX_CHUNK = 120


@dataclass
class _Plan:
    """Prefetch of frames ``first``..``end - 1``: decode from ``cursor`` (a keyframe or beyond)."""

    first: int
    end: int
    cursor: int
    size: tuple[int, int]


class BackwardBuffer:
    """Exact frames of ``reader`` by index, fast when stepping back. ``cache`` must be the reader's cache.

    ``chunk`` overrides the chunk size (frames); by default two chunks fit in the budget. The viewer's
    decode thread only.
    """

    def __init__(self, reader: FrameReader, cache: FrameCache, chunk: int | None = None) -> None:
        self.reader = reader
        self.cache = cache
        self._chunk = chunk
        self._keys = reader.keyframe_indices() or [0]
        self._last: int | None = None
        self._backward = False
        self._plan: _Plan | None = None
        self.chunk_decodes = 0  # statistics: synchronous chunk decodes (a step that had to wait)

    # -- reading -----------------------------------------------------------------------------------
    def chunk_size(self, size: tuple[int, int] | None = None) -> int:
        """Frames per chunk for pictures of ``size``: two chunks fit in the budget. Any thread."""
        if self._chunk is not None:
            return self._chunk
        w, h = size or self.reader.output_size
        frame_bytes = max(1, w * h * (3 if self.reader.pixel_format == "rgb24" else 4))
        n = int(self.cache.budget.max_bytes * 0.45) // frame_bytes
        return max(_MIN_CHUNK, min(_MAX_CHUNK, n))

    def read(self, index: int, size: tuple[int, int] | None = None) -> Picture:
        """The exact picture of frame ``index``. Viewer decode thread."""
        reader = self.reader
        last = self._last
        self._backward = last is not None and 0 < last - index <= BACK_STEP_MAX
        hit = reader.cached(index, size)
        if hit is not None:
            pic = reader.read(index, size=size)
        elif self._backward:
            self._plan = None
            self.chunk_decodes += 1
            pic = reader.read(index, size=size, back_window=self._window(index, size))
        else:
            self._plan = None
            pic = reader.read(index, size=size)
        self._last = index
        if self._backward:
            self._drop_above(index + _KEEP_AHEAD, size)
            self._plan_next(index, size)
        return pic

    @property
    def stepping_back(self) -> bool:
        """True while requests walk backwards. Viewer decode thread."""
        return self._backward

    def has_work(self) -> bool:
        """True when :meth:`prefetch_step` has frames to decode. Viewer decode thread."""
        return self._plan is not None

    def cancel_prefetch(self) -> None:
        """Forget the chunk planned (the user moved on). Viewer decode thread."""
        self._plan = None

    def prefetch_step(self) -> bool:
        """Decode a few frames of the next chunk back; True while more remain. Viewer decode thread."""
        plan = self._plan
        if plan is None:
            return False
        reader = self.reader
        if plan.cursor < plan.first:
            # towards the chunk: decode (without converting) a piece at a time
            target = min(plan.first, plan.cursor + PIECE)
            reader.advance_to(target)
            plan.cursor = target
            return True
        stop = min(plan.end, plan.cursor + PIECE)
        for i in range(plan.cursor, stop):
            reader.read(i, size=plan.size, back_window=0)
        plan.cursor = stop
        if plan.cursor >= plan.end:
            self._plan = None
            return False
        return True

    # -- internals ---------------------------------------------------------------------------------
    def _key_before(self, index: int) -> int:
        k = bisect.bisect_right(self._keys, index) - 1
        return self._keys[max(0, k)]

    def _window(self, index: int, size: tuple[int, int] | None) -> int:
        """Frames before ``index`` to keep in its chunk (never before its keyframe)."""
        return min(self.chunk_size(size) - 1, index - self._key_before(index))

    def _lowest_cached(self, index: int, size: tuple[int, int] | None) -> int:
        low = index
        while low > 0 and self.reader.cached(low - 1, size) is not None:
            low -= 1
        return low

    def _plan_next(self, index: int, size: tuple[int, int] | None) -> None:
        """Plan the chunk that ends just below the lowest cached frame of this run."""
        low = self._lowest_cached(index, size)
        if low <= 0:
            self._plan = None
            return
        chunk = self.chunk_size(size)
        if self._plan is not None and self._plan.end == low:
            return
        if index - low > chunk:
            self._plan = None
            return  # a chunk ahead of the user already: the next one once it is used up (two fit)
        end = low
        key = self._key_before(end - 1)
        first = max(key, end - chunk)
        self._plan = _Plan(first, end, key, size or self.reader.output_size)

    def _drop_above(self, limit: int, size: tuple[int, int] | None) -> None:
        w, h = size or self.reader.output_size
        for key in self.cache.keys():
            if isinstance(key, tuple) and len(key) == 4 and key[0] > limit and key[1] == w and key[2] == h:
                self.cache.discard(key)
