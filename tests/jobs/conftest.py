"""Shared media and projects for the jobs tests (made once per run, small and fast to render)."""

from __future__ import annotations

import signal
import subprocess
import sys
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import pytest

from editor.jobs.importing import import_files
from editor.media.synth import make_clip
from editor.model.navigate import timeline_from_media
from editor.model.serialize import SCHEMA_VERSION, timeline_to_json
from editor.model.timeline import Timeline

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Made:
    project_id: int
    name: str
    timeline: Timeline
    media: Path


def _project(store, name: str, path: Path) -> Made:
    result = import_files([path], store.cache, store.media)
    assert not result.failures, result.failures
    timeline = timeline_from_media(result.refs, name=name)
    project = store.projects.create(name, timeline_to_json(timeline), SCHEMA_VERSION)
    return Made(project.id, name, timeline, path)


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("jobs-media")


@pytest.fixture(scope="session")
def short_project(store, media_dir: Path) -> Made:
    """4 s of 320x240 at 25 fps: renders in well under a second."""
    path = media_dir / "short.mp4"
    make_clip(path, frames=100, fps=Fraction(25), size=(320, 240))
    return _project(store, f"jobs-short-{path.stat().st_ino}", path)


@pytest.fixture(scope="session")
def long_project(store, media_dir: Path) -> Made:
    """20 s of 320x240 with film grain: the "high" preset takes a few seconds, long enough to kill."""
    path = media_dir / "long.mp4"
    make_clip(path, frames=500, fps=Fraction(25), size=(320, 240), grain=20)
    return _project(store, f"jobs-long-{path.stat().st_ino}", path)


def cutline(*args: str, **kw) -> subprocess.Popen[str]:
    """`python -m editor ARGS` as a separate process (it joins the run's servers via the environment), with
    Ctrl+C's default action as a terminal gives its foreground job: a suite started in the background (``&``,
    nohup) would hand on SIGINT ignored, and then Python raises no KeyboardInterrupt."""
    return subprocess.Popen([sys.executable, "-m", "editor", *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL), **kw)
