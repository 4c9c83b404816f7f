"""Synthetic test media: clips whose pictures carry their own frame number, with a tone.

``make_clip`` writes a few seconds of video whose every picture encodes its frame number as a grid of big
black/white blocks (16 bits, top quarter of the picture, robust to lossy compression and to scaling down
to 1/4 size), plus a tone or per-second beeps, so a test can check that the frame shown, seeked to or
exported is exactly the one expected. ``read_frame_number`` reads the number back from an RGB array.

Worker thread or test thread; never touches Qt.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

CODE_BITS = 16
CODE_COLUMNS = 8
CODE_ROWS = CODE_BITS // CODE_COLUMNS

_AUDIO_CODECS = {".mp4": "aac", ".m4a": "aac", ".mov": "aac", ".mkv": "aac", ".webm": "libopus",
                 ".wav": "pcm_s16le", ".ogg": "libopus"}
_VFR_PATTERN_MS = (40, 20, 60, 40, 40)  # averages 25 fps
#: What FFmpeg's CLI gives every MPEG-TS it writes (``-muxdelay 0.7``): the first timestamp is ~1.4 s.
_CONTAINER_OPTIONS = {".ts": {"max_delay": "700000"}, ".m2ts": {"max_delay": "700000"},
                      ".mts": {"max_delay": "700000"}}
FLASH_TONE_HZ = 1000.0


@dataclass(frozen=True)
class SynthClip:
    """What ``make_clip`` wrote: the path and the presentation time of each frame (seconds)."""

    path: Path
    frames: int
    fps: Fraction
    size: tuple[int, int]  # coded size (width, height)
    display_size: tuple[int, int]  # after display rotation
    frame_times: tuple[Fraction, ...] = field(repr=False)
    duration: Fraction
    has_audio: bool
    rotation: int
    #: the number painted on frame 0 (a clip cut from a longer one starts at a later number)
    first_number: int = 0
    #: frames that flash white (their sound beeps), for sync measurements; empty unless ``flash``
    flash_frames: tuple[int, ...] = ()


def _code_area(width: int, height: int) -> tuple[int, int]:
    return width // CODE_COLUMNS, height // (CODE_ROWS * 4)


def paint_frame_number(img: np.ndarray, number: int) -> None:
    """Paint ``number`` (16 bits) as black/white blocks over the top quarter of the RGB array ``img``.
    Any thread.
    """
    height, width = img.shape[:2]
    bw, bh = _code_area(width, height)
    for bit in range(CODE_BITS):
        row, col = divmod(bit, CODE_COLUMNS)
        value = 255 if (number >> (CODE_BITS - 1 - bit)) & 1 else 0
        img[row * bh * 2:(row * 2 + 1) * bh * 2, col * bw:(col + 1) * bw] = value


def read_frame_number(rgb: np.ndarray) -> int:
    """Read back the frame number painted by :func:`paint_frame_number` (any size, RGB or gray).
    Any thread.
    """
    height, width = rgb.shape[:2]
    gray = rgb if rgb.ndim == 2 else rgb[..., :3].mean(axis=2)
    bw = width / CODE_COLUMNS
    bh = height / (CODE_ROWS * 4) * 2
    number = 0
    for bit in range(CODE_BITS):
        row, col = divmod(bit, CODE_COLUMNS)
        y0, y1 = int(row * bh + bh * 0.3), int(row * bh + bh * 0.7) + 1
        x0, x1 = int(col * bw + bw * 0.3), int(col * bw + bw * 0.7) + 1
        number = (number << 1) | int(gray[y0:y1, x0:x1].mean() > 127)
    return number


def _background(width: int, height: int, texture: bool) -> np.ndarray:
    x = np.linspace(40, 215, width, dtype=np.float32)
    y = np.linspace(0, 1, height, dtype=np.float32)[:, None]
    img = np.empty((height, width, 3), np.uint8)
    img[..., 0] = x[None, :]
    img[..., 1] = (80 + 100 * y).astype(np.uint8)
    img[..., 2] = (200 - x[None, :] * 0.5 + 20 * y).astype(np.uint8)
    if texture:
        rng = np.random.default_rng(7)
        noise = rng.integers(-24, 24, size=(height, width, 1), dtype=np.int16)
        img = np.clip(img.astype(np.int16) + noise, 0, 255).astype(np.uint8)
    return img


def make_clip(
    path: str | os.PathLike[str],
    *,
    frames: int,
    fps: Fraction | int = Fraction(25),
    size: tuple[int, int] = (320, 240),
    codec: str | None = None,
    gop: int | None = None,
    bframes: bool = True,
    audio: bool = True,
    video: bool = True,
    sample_rate: int = 48000,
    tone_hz: float = 440.0,
    beeps: bool = False,
    pix_fmt: str | None = None,
    rotation: int = 0,
    vfr: bool = False,
    preset: str = "veryfast",
    texture: bool = False,
    grain: int = 0,
    start_number: int = 0,
    open_gop: bool = False,
    flash: bool = False,
) -> SynthClip:
    """Write a synthetic clip to ``path`` (container chosen by its suffix) and describe it.

    ``size`` is the coded size; with ``rotation`` (counter-clockwise degrees, as FFmpeg reports it) the
    display matrix is set and the picture is stored so that it reads upright once rotation is applied.
    ``vfr`` writes irregular frame durations (40/20/60/40/40 ms). ``video=False`` writes audio only,
    ``frames / fps`` seconds long. ``beeps`` makes the tone sound only during the first 100 ms of each
    second. ``texture`` adds fixed noise, ``grain`` (0–30) a different noise each frame, so that the
    bench's files cost about as much to decode as camera footage. ``open_gop`` lets x264/x265 write open
    GOPs (B-frames before a keyframe that reference the GOP before it). ``flash`` makes a flash-and-beep
    clip: the picture is black except on the first frame at or after every whole second, which is white,
    and the sound is silent except for a 1 kHz tone exactly as long as that frame, starting with it (see
    :func:`measure_sync`). MPEG-TS files get FFmpeg's usual start offset (~1.4 s). Worker or test thread.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    fps = Fraction(fps)
    if codec is None:
        codec = {".webm": "libvpx-vp9", ".mov": "prores_ks", ".mkv": "libx264"}.get(suffix, "libx264")
    width, height = size
    rotation %= 360
    quarter_turns = rotation // 90
    display = (height, width) if quarter_turns % 2 else (width, height)

    if vfr:
        times, t = [], 0
        for i in range(frames):
            times.append(Fraction(t, 1000))
            t += _VFR_PATTERN_MS[i % len(_VFR_PATTERN_MS)]
        duration = Fraction(t, 1000)
    else:
        times = [Fraction(i) / fps for i in range(frames)]
        duration = Fraction(frames) / fps

    flash_set: set[int] = set()
    if flash:
        second = 0
        for i, when in enumerate(times):
            if when >= second:
                flash_set.add(i)
                second = int(when) + 1
        tone_hz = FLASH_TONE_HZ
    beep_spans = [(times[i], times[i + 1] if i + 1 < frames else times[i] + 1 / fps) for i in sorted(flash_set)]

    with av.open(str(path), "w", container_options=_CONTAINER_OPTIONS.get(suffix, {})) as out:
        vstream: Any = None
        if video:
            vstream = out.add_stream(codec, rate=fps)
            vstream.width, vstream.height = width, height
            if pix_fmt is None:
                pix_fmt = "yuv422p10le" if codec == "prores_ks" else "yuv420p"
            vstream.pix_fmt = pix_fmt
            if vfr:
                vstream.codec_context.time_base = Fraction(1, 1000)
                vstream.time_base = Fraction(1, 1000)
            else:
                vstream.codec_context.time_base = 1 / fps
            options: dict[str, str] = {}
            if codec in ("libx264", "libx265"):
                params = [f"bframes={3 if bframes else 0}", "b-adapt=0"]
                if open_gop:
                    params.append("open-gop=1")
                if gop:
                    params += [f"keyint={gop}", f"min-keyint={gop}", "scenecut=0"]
                key = "x264-params" if codec == "libx264" else "x265-params"
                options = {"preset": preset, key: ":".join(params)}
                if codec == "libx265":
                    options[key] += ":log-level=error"
            elif codec.startswith("libvpx"):
                options = {"deadline": "realtime", "cpu-used": "8", "crf": "30", "b": "0"}
                if gop:
                    options["g"] = str(gop)
            elif codec == "prores_ks":
                options = {"profile": "0"}  # proxy: small files
            if gop:
                vstream.codec_context.gop_size = gop
            vstream.options = options
            vstream.codec_context.thread_type = "FRAME"
            if rotation:
                vstream.set_display_rotation(rotation)
        astream: Any = None
        if audio:
            acodec = _AUDIO_CODECS.get(suffix, "aac")
            astream = out.add_stream(acodec, rate=sample_rate, layout="stereo")
        if astream is None and vstream is None:
            raise ValueError("make_clip needs video or audio")

        background = _background(*display, texture) if video else None
        grains = []
        if video and grain:
            rng = np.random.default_rng(11)
            below = display[1] - display[1] // 4
            grains = [rng.integers(0, min(grain, 30) + 1, size=(below, display[0], 1), dtype=np.uint8)
                      for _ in range(7)]
        audio_samples = int(round(duration * sample_rate))
        audio_written = 0
        frame_size = (astream.codec_context.frame_size or 1024) if astream else 1024
        afmt = astream.codec_context.format.name if astream else "fltp"

        def write_audio_until(t: Fraction) -> None:
            nonlocal audio_written
            if astream is None:
                return
            target = min(audio_samples, int(t * sample_rate))
            while audio_written < target:
                n = min(frame_size, audio_samples - audio_written)
                idx = np.arange(audio_written, audio_written + n)
                tone = 0.3 * np.sin(2 * np.pi * tone_hz * idx / sample_rate).astype(np.float32)
                if flash:
                    on = np.zeros(n, bool)
                    for a, b in beep_spans:
                        on |= (idx >= float(a * sample_rate)) & (idx < float(b * sample_rate))
                    tone = (tone / 0.3 * 0.5 * on).astype(np.float32)
                elif beeps:
                    tone *= ((idx % sample_rate) < sample_rate // 10)
                stereo = np.stack([tone, tone])
                if afmt == "s16":
                    af = av.AudioFrame.from_ndarray((stereo.T.reshape(1, -1) * 32767).astype(np.int16),
                                                    format="s16", layout="stereo")
                elif afmt == "flt":
                    af = av.AudioFrame.from_ndarray(stereo.T.reshape(1, -1).copy(), format="flt",
                                                    layout="stereo")
                else:
                    af = av.AudioFrame.from_ndarray(stereo, format="fltp", layout="stereo")
                af.sample_rate = sample_rate
                af.pts = audio_written
                af.time_base = Fraction(1, sample_rate)
                out.mux(astream.encode(af))
                audio_written += n

        if vstream is not None:
            tb = vstream.codec_context.time_base
            for i in range(frames):
                img = background.copy() if background is not None else None
                assert img is not None
                if flash:
                    img[:] = 255 if i in flash_set else 0
                shift = (i * 4) % display[0]
                img[display[1] // 4:] = np.roll(img[display[1] // 4:], shift, axis=1)
                if grains:
                    img[display[1] // 4:] += grains[i % len(grains)]
                paint_frame_number(img, start_number + i)
                if quarter_turns:
                    img = np.ascontiguousarray(np.rot90(img, k=-quarter_turns))
                frame = av.VideoFrame.from_ndarray(img, format="rgb24")
                frame.pts = int(times[i] / tb)
                frame.time_base = tb
                out.mux(vstream.encode(frame))
                write_audio_until(times[i] + (times[i + 1] - times[i] if i + 1 < frames else 1 / fps))
            out.mux(vstream.encode(None))
        write_audio_until(duration)
        if astream is not None:
            out.mux(astream.encode(None))

    return SynthClip(path=path, frames=frames if video else 0, fps=fps, size=size, display_size=display,
                     frame_times=tuple(times) if video else (), duration=duration, has_audio=audio,
                     rotation=rotation, first_number=start_number, flash_frames=tuple(sorted(flash_set)))


# -- the shapes real files have ----------------------------------------------------------------------------

def stream_copy(src: str | os.PathLike[str], dst: str | os.PathLike[str], *, from_keyframe: int = 0,
                video_shift: Fraction = Fraction(0), audio_from: Fraction | None = None) -> None:
    """Copy the packets of ``src`` into ``dst`` (container by suffix) without decoding, like
    ``ffmpeg -c copy``: video from the ``from_keyframe``-th keyframe in decode order (its leading frames
    included, as a recorder that starts mid-stream writes them), every timestamp moved by ``-video_shift``
    seconds; audio from source time ``audio_from`` (default: the first copied video packet's time).
    Test thread.
    """
    suffix = Path(dst).suffix.lower()
    with av.open(str(src)) as inp, av.open(str(dst), "w",
                                           container_options=_CONTAINER_OPTIONS.get(suffix, {})) as out:
        sv: Any = inp.streams.video[0]
        sa: Any = inp.streams.audio[0] if inp.streams.audio else None
        ov: Any = out.add_stream_from_template(sv)
        oa: Any = out.add_stream_from_template(sa) if sa is not None else None
        keys = -1
        started: Fraction | None = None
        for packet in inp.demux():
            if packet.size == 0 or packet.dts is None and packet.pts is None:
                continue
            if packet.stream.type == "video":
                if packet.is_keyframe:
                    keys += 1
                if keys < from_keyframe:
                    continue
                if started is None:
                    first_ts = packet.pts if packet.pts is not None else packet.dts
                    assert first_ts is not None
                    started = first_ts * Fraction(sv.time_base)
                shift = int(round(video_shift / Fraction(sv.time_base)))
                packet.stream = ov
            elif sa is not None and packet.stream.type == "audio":
                if started is None and audio_from is None:
                    continue  # wait for the first copied video packet to know where sound starts
                start = audio_from if audio_from is not None else started
                assert start is not None
                if packet.pts is None or packet.pts * Fraction(sa.time_base) < start:
                    continue
                shift = int(round(video_shift / Fraction(sa.time_base)))
                packet.stream = oa
            else:
                continue
            if packet.pts is not None:
                packet.pts -= shift
            if packet.dts is not None:
                packet.dts -= shift
            out.mux(packet)


def _derived(clip: SynthClip, path: Path, first: int) -> SynthClip:
    t0 = clip.frame_times[first]
    return dataclasses.replace(
        clip, path=path, frames=clip.frames - first, first_number=clip.first_number + first,
        frame_times=tuple(t - t0 for t in clip.frame_times[first:]), duration=clip.duration - t0,
        flash_frames=tuple(i - first for i in clip.flash_frames if i >= first))


def make_open_gop_clip(path: str | os.PathLike[str], *, frames: int, gop: int, **kwargs: Any) -> SynthClip:
    """A file that starts with an open GOP, as a broadcast recording does: H.264 (or ``codec=libx265``) with
    open GOPs, copied from its second keyframe on. The B-frames shown before that keyframe reference the
    GOP that was left out: they cannot be decoded and are not frames of the file, so frame 0 is the
    keyframe, painted with number ``gop``. Container by suffix (TS keeps its start offset). Test thread.
    """
    path = Path(path)
    whole = path.with_name(f".{path.stem}.whole{path.suffix}")
    try:
        clip = make_clip(whole, frames=frames, gop=gop, open_gop=True, **kwargs)
        stream_copy(whole, path, from_keyframe=1)
    finally:
        whole.unlink(missing_ok=True)
    return _derived(clip, path, gop)


def make_edit_list_clip(path: str | os.PathLike[str], *, frames: int, gop: int, start_frame: int,
                        delay: Fraction = Fraction(0), **kwargs: Any) -> SynthClip:
    """An MP4/MOV whose edit list hides a pre-roll, as ``ffmpeg -ss T -c copy`` writes it: packets from the
    keyframe before ``start_frame`` are stored, those before ``start_frame`` are flagged discarded by the
    demuxer, and frame 0 is painted ``start_frame``. With ``delay`` (seconds, > 0) the video starts that
    much after the sound in the container (an empty edit), the sound still in sync with its pictures;
    ``start_frame`` should then be a keyframe. Test thread.
    """
    path = Path(path)
    whole = path.with_name(f".{path.stem}.whole{path.suffix}")
    try:
        clip = make_clip(whole, frames=frames, gop=gop, **kwargs)
        t = clip.frame_times[start_frame]
        stream_copy(whole, path, from_keyframe=start_frame // gop, video_shift=t - Fraction(delay),
                    audio_from=max(Fraction(0), t - Fraction(delay)))
    finally:
        whole.unlink(missing_ok=True)
    return _derived(clip, path, start_frame)


def remux(clip: SynthClip, path: str | os.PathLike[str]) -> SynthClip:
    """``clip`` copied packet for packet into another container (e.g. a B-frame H.264 MP4 into MPEG-TS, which
    then starts at ~1.4 s). Test thread."""
    stream_copy(clip.path, path)
    return dataclasses.replace(clip, path=Path(path))


# -- measuring sync ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SyncReport:
    """Flashes and beeps found in a decoded file (media seconds from its origin) and how they pair up.

    ``offsets_ms[i]`` is (beep start - flash frame start) in milliseconds for the i-th flash that has a beep
    within half a second (positive: the sound is late). Any thread.
    """

    flashes: tuple[Fraction, ...]
    beeps: tuple[float, ...]
    offsets_ms: tuple[float, ...]
    unmatched_flashes: tuple[Fraction, ...]
    unmatched_beeps: tuple[float, ...]

    @property
    def worst_ms(self) -> float:
        """The largest absolute offset (0 when nothing paired). Any thread."""
        return max((abs(o) for o in self.offsets_ms), default=0.0)


def _mono(frame: av.AudioFrame) -> np.ndarray:
    arr = frame.to_ndarray()
    if frame.format.is_planar:
        mono = arr[0]
    else:
        mono = arr.reshape(-1)[:: len(frame.layout.channels)]
    if mono.dtype.kind == "i":
        return mono.astype(np.float32) / float(np.iinfo(mono.dtype).max)
    if mono.dtype.kind == "u":
        return (mono.astype(np.float32) - 128) / 128
    return mono.astype(np.float32)


def measure_sync(path: str | os.PathLike[str], *, threshold: float = 0.25) -> SyncReport:
    """Decode a flash-and-beep file (``make_clip(..., flash=True)``, or anything cut from one) and measure,
    for every flash, how far its beep is from it in milliseconds. Times are media times from the file's
    origin (:func:`editor.media.origin.time_origin`) for picture and sound alike, so a container start
    offset or an edit list that shifts one stream against the other shows up as an offset. Test thread.
    """
    from editor.media.origin import time_origin, video_stream

    with av.open(str(path)) as container:
        origin = time_origin(container)
        vs = video_stream(container)
        flashes: list[Fraction] = []
        if vs is not None:
            was_white = False
            for frame in container.decode(vs):
                if frame.pts is None or frame.pts < origin.pts:
                    continue
                gray = frame.to_ndarray(format="gray", width=64, height=48)
                white = bool(gray[40:].mean() > 128)  # below the frame-number code
                if white and not was_white:
                    flashes.append(origin.time_of(frame.pts, frame.time_base))
                was_white = white
        beeps: list[float] = []
        if container.streams.audio:
            container.seek(0)
            last_loud = -1e9
            for aframe in container.decode(container.streams.audio[0]):
                if aframe.pts is None:
                    continue
                samples = _mono(aframe)
                loud = np.flatnonzero(np.abs(samples) > threshold)
                if not len(loud):
                    continue
                t0 = float(origin.time_of(aframe.pts, aframe.time_base))
                times = t0 + loud / aframe.sample_rate
                gaps = np.diff(np.concatenate([[last_loud], times]))
                beeps.extend(float(t) for t in times[gaps > 0.2])
                last_loud = float(times[-1])
    offsets, used, lonely = [], set(), []
    for f in flashes:
        near = min(range(len(beeps)), key=lambda j: abs(beeps[j] - float(f)), default=None)
        if near is None or abs(beeps[near] - float(f)) > 0.5:
            lonely.append(f)
            continue
        used.add(near)
        offsets.append((beeps[near] - float(f)) * 1000)
    return SyncReport(tuple(flashes), tuple(beeps), tuple(offsets), tuple(lonely),
                      tuple(b for j, b in enumerate(beeps) if j not in used))


#: The shapes of file :func:`make_shape` makes (every one with pictures numbered and, with ``flash``, beeps).
SHAPES = ("ts", "remux_ts", "open_gop_ts", "open_gop_mkv", "edit_list_mp4", "delayed_mp4", "mkv", "vfr",
          "hevc_mkv", "open_gop_hevc_ts")


def make_shape(folder: str | os.PathLike[str], name: str, *, frames: int = 80, gop: int = 20,
               **kwargs: Any) -> SynthClip:
    """One clip of the shape ``name`` (see ``SHAPES``) in ``folder``: a B-frame H.264 MPEG-TS with its start
    offset, a TS remux of a B-frame MP4, files that start with an open GOP (H.264 TS and MKV, HEVC TS), an
    MP4 whose edit list hides a pre-roll, one whose picture starts 0.1 s after its sound, MKV, variable frame
    rate, HEVC. ``frame_times`` and ``first_number`` say what frame k must be. Test thread.
    """
    root = Path(folder)
    kw: dict[str, Any] = {"frames": frames, "gop": gop, **kwargs}
    makers: dict[str, Any] = {
        "ts": lambda: make_clip(root / "bframes.ts", **kw),
        "remux_ts": lambda: remux(make_clip(root / "remux-src.mp4", **kw), root / "remux.ts"),
        "open_gop_ts": lambda: make_open_gop_clip(root / "opengop.ts", **kw),
        "open_gop_mkv": lambda: make_open_gop_clip(root / "opengop.mkv", **kw),
        "edit_list_mp4": lambda: make_edit_list_clip(root / "editlist.mp4", start_frame=gop + gop // 3, **kw),
        "delayed_mp4": lambda: make_edit_list_clip(root / "delayed.mp4", start_frame=gop, delay=Fraction(1, 10),
                                                   **kw),
        "mkv": lambda: make_clip(root / "plain.mkv", **kw),
        "vfr": lambda: make_clip(root / "vfr.mp4", vfr=True, **kw),
        "hevc_mkv": lambda: make_clip(root / "hevc.mkv", codec="libx265", **kw),
        "open_gop_hevc_ts": lambda: make_open_gop_clip(root / "opengop-hevc.ts", codec="libx265", **kw),
    }
    if name not in makers:
        raise KeyError(f"unknown shape {name!r}; one of {', '.join(SHAPES)}")
    return makers[name]()


def add_streams(clip: SynthClip, path: str | os.PathLike[str], *, audio_languages: tuple[str, ...] = ("eng", "fra"),
                subtitle_languages: tuple[str, ...] = ("deu",), titles: bool = True) -> SynthClip:
    """``clip`` (with audio) copied into ``path`` with one audio stream per language (the first is the clip's
    own sound, the others tones of other pitches) and, for MKV, one SubRip stream per subtitle language.
    Languages are ISO 639-2 codes, stored in the streams' metadata; with ``titles`` each stream gets a title
    too. Test thread."""
    path = Path(path)
    srt = path.with_name(f".{path.stem}.srt")
    srt.write_text("1\n00:00:00,500 --> 00:00:01,500\nHello\n\n", encoding="utf-8")
    try:
        with av.open(str(clip.path)) as inp, av.open(str(srt)) as subs, \
                av.open(str(path), "w", container_options=_CONTAINER_OPTIONS.get(path.suffix.lower(), {})) as out:
            sv: Any = inp.streams.video[0]
            sa: Any = inp.streams.audio[0]
            ov: Any = out.add_stream_from_template(sv)
            oa: Any = out.add_stream_from_template(sa)
            oa.metadata["language"] = audio_languages[0]
            if titles:
                oa.metadata["title"] = f"Sound {audio_languages[0]}"
            extra: list[Any] = []
            for n, lang in enumerate(audio_languages[1:], start=1):
                stream: Any = out.add_stream(_AUDIO_CODECS.get(path.suffix.lower(), "aac"), rate=48000,
                                             layout="stereo")
                stream.metadata["language"] = lang
                if titles:
                    stream.metadata["title"] = f"Sound {lang}"
                extra.append((stream, 440.0 * (n + 1)))
            sub_streams: list[Any] = []
            if path.suffix.lower() in (".mkv", ".webm"):
                for lang in subtitle_languages:
                    st: Any = out.add_stream_from_template(subs.streams.subtitles[0])
                    st.metadata["language"] = lang
                    if titles:
                        st.metadata["title"] = f"Subtitles {lang}"
                    sub_streams.append(st)
            for packet in inp.demux():
                if packet.size == 0:
                    continue
                packet.stream = ov if packet.stream.type == "video" else oa
                out.mux(packet)
            samples = int(clip.duration * 48000)
            for stream, hz in extra:
                size = stream.codec_context.frame_size or 1024
                for start in range(0, samples, size):
                    idx = np.arange(start, min(samples, start + size))
                    tone = (0.3 * np.sin(2 * np.pi * hz * idx / 48000)).astype(np.float32)
                    af = av.AudioFrame.from_ndarray(np.stack([tone, tone]), format="fltp", layout="stereo")
                    af.sample_rate, af.pts, af.time_base = 48000, start, Fraction(1, 48000)
                    out.mux(stream.encode(af))
                out.mux(stream.encode(None))
            sub_packets = [p for p in subs.demux(subs.streams.subtitles[0]) if p.size]
            for st in sub_streams:
                for packet in sub_packets:  # type: ignore[assignment]
                    packet.stream = st
                    out.mux(packet)
    finally:
        srt.unlink(missing_ok=True)
    return dataclasses.replace(clip, path=path)
