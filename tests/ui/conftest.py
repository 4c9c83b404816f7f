"""Helpers shared by the window tests: a real main window on the test run's servers, and a way to answer
a modal dialog that a key or an action is about to open."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication


def open_window(qtbot: Any, store: Any, files: list[str] | None = None, *, project: int | None = None,
                offer_existing: bool = False) -> Any:
    """Build and show the main window as a launch would (``files`` or ``project``), and wait until its
    timeline is open (when it opens one). The caller shuts it down."""
    from editor.app import build_window

    args = argparse.Namespace(files=list(files or []), project=project, smoke_test=False,
                              offer_existing=offer_existing)
    win = build_window(store, args)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    if files or project is not None:
        qtbot.waitUntil(lambda: win.controller.timeline is not None, timeout=20000)
    return win


@pytest.fixture
def window_on(qtbot: Any, store: Any) -> Iterator[Callable[..., Any]]:
    """``window_on([path])``: a window on a new project holding ``path``, shut down after the test."""
    opened: list[Any] = []

    def make(files: list[str] | None = None, **kw: Any) -> Any:
        win = open_window(qtbot, store, files, **kw)
        opened.append(win)
        return win

    yield make
    for win in opened:
        win.shutdown()


def _when_dialog(kind: type, answer: Callable[[Any], None]) -> None:
    """Call ``answer(dialog)`` as soon as a visible top-level ``kind`` appears (a modal dialog about to be
    opened by the next key press or action). Qt main thread."""
    def look() -> None:
        dialog = next((w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()), None)
        if dialog is None:
            QTimer.singleShot(20, look)
            return
        answer(dialog)

    QTimer.singleShot(20, look)


@pytest.fixture
def when_dialog() -> Callable[[type, Callable[[Any], None]], None]:
    """The :func:`_when_dialog` helper, for tests that answer modal dialogs."""
    return _when_dialog
