"""The compositor: the layers of a timeline frame (``editor.model.layers``) drawn into one picture.

One function, :func:`compose_frame`, is used by the window's preview (``editor.ui.preview``) and by the
export (``render_reencode`` through :class:`CompositeFrames`), so what the viewer shows is what the file
holds, to the pixel at the same size. Its inputs are the layers and a :class:`PictureSource` that gives
each clip's exact source frame converted by ``frames.convert_frame`` to the size asked for (the preview
reads it with its ``FrameReader``, the export from its sequential decoder: the same decoded frame, the
same conversion). Pixels are BGRA (Qt's RGB32 on little-endian), blended in integers.

- A clip is fitted into the canvas times its ``scale`` (aspect kept), its centre moved by ``x``/``y``
  canvas widths / heights, cut to the canvas.
- A title is rasterised by ``editor.media.titles`` at the canvas's scale (its size is in pixels of a
  1080-line picture) and drawn the same way, its ink's alpha times the layer's.
- ``alpha`` (opacity, fades, dissolve) becomes an integer weight 0..255.

Worker thread or child process; never touches Qt.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Protocol

import numpy as np

from editor.media.frames import fit_size
from editor.media.titles import render_text
from editor.model.layers import Layer, SubtitleLayer, TitleLayer, VideoLayer
from editor.model.picture import Look
from editor.model.timeline import Clip

__all__ = ["PictureSource", "compose_frame", "content_rect", "title_pixels", "subtitle_pixels"]


class PictureSource(Protocol):
    """Where the compositor gets clip pictures from (the preview's readers, the export's decoders)."""

    def display_size(self, clip: Clip) -> tuple[int, int]:
        """The clip's source picture size, rotation applied."""
        ...

    def picture(self, clip: Clip, seconds: Fraction, size: tuple[int, int]) -> np.ndarray:
        """The exact source frame at ``seconds`` as (h, w, 4) BGRA at ``size`` (``frames.convert_frame``)."""
        ...


def _round(v: Fraction) -> int:
    return int((v * 2 + 1) // 2)


def content_rect(look: Look, size: tuple[int, int], canvas: tuple[int, int]) -> tuple[int, int]:
    """Top-left corner of content of ``size`` drawn with ``look`` on ``canvas`` (may lie off the canvas)."""
    w, h = size
    cw, ch = canvas
    cx = Fraction(cw, 2) + look.x * cw
    cy = Fraction(ch, 2) + look.y * ch
    return _round(cx - Fraction(w, 2)), _round(cy - Fraction(h, 2))


def _weight(alpha: Fraction) -> int:
    return max(0, min(255, _round(alpha * 255)))


def title_pixels(layer: TitleLayer, canvas: tuple[int, int]) -> np.ndarray:
    """The title's BGRA image (straight alpha) at the canvas's scale. Any thread."""
    t = layer.title
    px = _round(Fraction(t.size * canvas[1], 1080) * t.look.scale)
    return render_text(t.text, t.font, max(1, px), t.color)


def subtitle_pixels(text: str, canvas: tuple[int, int]) -> tuple[np.ndarray, int, int]:
    """A subtitle's BGRA image (white, black outline, the default font or a CJK one) for a canvas, and
    where its top-left corner goes (centred, above the bottom edge). The viewer's overlay and the burn-in
    both use it. Any thread."""
    px = max(8, _round(Fraction(canvas[1] * 11, 200)))  # 5.5 % of the picture height
    pixels = render_text(text, "", px, "#ffffff", outline=max(1, px // 12))
    h, w = pixels.shape[:2]
    return pixels, (canvas[0] - w) // 2, canvas[1] - h - _round(Fraction(canvas[1] * 6, 100))


def _blend(canvas: np.ndarray, src: np.ndarray, x0: int, y0: int, weight: int, per_pixel: bool) -> None:
    ch, cw = canvas.shape[:2]
    h, w = src.shape[:2]
    ax0, ay0 = max(0, x0), max(0, y0)
    ax1, ay1 = min(cw, x0 + w), min(ch, y0 + h)
    if ax1 <= ax0 or ay1 <= ay0:
        return
    dst = canvas[ay0:ay1, ax0:ax1, :3]
    part = src[ay0 - y0:ay1 - y0, ax0 - x0:ax1 - x0]
    if not per_pixel and weight == 255:
        dst[...] = part[..., :3]
        return
    if per_pixel:
        a = (part[..., 3:4].astype(np.uint16) * weight + 127) // 255
    else:
        a = np.uint16(weight)
    s = part[..., :3].astype(np.uint16)
    d = dst.astype(np.uint16)
    s *= a
    d *= 255 - a
    s += d
    s += 127
    s //= 255
    dst[...] = s


def compose_frame(layers: Sequence[Layer], canvas: tuple[int, int], source: PictureSource) -> np.ndarray:
    """The picture of ``layers`` (bottom first) on a black ``canvas`` (w, h): (h, w, 4) BGRA uint8, alpha
    255. Worker thread."""
    cw, ch = canvas
    out = np.zeros((ch, cw, 4), np.uint8)
    out[..., 3] = 255
    for layer in layers:
        weight = _weight(layer.alpha)
        if weight == 0:
            continue
        look = layer.look
        if type(layer) is VideoLayer:
            box = (max(2, _round(cw * look.scale)), max(2, _round(ch * look.scale)))
            size = fit_size(source.display_size(layer.clip), box)
            pixels = source.picture(layer.clip, layer.seconds, size)
            x0, y0 = content_rect(look, (pixels.shape[1], pixels.shape[0]), canvas)
            _blend(out, pixels, x0, y0, weight, per_pixel=False)
        elif type(layer) is SubtitleLayer:
            pixels, x0, y0 = subtitle_pixels(layer.text, canvas)
            _blend(out, pixels, x0, y0, weight, per_pixel=True)
        else:
            assert type(layer) is TitleLayer
            pixels = title_pixels(layer, canvas)
            x0, y0 = content_rect(look, (pixels.shape[1], pixels.shape[0]), canvas)
            _blend(out, pixels, x0, y0, weight, per_pixel=True)
    return out
