"""Parsing of path and query parameters into typed requests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

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
            1..100, or an unknown parameter.
    """
    unknown = set(args) - {"status", "limit"}
    if unknown:
        raise InvalidRequest(
            f"unknown query parameter '{sorted(unknown)[0][:40]}'; allowed: status, limit",
            code="invalid_parameter",
            details={"parameter": sorted(unknown)[0][:40]},
        )
    status: JobStatus | None = None
    raw_status = args.get("status")
    if raw_status:
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
    if raw_limit is not None and raw_limit != "":
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIST_LIMIT:
            raise InvalidRequest(
                f"limit must be an integer from 1 to {MAX_LIST_LIMIT}",
                code="invalid_parameter",
                details={"parameter": "limit"},
            )
        limit = int(raw_limit)
    return ListJobsQuery(status=status, limit=limit)
