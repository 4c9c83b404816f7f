"""Every default key of the window, pressed on a real X server (Xvfb + xdotool, as a keyboard sends it),
triggers exactly its own action: no "Ambiguous shortcut overload" (which the marker keys hit on X11 with
"<" and "Shift+<" both bound), no key that does nothing. Offscreen tests cannot see this: Qt's offscreen
platform matches synthetic key events more loosely than a real keyboard's."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.skipif(shutil.which("Xvfb") is None or shutil.which("xdotool") is None,
                       reason="needs Xvfb and xdotool (scripts/test.sh installs them)"),
    pytest.mark.timeout(180),
]


@pytest.fixture
def x_display():  # type: ignore[no-untyped-def]
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
                              pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    assert number, "Xvfb did not start"
    yield f":{number}"
    server.terminate()
    server.wait(timeout=10)


def test_every_default_key_triggers_exactly_its_action(x_display: str) -> None:
    env = dict(os.environ, DISPLAY=x_display, QT_QPA_PLATFORM="xcb")
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "ui" / "real_keys_child.py")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=150)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Ambiguous shortcut" not in done.stderr, done.stderr
    results = json.loads(done.stdout.strip().splitlines()[-1])
    wrong = {press: hits for press, hits in results.items() if hits != [press.split(" ", 1)[0]]}
    assert not wrong, f"keys that did not trigger exactly their action: {wrong}"
    assert len(results) >= 40
