"""Docstring text (reStructuredText flavoured) to the CommonMark OpenAPI descriptions use. Pure.

The API's schemas are generated from pydantic models whose docstrings are written for Sphinx:
cross-reference roles (``:func:`~common.x.f```), double-backtick literals. In an OpenAPI
description those render as noise, and internal module paths mean nothing to a client.
"""

from __future__ import annotations

import re
from typing import Any, cast

__all__ = ["clean_descriptions", "rst_to_markdown"]

_ROLE = re.compile(r":(?:py:)?[a-z]+:`~?([^`<]*?)(?:\s*<[^>]*>)?`")
_LITERAL = re.compile(r"``(.+?)``", re.DOTALL)


def _short(target: str) -> str:
    # ``~common.jobs.lifecycle.cancel`` -> ``cancel``; a method keeps its class: ``SubmitService.submit``.
    parts = target.strip().split(".")
    keep = 2 if len(parts) >= 2 and parts[-2][:1].isupper() else 1
    return ".".join(parts[-keep:])


def rst_to_markdown(text: str) -> str:
    """Roles become inline code of their last name; ````literal```` becomes ```literal```."""
    text = _ROLE.sub(lambda m: f"`{_short(m[1])}`", text)
    return _LITERAL.sub(lambda m: f"`{m[1]}`", text)


def clean_descriptions(node: Any) -> Any:
    """A copy of a JSON document with every ``description`` string passed through :func:`rst_to_markdown`."""
    if isinstance(node, dict):
        return {
            k: rst_to_markdown(v) if k == "description" and isinstance(v, str) else clean_descriptions(v)
            for k, v in cast(dict[str, Any], node).items()
        }
    if isinstance(node, list):
        return [clean_descriptions(v) for v in cast(list[Any], node)]
    return node
