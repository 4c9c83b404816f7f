"""Probe a media file: container, streams, duration, rotation, frame rate, frame count; cached by fingerprint.

The frame count is the number of frames FrameReader reads (the file's decodable frames, see
``editor.media.origin``): from the container's index where it has one (MP4/MOV), else from one pass over
the video's packets (MPEG-TS, MKV, WebM, …; no decoding). Every audio and subtitle stream is listed with
its language. ``av`` is imported only when a file is really opened, so a cached probe is cheap.

Worker thread; never touches Qt.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import threading
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from editor.media.cache import METADATA_TTL, BytesCache, cache_get, cache_set
from editor.media.errors import (
    MediaError,
    MediaNotFoundError,
    UnsupportedMediaError,
    describe_av_error,
)
from editor.media.input_check import check_input

if TYPE_CHECKING:
    import av

PROBE_SCHEMA = 2
_HEAD_TAIL = 64 * 1024
#: Containers whose index lists every video sample (frame count without reading the packets).
_INDEXED = ("mov", "mp4", "m4a", "3gp", "mj2")


@dataclass(frozen=True)
class VideoInfo:
    codec: str
    profile: str | None
    width: int  # coded size
    height: int
    rotation: int  # counter-clockwise degrees to apply for display (0, 90, 180, 270)
    pix_fmt: str | None
    frame_rate: Fraction  # average
    variable_frame_rate: bool
    frame_count: int | None
    time_base: Fraction
    bit_rate: int | None

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height once rotation is applied. Any thread."""
        return (self.height, self.width) if self.rotation % 180 == 90 else (self.width, self.height)


