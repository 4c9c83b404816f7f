"""Importing files: probe them (through the metadata cache), record them in PostgreSQL, and describe
them to the timeline model. Worker thread; never touches Qt.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from editor.media.cache import BytesCache
from editor.media.errors import MediaError
from editor.media.probe import MediaInfo, probe
from editor.model.timeline import MediaRef
from editor.store.media_repo import MediaRepository


@dataclass(frozen=True, slots=True)
class ImportResult:
    refs: list[MediaRef]
    infos: list[MediaInfo]
    failures: list[tuple[str, str]]  # (path, one-line reason)


def media_ref(info: MediaInfo) -> MediaRef:
    """The model's view of a probed file. Video is counted in frames at its average rate; audio-only files
    in samples at their sample rate, so cuts in them stay exact too."""
    if info.video is not None:
        rate = info.video.frame_rate if info.video.frame_rate > 0 else Fraction(25)
        frames = info.video.frame_count
        if not frames and info.duration is not None:
            frames = int(info.duration * rate)
        width, height = info.video.display_size
        return MediaRef(info.fingerprint, info.path, max(1, int(frames or 1)), rate,
                        has_video=True, has_audio=info.audio is not None, width=width, height=height)
    if info.audio is not None:
        rate = Fraction(info.audio.sample_rate)
        samples = int((info.duration or Fraction(0)) * rate)
        return MediaRef(info.fingerprint, info.path, max(1, samples), rate, has_video=False, has_audio=True)
    raise MediaError(f"{Path(info.path).name} has neither video nor audio", info.path)


def record_media(repo: MediaRepository, info: MediaInfo) -> None:
    """Upsert the ``media`` row for a probed file (the path follows a moved file)."""
    video, audio = info.video, info.audio
    repo.upsert(
        info.fingerprint, info.path,
        duration_seconds=float(info.duration) if info.duration is not None else None,
        width=video.width if video else None, height=video.height if video else None,
        frame_rate=f"{video.frame_rate.numerator}/{video.frame_rate.denominator}" if video else None,
        video_codec=video.codec if video else None, audio_codec=audio.codec if audio else None,
        sample_rate=audio.sample_rate if audio else None, bitrate=info.bit_rate,
        rotation=video.rotation if video else 0, info={"probe": info.to_json()},
    )  # fmt: skip


def import_files(
    paths: Iterable[str | os.PathLike[str]], cache: BytesCache | None = None, repo: MediaRepository | None = None
) -> ImportResult:
    """Probe every file; the ones that fail are listed with a reason, the others imported."""
    refs: list[MediaRef] = []
    infos: list[MediaInfo] = []
    failures: list[tuple[str, str]] = []
    for path in paths:
        try:
            info = probe(os.path.abspath(path), cache)
            ref = media_ref(info)
        except MediaError as exc:
            failures.append((str(path), str(exc)))
            continue
        if repo is not None:
            record_media(repo, info)
        refs.append(ref)
        infos.append(info)
    return ImportResult(refs, infos, failures)
