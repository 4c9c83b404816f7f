"""The whole state of a project written behind its edit rows, on a thread of its own.

On a big timeline the state is megabytes of JSON (1.5 MB for 10,000 clips) and one transaction writing it takes
~30 ms, most of it PostgreSQL parsing the JSONB before it locks anything. The saver (:mod:`editor.store.autosave`)
commits each edit's ``edit_history`` row at once and hands the newest saved timeline to a :class:`StateWriter`,
which serializes and stores it with its own pooled connection: the edit rows keep flowing meanwhile, held only for
the few milliseconds the state's update holds the project row (its TOAST write and commit), never for the parse,
the serialization or the WAL of a checkpoint. A reader replays the rows saved after the stored state
(:meth:`editor.store.projects.ProjectRepository.get`).

Only the newest snapshot waiting is written (an older one waiting is replaced: the newer state includes it).
Thread: :meth:`post` and the properties from any thread (they never block on a server); the writing runs on the
writer's daemon thread. No Qt.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from editor.model.serialize import SCHEMA_VERSION, timeline_to_json
from editor.model.timeline import Timeline
from editor.store.projects import ProjectRepository

log = logging.getLogger(__name__)

RETRY_AFTER = 1.0  # seconds a failed write waits before the saver may post again


def summary_of(timeline: Timeline) -> dict[str, Any]:
    """What the project list shows without loading the timeline. Pure; any thread."""
    from editor.model.navigate import duration
    from editor.model.time import format_rate
    from editor.model.timeline import Clip

    clips = [it for tr in timeline.tracks for it in tr.items if isinstance(it, Clip)]
    poster = next((c.media for c in clips if c.media.has_video), None)
    return {
        "duration_frames": duration(timeline),
        "rate": format_rate(timeline.rate),
        "clips": len(clips),
        "media": len(timeline.media),
        "poster": {"fingerprint": poster.fingerprint, "path": poster.path} if poster else None,
    }


@dataclass(frozen=True, slots=True)
class Snapshot:
    revision: int
    timeline: Timeline
    checkpoint: bool = False  # also keep it on the revision's history row (undo after a restart starts there)


class StateWriter:
    """Writes the newest posted :class:`Snapshot` of one project (own thread, started at the first post)."""

    def __init__(self, projects: ProjectRepository, project_id: int) -> None:
        self.projects = projects
        self.project_id = project_id
        self._cond = threading.Condition()
        self._waiting: Snapshot | None = None
        self._writing: Snapshot | None = None
        self._written = 0  # the highest revision whose state this writer stored (or found newer in the row)
        self._failed_at = 0.0
        self._closed = False
        self._thread: threading.Thread | None = None

    @property
    def written(self) -> int:
        with self._cond:
            return self._written

    @property
    def idle(self) -> bool:
        """Nothing waiting or being written, and no failure in the last ``RETRY_AFTER`` seconds."""
        with self._cond:
            return (self._waiting is None and self._writing is None
                    and time.monotonic() - self._failed_at >= RETRY_AFTER)

    def post(self, snapshot: Snapshot) -> None:
        """Write ``snapshot`` when the thread is free (replacing an older one waiting). Any thread; returns at once."""
        with self._cond:
            if self._closed:
                return
            waiting = self._waiting
            if waiting is not None and waiting.checkpoint and not snapshot.checkpoint:
                snapshot = Snapshot(snapshot.revision, snapshot.timeline, True)  # the newer one keeps the checkpoint
            self._waiting = snapshot
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=f"cutline-state-{self.project_id}",
                                                daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def close(self, timeout: float = 5.0) -> bool:
        """Stop after the write under way (a snapshot still waiting is dropped: the caller writes the last state
        itself); True if the thread ended within ``timeout``. Any thread."""
        with self._cond:
            self._closed = True
            self._waiting = None
            self._cond.notify_all()
            thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._waiting is not None or self._closed)
                if self._closed:
                    return
                snap, self._waiting = self._waiting, None
                self._writing = snap
            assert snap is not None
            ok = False
            try:
                self._write(snap)
                ok = True
            except Exception as exc:  # noqa: BLE001 - the rows are saved; a reader replays them, the saver reposts
                log.info("the state of project %s at revision %s was not written: %s", self.project_id,
                         snap.revision, exc)
            with self._cond:
                self._writing = None
                if ok:
                    self._written = max(self._written, snap.revision)
                else:
                    self._failed_at = time.monotonic()
                self._cond.notify_all()

    def _write(self, snap: Snapshot) -> None:
        text = timeline_to_json(snap.timeline)
        self.projects.write_state(self.project_id, snap.revision, text, SCHEMA_VERSION,
                                  summary=summary_of(snap.timeline), checkpoint=snap.checkpoint)
