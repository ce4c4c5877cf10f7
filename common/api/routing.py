"""A small route table for the HTTP functions: method + path pattern -> route name and path parameters.

Each HTTP function lists its routes once; :func:`match` answers 404 ``route_not_found`` for an
unknown path and 405 ``method_not_allowed`` (with ``Allow``) for a known path and another method,
so every function answers both the same way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from common.api.handling import MethodNotAllowed, RouteNotFound

__all__ = ["Route", "match"]


@dataclass(frozen=True, slots=True)
class Route:
    """One endpoint.

    Attributes:
        name: What the function dispatches on.
        methods: Accepted methods (``HEAD`` is implied by ``GET``).
        pattern: Full-match regular expression of the path; named groups become parameters.
    """

    name: str
    methods: tuple[str, ...]
    pattern: re.Pattern[str]

    @classmethod
    def of(cls, name: str, methods: str, pattern: str) -> Route:
        """``Route.of("get_job", "GET", r"/v1/jobs/(?P<job_id>[^/]+)")``."""
        verbs = tuple(methods.split())
        if "GET" in verbs and "HEAD" not in verbs:
            verbs += ("HEAD",)
        return cls(name, verbs, re.compile(pattern))


def match(routes: Sequence[Route], method: str, path: str) -> tuple[Route, dict[str, str]]:
    """The first route for ``method`` and ``path`` (a trailing ``/`` is ignored), with its path parameters.

    Raises:
        RouteNotFound: No route has this path.
        MethodNotAllowed: Routes have this path, none with this method; ``allow`` lists theirs.
    """
    path = path.rstrip("/") or "/"
    allowed: list[str] = []
    for route in routes:
        found = route.pattern.fullmatch(path)
        if found is None:
            continue
        if method in route.methods:
            return route, {k: v for k, v in found.groupdict().items() if v is not None}
        allowed += [m for m in route.methods if m not in allowed]
    if allowed:
        raise MethodNotAllowed(f"use {', '.join(allowed)} here", allow=tuple(allowed))
    raise RouteNotFound("no such endpoint; see /v1/openapi.json")
