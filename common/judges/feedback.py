"""Human feedback on a job's output: parsed, bounded, never free text. Pure.

``POST /v1/jobs/{job_id}/feedback`` with ``{"verdict": "correct" | "incorrect" | "partial",
"field"?: "criteria[3].status", "comment_code"?: "wrong_page"}``. The field is a path into the
output (letters, digits, ``_``, ``.``, ``[n]``; at most 64 characters) and the comment a
snake_case code (at most 48 characters), so nothing a reviewer types can carry patient text. It
is stored with the job beside its judgements, so a judge's agreement with humans can be
measured (a flagged job judged ``correct`` by a human is a false alarm).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast

from common.boundary.json_input import loads_bounded
from common.errors import InvalidRequest

__all__ = ["MAX_FEEDBACK", "MAX_FEEDBACK_BYTES", "VERDICTS", "Feedback", "parse_feedback"]

VERDICTS = ("correct", "incorrect", "partial")
MAX_FEEDBACK = 20
"""Most feedback entries kept per job."""
MAX_FEEDBACK_BYTES = 1024
_FIELD = re.compile(r"[a-z][a-z0-9_]*(?:\[[0-9]{1,4}\])?(?:\.[a-z][a-z0-9_]*(?:\[[0-9]{1,4}\])?)*")
_CODE = re.compile(r"[a-z][a-z0-9_]{0,47}")
FeedbackVerdict = Literal["correct", "incorrect", "partial"]


@dataclass(frozen=True, slots=True)
class Feedback:
    """One reviewer's feedback on a job's output.

    Attributes:
        verdict: ``correct``, ``incorrect`` or ``partial``.
        at: When it was given (UTC).
        field: The output field it is about (``verdict``, ``criteria[3].status``), if any.
        comment_code: A snake_case reason code (``wrong_page``, ``missed_criterion``), if any.
        quality: The job's quality when the feedback was given, to measure the judges against it.
    """

    verdict: FeedbackVerdict
    at: datetime
    field: str | None = None
    comment_code: str | None = None
    quality: str | None = None


def parse_feedback(body: bytes) -> tuple[FeedbackVerdict, str | None, str | None]:
    """``(verdict, field, comment_code)`` of a feedback request body.

    Raises:
        PayloadTooLarge: Over 1 KiB.
        InvalidRequest: ``invalid_json``...; ``invalid_feedback`` for a body that is not an object
            with a known verdict, a well-formed field and comment code, and nothing else.
    """
    value = loads_bounded(body, max_bytes=MAX_FEEDBACK_BYTES)
    if not isinstance(value, dict):
        raise InvalidRequest("feedback must be a JSON object", code="invalid_feedback")
    data = cast(dict[str, Any], value)
    if set(data) - {"verdict", "field", "comment_code"}:
        raise InvalidRequest("feedback takes verdict, field and comment_code only", code="invalid_feedback")
    verdict = data.get("verdict")
    if verdict not in VERDICTS:
        raise InvalidRequest(
            f"verdict must be one of: {', '.join(VERDICTS)}", code="invalid_feedback", details={"field": "verdict"}
        )
    field = data.get("field")
    if field is not None and not (isinstance(field, str) and len(field) <= 64 and _FIELD.fullmatch(field)):
        raise InvalidRequest(
            "field must be a path into the output such as criteria[3].status (at most 64 characters)",
            code="invalid_feedback",
            details={"field": "field"},
        )
    code = data.get("comment_code")
    if code is not None and not (isinstance(code, str) and _CODE.fullmatch(code)):
        raise InvalidRequest(
            "comment_code must be a snake_case code of at most 48 characters, never free text",
            code="invalid_feedback",
            details={"field": "comment_code"},
        )
    return verdict, field, code
