"""Composition root: settings, servers, store, qasync loop, main window. ``python -m editor`` / ``cutline``.

Start-up shows the window's frame at once, opens the store (starting or joining the servers) on a worker
thread, then opens the files given on the command line in a new project, or the last project of the
user's session. Main thread.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger("editor")


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="cutline", add_help=False)
    parser.add_argument("files", nargs="*")
    parser.add_argument("--project", type=int)
    parser.add_argument("--smoke-test", action="store_true")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(list(argv))
    args.offer_existing = not args.smoke_test
    return args


def _session_file() -> Path:
    from editor.store.config import config_dir

    return config_dir() / "session"


def restore_session(store: Any) -> tuple[str, list[int]]:
    """This user's session id (kept in the config dir) and its recent projects. Blocking."""
    path = _session_file()
    session_id = path.read_text().strip() if path.exists() else ""
    data = store.sessions.get(session_id) if session_id else None
    if data is None:
        session_id = store.sessions.create()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(session_id)
        data = {"recent_projects": []}
    return session_id, [int(p) for p in data.get("recent_projects", []) if isinstance(p, int)]


def open_store_blocking() -> Any:
    from editor.store.services import Store

    return Store.open()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from editor.diagnostics import setup_logging

    setup_logging(args.verbose, process="cutline window" if not args.smoke_test else "cutline smoke test")
    if args.smoke_test:
        from editor.smoke import run_smoke_test

        return run_smoke_test()
    t_start = time.perf_counter()
    missing = [f for f in args.files if not Path(f).is_file()]
    if args.files and len(missing) == len(args.files):  # nothing to open: make nothing, say so in one line
        what = "no such file" if not Path(missing[0]).exists() else "not a file"
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        print(f"cutline: {what}: {missing[0]}{more}", file=sys.stderr)
        return 1
    if (sys.platform.startswith("linux") and not os.environ.get("QT_QPA_PLATFORM")
            and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")):
        print("cutline: no screen to open the window on (DISPLAY and WAYLAND_DISPLAY are not set); "
              "the commands work without one: cutline --help", file=sys.stderr)
        return 1

    import qasync
    from PySide6.QtWidgets import QApplication, QMessageBox

    from editor.store.errors import StoreError
    _route_qt_messages()
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "cutline"])
    app.setApplicationName("Cutline")
    app.setOrganizationName("Cutline")
    app.setDesktopFileName("cutline")
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)

    from concurrent.futures import ThreadPoolExecutor

    starter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cutline-start")
    try:
        store = loop.run_until_complete(loop.run_in_executor(starter, open_store_blocking))
    except StoreError as exc:
        print(f"cutline: {exc}", file=sys.stderr, flush=True)
        if app.platformName() not in ("offscreen", "minimal"):  # a dialog nobody could click would hang
            QMessageBox.critical(None, "Cutline cannot start", str(exc))
        return 1
    finally:
        starter.shutdown(wait=False)
    window = build_window(store, args)
    window.show()
    log.info("usable window after %.0f ms", (time.perf_counter() - t_start) * 1000)
    app.aboutToQuit.connect(lambda: shutdown(window))
    with loop:
        loop.run_forever()
    return 0


def build_window(store: Any, args: argparse.Namespace) -> Any:
    """The main window on an open store, with the project the arguments or the session ask for."""
    from PySide6.QtWidgets import QApplication

    from editor.ui.context import AppContext
    from editor.ui.main_window import MainWindow
    from editor.ui.tasks import Tasks
    from editor.ui.theme import apply_theme

    app = QApplication.instance()
    if app is not None and app.property("cutline_theme") is None:
        apply_theme(app)  # type: ignore[arg-type]
        app.setProperty("cutline_theme", True)
    tasks = Tasks()
    ctx = AppContext.create(store, tasks)
    window = MainWindow(ctx)
    from PySide6.QtGui import QIcon

    from editor.resources import icon_path

    window.setWindowIcon(QIcon(str(icon_path(256))))
    tasks.setParent(window)
    window.bus_subscription = ctx.bus.subscribe(window.controller.on_bus_event)
    _watch_file_open_events(window)
    try:
        ctx.session_id, recent = restore_session(store)
    except Exception as exc:  # noqa: BLE001 - a session is a convenience, never a reason not to start
        log.warning("no session: %s", exc)
        recent = []
    if args.files:
        open_files(window, args.files, offer_existing=getattr(args, "offer_existing", False))
    elif args.project:
        window.controller.open_project(args.project)
    elif recent:
        window.controller.open_project(recent[0])
    return window


