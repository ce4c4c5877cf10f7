"""Parsing of path and query parameters into typed requests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from common.boundary.ids import parse_uint
from common.errors import InvalidRequest
from common.jobs.models import JobStatus

__all__ = ["MAX_LIST_LIMIT", "ListJobsQuery", "parse_list_query"]

MAX_LIST_LIMIT = 100


@dataclass(frozen=True, slots=True)
class ListJobsQuery:
    """``GET /v1/jobs?status=&limit=``."""

    status: JobStatus | None = None
    limit: int = 20


def parse_list_query(args: Mapping[str, str]) -> ListJobsQuery:
    """Parse the listing's query parameters.

    Args:
        args: Query parameters (first value of each).

    Raises:
        InvalidRequest: ``invalid_parameter`` for an unknown status, a limit outside
            1..100, an empty value (``?limit=`` is not an integer), or an unknown parameter.
    """
    if set(args) - {"status", "limit"}:
        # The unknown name is the client's own string: it is not echoed.
        raise InvalidRequest("unknown query parameter; allowed: status, limit", code="invalid_parameter")
    status: JobStatus | None = None
    raw_status = args.get("status")
    if raw_status is not None:
        try:
            status = JobStatus(raw_status)
        except ValueError:
            raise InvalidRequest(
                f"status must be one of: {', '.join(s.value for s in JobStatus)}",
                code="invalid_parameter",
                details={"parameter": "status"},
            ) from None
    limit = 20
    raw_limit = args.get("limit")
    if raw_limit is not None:
        parsed = parse_uint(raw_limit, maximum=MAX_LIST_LIMIT)
        if parsed is None or parsed < 1:
            raise InvalidRequest(
                f"limit must be an integer from 1 to {MAX_LIST_LIMIT}",
                code="invalid_parameter",
                details={"parameter": "limit"},
            )
        limit = parsed
    return ListJobsQuery(status=status, limit=limit)
