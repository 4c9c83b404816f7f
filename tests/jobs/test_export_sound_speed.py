"""Exports follow clip speed (pitch kept), reverse, gain, mute, solo, fades, crossfades and hidden tracks:
measured in the written file (frame numbers, levels in dB, the tone's frequency)."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from editor.jobs.export import render_spec_for
from editor.media.mixer import TimelineMixer
from editor.media.render import render
from editor.media.synth import make_clip, read_frame_number
from editor.model import clip_edits, edits, track_edits
from editor.model.navigate import timeline_from_media
from editor.model.timeline import MediaRef

pytestmark = pytest.mark.timeout(120)
R = Fraction(25)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> MediaRef:
    path = tmp_path_factory.mktemp("sound") / "tone.mp4"
    make_clip(path, frames=100, fps=R, size=(160, 120), gop=5, tone_hz=440.0)
    return MediaRef("fp-tone", str(path), 100, R, True, True, 160, 120)


def sound(path: Path) -> np.ndarray:
    with av.open(str(path)) as c:
        if not c.streams.audio:
            return np.zeros(48000, np.float32)  # nothing sounds: the export has no sound track
        res = av.AudioResampler(format="flt", layout="mono", rate=48000)
        parts = [o.to_ndarray().reshape(-1) for f in c.decode(audio=0) for o in res.resample(f)]
    return np.concatenate(parts)


def db(x: np.ndarray) -> float:
    return 20 * np.log10(max(float(np.sqrt(np.mean(x.astype(np.float64) ** 2))), 1e-9))


def frames(path: Path) -> list[int]:
    with av.open(str(path)) as c:
        return [read_frame_number(f.to_ndarray(format="rgb24")) for f in c.decode(video=0)]


def export(t, tmp_path: Path, name: str) -> Path:
    out = tmp_path / name
    render(render_spec_for(t, preset="fast"), out)
    return out


def test_gain_mute_and_fades_are_heard_in_the_export(media: MediaRef, tmp_path: Path) -> None:
    t = timeline_from_media([media], rate=R)
    a = t.tracks[1].items[0].id
    base = sound(export(t, tmp_path, "base.mp4"))
    quieter = clip_edits.set_clip_audio(t, a, gain_db=-12.0)
    q = sound(export(quieter, tmp_path, "q.mp4"))
    mid = slice(24000, 120000)
    assert db(q[mid]) - db(base[mid]) == pytest.approx(-12.0, abs=0.5)
    both = track_edits.set_track(quieter, 1, gain_db=-6.0)  # track gain adds to clip gain
    assert db(sound(export(both, tmp_path, "qt.mp4"))[mid]) - db(base[mid]) == pytest.approx(-18.0, abs=0.5)
    muted = clip_edits.set_clip_audio(t, a, muted=True)
    assert db(sound(export(muted, tmp_path, "m.mp4"))) < -80
    faded = clip_edits.set_clip_audio(t, a, fade_in=25, fade_out=25)  # one second each
    f = sound(export(faded, tmp_path, "f.mp4"))
    first, middle, last = db(f[:4800]), db(f[60000:100000]), db(f[-4800 - 2048:-2048])
    assert first < middle - 15 and last < middle - 15, (first, middle, last)
    assert db(f[43200:48000]) > middle - 1.5  # near the end of the fade in: almost full
    assert db(f[21600:26400]) == pytest.approx(middle - 6.0, abs=1.0)  # half way: half the amplitude


def test_mute_and_solo_of_tracks(media: MediaRef, tmp_path: Path) -> None:
    t = timeline_from_media([media], rate=R)
    t = edits.add_track(t, "audio")
    t = edits.append_clip(t, 2, media)
    assert db(sound(export(track_edits.set_track(t, 1, muted=True), tmp_path, "one.mp4"))) > -30
    silent = track_edits.set_track(track_edits.set_track(t, 1, muted=True), 2, muted=True)
    assert db(sound(export(silent, tmp_path, "none.mp4"))) < -80
    spec = render_spec_for(track_edits.set_track(t, 2, solo=True))
    assert [c.track for c in spec.clips if c.audio] == [2], "a solo track alone is heard"


def test_speed_keeps_pitch_and_reverse_plays_frames_backwards(media: MediaRef, tmp_path: Path) -> None:
    t = timeline_from_media([media], rate=R)
    v = t.tracks[0].items[0].id
    fast = edits.set_speed(t, v, 2)
    out = export(fast, tmp_path, "fast.mp4")
    assert frames(out) == list(range(0, 100, 2))
    s = sound(out)
    assert len(s) == pytest.approx(48000 * 2, abs=2048)
    spectrum = np.abs(np.fft.rfft(s[4800:4800 + 48000]))
    assert np.argmax(spectrum) == pytest.approx(440, abs=3), "twice as fast, the tone keeps its pitch"
    slow = edits.set_speed(t, v, Fraction(1, 2))
    s = sound(export(slow, tmp_path, "slow.mp4"))
    assert np.argmax(np.abs(np.fft.rfft(s[4800:4800 + 48000]))) == pytest.approx(440, abs=3)
    rev = clip_edits.set_reverse(edits.ripple_trim_out(t, v, 20), v, True)
    assert frames(export(rev, tmp_path, "rev.mp4")) == list(range(19, -1, -1))


def test_a_hidden_track_is_left_out_and_a_crossfade_overlaps_the_sounds(media: MediaRef, tmp_path: Path) -> None:
    t = timeline_from_media([media], rate=R)
    t = edits.add_track(t, "video")
    t = edits.append_clip(t, 2, media, source_in=50, duration=30)
    assert frames(export(t, tmp_path, "top.mp4"))[:3] == [50, 51, 52], "the upper track covers"
    hidden = track_edits.set_track(t, 2, hidden=True)
    assert frames(export(hidden, tmp_path, "hid.mp4"))[:3] == [0, 1, 2]
    x = timeline_from_media([media], rate=R)
    x = edits.split(x, 0, 50)
    first = x.tracks[1].items[0].id
    x = clip_edits.crossfade(x, first, 10)
    spec = render_spec_for(x)
    tail = next(c for c in spec.clips if c.audio and c.timeline_start == 0)
    assert tail.timeline_end == Fraction(60, 25) and tail.fades[2:] == (Fraction(2), Fraction(60, 25))
    mixer = TimelineMixer(spec.clips)
    pcm = np.frombuffer(mixer.read(0, 48000 * 4), "<i2").reshape(-1, 2)[:, 0].astype(np.float32) / 32767
    mixer.close()
    # a tone crossfaded with itself stays about as loud through the join (linear fades of one tone)
    assert abs(db(pcm[int(2.1 * 48000):int(2.3 * 48000)]) - db(pcm[48000:int(1.5 * 48000)])) < 3.5


def test_render_clip_fades_cross_the_process_boundary() -> None:
    from editor.media.render_spec import RenderClip, RenderSpec

    c = RenderClip("/x.mp4", Fraction(0), Fraction(2), Fraction(0), gain=0.5,
                   fades=(Fraction(0), Fraction(1, 2), Fraction(1), Fraction(2)), reverse=True)
    spec = RenderSpec(clips=(c,))
    back = RenderSpec.from_json(spec.to_json())
    assert back.clips[0] == c and replace(c, gain=1.0).envelope(Fraction(0), 4, 4) is not None
