"""Colours and fonts shared by Cutline's widgets, and the dark application palette.

Qt main thread only (QColor/QFont are cheap value types, but QApplication must exist for fonts and palettes).
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QFontDatabase, QPalette
from PySide6.QtWidgets import QApplication

__all__ = [
    "BACKGROUND", "BASE", "PANEL", "TEXT", "TEXT_DIM", "ACCENT", "SELECTION", "PLAYHEAD", "IN_OUT_SHADE",
    "RULER_BG", "HEADER_BG", "GRID", "ROW_BG", "ROW_BG_ALT", "OFFLINE", "ERROR", "SUCCESS",
    "TRACK_COLORS", "TRACK_EDGE", "WAVEFORM", "MARKER_COLORS", "track_color", "marker_color",
    "mono_font", "ui_font", "apply_theme", "with_cjk_fallback", "CJK_FAMILIES",
]

BACKGROUND = QColor("#1b1d21")
BASE = QColor("#15171a")
PANEL = QColor("#23262b")
TEXT = QColor("#e4e6ea")
TEXT_DIM = QColor("#9299a3")
ACCENT = QColor("#4c9bff")
SELECTION = QColor("#ffc53d")
PLAYHEAD = QColor("#ff4a4a")
IN_OUT_SHADE = QColor(76, 155, 255, 46)
RULER_BG = QColor("#26292e")
HEADER_BG = QColor("#202328")
GRID = QColor("#33373d")
ROW_BG = QColor("#1a1c20")
ROW_BG_ALT = QColor("#1e2025")
OFFLINE = QColor("#d9534f")
ERROR = QColor("#ff6b6b")
SUCCESS = QColor("#5cc98a")
KEYFRAME = QColor("#c792ea")  # ticks under the ruler where a copy cut starts exactly

#: Fill colour of clips by track kind.
TRACK_COLORS: dict[str, QColor] = {
    "video": QColor("#3d6fb0"),
    "audio": QColor("#2f8f6a"),
    "subtitle": QColor("#8a62b8"),
}
#: Darker outline colour of clips by track kind.
TRACK_EDGE: dict[str, QColor] = {k: c.darker(160) for k, c in TRACK_COLORS.items()}
WAVEFORM = QColor("#a6f0cf")

#: Marker colour names (OpenTimelineIO's) to screen colours.
MARKER_COLORS: dict[str, QColor] = {
    "red": QColor("#ef4444"),
    "pink": QColor("#f472b6"),
    "orange": QColor("#fb923c"),
    "yellow": QColor("#facc15"),
    "green": QColor("#4ade80"),
    "cyan": QColor("#22d3ee"),
    "blue": QColor("#60a5fa"),
    "purple": QColor("#a78bfa"),
    "magenta": QColor("#e879f9"),
    "black": QColor("#4b5563"),
    "white": QColor("#f3f4f6"),
}


def track_color(kind: str) -> QColor:
    """Clip fill colour for a track kind (grey for an unknown kind). Qt main thread only."""
    return TRACK_COLORS.get(kind, QColor("#666a70"))


def marker_color(name: str) -> QColor:
    """Screen colour for a marker colour name (red when unknown). Qt main thread only."""
    return MARKER_COLORS.get(name.lower(), MARKER_COLORS["red"])


#: Fonts with Hangul, kana and Han glyphs, best first: each character missing from the UI font is drawn with
#: the first of these that is installed (Debian: fonts-noto-cjk, or fonts-nanum + fonts-droid-fallback).
CJK_FAMILIES = ("Noto Sans CJK KR", "Noto Sans CJK JP", "Noto Sans CJK SC", "Noto Sans CJK TC", "Source Han Sans",
                "NanumGothic", "UnDotum", "Baekmuk Gulim", "Droid Sans Fallback", "WenQuanYi Micro Hei")


def with_cjk_fallback(font: QFont) -> QFont:
    """``font`` with the installed CJK families after its own, so Korean, Japanese and Chinese text is drawn
    with real glyphs instead of boxes. Qt main thread only."""
    installed = set(QFontDatabase.families())
    extra = [f for f in CJK_FAMILIES if f in installed and f not in font.families()]
    if extra:
        font.setFamilies([*(font.families() or [font.family()]), *extra])
    return font


def mono_font(point_size: float = 9.0) -> QFont:
    """A fixed-pitch font for timecodes. Qt main thread only."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setPointSizeF(point_size)
    return with_cjk_fallback(font)


def ui_font(point_size: float = 9.0, bold: bool = False) -> QFont:
    """The application font at a size, optionally bold. Qt main thread only."""
    font = QFont(QApplication.font())
    font.setPointSizeF(point_size)
    font.setBold(bold)
    return with_cjk_fallback(font)


def apply_theme(app: QApplication) -> None:
    """Give the whole application the Fusion style with Cutline's dark palette. Qt main thread only."""
    app.setStyle("Fusion")
    app.setFont(with_cjk_fallback(QFont(app.font())))  # every widget: Korean names and subtitles readable
    pal = QPalette()
    roles = {
        QPalette.ColorRole.Window: BACKGROUND,
        QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: BASE,
        QPalette.ColorRole.AlternateBase: PANEL,
        QPalette.ColorRole.ToolTipBase: PANEL,
        QPalette.ColorRole.ToolTipText: TEXT,
        QPalette.ColorRole.PlaceholderText: TEXT_DIM,
        QPalette.ColorRole.Text: TEXT,
        QPalette.ColorRole.Button: PANEL,
        QPalette.ColorRole.ButtonText: TEXT,
        QPalette.ColorRole.BrightText: QColor("#ffffff"),
        QPalette.ColorRole.Highlight: ACCENT,
        QPalette.ColorRole.HighlightedText: QColor("#ffffff"),
        QPalette.ColorRole.Link: ACCENT,
        QPalette.ColorRole.Light: QColor("#3a3e45"),
        QPalette.ColorRole.Midlight: QColor("#2e3137"),
        QPalette.ColorRole.Mid: QColor("#272a2f"),
        QPalette.ColorRole.Dark: QColor("#121316"),
        QPalette.ColorRole.Shadow: QColor("#000000"),
    }
    for role, color in roles.items():
        pal.setColor(role, color)
    disabled = QPalette.ColorGroup.Disabled
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        pal.setColor(disabled, role, QColor("#5d636b"))
    app.setPalette(pal)
