"""One check of a path before a media file is opened: it must be a regular file with media data in it.

``av.open`` on a FIFO waits forever for a writer, on a device it reads forever, on a directory or a
sparse file of holes it fails slowly or oddly. :func:`check_input` turns each of these into a one-line
MediaError at once, from ``os.stat`` alone (it never opens the path). Worker thread; any thread.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from editor.media.errors import MediaError, MediaNotFoundError, UnsupportedMediaError

SPARSE_MIN_SIZE = 1 << 20  # smaller files are never refused as sparse


def check_input(path: str | os.PathLike[str]) -> Path:
    """``path`` as a Path when it names a non-empty regular file (a symlink to one is fine) that is not
    mostly holes; MediaNotFoundError / UnsupportedMediaError with one line otherwise."""
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise MediaNotFoundError(f"{p}: file not found", p) from None
    except NotADirectoryError:
        raise MediaNotFoundError(f"{p}: file not found (a folder on the way is a file)", p) from None
    except OSError as exc:
        raise MediaError(f"{p}: cannot read ({exc.strerror})", p) from None
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        raise UnsupportedMediaError(f"{p}: is a directory, not a media file", p)
    if stat.S_ISFIFO(mode):
        raise UnsupportedMediaError(f"{p}: is a pipe (FIFO), not a media file", p)
    if stat.S_ISSOCK(mode):
        raise UnsupportedMediaError(f"{p}: is a socket, not a media file", p)
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        raise UnsupportedMediaError(f"{p}: is a device, not a media file", p)
    if not stat.S_ISREG(mode):
        raise UnsupportedMediaError(f"{p}: is not a regular file", p)
    if st.st_size == 0:
        raise UnsupportedMediaError(f"{p}: the file is empty (0 bytes)", p)
    blocks = getattr(st, "st_blocks", None)
    if blocks is not None and st.st_size >= SPARSE_MIN_SIZE and blocks * 512 < st.st_size // 100:
        raise UnsupportedMediaError(
            f"{p}: is a sparse file ({st.st_size} bytes, {blocks * 512} of them stored), not a media file", p
        )
    return p
