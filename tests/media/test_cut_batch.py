"""`cutline cut FILE1 FILE2 ... --segments-from LIST`: one segment list on many files (times from the start
or from each file's end), joined or one file per segment, name templates, one summary of what worked."""

from __future__ import annotations

import json

import pytest

from editor.media.synth import SynthClip, make_clip
from tests.media.test_render_cut_cli import cutline, no_servers_env, numbers


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[SynthClip]:
    root = tmp_path_factory.mktemp("batch")
    return [make_clip(root / "one.mp4", frames=75, gop=25),
            make_clip(root / "two.mp4", frames=100, gop=25, start_number=1000)]


def test_batch_separate_with_names_and_times_from_each_files_end(tmp_path, files) -> None:
    lst = tmp_path / "list.csv"
    lst.write_text("start,end,name\n0.4,1.2,intro\n-1,end,outro\n", encoding="utf-8")
    out = tmp_path / "out"
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"not a video at all")
    proc = cutline("cut", str(files[0].path), str(bad), str(files[1].path), "--segments-from", str(lst),
                   "--separate", "--mode", "smart", "-o", f"{out}/", "--name-template",
                   "{n}-{name}-{source}-{timecode}", "--json", env=no_servers_env(tmp_path))
    assert proc.returncode == 1, proc.stderr  # one file failed: said, and the others were still cut
    assert "batch: 2 of 3 files cut (4 outputs), 1 failed:" in proc.stderr
    assert "failed broken.mp4:" in proc.stderr
    summary = json.loads(proc.stdout)
    assert [f["input"] for f in summary["files"]] == [str(files[0].path), str(files[1].path)]
    assert summary["failed"][0]["input"] == str(bad)
    names = sorted(p.name for p in out.iterdir())
    assert names == ["1-intro-one-00.00.00.400.mp4", "1-intro-two-00.00.00.400.mp4",
                     "2-outro-one-00.00.02.000.mp4", "2-outro-two-00.00.03.000.mp4"]
    assert numbers(out / "1-intro-one-00.00.00.400.mp4") == list(range(10, 30))
    assert numbers(out / "2-outro-one-00.00.02.000.mp4") == list(range(50, 75))  # the last second of 3 s
    assert numbers(out / "2-outro-two-00.00.03.000.mp4") == list(range(1075, 1100))  # the last second of 4 s
    assert proc.stderr.count("100%") == 1  # one progress bar for the whole batch


def test_batch_joined_in_copy_mode_from_a_losslesscut_project(tmp_path, files) -> None:
    llc = tmp_path / "project.llc"
    llc.write_text("{\n  version: 1,\n  mediaFileName: 'one.mp4',\n  cutSegments: [\n"
                   "    { start: 1, end: 2, name: 'a', },\n    { start: 0, end: 0.5, },\n  ],\n}\n",
                   encoding="utf-8")
    out = tmp_path / "joined"
    proc = cutline("cut", str(files[0].path), str(files[1].path), "--segments-from", str(llc), "--mode", "copy",
                   "-o", f"{out}/", env=no_servers_env(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "batch: 2 of 3" not in proc.stderr and "batch: 2 of 2 files cut (2 outputs)" in proc.stderr
    assert numbers(out / "one-cut.mp4") == list(range(25, 50)) + list(range(0, 13))  # on keyframes 25, 0
    assert numbers(out / "two-cut.mp4") == list(range(1025, 1050)) + list(range(1000, 1013))


@pytest.mark.parametrize("content, message", [
    ("", "the segment list is empty"),
    ("start,end\n", "has a header and no segments"),
    ("1,2\nabc,3\n", "row 2: 'abc' is not a time"),
    ("5\n", "row 1: expected start,end"),
])
def test_a_bad_segment_list_is_one_line(tmp_path, files, content, message) -> None:
    lst = tmp_path / "list.csv"
    lst.write_text(content, encoding="utf-8")
    proc = cutline("cut", str(files[0].path), "--segments-from", str(lst), "-o", str(tmp_path / "o.mp4"),
                   env=no_servers_env(tmp_path))
    assert proc.returncode == 1 and message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_a_batch_needs_a_folder_and_a_list_must_exist(tmp_path, files) -> None:
    env = no_servers_env(tmp_path)
    proc = cutline("cut", str(files[0].path), str(files[1].path), "--segment", "0-1", "-o",
                   str(tmp_path / "x.mp4"), env=env)
    assert proc.returncode == 1 and "with several files, give a folder" in proc.stderr
    proc = cutline("cut", str(files[0].path), "--segments-from", str(tmp_path / "nope.csv"), "-o",
                   str(tmp_path / "x.mp4"), env=env)
    assert proc.returncode == 1 and "segment list not found" in proc.stderr
    proc = cutline("cut", str(files[0].path), "-o", str(tmp_path / "x.mp4"), env=env)
    assert proc.returncode == 1 and "no segments" in proc.stderr
