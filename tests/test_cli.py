"""The `cutline` command in real subprocesses, on the test run's servers."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from editor.media.synth import make_clip

ROOT = Path(__file__).resolve().parents[1]


def cutline(*args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "editor", *args], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "take one.mp4"
    make_clip(path, frames=50)
    return path


def test_doctor_reports_servers_without_passwords(store) -> None:
    result = cutline("doctor", "--json", check=True)
    report = json.loads(result.stdout)
    assert report["database"]["reachable"] is True
    assert report["database"]["schema_version"] == report["database"]["schema_latest"] >= 1
    creds = (Path(report["data_dir"]) / "servers" / "credentials.json")
    if creds.exists():
        for secret in json.loads(creds.read_text()).values():
            assert secret not in result.stdout
    text = cutline("doctor", check=True).stdout
    assert "PostgreSQL:" in text and "Redis:" in text


def test_projects_new_list_show_rename_delete(store, clip: Path) -> None:
    name = f"Trip 🎬 '{uuid.uuid4().hex[:6]}'; DROP TABLE projects; --"
    created = json.loads(cutline("projects", "new", name, str(clip), "--json", check=True).stdout)
    assert created["name"] == name and created["summary"]["duration_frames"] == 50
    listed = json.loads(cutline("projects", "list", "--json", check=True).stdout)
    assert listed[0]["id"] == created["id"]
    shown = json.loads(cutline("projects", "show", str(created["id"]), "--json", check=True).stdout)
    assert len(shown["timeline"]["tracks"]) == 2 and shown["revision"] == 1
    assert "take one.mp4" in cutline("projects", "show", name, check=True).stdout
    renamed = json.loads(cutline("projects", "rename", str(created["id"]), "한국어 ✂", "--json", check=True).stdout)
    assert renamed["name"] == "한국어 ✂"
    cutline("projects", "delete", str(created["id"]), check=True)
    gone = cutline("projects", "show", str(created["id"]))
    assert gone.returncode == 1 and gone.stderr.count("\n") == 1 and "Traceback" not in gone.stderr


@pytest.mark.parametrize(
    "args, code, words",
    [
        (["frobnicate"], 2, "unknown command"),
        (["projects", "rename"], 2, "required"),
        (["projects", "list", "--limit", "many"], 2, "invalid int"),
        (["projects", "new", "x", "/no/such/file.mp4"], 1, "not found"),
        (["projects", "show", "999999999"], 1, "no project"),
    ],
)
def test_user_errors_are_one_line_without_traceback(store, args: list[str], code: int, words: str) -> None:
    result = cutline(*args)
    assert result.returncode == code
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0 and words in result.stderr


def test_new_project_from_a_non_media_file_is_refused(store, tmp_path: Path) -> None:
    junk = tmp_path / "notes.mp4"
    junk.write_bytes(b"this is not a video" * 100)
    result = cutline("projects", "new", "junk", str(junk))
    assert result.returncode == 1 and "notes.mp4" in result.stderr and "Traceback" not in result.stderr


def test_export_and_import_subtitles_round_trip(store, clip: Path, tmp_path: Path) -> None:
    import opentimelineio as otio

    created = json.loads(cutline("projects", "new", f"subs {uuid.uuid4().hex[:6]}", str(clip), "--json",
                                 check=True).stdout)
    pid = str(created["id"])
    srt = tmp_path / "in.srt"
    srt.write_bytes("\ufeff1\n00:00:00,480 --> 00:00:01,000\nHello 🎬\n\n2\n00:00:01,200 --> 00:00:01,800\n안녕\n"
                    .encode("utf-8"))
    done = json.loads(cutline("import-subtitles", pid, str(srt), "--json", check=True).stdout)
    assert done["cues"] == 2 and done["revision"] == 2
    out = tmp_path / "out.srt"
    cutline("export", pid, str(out), check=True)
    assert "Hello 🎬" in out.read_text(encoding="utf-8") and "00:00:00,480 --> 00:00:01,000" in out.read_text()
    otio_path = tmp_path / "out.otio"
    cutline("export", pid, str(otio_path), check=True)
    loaded = otio.adapters.read_from_file(str(otio_path))
    clips = list(loaded.find_clips())
    assert clips and clips[0].source_range.duration.to_frames() == 50
    edl = tmp_path / "out.edl"
    cutline("export", pid, str(edl), check=True)
    assert "take one.mp4" in edl.read_text()


@pytest.mark.parametrize("content", [b"1\n00:00:xx --> nope\nbad\n", b"\xff\xfe\x00garbage"])
def test_broken_subtitles_are_refused_and_the_project_is_unchanged(store, clip: Path, tmp_path: Path,
                                                                  content: bytes) -> None:
    created = json.loads(cutline("projects", "new", "broken subs", str(clip), "--json", check=True).stdout)
    bad = tmp_path / "bad.srt"
    bad.write_bytes(content)
    result = cutline("import-subtitles", str(created["id"]), str(bad))
    assert result.returncode == 1 and "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    assert store.projects.get(created["id"]).revision == 1


def test_second_filmstrip_is_served_from_the_shared_cache(store, tmp_path: Path) -> None:
    clip = tmp_path / "strip.mp4"
    make_clip(clip, frames=60, gop=15)
    first = cutline("thumbnails", str(clip), "--count", "6", "--size", "160x90", "--out", str(tmp_path / "a"),
                    check=True).stdout
    second = cutline("thumbnails", str(clip), "--count", "6", "--size", "160x90", "--out", str(tmp_path / "b"),
                     check=True).stdout
    assert "0 served from the cache" in first
    assert "6 served from the cache" in second
    assert (tmp_path / "a" / "thumb-005.jpg").read_bytes() == (tmp_path / "b" / "thumb-005.jpg").read_bytes()
