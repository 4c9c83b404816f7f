"""Short-GOP proxies: a small copy of a long-GOP source that seeks fast and shows the same frames.

A camera file with one keyframe every few seconds needs up to a second to show an exact random frame
(every frame from the keyframe before it must be decoded). Its proxy is the same video at viewer size,
H.264 with a keyframe every 12 frames and no B-frames, and *the same timestamps*: frame N of the proxy is
frame N of the source, so the viewer stays frame-exact while reading the proxy. Exports always read the
source. Worker thread; never touches Qt.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av

from editor.media.errors import MediaError, RenderCancelled, describe_av_error
from editor.media.origin import time_origin
from editor.media.probe import open_input

PROXY_GOP = 12
PROXY_HEIGHT = 540
LONG_GOP = 48  # sources whose keyframes are further apart than this (in frames) deserve a proxy


def needs_proxy(keyframe_indices: list[int], frame_count: int) -> bool:
    """True when the longest stretch between keyframes is over :data:`LONG_GOP` frames."""
    marks = sorted(set(keyframe_indices)) + [frame_count]
    return any(b - a > LONG_GOP for a, b in zip(marks, marks[1:], strict=False))


def make_proxy(
    source: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    height: int = PROXY_HEIGHT,
    on_progress: Callable[[float, str], None] | None = None,
    cancel: threading.Event | None = None,
) -> Path:
    """Write the proxy of ``source`` to ``out`` (via a temporary name; nothing is left on failure)."""
    src, dst = Path(source), Path(out)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.stem}.partial{dst.suffix}")
    try:
        with open_input(src) as inp:
            streams = [s for s in inp.streams.video if not (s.disposition & av.stream.Disposition.attached_pic)]
            if not streams:
                raise MediaError(f"{src}: has no video, so no proxy", src)
            vin = streams[0]
            origin = time_origin(inp, vin)  # frames before it are not frames of the file: not in the proxy
            vin.thread_type = "AUTO"
            cc = vin.codec_context
            scale = min(1.0, height / max(1, cc.height))
            width, out_height = max(2, int(cc.width * scale) // 2 * 2), max(2, int(cc.height * scale) // 2 * 2)
            total = vin.frames or 0
            duration = float(inp.duration / av.time_base) if inp.duration else 0.0
            with av.open(str(tmp), "w", format="mp4") as container:
                vout = container.add_stream("libx264", rate=vin.average_rate or Fraction(25))
                vout.width, vout.height, vout.pix_fmt = width, out_height, "yuv420p"
                vout.time_base = vin.time_base
                vout.codec_context.time_base = vin.time_base
                vout.options = {"preset": "veryfast", "crf": "26", "g": str(PROXY_GOP),
                                "keyint_min": str(PROXY_GOP), "bf": "0", "sc_threshold": "0"}
                rotation = vin.metadata.get("rotate") if vin.metadata else None
                if rotation:
                    vout.metadata["rotate"] = rotation
                done = 0
                for packet in inp.demux(vin):
                    if cancel is not None and cancel.is_set():
                        raise RenderCancelled(f"{src.name}: proxy cancelled", src)
                    try:
                        frames = vin.decode(packet)
                    except av.error.InvalidDataError:
                        continue
                    for frame in frames:
                        if frame.pts is None or frame.pts < origin.pts:
                            continue
                        small = frame.reformat(width=width, height=out_height, format="yuv420p")
                        small.pts, small.time_base = frame.pts, vin.time_base
                        small.pict_type = av.video.frame.PictureType.NONE
                        for pkt in vout.encode(small):
                            container.mux(pkt)
                        done += 1
                        if on_progress is not None and done % 25 == 0:
                            if total:
                                percent = 100.0 * done / total
                            elif duration:
                                percent = 100.0 * float(origin.time_of(frame.pts)) / duration
                            else:
                                percent = 0.0
                            on_progress(min(99.0, percent), f"{done} frames")
                for pkt in vout.encode(None):
                    container.mux(pkt)
        os.replace(tmp, dst)
    except MediaError:
        tmp.unlink(missing_ok=True)
        raise
    except av.error.FFmpegError as exc:
        tmp.unlink(missing_ok=True)
        raise describe_av_error(src, exc) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if on_progress is not None:
        on_progress(100.0, "proxy ready")
    return dst
