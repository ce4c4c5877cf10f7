r"""JSON that is safe to parse, store and echo.

``json.loads`` alone lets four kinds of hostile input through to places that fail badly later:
deep nesting (``RecursionError``), lone surrogates (``"\ud800"`` parses, then cannot be encoded
as UTF-8 for storage), integers beyond 64 bits and ``NaN``/``Infinity`` (Firestore rejects them),
and map keys that Firestore cannot store (``""``, ``__name__``). Each is a client error here.

Firestore limits (https://firebase.google.com/docs/firestore/quotas): maps and arrays nest at
most 20 deep, integers are signed 64-bit, field names are non-empty UTF-8 of at most 1,500 bytes
and must not match ``__.*__``.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, cast

from common.errors import InvalidRequest, PayloadTooLarge

__all__ = ["DEFAULT_MAX_DEPTH", "check_storable", "loads_bounded"]

DEFAULT_MAX_DEPTH = 16
"""Nesting allowed in client JSON: below Firestore's 20, leaving room for the job document around it."""
_MAX_INT = 2**63 - 1
_MIN_INT = -(2**63)
_MAX_KEY_BYTES = 1500
_RESERVED_KEY = re.compile(r"__.*__")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads_bounded(
    data: bytes | str, *, max_bytes: int, max_depth: int = DEFAULT_MAX_DEPTH, storable: bool = True
) -> Any:
    """Parse JSON text under limits.

    Args:
        data: UTF-8 JSON text.
        max_bytes: Largest accepted size (bytes).
        max_depth: Deepest accepted nesting of objects and arrays.
        storable: Also check the whole value with :func:`check_storable`; ``False`` when the
            caller checks the parts it keeps (and reports each part's problem itself).

    Returns:
        The parsed value; storable (see :func:`check_storable`) unless ``storable`` is false.

    Raises:
        PayloadTooLarge: ``payload_too_large`` over ``max_bytes``.
        InvalidRequest: ``invalid_json`` (not JSON, or ``NaN``/``Infinity``), ``json_too_deep``,
            ``invalid_unicode``, ``number_out_of_range``, ``invalid_field_name``.
    """
    size = len(data.encode("utf-8", "surrogatepass")) if isinstance(data, str) else len(data)
    if size > max_bytes:
        raise PayloadTooLarge(f"body is over the {max_bytes} byte limit", details={"limit_bytes": max_bytes})
    try:
        value: Any = json.loads(data, parse_constant=_reject_constant)
    except RecursionError:
        raise InvalidRequest(f"JSON nests deeper than {max_depth} levels", code="json_too_deep") from None
    except (ValueError, UnicodeDecodeError):
        raise InvalidRequest("body is not valid JSON", code="invalid_json") from None
    if storable:
        check_storable(value, max_depth=max_depth)
    return value


def check_storable(value: object, *, max_depth: int = DEFAULT_MAX_DEPTH) -> None:
    """Check a JSON-like value against the limits above, without recursion.

    Raises:
        InvalidRequest: ``json_too_deep``, ``invalid_unicode``, ``number_out_of_range``,
            ``invalid_field_name``, ``invalid_json`` (a value that is not a JSON type).
    """
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            _check_text(item)
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if not _MIN_INT <= item <= _MAX_INT:
                raise InvalidRequest("an integer is outside the signed 64-bit range", code="number_out_of_range")
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise InvalidRequest("numbers must be finite", code="number_out_of_range")
        elif isinstance(item, dict):
            if depth >= max_depth:
                raise InvalidRequest(f"JSON nests deeper than {max_depth} levels", code="json_too_deep")
            for key, child in cast(dict[object, object], item).items():
                _check_key(key)
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            if depth >= max_depth:
                raise InvalidRequest(f"JSON nests deeper than {max_depth} levels", code="json_too_deep")
            stack.extend((child, depth + 1) for child in cast(list[object], item))
        else:
            raise InvalidRequest("value is not a JSON type", code="invalid_json")


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidRequest("text contains an unpaired surrogate", code="invalid_unicode") from None


def _check_key(key: object) -> None:
    if not isinstance(key, str) or not key or _RESERVED_KEY.fullmatch(key):
        raise InvalidRequest("object keys must be non-empty and not of the form __x__", code="invalid_field_name")
    _check_text(key)
    if len(key.encode("utf-8")) > _MAX_KEY_BYTES:
        raise InvalidRequest("an object key is over 1500 bytes", code="invalid_field_name")
