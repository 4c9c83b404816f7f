"""A new project runs at the rate of its first video, also when it was made before any file (Ctrl+N)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from editor.model import edits
from editor.model.errors import EditError
from editor.model.navigate import duration, rate_for_import, timeline_from_media
from editor.model.registry import apply_edit, edit
from editor.model.timeline import MediaRef

PAL = MediaRef("fp-pal", "/m/pal.ts", 100, Fraction(25), width=720, height=576)
NTSC = MediaRef("fp-ntsc", "/m/ntsc.mp4", 300, Fraction(30000, 1001))
SOUND = MediaRef("fp-wav", "/m/sound.wav", 48000 * 4, Fraction(48000), has_video=False)


def test_a_blank_project_takes_the_rate_of_its_first_video() -> None:
    blank = timeline_from_media([], name="Untitled")  # what Ctrl+N makes
    assert blank.rate == 30
    assert rate_for_import(blank, [SOUND, PAL, NTSC]) == 25  # the first *video*
    t, record = edit(blank, "set_rate", rate=Fraction(25))
    assert t.rate == 25 and record.params == {"rate": "25"}
    t = edits.append_media(t, PAL)
    assert duration(t) == 100  # 100 frames of 25 fps footage, not 120 duplicated ones
    assert apply_edit(blank, "set_rate", {"rate": "25"}) == edit(blank, "set_rate", rate=25)[0]  # replayable


def test_rate_stays_once_the_project_holds_something() -> None:
    t = timeline_from_media([PAL])
    assert t.rate == 25 and rate_for_import(t, [NTSC]) is None
    with pytest.raises(EditError, match="only change while it is empty"):
        edits.set_rate(t, 30)
    marked = apply_edit(timeline_from_media([]), "add_marker", {"frame": 10})
    assert rate_for_import(marked, [PAL]) is None
    assert rate_for_import(timeline_from_media([]), [SOUND]) is None  # no video: nothing to follow
    assert rate_for_import(timeline_from_media([], rate=25), [PAL]) is None  # already right


def test_new_project_with_files_and_explicit_rate() -> None:
    assert timeline_from_media([SOUND, PAL]).rate == 25
    assert timeline_from_media([PAL], rate="30000/1001").rate == Fraction(30000, 1001)
