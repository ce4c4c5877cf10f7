"""Recognising the marker that starts a list item: ``[1]``, ``16b.``, ``(a)``, ``I1``, ``•`` ...

A marker has a *style* (the family of markers that can be siblings: ``"[n]"``, ``"n."``,
``"(a)"``, ``"bullet:•"``, ...) and, for ordered styles, a *value* (its ordinal: 3 for ``[3]``,
``c)`` and ``iii.``) so list parsers can reason about continuity.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["BARE_STYLE", "Marker", "match_marker"]

_ROMAN = {
    "i": 1,
    "ii": 2,
    "iii": 3,
    "iv": 4,
    "v": 5,
    "vi": 6,
    "vii": 7,
    "viii": 8,
    "ix": 9,
    "x": 10,
    "xi": 11,
    "xii": 12,
}
_BRACKETS = {"[": "]", "(": ")"}

_ENCLOSED = re.compile(r"^(?P<open>[\[(])\s?(?P<label>\d{1,3}[a-z]?|[a-zA-Z]|[ivxIVX]{1,5})\s?[\])][.:]?\s*")
_CLOSED = re.compile(r"^(?P<label>\d{1,3}[a-z]?|[a-zA-Z]|[ivx]{1,5})(?P<close>\.\)|[.)]|(?<=\d):)(?:\s+|$)")
# Upper case only: "in 2 weeks" at the start of a wrapped line is not a marker. A label alone on
# its line is a marker too: criteria tables put the label in a cell of its own ("IN01" | text).
_PREFIXED = re.compile(
    r"^(?P<prefix>INC|EXC|IN|EX|IC|EC|[IE])-?(?P<label>\d{1,3}[a-z]?)(?:(?:[.:)]\s*|\s+)(?=\S)|[.:)]?$)"
)
_WORDED = re.compile(
    r"^(?P<word>inclusion|exclusion)(?:\s+criteri(?:on|a))?\s*(?:no\.?|#)?\s*(?P<label>\d{1,3}[a-z]?)\s*[.:)\u2013-]\s*",
    re.IGNORECASE,
)
_BULLET = re.compile(
    "^(?P<glyph>[\u2022\u25cf\u25cb\u25e6\u25aa\u25a0\u25a1\u25c6\u25c7\u25ba\u25b8\u2023\u2043\u2219\u00b7"
    "\uf0b7\uf0a7\uf0d8\uf076\uf0fc\uf0a8\uf0b2\uf0e0\uf0d9\uf02d\uf06e\uf071\u27a2\u2713\u2714])\\s*"
)
# These also start ordinary lines ("-2 days", "or", "*footnote"), so they need a space and text.
_DASH_OR_O = re.compile(r"^(?P<glyph>[-\u2013\u2014o*])\s+(?=[A-Za-z0-9(\[<>≤≥])")
# "12 Text" with no punctuation, as criteria tables extract. Weak: list parsers only use it when
# nothing better forms a list.
# "2 eGFR ..." and "3 mRNA ..." count; units such as "2 mL" and "5 mmHg" do not.
_BARE = re.compile(r"^(?P<label>\d{1,2}[a-z]?)\s+(?=[A-Z]|[a-z]{1,2}[A-Z]{2})")
# "5.1.3 Patients must ...": criteria numbered as sub-sections of their heading (the NCI template).
# At least three parts, so that decimals ("1.5 mg") never qualify.
_SECTION_NUMBER = re.compile(r"^(?P<parent>\d{1,2}(?:\.\d{1,2}){1,4})\.(?P<label>\d{1,2})\.?\s+(?=\S)")
BARE_STYLE = "n_"


@dataclass(frozen=True, slots=True)
class Marker:
    """The marker at the start of a line.

    Attributes:
        style: The sibling family, e.g. ``"[n]"``, ``"n."``, ``"(a)"``, ``"A)"``, ``"i."``,
            ``"IE:I"`` (``I1``, ``I2``), ``"word"`` (``Inclusion 1:``), ``"bullet:•"``,
            ``"5.1.n"`` (sub-section numbers ``5.1.1``, ``5.1.2``) or :data:`BARE_STYLE` for a
            bare number (``"12 Text"``).
        label: The label as printed without brackets or punctuation (``"16b"``, ``"a"``,
            ``"I1"``, ``"5.1.3"``); ``""`` for bullets.
        value: The ordinal used for continuity (``[16b]`` -> 16, ``c)`` -> 3, ``iv.`` -> 4);
            ``None`` for bullets.
        suffix: A letter after a number (``"b"`` in ``16b``), else ``""``.
        end: Offset in the line where the item's text starts.
        ambiguous_roman: The label is one of ``i``, ``v``, ``x``, which may be a letter or a
            roman numeral; ``style``/``value`` assume roman, and :func:`as_letter` gives the
            other reading.
    """

    style: str
    label: str
    value: int | None
    suffix: str
    end: int
    ambiguous_roman: bool = False

    def as_letter(self) -> Marker:
        """The letter reading of an ambiguous ``i``/``v``/``x`` marker."""
        style = self.style.replace("i", "a").replace("I", "A")
        value = ord(self.label.lower()) - ord("a") + 1
        return Marker(style=style, label=self.label, value=value, suffix="", end=self.end)


def _label_kind(label: str, shape: str) -> Marker | None:
    """Style and value of a label inside ``shape`` ("[x]", "(x)", "x)", "x.")."""
    if label[0].isdigit():
        digits = label.rstrip("abcdefghijklmnopqrstuvwxyz")
        suffix = label[len(digits) :]
        return Marker(style=shape.replace("x", "n"), label=label, value=int(digits), suffix=suffix, end=0)
    lower = label.lower()
    if lower in _ROMAN and (len(label) > 1 or lower in "ivx"):
        upper = label.isupper()
        style = shape.replace("x", "I" if upper else "i")
        return Marker(style=style, label=label, value=_ROMAN[lower], suffix="", end=0, ambiguous_roman=len(label) == 1)
    if len(label) == 1 and label.isalpha():
        style = shape.replace("x", "A" if label.isupper() else "a")
        return Marker(style=style, label=label, value=ord(lower) - ord("a") + 1, suffix="", end=0)
    return None


def _with_end(marker: Marker | None, end: int) -> Marker | None:
    if marker is None:
        return None
    return Marker(
        style=marker.style,
        label=marker.label,
        value=marker.value,
        suffix=marker.suffix,
        end=end,
        ambiguous_roman=marker.ambiguous_roman,
    )


def match_marker(text: str) -> Marker | None:
    """The list marker at the start of ``text``, if any.

    Args:
        text: One line, already stripped.

    Returns:
        The marker, or ``None`` when the line does not start with one. Decimal numbers
        ("1.5 mg") and numbers followed by words ("2 weeks") are not markers.
    """
    if not text:
        return None
    match = _ENCLOSED.match(text)
    if match is not None:
        shape = match["open"] + "x" + _BRACKETS[match["open"]]
        return _with_end(_label_kind(match["label"], shape), match.end())
    match = _WORDED.match(text)
    if match is not None:
        label = match["label"]
        digits = label.rstrip("abcdefghijklmnopqrstuvwxyz")
        return Marker(style="word", label=label, value=int(digits), suffix=label[len(digits) :], end=match.end())
    match = _SECTION_NUMBER.match(text)
    if match is not None:
        return Marker(
            style=f"{match['parent']}.n",
            label=f"{match['parent']}.{match['label']}",
            value=int(match["label"]),
            suffix="",
            end=match.end(),
        )
    match = _PREFIXED.match(text)
    if match is not None:
        label = match["label"]
        digits = label.rstrip("abcdefghijklmnopqrstuvwxyz")
        return Marker(
            style="IE:" + match["prefix"].upper(),
            label=match["prefix"].upper() + label,
            value=int(digits),
            suffix=label[len(digits) :],
            end=match.end(),
        )
    match = _CLOSED.match(text)
    if match is not None:
        return _with_end(_label_kind(match["label"], "x" + match["close"][-1]), match.end())
    match = _BULLET.match(text) or _DASH_OR_O.match(text)
    if match is not None:
        return Marker(style="bullet:" + match["glyph"], label="", value=None, suffix="", end=match.end())
    match = _BARE.match(text)
    if match is not None:
        label = match["label"]
        digits = label.rstrip("abcdefghijklmnopqrstuvwxyz")
        return Marker(style=BARE_STYLE, label=label, value=int(digits), suffix=label[len(digits) :], end=match.end())
    return None
