"""The Flatpak manifest, checked as far as a machine without Flathub's runtimes allows: its build commands
are run on the real resources and their output passes the validators Flathub runs; the sandbox keeps the
embedded servers' data in the app's own folder and asks for no more of the disk than it documents."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FLATPAK = ROOT / "packaging" / "flatpak"
MANIFEST = json.loads((FLATPAK / "io.github.cutline.Cutline.json").read_text(encoding="utf-8"))
APP_ID = MANIFEST["app-id"]


def test_sources_exist_and_ids_match() -> None:
    module = MANIFEST["modules"][0]
    for source in module["sources"]:
        if source["type"] == "file":
            assert (FLATPAK / source["path"]).resolve().is_file(), source["path"]
        else:  # the bundle tarball packaging/build-linux.sh makes
            assert source["path"].startswith("../out/cutline-") and source["path"].endswith(".tar.gz")
    metainfo = (ROOT / "resources" / f"{APP_ID}.metainfo.xml").read_text(encoding="utf-8")
    assert f"<id>{APP_ID}</id>" in metainfo
    assert MANIFEST["command"] == "cutline"


def test_sandbox_asks_only_for_what_the_readme_says() -> None:
    args = set(MANIFEST["finish-args"])
    assert not any(a.startswith("--filesystem=home") or a == "--filesystem=host" for a in args)
    assert {"--share=network", "--socket=pulseaudio", "--filesystem=xdg-videos"} <= args
    readme = (ROOT / "packaging" / "README.md").read_text(encoding="utf-8")
    for arg in args:
        assert f"`{arg}`" in readme, f"{arg} is not explained in packaging/README.md"


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")
def test_build_commands_make_valid_desktop_and_metainfo_files(tmp_path: Path) -> None:
    module = MANIFEST["modules"][0]
    work = tmp_path / "build"
    (work / "bundle").mkdir(parents=True)
    (work / "bundle" / "cutline").write_text("#!/bin/sh\n", encoding="utf-8")
    for source in module["sources"]:
        if source["type"] == "file":
            shutil.copy(FLATPAK / source["path"], work)
    app = tmp_path / "app"
    for command in module["build-commands"]:
        command = command.replace("/app/", f"{shlex.quote(str(app))}/")
        done = subprocess.run(["sh", "-c", command], cwd=work, capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, f"{command}: {done.stderr}"
    desktop = app / "share" / "applications" / f"{APP_ID}.desktop"
    metainfo = app / "share" / "metainfo" / f"{APP_ID}.metainfo.xml"
    assert (app / "share" / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").is_file()
    assert f"Icon={APP_ID}" in desktop.read_text(encoding="utf-8")
    text = metainfo.read_text(encoding="utf-8")
    assert f'<launchable type="desktop-id">{APP_ID}.desktop</launchable>' in text
    assert f'<icon type="stock">{APP_ID}</icon>' in text
    if shutil.which("desktop-file-validate"):
        done = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True, text=True, timeout=30)
        assert done.returncode == 0 and not done.stdout.strip(), done.stdout
    if shutil.which("appstreamcli"):
        done = subprocess.run(["appstreamcli", "validate", "--no-net", str(metainfo)], capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stdout


def test_data_follows_xdg_data_home_as_inside_the_sandbox(tmp_path: Path) -> None:
    """Flatpak sets XDG_DATA_HOME to ~/.var/app/<id>/data: the servers' data and sockets land there, and
    the socket paths stay short enough for a usual home folder."""
    home = tmp_path / "home" / "alice"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUTLINE_")}
    env["XDG_DATA_HOME"] = str(home / ".var" / "app" / APP_ID / "data")
    done = subprocess.run([sys.executable, "-c", "from editor.store.config import data_dir; print(data_dir())"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    data = Path(done.stdout.strip())
    assert data == home / ".var" / "app" / APP_ID / "data" / "cutline"
    typical = Path("/home/alice/.var/app") / APP_ID / "data" / "cutline" / "servers" / "postgres" / "data"
    assert len(str(typical / ".s.PGSQL.5432")) < 107  # sun_path: the sockets fit without the /tmp fallback
