"""The verdict record of a judged job. Pure: no SDK import (the ``status`` function reads it).

A job's output is judged before its callback goes out (:mod:`common.judges.runner`). Each judge
leaves one :class:`Judgement`; the job's :class:`Quality` sums them up:

* ``passed``: every judge that ran passed;
* ``flagged``: at least one judge failed;
* ``not_judged``: no judge could give a verdict (each crashed, timed out or was not sampled),
  or the job was not judged at all.

The job's ``status`` stays ``success`` whatever the quality: judges flag, they never fail a job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from common.jobs.models import Usage

if TYPE_CHECKING:
    from common.costs.models import Cost

__all__ = ["NOT_JUDGED_CODES", "Judgement", "Quality", "quality_of"]

NOT_JUDGED_CODES = frozenset({"judge_error", "judge_timeout", "not_sampled", "output_unavailable"})
"""``reason_code`` values of a judgement that gave no verdict (its ``passed`` is ``None``)."""


class Quality(StrEnum):
    """What the judges made of a successful job's output."""

    PASSED = "passed"
    FLAGGED = "flagged"
    NOT_JUDGED = "not_judged"


@dataclass(frozen=True, slots=True)
class Judgement:
    """One judge's verdict on one job's output. Never holds document or patient text.

    Attributes:
        judge: The judge's name, e.g. ``criteria_on_cited_page`` or ``llm_rubric``.
        version: The judge's version; bumped whenever its rule or rubric changes, so verdicts
            of different versions are not compared as equals.
        passed: ``True`` or ``False``; ``None`` when the judge gave no verdict (see
            :data:`NOT_JUDGED_CODES`).
        score: From 0.0 (entirely wrong) to 1.0 (entirely right); for the deterministic judges
            the share of checked items that passed.
        reason_code: Stable snake_case code, e.g. ``ok``, ``criterion_not_on_page``,
            ``verdict_mismatch``, ``judge_error``.
        reason: A short explanation naming items by id or index only (``"E12, I3"``), never
            quoting document or patient text.
        at: When the judgement was made (UTC).
        model: ``provider/model`` of an LLM judge; ``None`` for deterministic judges.
        usage: The LLM judge's token usage; ``None`` for deterministic judges.
        cost: The LLM judge's cost in USD at list prices; ``None`` when not priced or no model.
    """

    judge: str
    version: str
    passed: bool | None
    score: float
    reason_code: str
    reason: str
    at: datetime
    model: str | None = None
    usage: Usage | None = None
    cost: Cost | None = None


def quality_of(judgements: Sequence[Judgement]) -> Quality:
    """The job's quality: ``flagged`` if any judge failed, else ``passed`` if any passed, else ``not_judged``."""
    if any(j.passed is False for j in judgements):
        return Quality.FLAGGED
    if any(j.passed for j in judgements):
        return Quality.PASSED
    return Quality.NOT_JUDGED
