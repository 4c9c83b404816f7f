"""One stream of a file into its own file, losslessly (packets copied, nothing decoded): ``a:1`` is the
second audio stream, ``v:0`` the first video stream, ``s:0`` the first subtitle stream. Times keep the
source's origin (the first packet's time is kept, so a subtitle at 0:05 stays at 0:05).

Worker thread or the CLI's main thread; never touches Qt.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import av

from editor.media.errors import MediaError
from editor.media.probe import open_input
from editor.media.render_spec import temporary_output_path

__all__ = ["parse_stream_ref", "select_stream", "extract_stream"]

_KINDS = {"v": "video", "a": "audio", "s": "subtitle"}


def parse_stream_ref(text: str) -> tuple[str, int]:
    """``a:1`` -> ("audio", 1); MediaError with the accepted forms otherwise. Any thread."""
    m = re.fullmatch(r"([vas]):(\d+)", text.strip().lower())
    if not m:
        raise MediaError(f"'{text}' is not a stream: use v:N, a:N or s:N (N counts from 0 within its kind)")
    return _KINDS[m.group(1)], int(m.group(2))


def select_stream(container: Any, kind: str, n: int, name: str) -> Any:
    """The n-th stream of ``kind`` in an open container, or MediaError saying what the file has."""
    streams = [s for s in container.streams if s.type == kind]
    if n >= len(streams):
        have = ", ".join(f"{len([s for s in container.streams if s.type == k])} {k}" for k in _KINDS.values())
        raise MediaError(f"{name}: has no {kind} stream {n} (it has {have})")
    return streams[n]


def extract_stream(src: str | os.PathLike[str], ref: str, out: str | os.PathLike[str], *,
                   overwrite: bool = False) -> dict[str, Any]:
    """Copy stream ``ref`` of ``src`` into ``out`` (the container follows the extension); returns what was
    written (codec, language, packets). MediaError (one line) when it cannot be. Worker thread."""
    kind, n = parse_stream_ref(ref)
    out = Path(out)
    if not out.parent.is_dir():
        raise MediaError(f"{out}: the folder {out.parent} does not exist")
    if out.exists() and not overwrite:
        raise MediaError(f"{out}: already exists (use --overwrite to replace it)")
    if Path(src).resolve() == out.resolve():
        raise MediaError(f"{out}: is the input file; choose another output")
    tmp = temporary_output_path(out)
    packets = 0
    try:
        with open_input(src) as inp:
            stream = select_stream(inp, kind, n, Path(src).name)
            codec = stream.codec_context.name
            try:
                container = av.open(str(tmp), "w", format=_muxer_for(out))
            except (ValueError, av.error.FFmpegError) as exc:
                raise MediaError(f"{out}: no container for this extension ({exc})") from None
            with container as dst:
                try:
                    ost = dst.add_stream_from_template(stream)
                except (ValueError, av.error.FFmpegError) as exc:
                    raise MediaError(f"{out}: {codec} cannot be stored in a {out.suffix} file ({exc}); "
                                     "choose .mkv") from None
                for key in ("language", "title"):
                    if key in stream.metadata:
                        ost.metadata[key] = stream.metadata[key]
                try:
                    for packet in inp.demux(stream):
                        if packet.size == 0 or (packet.dts is None and packet.pts is None):
                            continue
                        packet.stream = ost
                        dst.mux(packet)
                        packets += 1
                except av.error.FFmpegError as exc:
                    raise MediaError(f"{out}: {codec} cannot be stored in a {out.suffix} file ({exc}); "
                                     "choose .mkv") from None
            language = stream.metadata.get("language", "")
        if packets == 0:
            raise MediaError(f"{Path(src).name}: {ref} holds no data to extract")
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return {"path": str(out), "stream": ref, "kind": kind, "codec": codec, "language": language,
            "packets": packets}


def _muxer_for(out: Path) -> str | None:
    """Muxers for the extensions a single stream is usually written to; None lets FFmpeg guess."""
    return {".aac": "adts", ".m4a": "ipod", ".srt": "srt", ".ass": "ass", ".h264": "h264", ".264": "h264",
            ".hevc": "hevc", ".265": "hevc", ".opus": "opus", ".ogg": "ogg", ".mka": "matroska",
            ".mkv": "matroska", ".mp4": "mp4", ".mov": "mov", ".wav": "wav", ".flac": "flac",
            ".mp3": "mp3", ".ac3": "ac3", ".webm": "webm", ".sup": "sup"}.get(out.suffix.lower())