def open_files(window: Any, paths: Sequence[str], offer_existing: bool) -> None:
    """Open ``paths`` as a launch or the desktop asks (a double-click, macOS "open file"): one file that is
    already in a project offers that project (``offer_existing``), otherwise a new project holds them;
    missing files are named in the status bar. The look-up runs on a worker; Qt main thread."""
    files = [str(Path(f).resolve()) for f in paths if Path(f).is_file()]
    skipped = [f for f in paths if not Path(f).is_file()]
    if skipped:
        window.show_message(f"Not opened (no such file): {', '.join(skipped)}")
    if not files:
        return
    store = window.ctx.store

    def lookup() -> Any:
        return _project_holding(store, files[0]) if offer_existing and len(files) == 1 else None

    def decide(existing: Any) -> None:
        if existing is not None and _open_existing(window, existing, files[0]):
            note = (f"{Path(files[0]).name} is already in project “{existing.name}”: opened it "
                    "(Ctrl+N makes a new project)")
            window.controller.open_project(existing.id, on_opened=lambda: window.show_message(note))
        else:
            window.controller.new_project(Path(files[0]).stem, files)

    window.ctx.tasks.run(lookup, on_done=decide, on_error=lambda _exc: decide(None))


def _watch_file_open_events(window: Any) -> None:
    """macOS sends files opened from Finder (or dropped on the Dock icon) to a running app as FileOpen
    events: open them as a launch would. Main thread."""
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication

    class FileOpenFilter(QObject):
        def eventFilter(self, watched: Any, event: Any) -> bool:  # noqa: N802 - Qt's name
            if event.type() == QEvent.Type.FileOpen and event.file():
                open_files(window, [event.file()], offer_existing=True)
                return True
            return False

    app = QApplication.instance()
    if app is not None:
        window.file_open_filter = FileOpenFilter(window)
        app.installEventFilter(window.file_open_filter)


def _route_qt_messages() -> None:
    """Qt's own messages go to the log (its warnings at INFO: "pipewire not found", "no sound server" are for
    the log file, not for a user's terminal); with --verbose they reach stderr too. Main thread."""
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    qt_log = logging.getLogger("qt")
    levels = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.DEBUG,
              QtMsgType.QtWarningMsg: logging.INFO, QtMsgType.QtCriticalMsg: logging.WARNING,
              QtMsgType.QtFatalMsg: logging.CRITICAL}

    def handler(kind: Any, context: Any, message: str) -> None:
        category = getattr(context, "category", None) or "qt"
        qt_log.log(levels.get(kind, logging.INFO), "%s: %s", category, message)

    qInstallMessageHandler(handler)


def _project_holding(store: Any, path: str) -> Any:
    """The most recently changed project that already holds ``path``, or None. Blocking (start-up)."""
    try:
        found = store.projects.with_media(path, limit=1)
    except Exception as exc:  # noqa: BLE001 - a failed look-up only means a new project is made
        log.warning("could not look for projects holding %s: %s", path, exc)
        return None
    return found[0] if found else None


def _open_existing(window: Any, project: Any, path: str) -> bool:
    """Ask whether to open the project that holds the file or make a new one; with no screen to ask on, the
    existing project is opened (a double-click must not pile up copies). Main thread."""
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QMessageBox

    if QGuiApplication.platformName() in ("offscreen", "minimal"):
        return True
    box = QMessageBox(QMessageBox.Icon.Question, "Open project",
                      f"{Path(path).name} is already in the project “{project.name}”.", parent=window)
    open_button = box.addButton("Open that project", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("New project", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(open_button)
    box.exec()
    return box.clickedButton() is open_button


def shutdown(window: Any) -> None:
    """Save what is pending, stop listening, close the store (and the servers if this was the last user)."""
    window.shutdown()
    window.ctx.store.close()


if __name__ == "__main__":
    raise SystemExit(main())
