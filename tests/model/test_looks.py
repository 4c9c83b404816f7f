"""Picture edits in the model: looks, fades, dissolves, titles; their layers, JSON and errors."""

from __future__ import annotations

from fractions import Fraction

import pytest

from editor.model.errors import EditError, TimelineFormatError
from editor.model.layers import TitleLayer, VideoLayer, has_picture_effects, is_plain, layers_at
from editor.model.picture import DEFAULT_LOOK, Title
from editor.model.registry import apply_edit, edit
from editor.model.serialize import timeline_from_json, timeline_to_json
from editor.model.timeline import Clip, MediaRef, Timeline, Track, validate

R = Fraction(25)
M = MediaRef("m", "/m/a.mp4", 200, R, True, True, 320, 240)


def two_clips() -> Timeline:
    v1 = Track("video", "V1", (Clip(1, M, 0, 50), Clip(2, M, 100, 50)))
    return Timeline(rate=R, tracks=(v1, Track("video", "V2"), Track("audio", "A1")), media=(M,), next_id=3)


def test_fades_give_alpha_from_zero_to_one_and_back() -> None:
    t = apply_edit(two_clips(), "set_fade", {"item_id": 1, "fade_in": 10, "fade_out": 5})
    alphas = [layers_at(t, f)[0].alpha for f in (1, 5, 10, 44, 45, 48)]
    assert alphas == [Fraction(1, 10), Fraction(1, 2), 1, 1, Fraction(4, 5), Fraction(1, 5)]
    assert layers_at(t, 0) == () and layers_at(t, 49) == ()  # fully faded: black
    assert is_plain(layers_at(t, 20)) and not is_plain(layers_at(t, 5))


def test_a_dissolve_is_centred_on_the_cut_and_holds_past_the_media() -> None:
    t = apply_edit(two_clips(), "set_dissolve", {"item_id": 2, "frames": 10})
    before = layers_at(t, 44)  # outside: one layer
    assert len(before) == 1 and before[0].clip.id == 1
    first = layers_at(t, 45)  # the first frame of the dissolve: A then B (from source 95) at 1/11
    assert [lay.clip.id for lay in first] == [1, 2]
    assert first[1].alpha == Fraction(1, 11) and first[1].seconds == Fraction(95, 25)
    last = layers_at(t, 54)
    assert last[0].seconds == Fraction(54, 25)  # A goes on past its end (source 54)
    assert last[1].alpha == Fraction(10, 11)
    assert len(layers_at(t, 55)) == 1 and layers_at(t, 55)[0].clip.id == 2
    with pytest.raises(EditError, match="needs a clip or title right before"):
        apply_edit(two_clips(), "set_dissolve", {"item_id": 1, "frames": 4})
    with pytest.raises(EditError, match="needs 50 frames of the clip before"):
        apply_edit(two_clips(), "set_dissolve", {"item_id": 2, "frames": 101})


def test_pip_layers_over_the_track_below_and_a_title_on_top() -> None:
    t = two_clips()
    t = apply_edit(t, "append_clip", {"track": 1, "media": {"schema": "MediaRef.1", "fingerprint": "m",
                                                            "path": "/m/a.mp4", "duration": 200, "rate": "25",
                                                            "has_video": True, "has_audio": True,
                                                            "width": 320, "height": 240}, "duration": 60})
    pip = t.tracks[1].items[0].id
    t, rec = edit(t, "set_look", item_id=pip, opacity=Fraction(3, 4), x="1/4", y=Fraction(-1, 4), scale="1/2")
    assert rec.params == {"item_id": pip, "opacity": "3/4", "x": "1/4", "y": "-1/4", "scale": "1/2"}
    t = apply_edit(t, "add_track", {"kind": "video"})
    t = apply_edit(t, "add_title", {"track": 3, "frame": 10, "duration": 20, "text": "안녕 Cutline",
                                    "color": "#FFCC00", "size": 40})
    layers = layers_at(t, 12)
    assert [type(x) for x in layers] == [VideoLayer, VideoLayer, TitleLayer]
    assert layers[1].alpha == Fraction(3, 4) and layers[2].title.color == "#ffcc00"
    assert has_picture_effects(t) and not has_picture_effects(two_clips())
    title_id = layers[2].title.id
    t = apply_edit(t, "edit_title", {"title_id": title_id, "text": "Bye"})
    assert layers_at(t, 12)[2].title.text == "Bye"
    back = timeline_from_json(timeline_to_json(t))
    assert back == t
    validate(back)
    t = apply_edit(t, "remove_title", {"title_id": title_id})
    assert not any(type(it) is Title for tr in t.tracks for it in tr.items)


