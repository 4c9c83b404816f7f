"""Output files: the container follows the extension, with codecs that belong in it.

``output_format(path)`` says which muxer and which video/audio codecs an extension takes (only those the
installed FFmpeg can encode); ``choose_codecs`` picks the user's choice or the container's default and
refuses, in one line, what does not fit. ``add_video_stream`` sets quality (CRF or bitrate), preset and
threads for each encoder; ``AudioWriter`` turns float32 stereo blocks into encoded packets of whatever
frame size and sample format the audio encoder wants. Worker thread or child process; never touches Qt.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

import av

from editor.media.errors import RenderError

if TYPE_CHECKING:  # numpy is imported where it is used: a copy cut never loads it
    import numpy as np

#: user-facing codec name -> FFmpeg encoder
VIDEO_ENCODERS = {"h264": "libx264", "hevc": "libx265", "av1": "libsvtav1", "vp9": "libvpx-vp9",
                  "prores": "prores_ks", "mpeg2": "mpeg2video", "ffv1": "ffv1"}
AUDIO_ENCODERS = {"aac": "aac", "opus": "libopus", "pcm": "pcm_s16le", "pcm24": "pcm_s24le", "mp3": "libmp3lame",
                  "flac": "flac"}
#: decoder name (as probe reports it) -> user-facing codec name, for copy and smart cut
CODEC_OF_DECODER = {"h264": "h264", "hevc": "hevc", "av1": "av1", "vp9": "vp9", "prores": "prores",
                    "mpeg2video": "mpeg2", "aac": "aac", "opus": "opus", "mp3": "mp3", "mp3float": "mp3",
                    "pcm_s16le": "pcm", "pcm_s24le": "pcm24", "flac": "flac"}
_PIX_FMT = {"prores": "yuv422p10le", "ffv1": "bgr0"}  # ffv1: lossless RGB (exact frames, for checks)


@dataclass(frozen=True)
class OutputFormat:
    """One kind of output file: its muxer, the codecs it takes (first = default), whether it has video."""

    extension: str
    muxer: str
    label: str
    video: tuple[str, ...]
    audio: tuple[str, ...]

    @property
    def audio_only(self) -> bool:
        return not self.video


_FORMATS = (
    OutputFormat(".mp4", "mp4", "MP4 video", ("h264", "hevc", "av1"), ("aac", "mp3", "opus")),
    OutputFormat(".m4v", "mp4", "MP4 video", ("h264", "hevc"), ("aac",)),
    OutputFormat(".mov", "mov", "QuickTime movie", ("h264", "prores", "hevc"), ("aac", "pcm", "pcm24")),
    OutputFormat(".mkv", "matroska", "Matroska video", ("h264", "hevc", "av1", "vp9", "prores", "ffv1"),
                 ("aac", "opus", "flac", "pcm", "mp3")),
    OutputFormat(".webm", "webm", "WebM video", ("vp9", "av1"), ("opus",)),
    OutputFormat(".ts", "mpegts", "MPEG transport stream", ("h264", "hevc", "mpeg2"), ("aac", "mp3")),
    OutputFormat(".m2ts", "mpegts", "MPEG transport stream", ("h264", "hevc"), ("aac",)),
    OutputFormat(".m4a", "ipod", "AAC audio", (), ("aac",)),
    OutputFormat(".wav", "wav", "WAV audio", (), ("pcm", "pcm24")),
    OutputFormat(".mp3", "mp3", "MP3 audio", (), ("mp3",)),
    OutputFormat(".flac", "flac", "FLAC audio", (), ("flac",)),
)


def _available(table: dict[str, str], names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(n for n in names if table[n] in av.codecs_available)


def safe_file_name(text: str, fallback: str = "") -> str:
    """``text`` usable as a file name on every system: characters Windows reserves and control characters
    become ``_``; ``fallback`` when nothing is left. Pure; any thread."""
    return "".join("_" if c in '/\\:*?"<>|' or ord(c) < 32 else c for c in text).strip() or fallback


def output_formats() -> list[OutputFormat]:
    """Every output kind, with only the codecs this FFmpeg can encode. Any thread."""
    out = []
    for f in _FORMATS:
        v, a = _available(VIDEO_ENCODERS, f.video), _available(AUDIO_ENCODERS, f.audio)
        if (v or not f.video) and a:
            out.append(OutputFormat(f.extension, f.muxer, f.label, v, a))
    return out


def output_format(path: str | Path) -> OutputFormat:
    """The output kind of ``path`` by its extension; RenderError (one line) for an unknown one. Any thread."""
    suffix = Path(path).suffix.lower()
    for f in output_formats():
        if f.extension == suffix:
            return f
    known = ", ".join(f.extension.lstrip(".") for f in output_formats())
    raise RenderError(f"{Path(path).name}: cannot write '{suffix or 'no extension'}' files; use one of {known}",
                      path)


def choose_codecs(path: str | Path, video_codec: str, audio_codec: str, want_video: bool
                  ) -> tuple[OutputFormat, str | None, str]:
    """(format, video codec or None for audio-only output, audio codec) for ``path``. Any thread.

    Empty choices take the container's default; a codec the container does not take is refused in one line.
    """
    fmt = output_format(path)
    name = Path(path).name
    vc: str | None = None
    if want_video and fmt.video:
        vc = video_codec or fmt.video[0]
        if vc not in fmt.video:
            raise RenderError(f"{name}: {fmt.label} cannot hold {vc} video; choose {', '.join(fmt.video)}", path)
    elif video_codec and not fmt.video:
        raise RenderError(f"{name}: {fmt.label} holds no video (asked for {video_codec})", path)
    ac = audio_codec or fmt.audio[0]
    if ac not in fmt.audio:
        raise RenderError(f"{name}: {fmt.label} cannot hold {ac} audio; choose {', '.join(fmt.audio)}", path)
    return fmt, vc, ac


_SVT_PRESET = {"ultrafast": 12, "superfast": 11, "veryfast": 10, "faster": 9, "fast": 8, "medium": 7,
               "slow": 5, "slower": 4, "veryslow": 3}
_VPX_CPU = {"ultrafast": 8, "superfast": 8, "veryfast": 7, "faster": 6, "fast": 5, "medium": 4, "slow": 2,
            "slower": 1, "veryslow": 0}


def add_video_stream(container: Any, codec: str, width: int, height: int, fps: Fraction, *, preset: str,
                     crf: int, bitrate: int = 0, threads: int = 0) -> Any:
    """Add a video stream encoding ``codec`` at this size and rate (time base 1/fps). Worker thread."""
    encoder = VIDEO_ENCODERS[codec]
    vs = container.add_stream(encoder, rate=fps)
    vs.width, vs.height, vs.pix_fmt = width, height, _PIX_FMT.get(codec, "yuv420p")
    vs.codec_context.time_base = 1 / fps
    options: dict[str, str] = {}
    if codec in ("h264", "hevc"):
        options = {"preset": preset}
        if not bitrate:
            options["crf"] = str(crf)
        if codec == "hevc":
            options["x265-params"] = "log-level=error"
        # PyAV's default SLICE threading makes x264 use sliced threads (slower); the CLI uses frames.
        vs.codec_context.thread_type = "FRAME"
    elif codec == "av1":
        options = {"preset": str(_SVT_PRESET.get(preset, 8))}
        if not bitrate:
            options["crf"] = str(min(63, crf + 12))
    elif codec == "vp9":
        options = {"deadline": "good" if _VPX_CPU.get(preset, 4) < 5 else "realtime",
                   "cpu-used": str(_VPX_CPU.get(preset, 4)), "row-mt": "1"}
        if not bitrate:
            options.update({"crf": str(min(63, crf + 11)), "b": "0"})
    elif codec == "prores":
        options = {"profile": "2"}  # 422
    elif codec == "mpeg2" and not bitrate:
        bitrate = 8_000_000
    if bitrate:
        vs.bit_rate = bitrate
    if threads:
        vs.codec_context.thread_count = threads
    vs.options = options
    return vs


class AudioWriter:
    """Encodes float32 planar stereo blocks (shape (2, n)) into one audio stream, sample-counted from 0.

    Worker thread; one writer per output stream.
    """

    def __init__(self, container: Any, codec: str, rate: int, bitrate: int) -> None:
        import numpy as np
        encoder = AUDIO_ENCODERS[codec]
        self.container = container
        self.stream = container.add_stream(encoder, rate=rate, layout="stereo")
        if codec in ("aac", "opus", "mp3"):
            self.stream.bit_rate = bitrate
        self.rate = rate
        cc = self.stream.codec_context
        self.format = cc.format.name if cc.format else "fltp"
        formats = [f.name for f in (av.codec.Codec(encoder, "w").audio_formats or [])]
        if formats and self.format not in formats:
            self.format = formats[0]
            cc.format = self.format
        self.frame_size = 0
        self.pending = np.zeros((2, 0), np.float32)
        self.pts = 0

    @property
    def samples_written(self) -> int:
        return self.pts + self.pending.shape[1]

    def _frame(self, chunk: np.ndarray) -> av.AudioFrame:
        import numpy as np
        fmt = self.format
        if fmt == "fltp":
            af = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk, np.float32), format="fltp", layout="stereo")
        elif fmt == "flt":
            af = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk.T.reshape(1, -1), np.float32), format="flt",
                                            layout="stereo")
        elif fmt in ("s16", "s16p"):
            ints = np.clip(np.round(chunk * 32767.0), -32768, 32767).astype(np.int16)
            data = ints if fmt == "s16p" else ints.T.reshape(1, -1)
            af = av.AudioFrame.from_ndarray(np.ascontiguousarray(data), format=fmt, layout="stereo")
        elif fmt in ("s32", "s32p"):
            ints = np.clip(np.round(chunk.astype(np.float64) * 2147483647.0), -2147483648, 2147483647).astype(np.int32)
            data = ints if fmt == "s32p" else ints.T.reshape(1, -1)
            af = av.AudioFrame.from_ndarray(np.ascontiguousarray(data), format=fmt, layout="stereo")
        else:
            raise RenderError(f"audio sample format {fmt} is not supported")
        af.sample_rate, af.pts, af.time_base = self.rate, self.pts, Fraction(1, self.rate)
        return af

    def write(self, samples: np.ndarray, final: bool = False) -> None:
        """Queue ``samples`` and encode every whole encoder frame (all of them when ``final``)."""
        import numpy as np
        if not self.frame_size:
            self.frame_size = self.stream.codec_context.frame_size or 1024
        if samples.size:
            self.pending = np.concatenate([self.pending, samples], axis=1) if self.pending.size else samples
        size = self.frame_size
        while self.pending.shape[1] >= size or (final and self.pending.shape[1]):
            chunk = self.pending[:, :size]
            self.pending = self.pending[:, size:]
            n = chunk.shape[1]
            if n < size and final and self.stream.codec_context.name == "libopus":
                chunk = np.concatenate([chunk, np.zeros((2, size - n), np.float32)], axis=1)
            self.container.mux(self.stream.encode(self._frame(chunk)))
            self.pts += n
        if final:
            self.container.mux(self.stream.encode(None))
