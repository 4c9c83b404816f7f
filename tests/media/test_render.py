from __future__ import annotations

import json
import subprocess
import sys
import threading
from fractions import Fraction as F
from pathlib import Path

import av
import pytest

from editor.media.errors import RenderCancelled, RenderError
from editor.media.frames import FrameReader
from editor.media.probe import probe
from editor.media.render import RenderClip, RenderResult, RenderSpec, cuts_on_keyframes, render
from editor.media.render_process import render_in_subprocess
from editor.media.synth import read_frame_number
from editor.media.waveform import waveform_peaks

ROOT = Path(__file__).resolve().parents[2]


def numbers(path: Path, crop: slice | None = None) -> list[int]:
    with FrameReader(path) as reader:
        out = []
        for i in range(reader.frame_count):
            arr = reader.read(i, back_window=0).to_ndarray()
            out.append(read_frame_number(arr[:, crop] if crop else arr))
        return out


def leftovers(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if p.name.startswith(".")]


def test_reencode_conforms_sizes_and_rates_exactly(tmp_path, media) -> None:
    a, b = media.mp4, media.other_size  # 320x240@25 and 240x240@30 (numbers from 1000)
    spec = RenderSpec((RenderClip(str(a.path), F(1), F(3), F(0)), RenderClip(str(b.path), F(0), F(1), F(2))),
                      width=320, height=180, fps=F(25))
    assert RenderSpec.from_json(spec.to_json()) == spec
    progress: list[float] = []
    result = render(spec, tmp_path / "out.mp4", on_progress=lambda p, m: progress.append(p))
    assert result.frames == 75 and progress[-1] == 100.0
    info = probe(result.path)
    assert info.video.frame_count == 75 and (info.video.width, info.video.height) == (320, 180)
    first = numbers(result.path, slice(40, 280))[:50]  # 320x240 pillarboxed to 240x180
    second = numbers(result.path, slice(70, 250))[50:]  # 240x240 -> 180x180
    assert first == list(range(25, 75))
    assert second == [1000 + (i * 30) // 25 for i in range(25)]
    assert leftovers(tmp_path) == []


def test_reencode_audio_stays_in_sync(tmp_path, media) -> None:
    clip = media.mp4  # beeps at each whole source second
    spec = RenderSpec((RenderClip(str(clip.path), F(1, 2), F(7, 2), F(0)),), width=320, height=240)
    out = render(spec, tmp_path / "sync.mp4").path
    arr = waveform_peaks(out, buckets_per_second=100).as_array()
    onsets = [i for i in range(1, len(arr)) if arr[i, 1] > 3000 and arr[i - 1, 1] <= 3000]
    assert [round(o / 100, 1) for o in onsets] == [0.5, 1.5, 2.5]
    assert all(abs(o - e) <= 2 for o, e in zip(onsets, (50, 150, 250), strict=True))  # within 20 ms


def test_speed_and_gaps(tmp_path, media) -> None:
    clip = media.mp4
    spec = RenderSpec((RenderClip(str(clip.path), F(0), F(2), F(0), speed=F(2)),
                       RenderClip(str(clip.path), F(0), F(1, 5), F(2))), width=320, height=240)
    out = render(spec, tmp_path / "speed.mp4")
    nums = numbers(out.path)
    assert out.frames == 55 and nums[:25] == list(range(0, 50, 2))
    with FrameReader(out.path) as reader:  # the gap between the clips is black
        assert reader.read(37).to_ndarray().max() < 40
    assert nums[50:] == [0, 1, 2, 3, 4]


def test_stream_copy_on_keyframes_is_exact(tmp_path, media) -> None:
    clip = media.mp4  # keyframe every second
    spec = RenderSpec((RenderClip(str(clip.path), F(1), F(2), F(0)),
                       RenderClip(str(clip.path), F(3), F(4), F(1))),
                      mode="copy")
    assert cuts_on_keyframes(spec) == (True, "")
    result = render(spec, tmp_path / "copy.mp4")
    assert result.mode_used == "copy" and not result.notes
    assert numbers(result.path) == list(range(25, 50)) + list(range(75, 100))
    assert probe(result.path).audio is not None


def test_stream_copy_off_keyframe_starts_at_the_keyframe_before_and_says_so(tmp_path, media) -> None:
    clip = media.mp4  # keyframes every 25 frames, B-frames
    spec = RenderSpec((RenderClip(str(clip.path), F(6, 5), F(9, 5), F(0)),), mode="copy")
    result = render(spec, tmp_path / "wide.mp4")
    (seg,) = result.segments
    got = numbers(result.path)
    assert got[0] == 25 and got == list(range(25, 25 + len(got)))  # from the keyframe before 30, no gap
    assert seg.actual_in == F(1) and seg.actual_out == F(25 + len(got), 25) and not seg.exact
    assert 45 <= 25 + len(got) <= 48  # ends at the out-point or the few frames its B-frames need
    assert len(result.notes) == 1 and "keyframe" in result.notes[0] and "1.000" in result.notes[0]


def test_smart_mode(tmp_path, media) -> None:
    clip = media.mp4
    aligned = render(RenderSpec((RenderClip(str(clip.path), F(1), F(2), F(0)),), mode="smart", width=320,
                                height=240), tmp_path / "a.mp4")
    assert aligned.mode_used == "copy"
    cut = render(RenderSpec((RenderClip(str(clip.path), F(27, 25), F(2), F(0)),), mode="smart", width=320,
                            height=240), tmp_path / "b.mp4")
    assert cut.mode_used == "smart" and numbers(cut.path) == list(range(27, 50))


def test_smart_cut_copies_whole_gops_and_reencodes_the_edges(tmp_path, media) -> None:
    clip = media.mp4  # keyframes at 0, 25, 50, 75; beeps at 0, 1, 2, 3 s
    spec = RenderSpec((RenderClip(str(clip.path), F(27, 25), F(63, 25), F(0)),  # head + tail re-encoded
                       RenderClip(str(clip.path), F(10, 25), F(80, 25), F(36, 25)),  # head, 2 GOPs, tail
                       RenderClip(str(clip.path), F(3, 25), F(20, 25), F(106, 25))),  # inside one GOP
                      mode="smart")
    result = render(spec, tmp_path / "smart.mp4")
    assert result.mode_used == "smart"
    expected = list(range(27, 63)) + list(range(10, 80)) + list(range(3, 20))
    assert numbers(result.path) == expected
    with av.open(str(result.path)) as f:  # every packet decodes cleanly
        stream = f.streams.video[0]
        assert sum(1 for frame in f.decode(stream) if not frame.is_corrupt) == len(expected)
    arr = waveform_peaks(result.path, buckets_per_second=100).as_array()
    onsets = [i for i in range(1, len(arr)) if arr[i, 1] > 3000 and arr[i - 1, 1] <= 3000]
    # beeps at source 2 s (clip 1), 1, 2, 3 s (clip 2): 0.92, 2.04, 3.04, 4.04 s on the output
    assert all(abs(o - e) <= 3 for o, e in zip(onsets, (92, 204, 304, 404), strict=True))


def test_smart_cut_falls_back_to_reencode_for_other_codecs(tmp_path, media) -> None:
    spec = RenderSpec((RenderClip(str(media.webm.path), F(3, 25), F(1), F(0)),), mode="smart",
                      width=320, height=240)
    result = render(spec, tmp_path / "vp9.mp4")
    assert result.mode_used == "reencode" and "H.264" in result.notes[0]
    assert numbers(result.path) == list(range(3, 25))


def test_cancel_leaves_nothing(tmp_path, media) -> None:
    cancel = threading.Event()
    target = tmp_path / "cancelled.mp4"

    def on_progress(p: float, m: str) -> None:
        cancel.set()  # cancel as soon as the render reports it started

    spec = RenderSpec((RenderClip(str(media.mp4.path), F(0), F(4), F(0)),), width=320, height=240)
    with pytest.raises(RenderCancelled):
        render(spec, target, on_progress=on_progress, cancel=cancel)
    assert list(tmp_path.iterdir()) == []


def test_failed_render_leaves_nothing(tmp_path, media) -> None:
    target = tmp_path / "failed.mp4"
    target.write_bytes(b"previous export")
    spec = RenderSpec((RenderClip(str(media.mp4.path), F(0), F(1), F(0)),
                       RenderClip(str(tmp_path / "missing.mp4"), F(0), F(1), F(1))), width=320, height=240)
    with pytest.raises(RenderError) as exc:
        render(spec, target)
    assert "missing.mp4" in str(exc.value) and "\n" not in str(exc.value)
    assert target.read_bytes() == b"previous export" and leftovers(tmp_path) == []


def test_child_process_json_lines(tmp_path, media) -> None:
    spec = RenderSpec((RenderClip(str(media.mp4.path), F(0), F(1), F(0)),), width=320, height=240)
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(spec.to_json())
    out = tmp_path / "child.mp4"
    proc = subprocess.run([sys.executable, "-m", "editor.media.render_process", str(spec_file), str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    lines = [json.loads(x) for x in proc.stdout.splitlines()]
    assert proc.returncode == 0 and lines[0]["type"] == "progress" and lines[-1]["type"] == "complete"
    assert lines[-1]["frames"] == 25 and out.exists()
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    proc = subprocess.run([sys.executable, "-m", "editor.media.render_process", str(bad), str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and json.loads(proc.stdout.splitlines()[-1])["type"] == "error"


def test_run_in_subprocess_progress_and_cancel(tmp_path, media) -> None:
    spec = RenderSpec((RenderClip(str(media.mp4.path), F(0), F(2), F(0)),), width=320, height=240)
    progress: list[float] = []
    out = render_in_subprocess(spec, tmp_path / "sub.mp4", lambda p, m: progress.append(p)).path
    assert out.exists() and progress[-1] == 100.0 and probe(out).video.frame_count == 50
    cancel = threading.Event()
    big = RenderSpec((RenderClip(str(media.mp4.path), F(0), F(4), F(0)),), width=1280, height=720,
                     preset="slow")
    with pytest.raises(RenderCancelled):
        render_in_subprocess(big, tmp_path / "cancel.mp4", lambda p, m: cancel.set(), cancel)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sub.mp4"]


def test_a_render_child_hands_back_its_notes_and_segments(tmp_path, media) -> None:
    """The copy plan and the notes are part of the result that crosses the process boundary (a job keeps them)."""
    spec = RenderSpec((RenderClip(str(media.mp4.path), F(1, 2), F(3), F(0)),), width=320, height=240, mode="copy")
    result = render_in_subprocess(spec, tmp_path / "copy.mp4")
    assert result.path == tmp_path / "copy.mp4" and result.mode_used == "copy" and result.frames > 0
    assert any("keyframe" in n for n in result.notes), result.notes
    [seg] = result.segments
    assert seg.mode == "copy" and seg.actual_in == 0 and seg.requested_in == F(1, 2) and not seg.exact
    assert RenderResult.from_json(result.to_json()) == result


def test_child_killed_by_signal_is_an_error(tmp_path, media) -> None:
    killer = tmp_path / "killer.sh"
    killer.write_text(f"#!/bin/sh\n{sys.executable} \"$@\" &\nsleep 0.8\nkill -KILL $!\nkill -KILL $$\n")
    killer.chmod(0o755)
    spec = RenderSpec((RenderClip(str(media.mp4.path), F(0), F(4), F(0)),), width=1280, height=720,
                      preset="slow")
    target = tmp_path / "killed.mp4"
    with pytest.raises(RenderError) as exc:
        render_in_subprocess(spec, target, python=str(killer))
    assert "SIGKILL" in str(exc.value)
    assert [p.name for p in tmp_path.iterdir()] == ["killer.sh"]


def test_reencode_from_every_kind_of_source(tmp_path, media) -> None:
    # rotated (display 240x320, pillarboxed into 320x240 at x 60..180*...), VP9, ProRes, 10-bit, VFR
    for name in ("rotated", "webm", "prores", "tenbit", "vfr"):
        clip = getattr(media, name)
        spec = RenderSpec((RenderClip(str(clip.path), F(0), F(1), F(0)),), width=320, height=240)
        out = render(spec, tmp_path / f"{name}.mp4").path
        with FrameReader(out) as reader:
            assert reader.frame_count == 25
            for i in (0, 7, 24):
                arr = reader.read(i).to_ndarray()
                if name == "rotated":
                    arr = arr[:, 70:250]  # 240x320 fitted into 320x240 is 180x240, centred
                t = F(i, 25)
                expected = max(k for k, ft in enumerate(clip.frame_times) if ft <= t)
                assert read_frame_number(arr) == expected, (name, i)


def test_render_a_range_of_the_timeline(tmp_path, media) -> None:
    clip = media.mp4
    spec = RenderSpec((RenderClip(str(clip.path), F(0), F(4), F(0)),), width=320, height=240,
                      range_start=F(1, 2), range_end=F(3, 2))
    assert RenderSpec.from_json(spec.to_json()) == spec
    result = render(spec, tmp_path / "range.mp4")
    assert result.frames == 25 and numbers(result.path) == list(range(12, 37))
