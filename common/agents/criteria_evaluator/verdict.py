"""The eligibility verdict of a patient for a trial, from per-criterion statuses. Pure.

The rule is applied in code, never left to the model: the model only assesses criteria one by
one. It is the rule used to derive pair-level labels from the TrialGPT expert criterion
annotations (Jin et al., "Matching patients to clinical trials with large language models",
Nature Communications 2024; ``ncbi/TrialGPT-Criterion-Annotations``), as documented in
``../shared/data/README.md``:

1. ``ineligible`` if any inclusion criterion is ``not_met`` or any exclusion criterion is ``met``
   (for an exclusion criterion, ``met`` means the patient has the excluding condition);
2. otherwise ``insufficient_information`` if any inclusion criterion is
   ``insufficient_information``;
3. otherwise ``eligible``.

``not_applicable`` never changes the verdict, and neither does an exclusion criterion with
``insufficient_information``: the rule presumes a patient free of an exclusion not documented.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

__all__ = ["CriterionStatus", "CriterionType", "Verdict", "verdict"]

CriterionType = Literal["inclusion", "exclusion"]
CriterionStatus = Literal["met", "not_met", "insufficient_information", "not_applicable"]
Verdict = Literal["eligible", "ineligible", "insufficient_information"]


def verdict(assessments: Iterable[tuple[CriterionType, CriterionStatus]]) -> Verdict:
    """The overall verdict for ``(criterion type, status)`` pairs.

    Args:
        assessments: One pair per criterion. An empty iterable gives ``eligible`` (nothing
            excludes the patient), though the agent never asks with no criteria.

    Returns:
        ``ineligible``, ``insufficient_information`` or ``eligible``, by the rule above.
    """
    unknown_inclusion = False
    for kind, status in assessments:
        if (kind == "inclusion" and status == "not_met") or (kind == "exclusion" and status == "met"):
            return "ineligible"
        if kind == "inclusion" and status == "insufficient_information":
            unknown_inclusion = True
    return "insufficient_information" if unknown_inclusion else "eligible"
