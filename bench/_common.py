"""What the bench scripts share: percentiles and a private data folder for their own servers."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile (0–1) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def private_data_dir(prefix: str) -> Path:
    """A new data folder for this run (set as CUTLINE_DATA_DIR), traversable by the PostgreSQL service user
    when the bench runs as root."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    folder.chmod(0o755)
    os.environ["CUTLINE_DATA_DIR"] = str(folder)
    return folder
