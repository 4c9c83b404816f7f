"""Importing 25 fps media gives the model 25 fps refs with their exact frame counts, in every container, so
a new project made from them runs at 25 fps."""

from __future__ import annotations

from fractions import Fraction

import pytest

from editor.jobs.importing import import_files
from editor.media.synth import make_clip
from editor.model.navigate import duration, rate_for_import, timeline_from_media


@pytest.mark.parametrize("suffix", ["mp4", "ts", "mkv"])
def test_new_project_runs_at_the_rate_of_its_25_fps_media(tmp_path, suffix) -> None:
    clip = make_clip(tmp_path / f"pal.{suffix}", frames=60, fps=Fraction(25), gop=20)
    result = import_files([clip.path])
    assert not result.failures
    (ref,) = result.refs
    assert ref.rate == 25 and ref.duration == 60
    timeline = timeline_from_media(result.refs)
    assert timeline.rate == 25 and duration(timeline) == 60
    blank = timeline_from_media([])
    assert rate_for_import(blank, result.refs) == 25
