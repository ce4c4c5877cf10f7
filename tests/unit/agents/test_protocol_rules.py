"""The offline protocol processor end to end: PDF bytes (or page texts) in, ProtocolSummary out."""

from __future__ import annotations

from functools import cache

import pytest

from common.agents.protocol_processor.models import ProtocolSummary
from common.agents.protocol_processor.rules import STAGES, extract_summary, summarise_pages
from common.evaluation import score_criteria, token_overlap
from common.pdf.errors import EmptyDocument, NotAPdf
from common.protocols.phase import normalise_phase
from tests.support.shared_data import protocol_gold, protocol_pdf

PROTOCOLS = ["CDISC_Pilot_Study", "EliLilly_NCT03421379_Diabetes"]


@cache
def _summary(name: str) -> tuple[ProtocolSummary, tuple[tuple[str, float], ...]]:
    stages: list[tuple[str, float]] = []
    summary = extract_summary(protocol_pdf(name), on_stage=lambda stage, seconds: stages.append((stage, seconds)))
    return summary, tuple(stages)


@pytest.mark.parametrize("name", PROTOCOLS)
def test_summary_of_a_real_protocol(name: str) -> None:
    summary, stages = _summary(name)
    gold = protocol_gold(name)
    assert summary.method == "rules"
    assert summary.page_count in {73, 97}
    assert [stage for stage, _ in stages] == list(STAGES)
    assert all(seconds >= 0 for _, seconds in stages)
    assert sum(seconds for _, seconds in stages) < 10
    assert summary.title is not None
    assert token_overlap(summary.title, gold["titles"]["Official Study Title"]) > 0.9
    for kind in ("inclusion", "exclusion"):
        predicted = summary.inclusion_criteria if kind == "inclusion" else summary.exclusion_criteria
        score = score_criteria([c.text for c in predicted], [c["text"] for c in gold["eligibility_criteria"][kind]])
        assert min(score.recall, score.precision) >= 0.95
        assert all(1 <= c.page <= summary.page_count for c in predicted)
    kinds = {s.kind for s in summary.sections}
    assert {
        "inclusion",
        "exclusion",
        "eligibility",
        "objectives_endpoints",
        "schedule_of_activities",
    } <= kinds
    assert all(s.start_page <= s.end_page <= summary.page_count for s in summary.sections)
    ProtocolSummary.model_validate(summary.model_dump())  # round-trips through its own schema


@pytest.mark.parametrize("name", PROTOCOLS)
def test_objectives_match_the_reference(name: str) -> None:
    summary, _ = _summary(name)
    gold = protocol_gold(name)["objectives"]
    score = score_criteria([o.text for o in summary.objectives], [o["text"] for o in gold])
    assert score.recall >= 0.8 and score.precision >= 0.8
    primary = [o for o in summary.objectives if o.level == "primary"]
    assert primary and token_overlap(primary[0].text, gold[0]["text"]) > 0.6


def test_phase_and_endpoints_when_printed() -> None:
    summary, _ = _summary("EliLilly_NCT03421379_Diabetes")
    gold = protocol_gold("EliLilly_NCT03421379_Diabetes")
    assert summary.phase == normalise_phase(gold["phase"]) == "Phase 3"
    primary = score_criteria(summary.endpoints.primary, gold["endpoints"]["Primary Endpoint"])
    secondary = score_criteria(summary.endpoints.secondary, gold["endpoints"]["Secondary Endpoint"])
    assert (primary.recall, primary.precision, secondary.recall, secondary.precision) == (1.0, 1.0, 1.0, 1.0)


def test_no_phase_is_invented() -> None:
    summary, _ = _summary("CDISC_Pilot_Study")
    # The protocol never prints its phase; a guess would be worse than nothing.
    assert summary.phase is None


def test_arms_listed_in_the_design() -> None:
    summary, _ = _summary("CDISC_Pilot_Study")
    gold = [a["name"] for a in protocol_gold("CDISC_Pilot_Study")["arms"]]
    score = score_criteria([a.name for a in summary.arms], gold)
    assert score.recall == 1.0 and score.precision == 1.0


@pytest.mark.parametrize(
    ("text", "phase"),
    [
        ("A Phase 3 Study of X", "Phase 3"),
        ("A PHASE II, RANDOMIZED TRIAL", "Phase 2"),
        ("Phase IIb dose-finding", "Phase 2b"),
        ("a phase 1/2 study", "Phase 1/2"),
        ("Phase I-II", "Phase 1/2"),
        ("Study Phase: 4", "Phase 4"),
        ("the open-label extension phase", None),
        ("Korotkoff sounds (phase V)", None),
        ("during the treatment phase in", None),
    ],
)
def test_normalise_phase(text: str, phase: str | None) -> None:
    assert normalise_phase(text) == phase


def test_summarise_pages_without_a_pdf() -> None:
    pages = [
        "A Phase 2, Randomized Study of Drug X in Adults with Asthma\nSponsor: Example",
        ("1. Synopsis\nShort summary.\n2. Eligibility\n2.1. Inclusion Criteria\n1. Adults.\n2. Asthma for 1 year."),
        "2.2. Exclusion Criteria\n1. Smokers.\n3. Treatments\nDrug X.",
    ]
    stages: list[str] = []
    summary = summarise_pages(pages, on_stage=lambda stage, _: stages.append(stage))
    assert stages == list(STAGES)
    assert summary.title == "A Phase 2, Randomized Study of Drug X in Adults with Asthma"
    assert summary.phase == "Phase 2"
    assert [(c.id, c.text, c.page) for c in summary.inclusion_criteria] == [
        ("1", "Adults.", 2),
        ("2", "Asthma for 1 year.", 2),
    ]
    assert [(c.id, c.page) for c in summary.exclusion_criteria] == [("1", 3)]
    assert summary.page_count == 3


def test_document_errors_propagate() -> None:
    with pytest.raises(EmptyDocument):
        extract_summary(b"")
    with pytest.raises(NotAPdf):
        extract_summary(b"not a pdf at all")
