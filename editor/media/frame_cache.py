"""Decoded-frame caches sized in bytes, sharing one total budget.

A :class:`FrameBudget` is a byte limit shared by any number of :class:`FrameCache` views (one per
reader, e.g. every file the viewer has open). Entries are evicted least-recently-used first across all
the caches of a budget, so the sum of what they hold never exceeds the budget, whatever the frame size
(a 4K frame weighs sixteen 960×540 ones). An entry larger than the whole budget is not stored.

Any thread: every method takes the budget's lock (held for dictionary work only, never for decoding).
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from typing import Any

MiB = 1024 * 1024

#: What the viewer's readers may hold together: about 60 frames at 960×540 BGRA (forward cache and the
#: backward buffer of the file being stepped through).
VIEWER_BUDGET = 128 * MiB


class FrameBudget:
    """A total byte limit shared by several :class:`FrameCache` views. Any thread."""

    def __init__(self, max_bytes: int) -> None:
        if max_bytes < 0:
            raise ValueError("max_bytes must be >= 0")
        self.max_bytes = int(max_bytes)
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[int, Hashable], tuple[Any, int]] = OrderedDict()
        self._used = 0
        self._ids = itertools.count()
        self.evictions = 0  # statistics, for tests and the bench

    @property
    def used(self) -> int:
        """Bytes held by all caches of this budget (never above ``max_bytes``). Any thread."""
        return self._used

    def cache(self) -> FrameCache:
        """A new view on this budget (e.g. for one reader). Any thread."""
        return FrameCache(self)

    def resize(self, max_bytes: int) -> None:
        """Change the limit; evicts at once down to it. Any thread."""
        with self._lock:
            self.max_bytes = max(0, int(max_bytes))
            self._evict_to(self.max_bytes)

    # -- used by FrameCache (lock taken here) ---------------------------------------------------------
    def _new_id(self) -> int:
        return next(self._ids)

    def _get(self, key: tuple[int, Hashable]) -> Any:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def _peek(self, key: tuple[int, Hashable]) -> Any:
        with self._lock:
            item = self._items.get(key)
            return None if item is None else item[0]

    def _put(self, key: tuple[int, Hashable], value: Any, nbytes: int) -> bool:
        nbytes = max(0, int(nbytes))
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._used -= old[1]
            if nbytes > self.max_bytes:
                return False
            self._evict_to(self.max_bytes - nbytes)
            self._items[key] = (value, nbytes)
            self._used += nbytes
            return True

    def _discard(self, key: tuple[int, Hashable]) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._used -= old[1]

    def _keys(self, owner: int) -> list[Hashable]:
        with self._lock:
            return [k for o, k in self._items if o == owner]

    def _bytes(self, owner: int) -> int:
        with self._lock:
            return sum(n for (o, _), (_, n) in self._items.items() if o == owner)

    def _clear(self, owner: int) -> None:
        with self._lock:
            for key in [k for k in self._items if k[0] == owner]:
                self._used -= self._items.pop(key)[1]

    def _evict_to(self, limit: int) -> None:
        """(lock held) Drop least-recently-used entries until at most ``limit`` bytes are held."""
        while self._used > limit and self._items:
            _, (_, n) = self._items.popitem(last=False)
            self._used -= n
            self.evictions += 1


class FrameCache:
    """One reader's view of a :class:`FrameBudget`: key → value with a size in bytes. Any thread.

    ``FrameCache(max_bytes)`` makes a private budget of that size.
    """

    def __init__(self, budget: FrameBudget | int) -> None:
        self.budget = budget if isinstance(budget, FrameBudget) else FrameBudget(budget)
        self._id = self.budget._new_id()

    def get(self, key: Hashable) -> Any:
        """The value for ``key`` (marked as recently used) or None. Any thread."""
        return self.budget._get((self._id, key))

    def peek(self, key: Hashable) -> Any:
        """The value for ``key`` without touching its recency, or None. Any thread."""
        return self.budget._peek((self._id, key))

    def put(self, key: Hashable, value: Any, nbytes: int) -> bool:
        """Store ``value`` (``nbytes`` big), evicting older entries of the budget; False when it is larger
        than the whole budget (then nothing is stored). Any thread."""
        return self.budget._put((self._id, key), value, nbytes)

    def discard(self, key: Hashable) -> None:
        """Forget ``key`` if held. Any thread."""
        self.budget._discard((self._id, key))

    def keys(self) -> list[Hashable]:
        """The keys this cache holds, least recently used first. Any thread."""
        return self.budget._keys(self._id)

    @property
    def nbytes(self) -> int:
        """Bytes this cache holds. Any thread."""
        return self.budget._bytes(self._id)

    def clear(self) -> None:
        """Forget everything this cache holds (other caches of the budget keep theirs). Any thread."""
        self.budget._clear(self._id)

    def __contains__(self, key: Hashable) -> bool:
        return self.peek(key) is not None

    def __len__(self) -> int:
        return len(self.keys())

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self.keys())
