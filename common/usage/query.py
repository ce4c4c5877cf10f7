"""``GET /v1/usage?from=&to=&group_by=``: its query parameters, parsed and bounded."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from common.errors import InvalidRequest
from common.usage.report import GROUP_BY, GroupBy

__all__ = ["DEFAULT_DAYS", "MAX_DAYS", "UsageQuery", "parse_usage_query"]

MAX_DAYS = 366
"""The longest range one request may cover (days, both ends included)."""
DEFAULT_DAYS = 30
"""The range without ``from``: the 30 days ending ``to``."""

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class UsageQuery:
    """A usage report request: UTC days ``start`` to ``end`` (both included), grouped by ``group_by``."""

    start: date
    end: date
    group_by: GroupBy = "day"


def _bad(message: str, parameter: str) -> InvalidRequest:
    return InvalidRequest(message, code="invalid_parameter", details={"parameter": parameter})


def _day(raw: str, parameter: str) -> date:
    if _DATE.fullmatch(raw):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    raise _bad(f"{parameter} must be a date YYYY-MM-DD (UTC)", parameter)


def parse_usage_query(args: Mapping[str, str], *, today: date) -> UsageQuery:
    """Parse ``from``, ``to`` (UTC dates, ``YYYY-MM-DD``, both included) and ``group_by``.

    Defaults: ``to`` = ``today``, ``from`` = the 30 days ending ``to``, ``group_by`` = ``day``.

    Raises:
        InvalidRequest: ``invalid_parameter`` (``details.parameter`` names it) for an unknown
            parameter, a malformed date, ``from`` after ``to``, a range over 366 days, or a
            ``group_by`` other than ``day``, ``agent``, ``model``.
    """
    if set(args) - {"from", "to", "group_by"}:
        # The unknown name is the client's own string: it is not echoed.
        raise InvalidRequest("unknown query parameter; allowed: from, to, group_by", code="invalid_parameter")
    end = _day(args["to"], "to") if "to" in args else today
    start = _day(args["from"], "from") if "from" in args else end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise _bad("from must not be after to", "from")
    if (end - start).days + 1 > MAX_DAYS:
        raise _bad(f"the range covers at most {MAX_DAYS} days", "from")
    group_by = args.get("group_by", "day")
    if group_by not in GROUP_BY:
        raise _bad(f"group_by must be one of: {', '.join(GROUP_BY)}", "group_by")
    return UsageQuery(start, end, group_by)
