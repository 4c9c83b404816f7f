"""Write a multi-size Windows icon (PNG-compressed entries, Windows Vista and later) from the PNGs in
resources/icons. No third-party packages needed.

    python packaging/windows/make_ico.py OUT.ico
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

SIZES = (16, 32, 48, 64, 128, 256)


def main(out: str) -> None:
    icons = Path(__file__).resolve().parents[2] / "resources" / "icons"
    images = [(size, (icons / f"cutline-{size}.png").read_bytes()) for size in SIZES]
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = len(header) + 16 * len(images)
    entries, data = b"", b""
    for size, png in images:
        dim = 0 if size >= 256 else size  # 0 means 256
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(png), offset + len(data))
        data += png
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_bytes(header + entries + data)


if __name__ == "__main__":
    main(sys.argv[1])
