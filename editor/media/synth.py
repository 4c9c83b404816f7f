"""Synthetic test media: clips whose pictures carry their own frame number, with a tone.

``make_clip`` writes a few seconds of video whose every picture encodes its frame number as a grid of big
black/white blocks (16 bits, top quarter of the picture, robust to lossy compression and to scaling down
to 1/4 size), plus a tone or per-second beeps, so a test can check that the frame shown, seeked to or
exported is exactly the one expected. ``read_frame_number`` reads the number back from an RGB array.

Worker thread or test thread; never touches Qt.
"""

from __future__ import annotations

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
) -> SynthClip:
    """Write a synthetic clip to ``path`` (container chosen by its suffix) and describe it.

    ``size`` is the coded size; with ``rotation`` (counter-clockwise degrees, as FFmpeg reports it) the
    display matrix is set and the picture is stored so that it reads upright once rotation is applied.
    ``vfr`` writes irregular frame durations (40/20/60/40/40 ms). ``video=False`` writes audio only,
    ``frames / fps`` seconds long. ``beeps`` makes the tone sound only during the first 100 ms of each
    second. ``texture`` adds fixed noise, ``grain`` (0–30) a different noise each frame, so that the
    bench's files cost about as much to decode as camera footage. Worker or test thread.
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

    with av.open(str(path), "w") as out:
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
                if beeps:
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
                     rotation=rotation)
