"""The time origin of every shape of file, and the synthetic media that have those shapes."""

from __future__ import annotations

from fractions import Fraction

import av
import pytest

from editor.media import synth
from editor.media.origin import packets_from, scan_video, time_origin
from editor.media.synth import SHAPES, SynthClip, make_shape, read_frame_number


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SynthClip]:
    root = tmp_path_factory.mktemp("shapes")
    return {name: make_shape(root, name, flash=True) for name in SHAPES}


@pytest.mark.parametrize("name", SHAPES)
def test_index_has_exactly_the_frames_of_the_file_at_their_times(shapes, name) -> None:
    clip = shapes[name]
    with av.open(str(clip.path)) as container:
        origin = time_origin(container)
        index = scan_video(container)
    assert index.origin == origin
    assert len(index) == clip.frames
    assert [index.time_of(k) for k in range(len(index))] == list(clip.frame_times)


def test_containers_add_what_real_files_have(shapes) -> None:
    with av.open(str(shapes["ts"].path)) as c:
        assert time_origin(c).seconds > Fraction(13, 10)  # TS starts at ~1.4 s
    with av.open(str(shapes["open_gop_ts"].path)) as c:
        assert time_origin(c).leading_dropped >= 1  # a B-frame shown before the first keyframe
    with av.open(str(shapes["edit_list_mp4"].path)) as c:
        v = c.streams.video[0]
        assert any(p.is_discard for p in c.demux(v) if p.size)  # the edit list hides a pre-roll
    with av.open(str(shapes["delayed_mp4"].path)) as c:
        assert time_origin(c).seconds == Fraction(1, 10)  # an empty edit: the picture starts after sound


@pytest.mark.parametrize("name", SHAPES)
def test_decoding_from_each_keyframe_gives_the_numbered_frames(shapes, name) -> None:
    clip = shapes[name]
    with av.open(str(clip.path)) as container:
        index = scan_video(container)
        stream = index.stream
        for k in index.keyframe_indices()[::-1]:
            key = index.keyframe_before(k)
            got = None
            for packet in packets_from(container, stream, key, index.order):
                for frame in stream.decode(packet):
                    if index.frame_at_pts(frame.pts) == k:
                        got = read_frame_number(frame.to_ndarray(format="rgb24"))
                if got is not None:
                    break
            stream.codec_context.flush_buffers()
            assert got == clip.first_number + k


@pytest.mark.parametrize("name", [s for s in SHAPES if s != "remux_ts"])
def test_flash_and_beep_are_in_sync_in_every_shape(shapes, name) -> None:
    clip = shapes[name]
    report = synth.measure_sync(clip.path)
    assert len(report.flashes) == len(clip.flash_frames) > 0
    assert [f for f in report.flashes] == [clip.frame_times[i] for i in clip.flash_frames]
    assert report.unmatched_flashes == () and report.unmatched_beeps == ()
    assert report.worst_ms < 1.0


def test_measure_sync_sees_a_shifted_sound(tmp_path) -> None:
    clip = synth.make_clip(tmp_path / "fb.mkv", frames=60, flash=True)
    late = tmp_path / "late.mkv"
    with av.open(str(clip.path)) as inp, av.open(str(late), "w") as out:
        ov = out.add_stream_from_template(inp.streams.video[0])
        oa = out.add_stream_from_template(inp.streams.audio[0])
        for packet in inp.demux():
            if packet.size == 0:
                continue
            if packet.stream.type == "audio":
                shift = round(Fraction(1, 25) / packet.time_base)  # 40 ms late
                packet.pts += shift
                packet.dts += shift
                packet.stream = oa
            else:
                packet.stream = ov
            out.mux(packet)
    report = synth.measure_sync(late)
    assert report.offsets_ms and all(39 < o < 41 for o in report.offsets_ms)
