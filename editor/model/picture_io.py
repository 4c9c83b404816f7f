"""Looks and titles <-> JSON (used by ``serialize``): a clip's ``"look"`` (absent = the default look) and
the ``Title.1`` node. Loading is bounded like the rest of ``serialize``: numbers as short ``"n/d"``
strings, texts of bounded length, every field checked and named in the error. Pure; any thread.
"""

from __future__ import annotations

import json
import re
from fractions import Fraction
from typing import Any

from .errors import EditError, TimelineFormatError
from .picture import DEFAULT_LOOK, MAX_TITLE_SIZE, Look, Title, check_color, check_look

__all__ = ["TITLE_SCHEMA", "look_json", "look_from", "title_head", "title_from"]

TITLE_SCHEMA = "Title.1"
_NUM = re.compile(r"^-?\d{1,9}(?:/\d{1,9})?$")
_MAX_TEXT = 1 << 16


def _num(v: Fraction) -> str:
    return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"


def look_json(look: Look) -> str:
    """``"look":{...},`` for a non-default look, "" for the default (old readers see a plain clip)."""
    if look is DEFAULT_LOOK or look == DEFAULT_LOOK:
        return ""
    return (
        f'"look":{{"opacity":"{_num(look.opacity)}","x":"{_num(look.x)}","y":"{_num(look.y)}",'
        f'"scale":"{_num(look.scale)}","fade_in":{look.fade_in},"fade_out":{look.fade_out},'
        f'"dissolve":{look.dissolve}}},'
    )


def _fail(path: str, msg: str) -> TimelineFormatError:
    return TimelineFormatError(f"{path}: {msg}")


def _frac(d: dict[str, Any], key: str, default: Fraction, path: str) -> Fraction:
    v = d.get(key, None)
    if v is None:
        return default
    if type(v) is int and abs(v) < 1 << 31:
        return Fraction(v)
    if type(v) is str and _NUM.match(v):
        try:
            return Fraction(v)
        except ZeroDivisionError:
            pass
    raise _fail(f"{path}.{key}", f'expected a number like "1/2", got {str(v)[:40]!r}')


def _int(d: dict[str, Any], key: str, path: str) -> int:
    v = d.get(key, 0)
    if type(v) is not int or not 0 <= v < 1 << 40:
        raise _fail(f"{path}.{key}", f"expected a number of frames >= 0, got {str(v)[:40]!r}")
    return v


def look_from(node: dict[str, Any], duration: int, path: str) -> Look:
    """The ``"look"`` of an item node (the default look when absent); TimelineFormatError naming the field."""
    d = node.get("look")
    if d is None:
        return DEFAULT_LOOK
    p = f"{path}.look"
    if type(d) is not dict:
        raise _fail(p, "expected an object")
    look = Look(
        opacity=_frac(d, "opacity", Fraction(1), p),
        x=_frac(d, "x", Fraction(0), p),
        y=_frac(d, "y", Fraction(0), p),
        scale=_frac(d, "scale", Fraction(1), p),
        fade_in=_int(d, "fade_in", p),
        fade_out=_int(d, "fade_out", p),
        dissolve=_int(d, "dissolve", p),
    )
    try:
        check_look(look, duration, p)
    except EditError as e:
        raise TimelineFormatError(str(e)) from None
    return DEFAULT_LOOK if look == DEFAULT_LOOK else look


def title_head(t: Title) -> str:
    """A title's JSON up to its ``start`` value (which ``serialize`` appends)."""
    return (
        f'{{"schema":"{TITLE_SCHEMA}","id":{t.id},"duration":{t.duration},"text":{json.dumps(t.text)},'
        f'"font":{json.dumps(t.font)},"size":{t.size},"color":"{t.color}",{look_json(t.look)}"start":'
    )


def title_from(node: dict[str, Any], item_id: int, duration: int, path: str) -> Title:
    """A Title from its (already schema-checked) node."""
    text, font, size, color = node.get("text"), node.get("font", ""), node.get("size"), node.get("color")
    if type(text) is not str or len(text) > _MAX_TEXT:
        raise _fail(f"{path}.text", "expected a text")
    if type(font) is not str or len(font) > 200:
        raise _fail(f"{path}.font", "expected a font family name")
    if type(size) is not int or not 1 <= size <= MAX_TITLE_SIZE:
        raise _fail(f"{path}.size", f"expected a text size from 1 to {MAX_TITLE_SIZE}, got {str(size)[:40]!r}")
    try:
        color = check_color(color, f"{path}.color")
    except EditError as e:
        raise TimelineFormatError(str(e)) from None
    return Title(item_id, duration, text, font, size, color, look_from(node, duration, path))
