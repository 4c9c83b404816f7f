"""Projects on the real PostgreSQL: CRUD, keyset pages, optimistic saves, history, hostile names."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from editor.store.errors import ConflictError, NotFound, StoreError
from editor.store.projects import cursor_of

ROOT = Path(__file__).resolve().parents[2]
STATE = {"OTIO_SCHEMA": "Timeline.1", "tracks": []}


def unique(name: str) -> str:
    return f"{name} {uuid.uuid4().hex[:8]}"


@pytest.mark.parametrize(
    "name",
    [
        "It's \"quoted\"",
        "'; DROP TABLE projects; --",
        "Trip 🎬🍿 2026",
        "한국어 프로젝트",
        "back\\slash %s %(x)s {0}",
    ],
)
def test_hostile_names_round_trip_unchanged(store, name: str) -> None:
    project = store.projects.create(name, STATE, 1)
    assert store.projects.get(project.id).name == name
    assert store.projects.find(name).id == project.id
    renamed = store.projects.rename(project.id, name + " ✂")
    assert renamed.name == name + " ✂"
    assert store.projects.count() >= 1  # the table is still there


def test_create_get_list_rename_delete(store) -> None:
    name = unique("Holiday")
    project = store.projects.create(name, STATE, 1, description="beach", summary={"duration_frames": 0})
    assert project.revision == 1
    assert project.timeline_state == STATE
    got = store.projects.get(project.id)
    assert got.name == name and got.description == "beach"
    assert store.projects.list(limit=5)[0].id == project.id, "newest first"
    store.projects.rename(project.id, name + " (cut)")
    assert store.projects.get(project.id).name == name + " (cut)"
    store.projects.delete(project.id)
    with pytest.raises(NotFound):
        store.projects.get(project.id)
    with pytest.raises(NotFound):
        store.projects.delete(project.id)


def test_empty_and_overlong_names_are_refused(store) -> None:
    with pytest.raises(StoreError, match="empty"):
        store.projects.create("   ", STATE, 1)
    with pytest.raises(StoreError, match="at most"):
        store.projects.create("x" * 501, STATE, 1)


def test_keyset_pages_cover_every_project_once(store) -> None:
    tag = unique("page")
    ids = {store.projects.create(f"{tag} {i}", STATE, 1).id for i in range(23)}
    seen: list[int] = []
    cursor = None
    while True:
        page = store.projects.list(limit=7, after=cursor)
        if not page:
            break
        seen += [p.id for p in page if p.id in ids]
        cursor = cursor_of(page[-1])
    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(set(seen))
    assert seen == sorted(seen, reverse=True), "newest (highest id at equal times) first"


def test_save_appends_history_in_the_same_transaction(store) -> None:
    project = store.projects.create(unique("history"), STATE, 1)
    state2 = {**STATE, "tracks": [{"kind": "video"}]}
    rev = store.projects.save(project.id, 1, state2, 1, "split", {"frame": 10}, summary={"clips": 1})
    assert rev == 2
    saved = store.projects.get(project.id)
    assert saved.revision == 2 and saved.timeline_state == state2 and saved.summary == {"clips": 1}
    assert saved.updated_at > project.updated_at, "the trigger keeps updated_at"
    history = store.projects.history(project.id)
    assert [(h.revision, h.edit_type, h.params) for h in history] == [(1, "create", {}), (2, "split", {"frame": 10})]
    assert store.projects.state_at(project.id, 2) == state2
    assert store.projects.state_at(project.id, 1) == STATE


def test_stale_save_is_a_conflict_and_writes_nothing(store) -> None:
    project = store.projects.create(unique("conflict"), STATE, 1)
    store.projects.save(project.id, 1, {"a": 1}, 1, "trim")
    with pytest.raises(ConflictError, match="changed elsewhere") as info:
        store.projects.save(project.id, 1, {"b": 2}, 1, "split")
    assert info.value.actual == 2
    assert store.projects.get(project.id).timeline_state == {"a": 1}
    assert len(store.projects.history(project.id)) == 2


def test_two_processes_saving_from_the_same_revision(store) -> None:
    project = store.projects.create(unique("race"), STATE, 1)
    code = (
        "import sys; from editor.store.services import Store; from editor.store.errors import ConflictError\n"
        "s = Store.open()\n"
        "try:\n"
        f"    s.projects.save({project.id}, 1, {{'by': sys.argv[1]}}, 1, 'edit')\n"
        "    print('won')\n"
        "except ConflictError:\n"
        "    print('conflict')\n"
        "s.close(stop_servers=False)\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, who], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        for who in ("a", "b")
    ]
    results = sorted(p.communicate(timeout=60)[0].strip() for p in procs)
    assert results == ["conflict", "won"]
    final = store.projects.get(project.id)
    assert final.revision == 2
    assert [h.edit_type for h in store.projects.history(project.id)] == ["create", "edit"]


def test_duplicate_copies_the_state(store) -> None:
    project = store.projects.create(unique("orig"), {"x": [1, 2, 3]}, 1)
    copy = store.projects.duplicate(project.id, unique("copy"))
    assert copy.id != project.id and copy.timeline_state == {"x": [1, 2, 3]} and copy.revision == 1


def test_media_upsert_by_fingerprint(store) -> None:
    fp = uuid.uuid4().hex
    row = store.media.upsert(fp, "/videos/a.mp4", duration_seconds=2.0, width=320, height=240, frame_rate="25/1")
    moved = store.media.upsert(fp, "/videos/moved/a.mp4", duration_seconds=2.0, width=320, height=240)
    assert moved.id == row.id and moved.path == "/videos/moved/a.mp4"
    assert store.media.get(fp).path == "/videos/moved/a.mp4"
    assert store.media.get("nope") is None
