"""Text to pixels for titles and burnt-in subtitles, with Pillow (FreeType), no Qt.

The media layer may not import Qt, and the export runs in a child process without a QApplication, so
text is rasterised here with Pillow; the window's preview calls the same function, so a title looks the
same in the viewer and in the exported file, to the pixel. Fonts are found by family name among the
font files of the system (``/usr/share/fonts``, the user's font folders, macOS and Windows font folders);
text with characters the chosen font lacks (Hangul, kana, Han) is drawn with the first CJK font found
(Nanum, Noto CJK, Droid Sans Fallback, ...). Images are cached (same text, font, size: same pixels).
Any thread (the font table is built once under a lock).
"""

from __future__ import annotations

import functools
import os
import sys
import threading
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from editor.media.errors import MediaError

__all__ = ["font_families", "find_font", "render_text", "TitleFontError"]

DEFAULT_FAMILIES = ("DejaVu Sans", "Noto Sans", "Liberation Sans", "Arial", "Helvetica", "Verdana")
CJK_FAMILIES = ("NanumGothic", "Noto Sans CJK KR", "Noto Sans CJK JP", "Noto Sans CJK SC", "Droid Sans Fallback",
                "Apple SD Gothic Neo", "Malgun Gothic", "Microsoft YaHei", "MS Gothic", "WenQuanYi Zen Hei")
_EXTS = (".ttf", ".otf", ".ttc")
_lock = threading.Lock()
_table: dict[str, str] | None = None  # family (lower case) -> font file of its regular style
_names: list[str] = []  # the families as the fonts spell them


class TitleFontError(MediaError):
    """No font file could be found to draw text with."""


def _font_dirs() -> list[Path]:
    home = Path.home()
    dirs = [Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), home / ".fonts", home / ".local/share/fonts"]
    if sys.platform == "darwin":
        dirs += [Path("/System/Library/Fonts"), Path("/Library/Fonts"), home / "Library/Fonts"]
    if sys.platform == "win32":
        dirs += [Path(os.environ.get("WINDIR", "C:/Windows")) / "Fonts"]
    return [d for d in dirs if d.is_dir()]


def _fonts() -> dict[str, str]:
    global _table
    with _lock:
        if _table is None:
            table: dict[str, tuple[int, str]] = {}
            spelled: dict[str, str] = {}
            for d in _font_dirs():
                for root, _, files in os.walk(d):
                    for name in sorted(files):
                        if not name.lower().endswith(_EXTS):
                            continue
                        path = os.path.join(root, name)
                        try:
                            family, style = ImageFont.truetype(path, 12).getname()
                        except OSError:
                            continue
                        if not family:
                            continue
                        rank = 0 if (style or "").lower() in ("regular", "book", "roman", "normal") else 1
                        key = family.lower()
                        spelled.setdefault(key, family)
                        if key not in table or rank < table[key][0]:
                            table[key] = (rank, path)
            _table = {k: v[1] for k, v in table.items()}
            _names[:] = sorted({f for f in spelled.values()}, key=str.lower)
        return _table


def font_families() -> list[str]:
    """Family names of the fonts found, as the fonts spell them, sorted. Any thread."""
    _fonts()
    return list(_names)


@functools.lru_cache(maxsize=64)
def _font(path: str, px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, px)


@functools.lru_cache(maxsize=4096)
def _has_glyph(path: str, ch: str) -> bool:
    font = _font(path, 24)
    missing = font.getmask("\U0010fffd")
    mask = font.getmask(ch)
    return not (mask.size == missing.size and bytes(mask) == bytes(missing))


def find_font(family: str, text: str = "") -> str:
    """The font file to draw ``text`` in ``family`` ("" = the default sans serif): that family when it
    has every character of the text, else a CJK font that has them, else the family anyway.
    TitleFontError when the system has no usable font at all. Any thread."""
    table = _fonts()
    if not table:
        raise TitleFontError("no font files found to draw titles with (install fonts-dejavu or any TrueType font)")
    chosen = table.get(family.lower()) if family else None
    if chosen is None:
        chosen = next((table[f.lower()] for f in DEFAULT_FAMILIES if f.lower() in table), None) \
            or table[sorted(table)[0]]
    needed = {c for c in text if not c.isspace()}
    if all(_has_glyph(chosen, c) for c in needed):
        return chosen
    for f in CJK_FAMILIES:
        path = table.get(f.lower())
        if path is not None and all(_has_glyph(path, c) for c in needed):
            return path
    return chosen


@functools.lru_cache(maxsize=128)
def render_text(text: str, family: str, px: int, color: str, outline: int = 0) -> np.ndarray:
    """``text`` (lines centred) in ``family`` at ``px`` pixels as a (h, w, 4) BGRA uint8 image with straight
    alpha, trimmed to the ink plus a margin; ``outline`` pixels of black edge (for subtitles). The array
    is shared by the cache: do not write to it. Any thread."""
    px = max(1, min(px, 4000))
    font = _font(find_font(family, text), px)
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    spacing = max(1, px // 5)
    box = probe.multiline_textbbox((0, 0), text, font=font, align="center", spacing=spacing,
                                   stroke_width=outline)
    pad = 2 + outline
    w, h = max(1, box[2] - box[0] + 2 * pad), max(1, box[3] - box[1] + 2 * pad)
    w += w % 2
    h += h % 2
    r, g, b = int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)
    img = Image.new("RGBA", (w, h), (r, g, b, 0))
    draw = ImageDraw.Draw(img)
    draw.multiline_text((pad - box[0], pad - box[1]), text, font=font, fill=(r, g, b, 255), align="center",
                        spacing=spacing, stroke_width=outline, stroke_fill=(0, 0, 0, 255))
    rgba = np.asarray(img, dtype=np.uint8)
    bgra = np.ascontiguousarray(rgba[..., [2, 1, 0, 3]])
    bgra.setflags(write=False)
    return bgra
