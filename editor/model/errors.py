"""Errors raised by the timeline model. Every user-facing error derives from TimelineError."""

from __future__ import annotations

__all__ = ["TimelineError", "TimelineFormatError", "EditError", "SubtitleFormatError", "TimecodeError"]


class TimelineError(Exception):
    """Base of every user-facing model error; its message is one line the CLI can print as is."""


class TimelineFormatError(TimelineError):
    """A serialized timeline is malformed, has a wrong type, or a schema version this code does not know."""


class EditError(TimelineError):
    """An edit that cannot be applied, or that would break an invariant of the timeline."""


class SubtitleFormatError(TimelineError):
    """Subtitle text (SRT) that cannot be decoded or parsed."""


class TimecodeError(TimelineError, ValueError):
    """A timecode or frame rate string that cannot be parsed."""
