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


def field_errors(error: ValidationError, *, limit: int = 20) -> list[dict[str, str]]:
    """``[{"field", "message"}]`` for the first ``limit`` distinct fields; never values or client names."""
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for e in error.errors(include_input=False, include_url=False, include_context=False):
        extra = e["type"] == "extra_forbidden"
        path = field_path(tuple(e["loc"]), drop_last=extra) or "(body)"
        if path in seen:
            continue
        seen.add(path)
        message = "has a field the schema does not define" if extra else e["msg"]
        out.append({"field": path, "message": message})
        if len(out) >= limit:
            break
    return out


def invalid_input(error: ValidationError) -> PermanentError:
    """A ``PermanentError(code="invalid_input")`` naming up to five failing fields."""
    parts = [f"{e['field']}: {e['message']}" for e in field_errors(error, limit=5)]
    return PermanentError("input does not match the agent's schema: " + "; ".join(parts), code="invalid_input")
