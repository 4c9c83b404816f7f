"""Errors raised by the timeline model, and the base of every user-facing error of the program.

:class:`UserError` is the one base class the CLI and the window catch: its message is one line a user can act
on. Model errors derive from it through :class:`TimelineError`; media (``MediaError``), store (``StoreError``)
and the CLI's own errors derive from it too. Any other exception is a bug: logged with its traceback.
"""

from __future__ import annotations

__all__ = ["UserError", "TimelineError", "TimelineFormatError", "EditError", "SubtitleFormatError", "TimecodeError"]


class UserError(Exception):
    """Base of every user-facing error (model, media, store, jobs, CLI): ``str()`` is one readable line."""


class TimelineError(UserError):
    """Base of every user-facing model error; its message is one line the CLI can print as is."""


class TimelineFormatError(TimelineError):
    """A serialized timeline is malformed, has a wrong type, or a schema version this code does not know."""


class EditError(TimelineError):
    """An edit that cannot be applied, or that would break an invariant of the timeline."""


class SubtitleFormatError(TimelineError):
    """Subtitle text (SRT) that cannot be decoded or parsed."""


class TimecodeError(TimelineError, ValueError):
    """A timecode or frame rate string that cannot be parsed."""
