"""Child process of test_real_keys: the window's actions on a real X server (Xvfb), each default key pressed
with xdotool as a keyboard would, printing which action each press triggered as JSON. Not a test module."""

from __future__ import annotations

import json
import subprocess
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

from editor.ui.actions import ACTIONS, build_actions

# Qt's names of keys -> X keysyms for xdotool.
KEYSYMS = {"<": "less", ">": "greater", "+": "plus", "=": "equal", "-": "minus", "?": "question",
           ",": "comma", ".": "period", "Space": "space", "Esc": "Escape", "Del": "Delete", "Ctrl": "ctrl",
           "Shift": "shift", "Alt": "alt", "[": "bracketleft", "]": "bracketright"}


def keysym(sequence: str) -> str:
    parts = sequence.split("+") if sequence != "+" else ["+"]
    if parts[-1] == "" and len(parts) > 1:  # "Ctrl++"
        parts = [*parts[:-2], "+"]
    out = []
    for part in parts:
        name = KEYSYMS.get(part, part)
        out.append(name.lower() if len(name) == 1 and name.isalpha() else name)
    return "+".join(out)


def main() -> int:
    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.resize(400, 300)
    hits: list[str] = []
    handlers = {spec.name: (lambda n=spec.name: hits.append(n)) for spec in ACTIONS}
    build_actions(window, handlers, {})
    window.show()
    results: dict[str, list[str]] = {}

    def run() -> None:
        wid = str(int(window.winId()))
        subprocess.run(["xdotool", "windowfocus", "--sync", wid], check=True, timeout=10)
        for spec in ACTIONS:
            for seq in spec.keys:
                hits.clear()
                subprocess.run(["xdotool", "key", "--clearmodifiers", keysym(seq)], check=True, timeout=10)
                deadline = 0
                while not hits and deadline < 100:
                    app.processEvents()
                    QTimer.singleShot(0, lambda: None)
                    subprocess.run(["sleep", "0.01"])
                    deadline += 1
                app.processEvents()
                results[f"{spec.name} {seq}"] = list(hits)
        print(json.dumps(results), flush=True)
        app.quit()

    QTimer.singleShot(300, run)
    app.exec()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
