"""Media made once per test session (small: 320x240, 1–4 s)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from editor.media.cache import MemoryBytesCache
from editor.media.synth import SynthClip, make_clip


class DictCache:
    """A dict-backed BytesCache test double (the media layer's own interface)."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}
        self.gets = 0
        self.sets = 0

    def get(self, key: str) -> bytes | None:
        self.gets += 1
        return self.data.get(key)

    def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        self.sets += 1
        self.data[key] = bytes(value)


@pytest.fixture
def dict_cache() -> DictCache:
    return DictCache()


@pytest.fixture
def memory_cache() -> MemoryBytesCache:
    return MemoryBytesCache()


class Media:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._made: dict[str, SynthClip] = {}

    def get(self, name: str, **kw) -> SynthClip:
        if name not in self._made:
            self._made[name] = make_clip(self.root / name, **kw)
        return self._made[name]

    # the standard clips
    @property
    def mp4(self) -> SynthClip:  # H.264 + B-frames, keyframe every 25 frames, beeps
        return self.get("gop25.mp4", frames=100, gop=25, beeps=True)

    @property
    def long_gop(self) -> SynthClip:  # one keyframe for the whole clip (like a 10 s camera GOP)
        return self.get("longgop.mp4", frames=100, gop=250)

    @property
    def webm(self) -> SynthClip:
        return self.get("vp9.webm", frames=50)

    @property
    def prores(self) -> SynthClip:
        return self.get("prores.mov", frames=30)

    @property
    def tenbit(self) -> SynthClip:
        return self.get("tenbit.mp4", frames=50, pix_fmt="yuv420p10le")

    @property
    def rotated(self) -> SynthClip:
        return self.get("rotated.mp4", frames=50, rotation=90)

    @property
    def vfr(self) -> SynthClip:
        return self.get("vfr.mp4", frames=50, vfr=True)

    @property
    def audio_only(self) -> SynthClip:
        return self.get("tone.m4a", frames=50, video=False)

    @property
    def wav(self) -> SynthClip:
        return self.get("tone.wav", frames=50, video=False, beeps=True)

    @property
    def other_size(self) -> SynthClip:  # 30 fps, square, numbers from 1000
        return self.get("square30.mp4", frames=60, fps=Fraction(30), size=(240, 240), start_number=1000,
                        gop=30)

    @property
    def no_audio(self) -> SynthClip:
        return self.get("silent.mp4", frames=50, audio=False, gop=25)


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> Media:
    return Media(tmp_path_factory.mktemp("media"))