@dataclass(frozen=True)
class AudioInfo:
    codec: str
    sample_rate: int
    channels: int
    layout: str | None
    bit_rate: int | None
    index: int = 0  # stream index in the container
    language: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class SubtitleInfo:
    codec: str
    index: int
    language: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class MediaInfo:
    """What ``probe`` found out about one file. Frozen; ``to_json``/``from_json`` for the cache."""

    path: str
    fingerprint: str
    size_bytes: int
    container: str
    duration: Fraction | None  # seconds
    bit_rate: int | None
    video: VideoInfo | None
    audio: AudioInfo | None  # the first audio stream (the one Cutline plays)
    audio_streams: tuple[AudioInfo, ...] = ()  # every audio stream, in container order
    subtitles: tuple[SubtitleInfo, ...] = ()
    timecode: str | None = None  # start timecode (SMPTE), if the file carries one
    origin: Fraction = Fraction(0)  # container time of frame 0, seconds (see editor.media.origin)

    def to_json(self) -> str:
        """JSON text for the cache and the database. Any thread."""
        def conv(value: Any) -> Any:
            if isinstance(value, Fraction):
                return f"{value.numerator}/{value.denominator}"
            if isinstance(value, dict):
                return {k: conv(v) for k, v in value.items()}
            if isinstance(value, list | tuple):
                return [conv(v) for v in value]
            return value

        return json.dumps({"schema": PROBE_SCHEMA, **conv(asdict(self))}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> MediaInfo:
        """Inverse of ``to_json``; raises ValueError on another schema. Any thread."""
        data = json.loads(text)
        if data.pop("schema", None) != PROBE_SCHEMA:
            raise ValueError("unknown probe schema")
        frac = lambda v: None if v is None else Fraction(v)  # noqa: E731
        video = data.get("video")
        if video is not None:
            video = VideoInfo(**{**video, "frame_rate": frac(video["frame_rate"]),
                                 "time_base": frac(video["time_base"])})
        audio = AudioInfo(**data["audio"]) if data.get("audio") else None
        streams = tuple(AudioInfo(**a) for a in data.get("audio_streams", ()))
        subs = tuple(SubtitleInfo(**t) for t in data.get("subtitles", ()))
        return cls(**{**data, "duration": frac(data["duration"]), "video": video, "audio": audio,
                      "audio_streams": streams, "subtitles": subs, "origin": frac(data.get("origin", "0"))})

    def summary(self) -> str:
        """A few human-readable lines (for ``cutline probe``). Any thread."""
        lines = [f"{self.path}", f"  container: {self.container}, {self.size_bytes} bytes"
                 + (f", {self.bit_rate // 1000} kb/s" if self.bit_rate else "")]
        if self.duration is not None:
            lines.append(f"  duration: {float(self.duration):.3f} s")
        if self.video:
            v = self.video
            dw, dh = v.display_size
            rate = f"{float(v.frame_rate):.3f} fps" + (" (variable)" if v.variable_frame_rate else "")
            lines.append(f"  video: {v.codec} {dw}x{dh} {v.pix_fmt} {rate}"
                         + (f", {v.frame_count} frames" if v.frame_count else "")
                         + (f", rotated {v.rotation}°" if v.rotation else ""))
        for a in self.audio_streams or ((self.audio,) if self.audio else ()):
            lines.append(f"  audio #{a.index}: {a.codec} {a.sample_rate} Hz, {a.channels} ch"
                         + (f", {a.language}" if a.language else "") + (f" ({a.title})" if a.title else ""))
        for t in self.subtitles:
            lines.append(f"  subtitles #{t.index}: {t.codec}" + (f", {t.language}" if t.language else "")
                         + (f" ({t.title})" if t.title else ""))
        if self.timecode:
            lines.append(f"  timecode: {self.timecode}")
        if self.origin:
            lines.append(f"  starts at: {float(self.origin):.3f} s (container time of frame 0)")
        return "\n".join(lines)


def fingerprint(path: str | os.PathLike[str]) -> str:
    """Size + mtime + blake2b of the first and last 64 KiB: cheap, and changes when the file does.

    Worker thread (does a little file I/O).
    """
    p = check_input(path)  # never opens a FIFO or a device (that would block forever)
    try:
        st = p.stat()
        h = hashlib.blake2b(digest_size=16)
        h.update(f"{st.st_size}:{st.st_mtime_ns}".encode())
        with open(p, "rb") as f:
            h.update(f.read(_HEAD_TAIL))
            if st.st_size > 2 * _HEAD_TAIL:
                f.seek(-_HEAD_TAIL, os.SEEK_END)
                h.update(f.read(_HEAD_TAIL))
    except FileNotFoundError:
        raise MediaNotFoundError(f"{p}: file not found", p) from None
    except IsADirectoryError:
        raise UnsupportedMediaError(f"{p}: is a directory, not a media file", p) from None
    except OSError as exc:
        raise MediaError(f"{p}: cannot read ({exc.strerror})", p) from None
    return h.hexdigest()


#: One input container left open (at its start, never demuxed by whoever kept it) for the next step of the same
#: command: choosing streams, scanning keyframes and copying each open the same file, and every open of a
#: 1080p H.264 file decodes a frame (~14 ms). Keyed by path, size and mtime; at most one is kept.
_KEPT: dict[tuple[str, int, int], Any] = {}
_KEPT_LOCK = threading.Lock()


def file_key(path: str | os.PathLike[str]) -> tuple[str, int, int]:
    """(path, size, mtime in ns): what a per-process cache of a file's facts is keyed by, so a file changed
    on disk is read again. Any thread."""
    try:
        st = os.stat(path)
    except OSError:
        return (str(path), -1, -1)
    return (str(path), st.st_size, st.st_mtime_ns)


def keep_open(path: str | os.PathLike[str], container: Any) -> None:
    """Keep ``container`` (an input of ``path``, at its start) for :func:`open_kept`; the one kept before is
    closed. Any thread."""
    with _KEPT_LOCK:
        for old in _KEPT.values():
            if old is not container:
                old.close()
        _KEPT.clear()
        _KEPT[file_key(path)] = container


def open_kept(path: str | os.PathLike[str]) -> av.container.InputContainer:
    """The container :func:`keep_open` kept for ``path`` if the file is unchanged (the caller owns it now),
    else :func:`open_input`. Any thread."""
    with _KEPT_LOCK:
        kept = _KEPT.pop(file_key(path), None)
    return kept if kept is not None else open_input(path)


def open_input(path: str | os.PathLike[str]) -> av.container.InputContainer:
    """Open ``path`` for reading, turning every failure into a MediaError. Worker thread."""
    import av

    p = check_input(path)  # FIFOs, devices, directories, sparse files: one line at once, never a hang
    if not p.exists():
        raise MediaNotFoundError(f"{p}: file not found", p)
    if p.is_dir():
        raise UnsupportedMediaError(f"{p}: is a directory, not a media file", p)
    if p.stat().st_size == 0:
        raise UnsupportedMediaError(f"{p}: the file is empty (0 bytes)", p)
    try:
        container = av.open(str(p), "r")
    except Exception as exc:  # noqa: BLE001
        raise describe_av_error(p, exc) from exc
    raw = container.format.name.split(",")[0]
    if raw in _RAW_STREAM_DEMUXERS and p.suffix.lower() in _CONTAINER_SUFFIXES:
        # FFmpeg falls back to a raw elementary-stream guess on bytes no container claims (about one random
        # file in fifty reads as raw H.263): a file named like a container is damaged or not media at all
        container.close()
        raise UnsupportedMediaError(
            f"{p}: not a readable {p.suffix[1:].upper()} file (its bytes do not start like one)", p)
    return container


#: FFmpeg demuxers of bare elementary streams, which it guesses from weak signatures
_RAW_STREAM_DEMUXERS = frozenset({
    "h261", "h263", "h264", "hevc", "vvc", "m4v", "mpegvideo", "cavsvideo", "avs2", "avs3", "vc1", "dirac",
    "mjpeg", "mp3", "aac", "ac3", "eac3", "dts", "truehd", "mlp", "loas", "data"})
#: file name endings of containers (an MPEG-TS named .mp4 still opens: only raw guesses are refused)
_CONTAINER_SUFFIXES = frozenset({
    ".mp4", ".mov", ".qt", ".3gp", ".3g2", ".mkv", ".webm", ".avi", ".ts", ".m2ts", ".mts", ".mxf", ".flv",
    ".wmv", ".asf", ".ogv", ".vob"})  # not .mpg or .m4v: those names are also worn by bare streams


def _rate_is_variable(stream: Any, full_index: bool) -> bool:
    entries = stream.index_entries
    n = len(entries) if full_index else 0
    if n > 2:
        # Index timestamps are decode times; their spacing is regular in constant-rate files.
        ts = sorted(e.timestamp for e in entries[: min(n, 2000)])
        steps = sorted(b - a for a, b in zip(ts, ts[1:], strict=False) if b != a)
        if steps:
            # a few irregular steps (e.g. at the cuts of a smart-cut file) do not make a variable rate
            typical = steps[len(steps) // 2]
            odd = sum(abs(step - typical) > 1 for step in steps)
            return odd > max(2, len(steps) // 50)
    avg, base = stream.average_rate, stream.base_rate
    return bool(avg and base and abs(float(avg) - float(base)) > 0.01 * float(base))


def _first_frame_rotation(container: av.container.InputContainer, stream: Any) -> int:
    try:
        for frame in container.decode(stream):
            return int(round(frame.rotation)) % 360
    except Exception:  # noqa: BLE001 - rotation is best effort; a bad first packet is not fatal here
        return 0
    return 0


def probe(path: str | os.PathLike[str], cache: BytesCache | None = None) -> MediaInfo:
    """Describe the media file at ``path``; raises a MediaError subclass when it cannot be read.

    The fingerprint is computed first (cheap), then ``metadata:{fingerprint}`` is looked up in ``cache``;
    a miss opens the file and stores the result (TTL 1 hour). Worker thread; never touches Qt.
    """
    p = Path(path)
    fp = fingerprint(p)
    key = f"metadata:{fp}"
    cached = cache_get(cache, key)
    if cached is not None:
        try:
            info = MediaInfo.from_json(cached)
            if info.path != str(p):
                info = dataclasses.replace(info, path=str(p))
            return info
        except (ValueError, TypeError, KeyError):
            pass
    info = _probe_file(p, fp)
    cache_set(cache, key, info.to_json().encode(), METADATA_TTL)
    return info


def _language(stream: Any) -> str | None:
    lang = stream.language or stream.metadata.get("language") or stream.metadata.get("LANGUAGE")
    return None if lang in (None, "", "und") else str(lang)


def _title(stream: Any) -> str | None:
    return stream.metadata.get("title") or stream.metadata.get("TITLE") or None


def _timecode(container: av.container.InputContainer) -> str | None:
    for metadata in (container.metadata, *(s.metadata for s in container.streams)):
        for key, value in metadata.items():
            if key.lower() == "timecode" and value:
                return str(value)
    return None


def _frame_count(container: av.container.InputContainer, vstream: Any) -> int | None:
    """The number of frames FrameReader reads, as cheaply as the container allows."""
    import av

    from editor.media.origin import scan_video, time_origin

    try:
        entries = vstream.index_entries
        if any(name in container.format.name for name in _INDEXED) and len(entries) > 0:
            kept = sum(1 for e in entries if not e.is_discard)
            return max(0, kept - time_origin(container, vstream).leading_dropped)
        return len(scan_video(container, vstream))
    except av.error.FFmpegError:
        return vstream.frames or None


def keyframes(path: str | os.PathLike[str]) -> list[tuple[int, Fraction]]:
    """(frame index, media time) of every keyframe of the video (``cutline probe --keyframes``): one pass
    over the packets, no decoding. Raises NoVideoStreamError without video. Worker thread."""
    from editor.media.errors import NoVideoStreamError
    from editor.media.origin import scan_video, video_stream

    p = Path(path)
    with open_input(p) as container:
        try:
            stream = video_stream(container)
            if stream is None:
                raise NoVideoStreamError(f"{p}: has no video stream, so no keyframes", p)
            index = scan_video(container, stream)
            return [(i, index.time_of(i)) for i in index.keyframe_indices()]
        except MediaError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise describe_av_error(p, exc) from exc


def _probe_file(p: Path, fp: str) -> MediaInfo:
    import av

    from editor.media.origin import time_origin, video_stream

    with open_input(p) as container:
        try:
            vstream = video_stream(container)
            astreams = list(container.streams.audio)
            astream = astreams[0] if astreams else None
            if vstream is None and astream is None:
                raise UnsupportedMediaError(f"{p}: holds no video or audio stream", p)
            duration = (Fraction(container.duration, av.time_base)
                        if container.duration and container.duration > 0 else None)
            video = None
            origin = time_origin(container, vstream)
            if vstream is not None:
                cc = vstream.codec_context
                tb = vstream.time_base or Fraction(1, 90000)
                if duration is None and vstream.duration:
                    duration = vstream.duration * tb
                rate = vstream.average_rate or vstream.guessed_rate or vstream.base_rate or Fraction(25)
                full_index = any(name in container.format.name for name in _INDEXED)
                video = VideoInfo(
                    codec=cc.name, profile=vstream.profile, width=cc.width, height=cc.height,
                    rotation=_first_frame_rotation(container, vstream),
                    pix_fmt=cc.format.name if cc.format else None, frame_rate=Fraction(rate),
                    variable_frame_rate=_rate_is_variable(vstream, full_index),
                    frame_count=_frame_count(container, vstream),
                    time_base=Fraction(tb), bit_rate=cc.bit_rate or None)
            audios = tuple(
                AudioInfo(codec=s.codec_context.name, sample_rate=s.codec_context.sample_rate,
                          channels=s.codec_context.channels,
                          layout=s.codec_context.layout.name if s.codec_context.layout else None,
                          bit_rate=s.codec_context.bit_rate or None, index=s.index, language=_language(s),
                          title=_title(s))
                for s in astreams)
            subs = tuple(SubtitleInfo(codec=s.codec_context.name if s.codec_context else "unknown", index=s.index,
                                      language=_language(s), title=_title(s))
                         for s in container.streams.subtitles)
            return MediaInfo(path=str(p), fingerprint=fp, size_bytes=p.stat().st_size,
                             container=container.format.name, duration=duration,
                             bit_rate=container.bit_rate or None, video=video,
                             audio=audios[0] if audios else None, audio_streams=audios, subtitles=subs,
                             timecode=_timecode(container), origin=origin.seconds)
        except MediaError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise describe_av_error(p, exc) from exc
