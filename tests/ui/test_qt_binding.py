"""Guards against Qt binding releases that corrupt reference counts (PySide6 6.12.0: every signal
``emit()`` dropped a reference to ``True``, and a long playback then crashed the interpreter)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    frame = Signal(object, int)
    tick = Signal(int)


def test_emitting_signals_keeps_reference_counts(qapp) -> None:
    emitter = _Emitter()
    received: list[int] = []
    emitter.frame.connect(lambda _image, n: received.append(n))
    emitter.tick.connect(lambda n: None)
    true_before, none_before = sys.getrefcount(True), sys.getrefcount(None)
    for n in range(2000):
        emitter.frame.emit(None, n)
        emitter.tick.emit(n)
    assert len(received) == 2000
    assert abs(sys.getrefcount(True) - true_before) < 50, "emit() leaks or drops references to True"
    assert abs(sys.getrefcount(None) - none_before) < 50, "emit() leaks or drops references to None"
