"""Pointing a media item at the file's new place (the media moved, the edit did not). Pure; any thread."""

from __future__ import annotations

from dataclasses import replace

from ._trackops import with_items
from .errors import EditError
from .timeline import Clip, MediaRef, Timeline

__all__ = ["relink_media"]


def relink_media(timeline: Timeline, fingerprint: str, path: str) -> Timeline:
    """Every clip of the media ``fingerprint`` (and its bin entry) now reads from ``path``.

    The fingerprint stays: it names the content, which the caller has checked is the same file.
    EditError when no media has that fingerprint. Pure; any thread.
    """
    if not isinstance(path, str) or not path or "\x00" in path:
        raise EditError(f"relink_media: expected a file path, got {path!r}")
    old = timeline.media_by_fingerprint(fingerprint)
    if old is None:
        raise EditError(f"relink_media: no media with fingerprint {fingerprint!r} in this project")
    new = replace(old, path=path)

    def moved(media: MediaRef) -> MediaRef:
        return new if media.fingerprint == fingerprint else media

    tracks = []
    for track in timeline.tracks:
        if any(isinstance(it, Clip) and it.media.fingerprint == fingerprint for it in track.items):
            items = tuple(replace(it, media=new) if isinstance(it, Clip) and it.media.fingerprint == fingerprint
                          else it for it in track.items)
            track = with_items(track, items)
        tracks.append(track)
    return replace(timeline, tracks=tuple(tracks), media=tuple(moved(m) for m in timeline.media))
