from __future__ import annotations

import os
import time
from fractions import Fraction

import pytest

from editor.media.probe import MediaInfo, fingerprint, probe


@pytest.mark.parametrize("name,codec,pix", [("mp4", "h264", "yuv420p"), ("webm", "vp9", "yuv420p"),
                                            ("prores", "prores", "yuv422p10le"),
                                            ("tenbit", "h264", "yuv420p10le")])
def test_probe_formats(media, name, codec, pix) -> None:
    clip = getattr(media, name)
    info = probe(clip.path)
    assert info.video is not None and info.video.codec == codec and info.video.pix_fmt == pix
    assert (info.video.width, info.video.height) == (320, 240)
    assert info.video.frame_rate == 25 and not info.video.variable_frame_rate
    assert abs(info.duration - clip.duration) < Fraction(1, 10)
    assert info.audio is not None and info.audio.sample_rate == 48000 and info.audio.channels == 2
    assert info.bit_rate and info.size_bytes == clip.path.stat().st_size
    if name != "webm":
        assert info.video.frame_count == clip.frames


def test_probe_rotation_vfr_audio_only(media) -> None:
    rot = probe(media.rotated.path).video
    assert rot is not None and rot.rotation == 90 and rot.display_size == (240, 320)
    vfr = probe(media.vfr.path).video
    assert vfr is not None and vfr.variable_frame_rate
    audio = probe(media.audio_only.path)
    assert audio.video is None and audio.audio is not None and audio.audio.codec == "aac"
    assert probe(media.wav.path).audio.codec == "pcm_s16le"


def test_json_round_trip(media) -> None:
    for clip in (media.mp4, media.rotated, media.audio_only):
        info = probe(clip.path)
        assert MediaInfo.from_json(info.to_json()) == info


def test_second_probe_comes_from_cache(media, dict_cache) -> None:
    first = probe(media.mp4.path, cache=dict_cache)
    assert dict_cache.sets == 1 and any(k.startswith("metadata:") for k in dict_cache.data)
    t = time.perf_counter()
    second = probe(media.mp4.path, cache=dict_cache)
    elapsed = time.perf_counter() - t
    assert second == first and dict_cache.sets == 1
    assert elapsed < 0.05


def test_fingerprint_changes_with_content(tmp_path, media) -> None:
    copy = tmp_path / "copy.mp4"
    copy.write_bytes(media.mp4.path.read_bytes())
    fp = fingerprint(copy)
    assert fp == fingerprint(copy)
    data = bytearray(copy.read_bytes())
    data[-10] ^= 0xFF
    copy.write_bytes(bytes(data))
    os.utime(copy, ns=(1, 1))
    assert fingerprint(copy) != fp
