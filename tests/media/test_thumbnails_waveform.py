from __future__ import annotations

import av

from editor.media.synth import read_frame_number
from editor.media.thumbnails import filmstrip, thumbnail_times
from editor.media.waveform import Peaks, waveform_peaks


def decode_jpeg(data: bytes):
    ctx = av.CodecContext.create("mjpeg", "r")
    frames = ctx.decode(av.Packet(data))
    return frames[0].to_ndarray(format="rgb24")


def test_keyframe_filmstrip(media, dict_cache) -> None:
    clip = media.mp4  # keyframes every 25 frames
    thumbs = filmstrip(clip.path, 8, (160, 90), cache=dict_cache)
    assert len(thumbs) == 8 and all(t.jpeg[:2] == b"\xff\xd8" for t in thumbs)
    assert (thumbs[0].width, thumbs[0].height) == (120, 90)
    for th in thumbs:
        shown = read_frame_number(decode_jpeg(th.jpeg))
        expected_key = int(th.time * 25) // 25 * 25
        assert shown == expected_key
    assert sum(k.startswith("thumb:") for k in dict_cache.data) == 8


def test_filmstrip_second_time_is_served_from_cache(media, dict_cache) -> None:
    first = filmstrip(media.mp4.path, 5, (160, 90), cache=dict_cache)
    sets = dict_cache.sets
    second = filmstrip(media.mp4.path, 5, (160, 90), cache=dict_cache)
    assert [t.jpeg for t in first] == [t.jpeg for t in second] and dict_cache.sets == sets


def test_exact_filmstrip_and_rotation(media) -> None:
    clip = media.rotated
    thumbs = filmstrip(clip.path, 4, (90, 90), exact=True)
    assert (thumbs[0].width, thumbs[0].height) == (66, 90)
    for th, t in zip(thumbs, thumbnail_times(clip.duration, 4), strict=True):
        assert read_frame_number(decode_jpeg(th.jpeg)) == int(t * 25)


def test_filmstrip_of_other_formats(media) -> None:
    for clip in (media.webm, media.prores, media.tenbit, media.vfr):
        thumbs = filmstrip(clip.path, 3, (80, 60))
        assert len(thumbs) == 3 and all(len(t.jpeg) > 100 for t in thumbs)


def test_waveform_peaks_show_the_beeps(media, dict_cache) -> None:
    peaks = waveform_peaks(media.wav.path, buckets_per_second=20, cache=dict_cache)
    arr = peaks.as_array()
    assert abs(peaks.count - 40) <= 1
    loud = [i for i in range(peaks.count) if arr[i, 1] > 5000]
    assert loud == [0, 1, 20, 21]  # 100 ms beeps at 0 s and 1 s
    assert arr[:, 0].min() < -5000
    assert Peaks.from_bytes(peaks.to_bytes()) == peaks
    again = waveform_peaks(media.wav.path, buckets_per_second=20, cache=dict_cache)
    assert again == peaks and dict_cache.sets == 1
