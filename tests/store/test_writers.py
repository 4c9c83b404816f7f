"""Many real writers on one project through `cutline edit` (the window's own save path), on real servers:
concurrent processes, kill -9 at random moments, PostgreSQL stopped and Redis hung mid-edit."""

from __future__ import annotations

import json
import os
import queue
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from fractions import Fraction
from pathlib import Path

import pytest

from editor.model.navigate import timeline_from_media
from editor.model.serialize import SCHEMA_VERSION, timeline_to_dict
from editor.model.timeline import MediaRef
from editor.store.autosave import load_timeline
from editor.store.db import Database
from editor.store.migrate import migrate
from editor.store.projects import ProjectRepository
from editor.store.servers import EmbeddedServers

ROOT = Path(__file__).resolve().parents[2]
MEDIA = MediaRef("e" * 32, "/videos/writers.mp4", duration=500, rate=Fraction(25), width=320, height=240)


def new_project(projects: ProjectRepository) -> int:
    timeline = timeline_from_media([MEDIA])
    return projects.create(f"writers {uuid.uuid4().hex[:6]}", timeline_to_dict(timeline), SCHEMA_VERSION).id


def edit_proc(project: int, *extra: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "editor", "edit", str(project), *extra], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})


def marker(label: str, frame: int) -> str:
    return json.dumps({"edit": "add_marker", "params": {"frame": frame, "label": label}}) + "\n"


def lines_of(proc: subprocess.Popen[str]) -> queue.Queue:
    q: queue.Queue = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            q.put(json.loads(line))
        q.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return q


def saved_labels(projects: ProjectRepository, project: int) -> list[str]:
    rows = projects.history(project, limit=100_000)
    return [r.params["label"] for r in rows if r.edit_type == "add_marker"]


