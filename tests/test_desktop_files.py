"""The .desktop entry and the AppStream metainfo pass the validators distributions and Flathub run.

`scripts/test.sh` installs Debian's desktop-file-utils and appstream, so on the test machine these run;
elsewhere they are skipped with the reason.
"""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from editor.resources import resources_dir

DESKTOP = resources_dir() / "cutline.desktop"
METAINFO = resources_dir() / "io.github.cutline.Cutline.metainfo.xml"


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils not installed")
def test_desktop_entry_validates() -> None:
    done = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="appstream not installed")
def test_metainfo_validates_pedantic() -> None:
    done = subprocess.run(["appstreamcli", "validate", "--pedantic", "--no-net", str(METAINFO)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    # Warnings and errors fail; only the id's capital letters (reverse-DNS ids allow them) may be noted.
    notes = [line for line in done.stdout.splitlines() if line[:2] in ("E:", "W:")]
    assert not notes, done.stdout


def test_metainfo_has_what_flathub_asks_for() -> None:
    root = ET.parse(METAINFO).getroot()
    summary = root.findtext("summary") or ""
    assert 0 < len(summary) <= 35 and not summary.endswith("."), summary  # Flathub: 35 characters at most
    assert root.find("developer/name") is not None and (root.findtext("developer/name") or "").strip()
    launchable = root.find("launchable")
    assert launchable is not None and (resources_dir() / (launchable.text or "")).is_file()
    assert root.find("screenshots/screenshot/image") is not None
    assert root.find("content_rating") is not None
    assert root.find("releases/release") is not None
    desktop = DESKTOP.read_text(encoding="utf-8")
    icon = next(line.split("=", 1)[1] for line in desktop.splitlines() if line.startswith("Icon="))
    assert (resources_dir() / "icons" / f"{icon}.svg").is_file()
