from __future__ import annotations

import ast
from pathlib import Path

import av
import numpy as np

from editor.media.synth import paint_frame_number, read_frame_number

ROOT = Path(__file__).resolve().parents[2]


def test_frame_number_round_trip_survives_quarter_scale_and_compression(media) -> None:
    clip = media.mp4
    with av.open(str(clip.path)) as f:
        for i, frame in enumerate(f.decode(video=0)):
            small = frame.to_ndarray(format="rgb24", width=80, height=60)
            assert read_frame_number(small) == i


def test_paint_and_read_all_bits() -> None:
    img = np.full((240, 320, 3), 90, np.uint8)
    for n in (0, 1, 0xA5A5, 0xFFFF, 12345):
        paint_frame_number(img, n)
        assert read_frame_number(img) == n


def test_media_layer_imports_only_itself_stdlib_av_numpy() -> None:
    allowed_roots = {"av", "numpy", "editor", "sounddevice"}  # sounddevice: PortAudio output (audio_device)
    import sys

    stdlib = set(sys.stdlib_module_names)
    for path in (ROOT / "editor" / "media").rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                root = name.split(".")[0]
                assert root in stdlib or root in allowed_roots, f"{path.name} imports {name}"
                if root == "editor":
                    assert name.startswith(("editor.media", "editor.model")), f"{path.name} imports {name}"
