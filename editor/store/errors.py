"""Errors of the store layer; every message is one line a user can read (no passwords in it)."""

from __future__ import annotations

from editor.model.errors import UserError


class StoreError(UserError):
    """Base of every user-facing store error."""


class ConfigError(StoreError):
    """The config file or a server URL is unusable."""


class ServerStartError(StoreError):
    """An embedded server could not be started."""


class DatabaseUnavailable(StoreError):
    """PostgreSQL cannot be reached (names the URL without its password)."""


class SchemaTooNew(StoreError):
    """The database was migrated by a newer Cutline than this one."""


class NotFound(StoreError):
    """A project, media item or job that does not exist (any more)."""


class ConflictError(StoreError):
    """A save named a revision that is no longer the latest: someone else saved first."""

    def __init__(self, project_id: int, expected: int, actual: int) -> None:
        self.project_id = project_id
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"project {project_id} was changed elsewhere (revision {actual}, this edit started from "
            f"{expected}); reload it and redo the edit"
        )


class JournalError(StoreError):
    """The local journal cannot be written (full disk, read-only folder): edits are kept in memory only."""


class CorruptStateError(StoreError):
    """A project's stored timeline cannot be loaded (malformed or from a newer version)."""
