"""Reporting an agent input that fails its pydantic model, without echoing the client's data.

Input values may be patient data, and field names a client invented are client data too, so
errors carry only:

* the path of the field in the JSON the client sent, in JSONPath-like form (``criteria[0].type``),
  built from list indexes and names of our own schema (a name outside the identifier grammar,
  such as pydantic's union tags ``list[CriterionInput]`` or ``constrained-str``, is left out);
* a short message from the validator (which never includes the input, ``include_input=False``);
* no name of an unknown field: an ``extra_forbidden`` error reports its parent path only.

One problem per field: when a union tries several members, only the first error of a path is kept.
"""

from __future__ import annotations

import re

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from common.errors import PermanentError

__all__ = ["field_errors", "field_path", "invalid_input"]

_NAME = re.compile(r"[a-z_][a-z0-9_]{0,63}")


def field_path(loc: tuple[int | str, ...], *, drop_last: bool = False) -> str:
    """``("criteria", 0, "type")`` -> ``criteria[0].type``; ``""`` is the body itself.

    Args:
        loc: A pydantic error location.
        drop_last: Leave out the last element (it names a field the client made up).
    """
    parts = loc[:-1] if drop_last else loc
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _NAME.fullmatch(part):
            path += f".{part}" if path else part
    return path


def _union_member(loc: tuple[int | str, ...]) -> tuple[tuple[int | str, ...], str] | None:
    """``(location of the union, member tag)`` when ``loc`` passes through a union member."""
    for i, part in enumerate(loc):
        if isinstance(part, str) and not _NAME.fullmatch(part):
            return loc[:i], part
    return None


def _relevant(errors: list[ErrorDetails]) -> list[ErrorDetails]:
    """Drop "not this member's type" errors of a union whose input matched another member.

    For ``criteria: str | list[...]`` and a list that fails inside, pydantic reports both the
    string member's type error and the list member's real problem; only the latter is one.
    """
    mismatched: dict[int, tuple[int | str, ...]] = {}
    real: set[tuple[int | str, ...]] = set()
    for index, e in enumerate(errors):
        member = _union_member(tuple(e["loc"]))
        if member is None:
            continue
        at, _ = member
        if len(e["loc"]) == len(at) + 1 and e["type"].endswith("_type"):
            mismatched[index] = at
        else:
            real.add(at)
    return [e for index, e in enumerate(errors) if mismatched.get(index) not in real]


def _message(e: ErrorDetails) -> str:
    if e["type"] == "extra_forbidden":
        return "has a field the schema does not define"
    if e["type"] in ("model_type", "model_attributes_type", "dataclass_type"):
        return "Input should be an object"  # pydantic's message names our class
    return e["msg"].removeprefix("Value error, ")


def field_errors(error: ValidationError, *, limit: int = 20) -> list[dict[str, str]]:
    """``[{"field", "message"}]`` for the first ``limit`` distinct fields; never values or client names."""
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for e in _relevant(error.errors(include_input=False, include_url=False, include_context=False)):
        extra = e["type"] == "extra_forbidden"
        path = field_path(tuple(e["loc"]), drop_last=extra) or "(body)"
        if path in seen:
            continue
        seen.add(path)
        message = _message(e)
        out.append({"field": path, "message": message})
        if len(out) >= limit:
            break
    return out


def invalid_input(error: ValidationError) -> PermanentError:
    """A ``PermanentError(code="invalid_input")`` naming up to five failing fields."""
    parts = [f"{e['field']}: {e['message']}" for e in field_errors(error, limit=5)]
    return PermanentError("input does not match the agent's schema: " + "; ".join(parts), code="invalid_input")
