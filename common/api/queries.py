"""Parsing of path and query parameters into typed requests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from common.agents.registry import AGENT_NAMES
from common.boundary.ids import parse_uint
from common.errors import InvalidRequest
from common.jobs.models import JobStatus
from common.judges.models import Quality

__all__ = [
    "MAX_LIST_LIMIT",
    "ListJobsQuery",
    "ListRejectionsQuery",
    "parse_list_query",
    "parse_rejections_query",
]

MAX_LIST_LIMIT = 100
_MAX_TIMESTAMP_CHARS = 40


@dataclass(frozen=True, slots=True)
class ListJobsQuery:
    """``GET /v1/jobs?status=&quality=&agent=&created_after=&limit=&page_token=``."""

    status: JobStatus | None = None
    agent: str | None = None
    created_after: datetime | None = None
    limit: int = 20
    page_token: str | None = None
    quality: Quality | None = None

    def filters(self) -> dict[str, str | None]:
        """The filters a page token is bound to."""
        after = None if self.created_after is None else self.created_after.isoformat()
        return {
            "status": self.status.value if self.status else None,
            "quality": self.quality.value if self.quality else None,
            "agent": self.agent,
            "created_after": after,
        }


@dataclass(frozen=True, slots=True)
class ListRejectionsQuery:
    """``GET /v1/rejections?limit=&page_token=``."""

    limit: int = 20
    page_token: str | None = None


def _bad(parameter: str, message: str) -> InvalidRequest:
    return InvalidRequest(message, code="invalid_parameter", details={"parameter": parameter})


def _allowed(args: Mapping[str, str], names: tuple[str, ...]) -> None:
    if set(args) - set(names):
        # The unknown name is the client's own string: it is not echoed.
        raise InvalidRequest(f"unknown query parameter; allowed: {', '.join(names)}", code="invalid_parameter")


def _limit(args: Mapping[str, str]) -> int:
    raw = args.get("limit")
    if raw is None:
        return 20
    parsed = parse_uint(raw, maximum=MAX_LIST_LIMIT)
    if parsed is None or parsed < 1:
        raise _bad("limit", f"limit must be an integer from 1 to {MAX_LIST_LIMIT}")
    return parsed


def _page_token(args: Mapping[str, str]) -> str | None:
    raw = args.get("page_token")
    if raw is not None and not raw:
        raise _bad("page_token", "page_token must be a next_page_token of a previous page")
    return raw


def _timestamp(raw: str, parameter: str) -> datetime:
    message = f"{parameter} must be an RFC 3339 timestamp with a time zone, e.g. 2026-03-01T00:00:00Z"
    if not raw.isascii() or len(raw) > _MAX_TIMESTAMP_CHARS:
        raise _bad(parameter, message)
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise _bad(parameter, message) from None
    if parsed.tzinfo is None:
        raise _bad(parameter, message)
    return parsed.astimezone(UTC)


def parse_list_query(args: Mapping[str, str]) -> ListJobsQuery:
    """Parse the job listing's query parameters.

    Args:
        args: Query parameters (first value of each).

    Raises:
        InvalidRequest: ``invalid_parameter`` for an unknown status, quality or agent, a limit
            outside 1..100, a ``created_after`` that is not RFC 3339 with a zone, an empty value,
            or an unknown parameter. (Only successful jobs have a quality: a quality with another
            status lists nothing.)
    """
    _allowed(args, ("status", "quality", "agent", "created_after", "limit", "page_token"))
    status: JobStatus | None = None
    raw_status = args.get("status")
    if raw_status is not None:
        try:
            status = JobStatus(raw_status)
        except ValueError:
            raise _bad("status", f"status must be one of: {', '.join(s.value for s in JobStatus)}") from None
    agent = args.get("agent")
    if agent is not None and agent not in AGENT_NAMES:
        raise _bad("agent", f"agent must be one of: {', '.join(sorted(AGENT_NAMES))}")
    raw_after = args.get("created_after")
    created_after = None if raw_after is None else _timestamp(raw_after, "created_after")
    quality: Quality | None = None
    raw_quality = args.get("quality")
    if raw_quality is not None:
        try:
            quality = Quality(raw_quality)
        except ValueError:
            raise _bad("quality", f"quality must be one of: {', '.join(q.value for q in Quality)}") from None
    return ListJobsQuery(
        status=status,
        agent=agent,
        created_after=created_after,
        limit=_limit(args),
        page_token=_page_token(args),
        quality=quality,
    )


def parse_rejections_query(args: Mapping[str, str]) -> ListRejectionsQuery:
    """Parse ``GET /v1/rejections``'s query parameters.

    Raises:
        InvalidRequest: ``invalid_parameter`` for a limit outside 1..100, an empty value, or an
            unknown parameter.
    """
    _allowed(args, ("limit", "page_token"))
    return ListRejectionsQuery(limit=_limit(args), page_token=_page_token(args))
