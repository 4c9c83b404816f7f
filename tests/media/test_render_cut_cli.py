"""`cutline cut`: segments in every form, joined or separate, smart/copy/re-encode, a JSON summary, one-line
errors, no database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import av
import pytest

from editor.media.synth import SynthClip, make_clip, read_frame_number

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> SynthClip:
    return make_clip(tmp_path_factory.mktemp("cut") / "src.mp4", frames=150, gop=25)


def cutline(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from editor.cli import main; raise SystemExit(main())", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)


def no_servers_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["CUTLINE_DATA_DIR"] = str(tmp_path / "data")  # an empty data folder: no servers to join
    env["CUTLINE_DATABASE_URL"] = "postgresql://cutline@127.0.0.1:1/none?connect_timeout=30"  # would hang
    env["CUTLINE_REDIS_URL"] = "redis://127.0.0.1:1/0"
    return env


def numbers(path: Path) -> list[int]:
    with av.open(str(path)) as c:
        return [read_frame_number(f.to_ndarray(format="rgb24")) for f in c.decode(video=0)]


def test_smart_cut_joins_segments_in_every_form_exactly_without_a_database(tmp_path, clip) -> None:
    out = tmp_path / "joined.mp4"
    proc = cutline("cut", str(clip.path), "--segment", "f38-f133", "--segment", "0.2-00:00:00.600",
                   "--segment", "00:00:05.000-f150", "--mode", "smart", "-o", str(out), "--json",
                   env=no_servers_env(tmp_path))
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    (output,) = summary["outputs"]
    assert output["path"] == str(out) and output["frames"] == 95 + 10 + 25
    assert output["ranges"] == [[1.52, 5.32], [0.2, 0.6], [5.0, 6.0]]
    assert [s["mode"] for s in output["segments"]] == ["smart", "reencode", "copy"]
    assert all(s["exact"] for s in output["segments"])
    assert numbers(out) == list(range(38, 133)) + list(range(5, 15)) + list(range(125, 150))
    assert "100%" in proc.stderr  # the progress bar
    assert not (tmp_path / "data" / "servers").exists()  # nothing was started or joined


def test_copy_says_it_is_a_keyframe_cut_with_the_real_ranges(tmp_path, clip) -> None:
    out = tmp_path / "copy.mkv"
    proc = cutline("cut", str(clip.path), "--segment", "1.2-2.4", "--segment", "f100-f125", "--mode", "copy",
                   "-o", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    assert "segment 1: keyframe cut, copied 1.000-" in proc.stderr and "(asked 1.200-2.400 s)" in proc.stderr
    segs = json.loads(proc.stdout)["outputs"][0]["segments"]
    assert segs[0]["actual"][0] == 1.0 and segs[0]["requested"] == [1.2, 2.4] and not segs[0]["exact"]
    assert segs[1]["actual"] == [4.0, 5.0] and segs[1]["exact"]
    got = numbers(out)
    assert got[0] == 25 and got[-25:] == list(range(100, 125))
    assert any("keyframe" in w for w in json.loads(proc.stdout)["warnings"])


def test_separate_files_by_template_and_folder(tmp_path, clip) -> None:
    proc = cutline("cut", str(clip.path), "--segment", "f0-f10", "--segment", "f50-f60", "--mode", "reencode",
                   "--separate", "-o", str(tmp_path / "{name}-part{n}.webm"))
    assert proc.returncode == 0, proc.stderr
    for n, first in ((1, 0), (2, 50)):
        path = tmp_path / f"src-part{n}.webm"
        with av.open(str(path)) as c:
            assert c.streams.video[0].codec_context.name == "vp9"
        assert numbers(path) == list(range(first, first + 10))
    folder = tmp_path / "parts"
    folder.mkdir()
    proc = cutline("cut", str(clip.path), "--segment", "f25-f50", "--segment", "f75-f100", "--mode", "copy",
                   "--separate", "-o", str(folder))
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["src-1.mp4", "src-2.mp4"]
    assert numbers(folder / "src-2.mp4") == list(range(75, 100))


def test_bad_input_gets_one_line_and_exit_1(tmp_path, clip) -> None:
    existing = tmp_path / "there.mp4"
    existing.write_bytes(b"keep me")
    cases = [
        (["cut", str(tmp_path / "missing.mp4"), "--segment", "1-2", "-o", str(tmp_path / "o.mp4")], "not found"),
        (["cut", str(clip.path), "--segment", "2", "-o", str(tmp_path / "o.mp4")], "expected A-B"),
        (["cut", str(clip.path), "--segment", "soon-later", "-o", str(tmp_path / "o.mp4")], "is not a time"),
        (["cut", str(clip.path), "--segment", "3-2", "-o", str(tmp_path / "o.mp4")], "holds no frame"),
        (["cut", str(clip.path), "--segment", "f400-f500", "-o", str(tmp_path / "o.mp4")], "after the end"),
        (["cut", str(clip.path), "--segment", "1-2", "-o", str(existing)], "already exists"),
        (["cut", str(clip.path), "--segment", "1-2", "-o", str(tmp_path / "o.avi")], "cannot write"),
        (["cut", str(clip.path), "--segment", "1-2", "-o", str(tmp_path / "o.webm"), "--video-codec", "h264"],
         "cannot hold h264"),
        (["cut", str(clip.path), "--segment", "1-2", "--separate", "-o", str(tmp_path / "o.mp4")], "{n}"),
        (["cut", str(clip.path), "--segment", "1-2", "-o", str(tmp_path / "no" / "o.mp4")], "does not exist"),
    ]
    for args, words in cases:
        proc = cutline(*args)
        assert proc.returncode == 1, (args, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and words in lines[0] and "Traceback" not in proc.stderr, (args, proc.stderr)
    assert existing.read_bytes() == b"keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["there.mp4"]
    proc = cutline("cut", str(clip.path), "--segment", "f0-f25", "-o", str(existing), "--overwrite")
    assert proc.returncode == 0 and numbers(existing) == list(range(25))


def test_a_copy_cut_loads_no_numpy_qt_database_or_redis_code(clip: SynthClip, tmp_path: Path) -> None:
    """Start-up paid only where needed: a stream copy needs PyAV and nothing heavy beside it."""
    out = tmp_path / "copy.mp4"
    code = ("import sys\nfrom editor.cli import main\n"
            f"rc = main(['cut', {str(clip.path)!r}, '--segment', '1-3', '--mode', 'copy', '-o', {str(out)!r}])\n"
            "heavy = ('numpy', 'PySide6', 'psycopg', 'redis', 'editor.store.validate', 'editor.media.frames',"
            " 'editor.media.render_reencode', 'importlib.metadata')\n"
            "print(rc, sorted(m for m in heavy if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env=no_servers_env(tmp_path))
    assert done.stdout.split("\n")[0] == "0 []", done.stdout + done.stderr
    assert out.stat().st_size > 0
