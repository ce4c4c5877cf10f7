"""Client strings that are not content: bounded in length and charset, never echoed when wrong.

Labels (metadata keys), idempotency keys and similar strings are client data: they may be stored
and shown back to the same tenant, but they are never logged, and an error about one names the
field, not the value.
"""

from __future__ import annotations

import re
from typing import Any, cast

__all__ = ["LABEL_KEY", "printable_ascii", "scrub_unencodable", "valid_label_key", "valid_text"]

LABEL_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
"""Metadata keys: 1-64 of ``[A-Za-z0-9_.-]``, starting with a letter or digit."""
_PRINTABLE_ASCII = re.compile(r"[\x21-\x7e]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def valid_label_key(value: object) -> bool:
    """True for a metadata key of :data:`LABEL_KEY`."""
    return isinstance(value, str) and value.isascii() and LABEL_KEY.fullmatch(value) is not None


def printable_ascii(value: object, *, max_chars: int) -> bool:
    """True for 1..``max_chars`` printable ASCII characters without spaces (e.g. an Idempotency-Key)."""
    return isinstance(value, str) and 0 < len(value) <= max_chars and _PRINTABLE_ASCII.fullmatch(value) is not None


def valid_text(value: object, *, max_chars: int) -> bool:
    """True for a string of at most ``max_chars`` that encodes as UTF-8 and has no control characters.

    Tabs and newlines are allowed; NUL and the other C0 controls are not.
    """
    if not isinstance(value, str) or len(value) > max_chars or _CONTROL.search(value):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def scrub_unencodable(value: Any) -> Any:
    """``value`` with every unpaired surrogate replaced by U+FFFD, recursively.

    Agent output comes from documents: a PDF whose ToUnicode map yields U+D800 produces text
    that cannot be stored as UTF-8. Replacing the code point keeps the result storable and
    changes nothing else.
    """
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return _replace(value)
        return value
    if isinstance(value, dict):
        return {scrub_unencodable(k): scrub_unencodable(v) for k, v in cast(dict[Any, Any], value).items()}
    if isinstance(value, list):
        return [scrub_unencodable(v) for v in cast(list[Any], value)]
    return value


def _replace(text: str) -> str:
    return "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in text)
