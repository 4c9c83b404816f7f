"""The export's side of the compositor: a timeline with picture effects rendered frame by frame.

``render_reencode`` hands each output frame to :class:`CompositeFrames` when the spec carries the
timeline (``RenderSpec.composition``, set by the export job when the timeline has titles, fades,
dissolves or picture-in-picture). Every frame is planned by ``editor.model.layers.layers_at`` and
drawn by ``editor.media.compose.compose_frame``, exactly as the window's preview draws it; a frame that
is one plain clip is conformed as a plain render does it. Sources are decoded forward from the keyframe
before the first frame a clip needs, one decoder per clip, closed when a frame no longer uses it.
Worker thread or child process; never touches Qt.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import av
import numpy as np

from editor.media.compose import compose_frame
from editor.media.errors import RenderError
from editor.media.frames import convert_frame
from editor.media.render_sources import SourcePool, black_frame, conform
from editor.model.layers import VideoLayer, is_plain, layers_at
from editor.model.serialize import timeline_from_json
from editor.model.timeline import Clip

__all__ = ["CompositeFrames"]


class _ClipDecoder:
    """One clip's source frames by frame index, decoded forward. Worker thread."""

    def __init__(self, path: str, pool: SourcePool, seconds: Fraction) -> None:
        from editor.media.origin import packets_from

        self.path, self.pool = path, pool
        self.container = pool.acquire(path)
        if not self.container.streams.video:
            pool.release(path, self.container)
            raise RenderError(f"{path}: has no video stream", path)
        self.stream = self.container.streams.video[0]
        if not self.stream.codec_context.is_open:
            self.stream.thread_type = "AUTO"
        self.index = pool.index(path, self.container)
        key = self.index.keyframe_before(self.index_at(seconds))
        self._frames = self._decode(packets_from(self.container, self.stream, key, self.index.order))
        self.current: tuple[int, av.VideoFrame] | None = None
        self.upcoming: tuple[int, av.VideoFrame] | None = None
        self._started = False
        self.rotation = 0

    def _decode(self, packets: Iterator[Any]) -> Iterator[tuple[int, av.VideoFrame]]:
        for packet in packets:
            try:
                frames = self.stream.decode(packet) if packet.size else self.stream.decode(None)
            except av.error.InvalidDataError:
                continue
            for f in frames:
                i = self.index.frame_at_pts(f.pts)
                if i is not None:
                    yield i, f

    def index_at(self, seconds: Fraction) -> int:
        """The frame index shown at ``seconds``, as ``FrameReader`` resolves it (clamped into the file)."""
        duration = self.index.duration
        at = min(seconds, max(Fraction(0), duration - Fraction(1, 1000)))
        return max(0, min(self.index.index_at(at), len(self.index) - 1))

    def frame(self, wanted: int) -> av.VideoFrame | None:
        """The decoded frame ``wanted`` (or the last one before it that the file has)."""
        if not self._started:
            self._started = True
            self.current = next(self._frames, None)
            self.upcoming = next(self._frames, None)
            if self.current is not None:
                self.rotation = int(round(self.current[1].rotation)) % 360
        while self.upcoming is not None and self.upcoming[0] <= wanted:
            self.current, self.upcoming = self.upcoming, next(self._frames, None)
        return self.current[1] if self.current is not None else None

    def close(self) -> None:
        self._frames.close()  # type: ignore[attr-defined]
        self.current = self.upcoming = None
        self.pool.release(self.path, self.container)


class _Sources:
    """``PictureSource`` for the compositor over the export's decoders. Worker thread."""

    def __init__(self, owner: CompositeFrames) -> None:
        self.owner = owner

    def display_size(self, clip: Clip) -> tuple[int, int]:
        frame, rotation = self.owner.decoded(clip)
        if frame is None:
            return (clip.media.width or 2, clip.media.height or 2)
        return (frame.height, frame.width) if rotation % 180 == 90 else (frame.width, frame.height)

    def picture(self, clip: Clip, seconds: Fraction, size: tuple[int, int]) -> np.ndarray:
        frame, rotation = self.owner.decoded(clip)
        if frame is None:
            return np.zeros((size[1], size[0], 4), np.uint8)
        pic = convert_frame(frame, size, "bgra", rotation, 0, Fraction(0), Fraction(0))
        return pic.to_ndarray()


class CompositeFrames:
    """Output frames of a timeline with picture effects. ``frame(n)`` for n = 0, 1, ... in order.

    ``spec`` gives the output size and rate, ``spec.composition`` the timeline (JSON) and
    ``spec.composition_start`` the timeline frame shown at the render's time 0. Worker thread.
    """

    def __init__(self, spec: Any, pool: SourcePool) -> None:
        self.timeline = timeline_from_json(spec.composition)
        self.start = int(spec.composition_start)
        self.spec, self.pool = spec, pool
        self.size = (spec.width, spec.height)
        self._decoders: dict[int, _ClipDecoder] = {}
        self._wanted: dict[int, tuple[_ClipDecoder, int]] = {}
        self._black: av.VideoFrame | None = None
        self._source = _Sources(self)

    def decoded(self, clip: Clip) -> tuple[av.VideoFrame | None, int]:
        dec, idx = self._wanted[clip.id]
        return dec.frame(idx), dec.rotation

    def _plan(self, layers: tuple) -> None:
        self._wanted = {}
        for layer in layers:
            if type(layer) is not VideoLayer:
                continue
            clip = layer.clip
            dec = self._decoders.get(clip.id)
            if dec is None:
                dec = self._decoders[clip.id] = _ClipDecoder(clip.media.path, self.pool, layer.seconds)
            self._wanted[clip.id] = (dec, dec.index_at(layer.seconds))
        for cid in [c for c in self._decoders if c not in self._wanted]:
            self._decoders.pop(cid).close()  # the clip has passed

    def timeline_frame(self, n: int) -> int:
        """The timeline frame shown at output frame ``n``."""
        t = self.spec.start + Fraction(n) / self.spec.fps
        return self.start + int(t * self.timeline.rate)

    def frame(self, n: int) -> av.VideoFrame:
        """Output frame ``n``: yuv420p for a plain frame, BGRA for a composited one. Worker thread."""
        layers = layers_at(self.timeline, self.timeline_frame(n), subtitles=bool(self.spec.burn_subtitles))
        self._plan(layers)
        w, h = self.size
        if not layers:
            self._black = self._black or black_frame(w, h)
            return self._black
        if is_plain(layers):
            frame, rotation = self.decoded(layers[0].clip)  # type: ignore[union-attr]
            if frame is None:
                self._black = self._black or black_frame(w, h)
                return self._black
            return conform(frame, w, h, rotation)
        canvas = compose_frame(layers, self.size, self._source)
        return av.VideoFrame.from_ndarray(canvas, format="bgra")

    def close(self) -> None:
        for dec in self._decoders.values():
            dec.close()
        self._decoders.clear()