def test_split_keeps_the_fade_in_on_the_head_and_the_fade_out_on_the_tail() -> None:
    t = apply_edit(two_clips(), "set_fade", {"item_id": 1, "fade_in": 10, "fade_out": 10})
    t = apply_edit(t, "split", {"track": 0, "frame": 25})
    head, tail = t.tracks[0].items[0], t.tracks[0].items[1]
    assert (head.look.fade_in, head.look.fade_out) == (10, 0)
    assert (tail.look.fade_in, tail.look.fade_out) == (0, 10)
    plain = apply_edit(two_clips(), "split", {"track": 0, "frame": 25})
    assert plain.tracks[0].items[0].look is DEFAULT_LOOK


def test_a_title_is_split_and_keeps_its_text() -> None:
    t = apply_edit(two_clips(), "add_title", {"track": 1, "frame": 0, "duration": 40, "text": "Hello"})
    t = apply_edit(t, "split", {"track": 1, "frame": 10})
    items = t.tracks[1].items
    assert [type(i) for i in items] == [Title, Title] and [i.duration for i in items] == [10, 30]
    assert items[0].text == items[1].text == "Hello"
    assert timeline_from_json(timeline_to_json(t)) == t


@pytest.mark.parametrize("name,params,message", [
    ("set_look", {"item_id": 1, "opacity": 2}, "opacity must be between 0 and 1"),
    ("set_look", {"item_id": 1, "scale": 0}, "scale must be above 0"),
    ("set_look", {"item_id": 1, "x": "abc"}, "expected a number"),
    ("set_fade", {"item_id": 1, "fade_in": 40, "fade_out": 20}, "longer than the item"),
    ("set_fade", {"item_id": 1, "fade_in": -1}, "frames >= 0"),
    ("set_look", {"item_id": 99}, "no clip with id 99"),
    ("add_title", {"track": 2, "frame": 0, "duration": 5, "text": "x"}, "titles go on video tracks"),
    ("add_title", {"track": 0, "frame": 0, "duration": 5, "text": "x"}, "is not empty"),
    ("add_title", {"track": 1, "frame": 0, "duration": 5, "text": "  "}, "needs some text"),
    ("add_title", {"track": 1, "frame": 0, "duration": 5, "text": "x", "color": "red"}, "colour like"),
    ("add_title", {"track": 1, "frame": 0, "duration": 0, "text": "x"}, "positive number of frames"),
    ("edit_title", {"title_id": 1, "text": "x"}, "is a clip, not a title"),
])
def test_bad_picture_edits_say_what_is_wrong(name, params, message) -> None:
    with pytest.raises(EditError, match=message):
        apply_edit(two_clips(), name, params)


def test_a_damaged_look_in_json_names_the_field() -> None:
    t = apply_edit(two_clips(), "set_look", {"item_id": 1, "opacity": "1/2"})
    text = timeline_to_json(t)
    assert '"look":{"opacity":"1/2"' in text
    with pytest.raises(TimelineFormatError, match=r"tracks\[0\].items\[0\].look.opacity"):
        timeline_from_json(text.replace('"opacity":"1/2"', '"opacity":"1e999"'))
    with pytest.raises(TimelineFormatError, match="opacity must be between 0 and 1"):
        timeline_from_json(text.replace('"opacity":"1/2"', '"opacity":"3"'))
    # a plain clip is written as before (old readers open it)
    assert '"look"' not in timeline_to_json(two_clips())
