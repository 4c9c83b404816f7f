"""What the window needs from the rest of the program, passed to constructors (no global app object).

Built by ``editor.app`` once the store is open. Qt main thread owns it; its services are thread-safe.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

from editor.store.bus import PostgresEventBus, RedisEventBus, open_bus
from editor.store.config import data_dir
from editor.store.services import Store
from editor.ui.tasks import Tasks


@dataclass
class AppContext:
    store: Store
    tasks: Tasks
    bus: RedisEventBus | PostgresEventBus
    instance_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    session_id: str | None = None

    @property
    def journal_dir(self) -> Path:
        return data_dir() / "journal"

    @classmethod
    def create(cls, store: Store, tasks: Tasks) -> AppContext:
        instance = uuid.uuid4().hex[:12]
        return cls(store, tasks, open_bus(store.redis, store.endpoints.database_url, instance), instance)
