"""Deterministic judges of the criteria evaluator's output: checks against the input. Pure.

* ``evidence_quotes_profile``: every evidence index points at a sentence of the patient profile,
  and every passage the explanation quotes (between quotation marks, three words or more) is
  found in the profile (:mod:`common.judges.grounding`, numbers exact). Evidence the note does
  not contain fails.
* ``one_status_per_criterion``: the output has exactly one assessment per input criterion, in
  input order, with the criterion's type and text.
* ``verdict_follows_rule``: the verdict is the one the rule gives for the statuses
  (:func:`common.agents.criteria_evaluator.verdict.verdict`).
* ``status_has_evidence``: a ``met`` or ``not_met`` status cites at least one sentence. An
  exclusion criterion's ``not_met`` is exempt: it states that the note does not show the
  excluding condition, which is the rule's presumption (and the physicians' labels in the
  TrialGPT annotations give it without evidence).

Reasons name criteria by their 0-based index (``C3``) and sentences by index, never by text.
"""

from __future__ import annotations

import re

from common.agents.criteria_evaluator.models import CriteriaEvaluation, CriteriaEvaluatorInput
from common.agents.criteria_evaluator.verdict import verdict
from common.judges.base import Check, JudgeSpec, Subject, ids, share
from common.judges.grounding import compact, grounding, numbers

__all__ = [
    "GROUNDED",
    "JUDGES",
    "evidence_quotes_profile",
    "one_status_per_criterion",
    "quoted_passages",
    "status_has_evidence",
    "verdict_follows_rule",
]

GROUNDED = 0.9
"""Least share of a quoted passage's characters found in the profile."""

_QUOTED = re.compile(r"[\"“”«»„]([^\"“”«»„]{3,}?)[\"“”«»„]")
_MIN_QUOTE_WORDS = 3


def _pair(subject: Subject) -> tuple[CriteriaEvaluatorInput, CriteriaEvaluation]:
    request = subject.input
    if not isinstance(request, CriteriaEvaluatorInput):
        request = CriteriaEvaluatorInput.model_validate(request.model_dump())
    out = subject.output
    if not isinstance(out, CriteriaEvaluation):
        out = CriteriaEvaluation.model_validate(out.model_dump())
    return request, out


def quoted_passages(text: str) -> list[str]:
    """Passages of ``text`` between quotation marks with at least three words."""
    return [q for q in _QUOTED.findall(text) if len(q.split()) >= _MIN_QUOTE_WORDS]


def evidence_quotes_profile(subject: Subject) -> Check:
    """Evidence indexes exist and quoted passages are in the profile (see the module docstring)."""
    request, out = _pair(subject)
    profile = request.patient_profile
    note = "\n".join(profile)  # a quote may start anywhere in the note
    packed, note_numbers = [compact(note)], [numbers(note)]
    bad: list[str] = []
    for i, a in enumerate(out.criteria):
        if any(not 0 <= n < len(profile) for n in a.evidence):
            bad.append(f"C{i}")
            continue
        quotes = quoted_passages(a.explanation)
        if any(
            not grounding(q, [note], compacted=packed, source_numbers=note_numbers).grounded(GROUNDED) for q in quotes
        ):
            bad.append(f"C{i}")
    score = share(len(out.criteria) - len(bad), len(out.criteria))
    if bad:
        return Check(False, score, "evidence_not_in_profile", f"evidence not in the patient profile: {ids(bad)}")
    return Check(True, score, "ok", f"evidence of {len(out.criteria)} criteria found in the profile")


def one_status_per_criterion(subject: Subject) -> Check:
    """One assessment per input criterion, in order, same type and text (see the module docstring)."""
    request, out = _pair(subject)
    criteria = request.criteria_items()
    bad: list[str] = []
    for i, criterion in enumerate(criteria):
        if i >= len(out.criteria):
            bad.append(f"C{i} missing")
            continue
        a = out.criteria[i]
        if a.type != criterion.type or compact(a.criterion) != compact(criterion.text):
            bad.append(f"C{i} mismatched")
    extra = len(out.criteria) - len(criteria)
    if extra > 0:
        bad.append(f"{extra} extra")
    score = share(len(criteria) - len([b for b in bad if b.startswith("C")]), len(criteria))
    if extra > 0:
        score *= len(criteria) / len(out.criteria)
    if bad:
        return Check(False, score, "status_count_mismatch", f"not one status per criterion: {ids(bad)}")
    return Check(True, score, "ok", f"{len(criteria)} criteria, one status each")


def verdict_follows_rule(subject: Subject) -> Check:
    """The verdict equals the rule applied to the statuses."""
    _, out = _pair(subject)
    expected = verdict((a.type, a.status) for a in out.criteria)
    if out.verdict != expected:
        return Check(False, 0.0, "verdict_mismatch", f"verdict {out.verdict}, the statuses give {expected}")
    return Check(True, 1.0, "ok", f"verdict {expected} follows from the statuses")


def status_has_evidence(subject: Subject) -> Check:
    """Every ``met``/``not_met`` cites evidence, but an exclusion's ``not_met`` (see the module docstring)."""
    _, out = _pair(subject)
    needing = [
        i for i, a in enumerate(out.criteria) if a.status == "met" or (a.status == "not_met" and a.type == "inclusion")
    ]
    bad = [f"C{i}" for i in needing if not out.criteria[i].evidence]
    score = share(len(needing) - len(bad), len(needing))
    if bad:
        return Check(False, score, "status_without_evidence", f"met/not_met without evidence: {ids(bad)}")
    return Check(True, score, "ok", f"{len(needing)} decisive statuses, each with evidence")


JUDGES: tuple[JudgeSpec, ...] = (
    JudgeSpec("evidence_quotes_profile", "1", evidence_quotes_profile),
    JudgeSpec("one_status_per_criterion", "1", one_status_per_criterion),
    JudgeSpec("verdict_follows_rule", "1", verdict_follows_rule),
    JudgeSpec("status_has_evidence", "1", status_has_evidence),
)
"""The criteria evaluator's deterministic judges, in the order they run."""
