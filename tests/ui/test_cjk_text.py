"""Korean, Japanese and Chinese names, markers and subtitles are drawn with glyphs, not boxes: the app font
falls back to an installed CJK font (scripts/test.sh installs fonts-nanum and fonts-droid-fallback)."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QFont, QFontDatabase, QImage, QPainter

from editor.ui import theme


def _picture(text: str, font: QFont) -> bytes:
    img = QImage(240, 40, QImage.Format.Format_RGB32)
    img.fill(QColor("black"))
    painter = QPainter(img)
    painter.setPen(QColor("white"))
    painter.setFont(font)
    painter.drawText(4, 30, text)
    painter.end()
    return bytes(img.constBits())


@pytest.mark.parametrize("text", ["한국어 자막", "日本語の字幕", "中文字幕"])
def test_cjk_text_is_drawn_with_glyphs(qapp, text: str) -> None:  # type: ignore[no-untyped-def]
    if not set(theme.CJK_FAMILIES) & set(QFontDatabase.families()):
        pytest.skip("no CJK font installed (scripts/test.sh installs one)")
    theme.apply_theme(qapp)
    font = theme.ui_font(14)
    tofu = _picture("\U0010fffd" * len(text), font)  # an unassigned code point: the missing-glyph box
    drawn = _picture(text, font)
    assert drawn != tofu, f"{text!r} is drawn as boxes"
    # Each word differs from another word of the same length: real glyphs, not one box repeated.
    assert _picture(text, font) != _picture(text[::-1], font) or text == text[::-1]
    assert _picture(text, theme.mono_font(14)) != _picture("\U0010fffd" * len(text), theme.mono_font(14))
