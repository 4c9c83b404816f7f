"""Short-GOP proxies: a small copy of a long-GOP source that seeks fast and shows the same frames.

A camera file with one keyframe every few seconds needs up to a second to show an exact random frame
(every frame from the keyframe before it must be decoded), and a 4K file costs more to play than a small
machine has. Its proxy is the same video at viewer size (540 lines), H.264 made for speed both ways
(``ultrafast``, ``fastdecode``: no CABAC, no deblocking) with a keyframe every 12 frames and no B-frames,
and *the same timestamps*: frame N of the proxy is frame N of the source, so the viewer stays frame-exact
while reading the proxy. Exports always read the source. Worker thread; never touches Qt.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from editor.media.errors import MediaError, RenderCancelled, describe_av_error
from editor.media.origin import time_origin
from editor.media.probe import open_input

PROXY_GOP = 12
PROXY_HEIGHT = 540
LONG_GOP = 48  # sources whose keyframes are further apart than this (in frames) deserve a proxy
BIG_PICTURE = 1920 * 1088  # sources with more pixels than 1080p deserve one too (playing them is costly)
PROXY_OPTIONS = {"preset": "ultrafast", "tune": "fastdecode", "crf": "23", "bf": "0", "sc_threshold": "0"}


def needs_proxy(keyframe_indices: list[int], frame_count: int, size: tuple[int, int] | None = None) -> bool:
    """True when the longest stretch between keyframes is over :data:`LONG_GOP` frames, or the picture
    (``size``, coded width and height) is bigger than 1080p. Any thread."""
    if size is not None and size[0] * size[1] > BIG_PICTURE:
        return True
    marks = sorted(set(keyframe_indices)) + [frame_count]
    return any(b - a > LONG_GOP for a, b in zip(marks, marks[1:], strict=False))


def make_proxy(
    source: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    height: int = PROXY_HEIGHT,
    on_progress: Callable[[float, str], None] | None = None,
    cancel: threading.Event | None = None,
    pause: Callable[[], None] | None = None,
    threads: int = 0,
) -> Path:
    """Write the proxy of ``source`` to ``out`` (via a temporary name; nothing is left on failure).

    ``pause()`` is called before each frame (a job waits there while playback is active); ``threads``
    bounds the decoder's and the encoder's threads (0: FFmpeg's choice). Worker thread.
    """
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
            if threads:
                vin.codec_context.thread_count = threads
            cc = vin.codec_context
            scale = min(1.0, height / max(1, cc.height))
            width, out_height = max(2, int(cc.width * scale) // 2 * 2), max(2, int(cc.height * scale) // 2 * 2)
            total = vin.frames or 0
            duration = float(inp.duration / av.time_base) if inp.duration else 0.0
            with av.open(str(tmp), "w", format="mp4") as container:
                vout = container.add_stream("libx264", rate=vin.average_rate or Fraction(25))
                vout.width, vout.height, vout.pix_fmt = width, out_height, "yuv420p"
                vout.time_base = vin.time_base
                vout.codec_context.time_base = vin.time_base  # type: ignore[assignment]
                vout.options = {**PROXY_OPTIONS, "g": str(PROXY_GOP), "keyint_min": str(PROXY_GOP),
                                **({"threads": str(threads)} if threads else {})}
                rotation = vin.metadata.get("rotate") if vin.metadata else None
                if rotation:
                    vout.metadata["rotate"] = rotation
                done = 0
                # decode + scale on a helper thread, encode here: the two halves overlap (PyAV drops the GIL)
                for small, t in _scaled_frames(inp, vin, width, out_height, src, pause, cancel, origin.pts):
                    for pkt in vout.encode(small):
                        container.mux(pkt)
                    done += 1
                    if on_progress is not None and done % 25 == 0:
                        if total:
                            percent = 100.0 * done / total
                        elif duration:
                            percent = 100.0 * t / duration
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


_END = object()


def _scaled_frames(inp: Any, vin: Any, width: int, height: int, src: Path, pause: Callable[[], None] | None,
                   cancel: threading.Event | None, origin_pts: int | None = None,
                   ) -> Iterator[tuple[av.VideoFrame, float]]:
    """The source's frames scaled for the proxy (with their time in seconds), decoded on a helper thread
    a few frames ahead of the caller; frames before ``origin_pts`` (undecodable leading pictures, pre-roll)
    are not frames of the file and are left out. Errors of the helper are raised here. Worker thread."""
    frames: queue.Queue[Any] = queue.Queue(maxsize=8)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                frames.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for packet in inp.demux(vin):
                if pause is not None:
                    pause()
                if cancel is not None and cancel.is_set():
                    raise RenderCancelled(f"{src.name}: proxy cancelled", src)
                try:
                    decoded = vin.decode(packet)
                except av.error.InvalidDataError:
                    continue
                for frame in decoded:
                    if frame.pts is None or (origin_pts is not None and frame.pts < origin_pts):
                        continue
                    small = frame.reformat(width=width, height=height, format="yuv420p",
                                           interpolation="FAST_BILINEAR")
                    small.pts, small.time_base = frame.pts, vin.time_base
                    small.pict_type = av.video.frame.PictureType.NONE
                    if not put((small, float(frame.time or 0))):
                        return
            put(_END)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            put(exc)

    helper = threading.Thread(target=produce, name="cutline-proxy-decode", daemon=True)
    helper.start()
    try:
        while True:
            item = frames.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        helper.join(timeout=5)
