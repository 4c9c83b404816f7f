"""Render resources/icons/cutline.svg to the PNG sizes desktops want. Run after changing the SVG:

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/make_icons.py
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

SIZES = (16, 32, 48, 64, 128, 256, 512)


def main() -> None:
    icons = Path(__file__).resolve().parents[1] / "resources" / "icons"
    app = QGuiApplication([])  # noqa: F841 - QImage painting needs it
    renderer = QSvgRenderer(str(icons / "cutline.svg"))
    if not renderer.isValid():
        raise SystemExit("cutline.svg does not parse")
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        renderer.render(painter)
        painter.end()
        image.save(str(icons / f"cutline-{size}.png"))


if __name__ == "__main__":
    main()