def test_many_processes_edit_one_project_and_every_edit_is_saved_or_reported(store) -> None:
    project = new_project(store.projects)
    writers, edits = 3, 200
    procs = [edit_proc(project) for _ in range(writers)]
    inputs = []
    for w in range(writers):
        text = ""
        for i in range(edits):  # markers always apply; every 8th edit a split that another writer may have made
            text += marker(f"w{w}-{i}", (w * 50 + i) % 500) if i % 8 else json.dumps(
                {"edit": "split", "params": {"track": 0, "frame": 100 + i}}) + "\n"
        inputs.append(text)
    answers = [lines_of(proc) for proc in procs]
    firsts = []
    for proc, text, got in zip(procs, inputs, answers, strict=True):  # one edit each: every writer is up
        assert proc.stdin is not None
        proc.stdin.write(text.splitlines(keepends=True)[0])
        proc.stdin.flush()
        firsts.append(got.get(timeout=60))
    def feed(proc: subprocess.Popen[str], lines: list[str]) -> None:  # all writers at once, as users type
        assert proc.stdin is not None
        for line in lines:
            proc.stdin.write(line)
            proc.stdin.flush()
            time.sleep(0.003)

    # The rest in four rounds; each round all writers at once, the next once the round is saved. On a busy
    # machine a writer's saver may take a whole round in one commit, and without rounds the three writers'
    # edits could land as three blocks: the rounds make them interleave however slow the machine is.
    rounds = 4
    per = -(-(edits - 1) // rounds)
    for r in range(rounds):
        chunks = [text.splitlines(keepends=True)[1 + r * per:1 + (r + 1) * per] for text in inputs]
        feeders = [threading.Thread(target=feed, args=(proc, chunk)) for proc, chunk in zip(procs, chunks,
                                                                                            strict=True)]
        for f in feeders:
            f.start()
        for f in feeders:
            f.join(timeout=120)
        want = sum(1 for w in range(writers) for i in range(min(edits, 1 + (r + 1) * per)) if i % 8)
        deadline = time.monotonic() + 90
        while len(saved_labels(store.projects, project)) < want and time.monotonic() < deadline:
            time.sleep(0.05)
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.close()
    outs = []
    for proc, got, first in zip(procs, answers, firsts, strict=True):
        assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""
        out = [first]
        while (answer := got.get(timeout=30)) is not None:
            out.append(answer)
        outs.append(out)
    rows = store.projects.history(project, limit=100_000)
    in_db = Counter(r.edit_id for r in rows if r.edit_id)
    assert all(n == 1 for n in in_db.values()), "no edit saved twice"
    for w, out in enumerate(outs):
        by_line = {o["line"]: o for o in out if "line" in o}
        assert sorted(by_line) == list(range(1, edits + 1)), "one answer per edit"
        dropped = {o["id"] for o in out if o.get("status") == "dropped"}
        for o in by_line.values():
            if o["status"] == "journaled":
                assert (o["id"] in in_db) != (o["id"] in dropped), o  # saved, or reported dropped: never lost
            else:
                assert o["status"] == "not_applicable" and o["edit"] == "split", o
        labels = [lab for lab in saved_labels(store.projects, project) if lab.startswith(f"w{w}-")]
        assert labels == [f"w{w}-{i}" for i in range(edits) if i % 8], "every marker saved once, in order"
    final = load_timeline(store.projects.get(project))
    assert sorted(m.label for m in final.markers) == sorted(saved_labels(store.projects, project))
    order = [r.params["label"][:2] for r in rows if r.edit_type == "add_marker"]
    switches = sum(1 for a, b in zip(order, order[1:], strict=False) if a != b)
    assert switches >= 3, "the writers' edits interleave (they ran at once, rebasing onto each other)"


def test_kill_9_at_random_moments_loses_no_acknowledged_edit(store) -> None:
    """30 writers killed at random moments, each next one saving what the last journaled."""
    project = new_project(store.projects)
    rng = random.Random(11)
    trials, edits = 30, 12
    acked: dict[int, int] = {}
    recoveries = unsaved = 0  # writers that took over a journal; acknowledged edits not yet saved at a kill
    for t in range(trials):
        proc = edit_proc(project)
        answers = lines_of(proc)
        assert proc.stdin is not None
        proc.stdin.write("".join(marker(f"t{t}-{i}", i) for i in range(edits)))
        proc.stdin.flush()  # stdin stays open: the writer waits for more, and is killed
        wait_for = rng.randint(0, edits)
        got = 0
        if wait_for == 0:
            time.sleep(rng.uniform(0, 0.6))  # during start-up or the recovery of the last trial's journal
        while got < wait_for:
            answer = answers.get(timeout=60)
            assert answer is not None and answer["status"] == "journaled", answer
            got += 1
        if rng.random() < 0.5:
            time.sleep(rng.uniform(0, 0.05))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        while (answer := answers.get(timeout=10)) is not None:  # acknowledged before the kill landed
            got += 1
        acked[t] = got
        proc.stdin.close()
        err = proc.stderr.read() if proc.stderr else ""
        recoveries += "journaled" in err
        unsaved += got - sum(1 for lab in saved_labels(store.projects, project) if lab.startswith(f"t{t}-"))
    final = subprocess.run([sys.executable, "-m", "editor", "edit", str(project)], cwd=ROOT, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=60)
    assert final.returncode == 0, final.stderr
    labels = saved_labels(store.projects, project)
    print(f"{recoveries} take-overs, {unsaved} acknowledged edits unsaved at a kill")
    assert recoveries + ("journaled" in final.stderr) >= 1 and unsaved >= 1, "the kills hit unsaved edits"
    assert len(labels) == len(set(labels)), "recovery saved no edit twice"
    for t in range(trials):
        mine = [int(lab.split("-")[1]) for lab in labels if lab.startswith(f"t{t}-")]
        assert mine == list(range(len(mine))), f"trial {t}: saved edits are a gapless prefix: {mine}"
        assert len(mine) >= acked[t], f"trial {t}: {acked[t]} acknowledged, {len(mine)} saved"
    assert load_timeline(store.projects.get(project)).markers.__len__() == len(labels)
    assert not list((Path(os.environ["CUTLINE_DATA_DIR"]) / "journal").glob(f"project-{project}.*")), \
        "every journal was taken over and emptied"


def test_postgres_stopped_mid_edit_keeps_the_edits_and_the_next_run_saves_them(tmp_path: Path) -> None:
    servers = EmbeddedServers(tmp_path / "pg")
    url = servers.ensure(redis=False).database_url
    db = Database(url).open()
    migrate(db)
    projects = ProjectRepository(db)
    project = new_project(projects)
    env = {"CUTLINE_DATABASE_URL": url}
    try:
        proc = edit_proc(project, "--timeout", "2", env=env)
        answers = lines_of(proc)
        assert proc.stdin is not None
        proc.stdin.write("".join(marker(f"before-{i}", i) for i in range(5)))
        proc.stdin.flush()
        for _ in range(5):
            assert answers.get(timeout=60)["status"] == "journaled"
        deadline = time.monotonic() + 20
        while len(saved_labels(projects, project)) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        db.close()
        servers.stop()  # mid-edit
        proc.stdin.write("".join(marker(f"after-{i}", 10 + i) for i in range(5)))
        proc.stdin.close()
        for _ in range(5):
            assert answers.get(timeout=30)["status"] == "journaled", "durable on disk without the database"
        assert proc.wait(timeout=60) == 1
        err = proc.stderr.read().strip().splitlines() if proc.stderr else []
        assert len(err) == 1 and "kept in the journal" in err[0], "\n".join(err)
        servers.ensure(redis=False)
        again = subprocess.run([sys.executable, "-m", "editor", "edit", str(project)], cwd=ROOT,
                               stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
                               env={**os.environ, **env})
        assert again.returncode == 0, again.stderr
        db = Database(url).open()
        projects = ProjectRepository(db)
        assert saved_labels(projects, project) == [f"before-{i}" for i in range(5)] + [f"after-{i}" for i in range(5)]
    finally:
        db.close()
        servers.stop()


@pytest.fixture()
def hung_redis():
    """A TCP listener that accepts connections and never answers (a hung Redis)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    stop.set()
    thread.join(timeout=2)
    for s in held:
        s.close()
    server.close()


def test_a_hung_redis_delays_no_save(store, hung_redis: str) -> None:
    project = new_project(store.projects)
    env = {"CUTLINE_REDIS_URL": hung_redis, "CUTLINE_DATABASE_URL": store.endpoints.database_url}
    proc = edit_proc(project, env=env)
    out, err = proc.communicate("".join(marker(f"r-{i}", i) for i in range(20)), timeout=90)
    assert proc.returncode == 0, err
    assert [json.loads(line)["status"] for line in out.splitlines()] == ["journaled"] * 20
    assert saved_labels(store.projects, project) == [f"r-{i}" for i in range(20)]


def _postgres_tree(servers: EmbeddedServers) -> list[int]:
    """The postmaster and its backends (to freeze them: a hung server, not a stopped one)."""
    root = int((servers.pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
    pids = [root]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == root:
            pids.append(int(stat.parent.name))
    return pids


def test_postgres_hung_mid_edit_keeps_the_edits_and_none_is_saved_twice(tmp_path: Path) -> None:
    servers = EmbeddedServers(tmp_path / "pg")
    url = servers.ensure(redis=False).database_url
    db = Database(url).open()
    migrate(db)
    projects = ProjectRepository(db)
    project = new_project(projects)
    env = {"CUTLINE_DATABASE_URL": url}
    frozen: list[int] = []
    try:
        proc = edit_proc(project, "--timeout", "2", env=env)
        answers = lines_of(proc)
        assert proc.stdin is not None
        proc.stdin.write(marker("before", 1))
        proc.stdin.flush()
        assert answers.get(timeout=60)["status"] == "journaled"
        deadline = time.monotonic() + 20
        while saved_labels(projects, project) != ["before"] and time.monotonic() < deadline:
            time.sleep(0.05)
        frozen = _postgres_tree(servers)
        for pid in frozen:
            os.kill(pid, signal.SIGSTOP)  # the server accepts nothing and answers nothing
        proc.stdin.write("".join(marker(f"hung-{i}", 10 + i) for i in range(5)))
        proc.stdin.close()
        for _ in range(5):
            assert answers.get(timeout=30)["status"] == "journaled", "durable without an answer from the server"
        assert proc.wait(timeout=60) == 1, "a bounded wait, then one line"
        err = proc.stderr.read().strip().splitlines() if proc.stderr else []
        assert len(err) == 1 and "kept in the journal" in err[0], "\n".join(err)
        for pid in frozen:
            os.kill(pid, signal.SIGCONT)  # the server wakes up (and may commit what was in flight)
        frozen = []
        again = subprocess.run([sys.executable, "-m", "editor", "edit", str(project)], cwd=ROOT,
                               stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
                               env={**os.environ, **env})
        assert again.returncode == 0, again.stderr
        assert saved_labels(projects, project) == ["before"] + [f"hung-{i}" for i in range(5)], "each once, in order"
    finally:
        for pid in frozen:
            os.kill(pid, signal.SIGCONT)
        db.close()
        servers.stop()
