"""Test-wide setup: private data folders, and real servers for the whole run.

Unless ``CUTLINE_DATABASE_URL`` / ``CUTLINE_REDIS_URL`` point at external servers, the run starts
Cutline's embedded PostgreSQL and Valkey in a temporary data folder (set in the environment, so
subprocesses started by tests join the same servers) and stops them at the end. Nothing here
replaces a server with a stand-in.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_RUN_DIR = Path(tempfile.mkdtemp(prefix="cutline-tests-"))
os.chmod(_RUN_DIR, 0o755)  # the PostgreSQL service user must reach its data when tests run as root
for _name, _sub in (("CUTLINE_DATA_DIR", "data"), ("CUTLINE_CONFIG_DIR", "config"), ("CUTLINE_CACHE_DIR", "cache")):
    os.environ[_name] = str(_RUN_DIR / _sub)
    (_RUN_DIR / _sub).mkdir(mode=0o755)
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="session")
def store() -> Iterator[object]:
    """The store of this test run, on real servers (embedded unless URLs are set)."""
    from editor.store.services import Store

    opened = Store.open()
    yield opened
    opened.close(stop_servers=False)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from editor.store.servers import EmbeddedServers

    root = Path(os.environ["CUTLINE_DATA_DIR"]) / "servers"
    if root.exists():
        EmbeddedServers(root).discard()  # as root, its cluster in /var/lib/cutline goes too
    shutil.rmtree(_RUN_DIR, ignore_errors=True)
