"""Media that moved is found again near its old place, by name and fingerprint."""

from __future__ import annotations

import shutil
from fractions import Fraction
from pathlib import Path

from editor.jobs.importing import import_files
from editor.jobs.relink import find_moved, same_content
from editor.media.synth import make_clip


def test_a_moved_folder_is_found_and_a_different_file_of_the_same_name_is_not(tmp_path: Path) -> None:
    shoot = tmp_path / "project" / "day1"
    shoot.mkdir(parents=True)
    make_clip(shoot / "take.mp4", frames=10, fps=Fraction(25), size=(160, 120))
    ref = import_files([shoot / "take.mp4"]).refs[0]
    moved_dir = tmp_path / "project" / "day1-archive"
    shutil.move(str(shoot), str(moved_dir))  # mv keeps the mtime, so the fingerprint still matches
    assert find_moved(ref, []) == str(moved_dir / "take.mp4")
    assert same_content(ref, str(moved_dir / "take.mp4"))

    impostor_dir = tmp_path / "project" / "other"
    impostor_dir.mkdir()
    make_clip(impostor_dir / "take.mp4", frames=12, fps=Fraction(25), size=(160, 120))
    (moved_dir / "take.mp4").unlink()
    assert find_moved(ref, []) is None
    assert not same_content(ref, str(impostor_dir / "take.mp4"))
