"""Errors of the media layer: each one's ``str()`` is one line a user can read.

Every message names the file and says what is wrong, so the CLI and the window can show it as is.
Pure data; any thread.
"""

from __future__ import annotations

import os
from pathlib import Path

from editor.model.errors import UserError


class MediaError(UserError):
    """A media problem the user can act on (missing file, unsupported format, failed render...)."""

    def __init__(self, message: str, path: str | os.PathLike[str] | None = None) -> None:
        # Keep the message on one line whatever the underlying library said.
        message = " ".join(str(message).split())
        super().__init__(message)
        self.path = Path(path) if path is not None else None


class MediaNotFoundError(MediaError):
    """The file does not exist (or disappeared while it was in use)."""


class UnsupportedMediaError(MediaError):
    """The file is not a media file we can read (empty, not a container, unknown codec)."""


class CorruptMediaError(MediaError):
    """The file is damaged (truncated, unreadable packets) beyond what can be skipped."""


class NoVideoStreamError(MediaError):
    """A video operation was asked of a file that holds no video."""


class NoAudioStreamError(MediaError):
    """An audio operation was asked of a file that holds no audio."""


class PositionOutOfRangeError(MediaError):
    """A frame or time outside the media was asked for."""


class RenderError(MediaError):
    """A render failed; no output was left under the target name."""


class RenderCancelled(RenderError):
    """A render was cancelled by the user; no output was left under the target name."""


def describe_av_error(path: str | os.PathLike[str], exc: BaseException) -> MediaError:
    """Turn an exception raised by PyAV while opening/reading ``path`` into a MediaError.

    Any thread.
    """
    import av  # local: keep this module importable without loading FFmpeg

    p = Path(path)
    if isinstance(exc, MediaError):
        return exc
    if not p.exists() or isinstance(exc, FileNotFoundError | av.error.FileNotFoundError):
        return MediaNotFoundError(f"{p}: file not found", p)
    try:
        if p.stat().st_size == 0:
            return UnsupportedMediaError(f"{p}: the file is empty (0 bytes)", p)
    except OSError:
        pass
    if isinstance(exc, PermissionError | av.error.PermissionError):
        return MediaError(f"{p}: permission denied", p)
    if isinstance(exc, av.error.InvalidDataError):
        return UnsupportedMediaError(f"{p}: not a media file we can read (unknown or damaged format)", p)
    if isinstance(exc, av.error.DecoderNotFoundError):
        return UnsupportedMediaError(f"{p}: no decoder for this codec", p)
    if isinstance(exc, EOFError | av.error.EOFError):
        return CorruptMediaError(f"{p}: the file ends early (truncated?)", p)
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return CorruptMediaError(f"{p}: cannot read media ({reason})", p)
