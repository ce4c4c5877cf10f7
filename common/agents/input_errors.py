"""Reporting an agent input that fails its pydantic model, without echoing the values.

Input values may be patient data, so errors name field paths and error types only.
"""

from __future__ import annotations

from pydantic import ValidationError

from common.errors import PermanentError

__all__ = ["field_errors", "invalid_input"]


def field_errors(error: ValidationError, *, limit: int = 20) -> list[dict[str, str]]:
    """``[{"field", "type", "message"}]`` for the first ``limit`` errors; never the offending values."""
    return [
        {"field": ".".join(str(p) for p in e["loc"]) or "(body)", "type": e["type"], "message": e["msg"]}
        for e in error.errors(include_input=False, include_url=False)[:limit]
    ]


def invalid_input(error: ValidationError) -> PermanentError:
    """A ``PermanentError(code="invalid_input")`` summarising up to five failing fields and their error types."""
    parts = [f"{e['field']}: {e['type']}" for e in field_errors(error, limit=5)]
    return PermanentError("input does not match the agent's schema: " + "; ".join(parts), code="invalid_input")
