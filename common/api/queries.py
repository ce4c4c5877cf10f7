"""Parsing of path and query parameters into typed requests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from common.boundary.ids import parse_uint
from common.errors import InvalidRequest
from common.jobs.models import JobStatus
from common.judges.models import Quality

__all__ = ["MAX_LIST_LIMIT", "ListJobsQuery", "parse_list_query"]

MAX_LIST_LIMIT = 100


@dataclass(frozen=True, slots=True)
class ListJobsQuery:
    """``GET /v1/jobs?status=&quality=&limit=``."""

    status: JobStatus | None = None
    limit: int = 20
    quality: Quality | None = None


def parse_list_query(args: Mapping[str, str]) -> ListJobsQuery:
    """Parse the listing's query parameters.

    Args:
        args: Query parameters (first value of each).

    Raises:
        InvalidRequest: ``invalid_parameter`` for an unknown status or quality, a limit outside
            1..100, an empty value (``?limit=`` is not an integer), or an unknown parameter. (Only
            successful jobs have a quality: a quality with another status lists nothing.)
    """
    if set(args) - {"status", "limit", "quality"}:
        # The unknown name is the client's own string: it is not echoed.
        raise InvalidRequest("unknown query parameter; allowed: status, quality, limit", code="invalid_parameter")
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
    quality: Quality | None = None
    raw_quality = args.get("quality")
    if raw_quality is not None:
        try:
            quality = Quality(raw_quality)
        except ValueError:
            raise InvalidRequest(
                f"quality must be one of: {', '.join(q.value for q in Quality)}",
                code="invalid_parameter",
                details={"parameter": "quality"},
            ) from None
    return ListJobsQuery(status=status, limit=limit, quality=quality)
