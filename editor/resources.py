"""Where the icon, the .desktop entry and the metainfo are: the checkout's ``resources/`` or the
installed ``cutline_resources`` package (or a PyInstaller bundle's copy). Any thread."""

from __future__ import annotations

import sys
from importlib import resources as importlib_resources
from pathlib import Path


def resources_dir() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle and (Path(bundle) / "cutline_resources").is_dir():
        return Path(bundle) / "cutline_resources"
    checkout = Path(__file__).resolve().parents[1] / "resources"
    if checkout.is_dir():
        return checkout
    return Path(str(importlib_resources.files("cutline_resources")))


def icon_path(size: int | None = None) -> Path:
    folder = resources_dir() / "icons"
    return folder / (f"cutline-{size}.png" if size else "cutline.svg")
