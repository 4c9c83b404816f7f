"""The progress bar of long commands (``render``, ``cut``), on stderr. Its own module so that a command that
shows it loads nothing else of the CLI. Main thread (``update`` may be called from a worker: it locks)."""

from __future__ import annotations

import sys
import threading
from typing import Any


class ProgressBar:
    """``[#####     ]  42% message`` redrawn in place on a terminal; plain lines every 10 % otherwise."""

    def __init__(self, stream: Any = None, width: int = 30) -> None:
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.width = width
        self._last_line = -10.0
        self._lock = threading.Lock()

    def update(self, progress: float, message: str = "") -> None:
        with self._lock:
            p = max(0.0, min(100.0, progress))
            if self.tty:
                filled = int(round(self.width * p / 100))
                text = f"\r[{'#' * filled}{' ' * (self.width - filled)}] {p:3.0f}% {message[:40]:<40}"
                self.stream.write(text)
                self.stream.flush()
            elif p >= self._last_line + 10 or (p >= 100 and self._last_line < 100):
                self._last_line = p
                self.stream.write(f"{p:3.0f}% {message}\n")
                self.stream.flush()

    def end(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
