"""Second-generation fields on generated PDFs: schedule of activities, objectives | endpoints tables,
footnotes, sub-headings, a cover without text, phase, crossover arms and planned enrolment.

The layouts live in :mod:`tests.unit.protocols.test_generated_protocols` (``LAYOUTS``), where
their criteria are also checked like every other layout's. Expectations come from the layout
descriptions, never from the extractor.
"""

from __future__ import annotations

from common.agents.protocol_processor.models import ProtocolSummary
from common.pdf.layout import document_from_pdf
from common.pdf.text import open_pdf
from tests.unit.protocols.test_generated_protocols import (
    AGE,
    SOA_ACTIVITIES,
    SOA_ENCOUNTERS,
    _rendered,
    _summary,
)

SECOND = "second-generation-tables-footnotes-cover"
UNRULED = "unruled-schedule-outcome-measures"


def _expected_encounters(marks: str) -> list[str]:
    return [SOA_ENCOUNTERS[k][0] for k, m in enumerate(marks) if m != "."]


def test_schedule_over_two_pages_with_group_headers_and_footnote_markers() -> None:
    summary: ProtocolSummary = _summary(SECOND)
    soa = summary.schedule_of_activities
    assert soa is not None
    assert [(e.name, e.timing) for e in soa.encounters] == list(SOA_ENCOUNTERS)
    assert len(soa.pages) >= 2  # the table runs over pages, its header repeated
    by_name = {a.name: a for a in soa.activities}
    for name, marks in SOA_ACTIVITIES:
        assert by_name[name].encounters == _expected_encounters(marks), name
        assert by_name[f"{name} (part 2)"].encounters == _expected_encounters(marks), name
    assert by_name["Pregnancy test"].footnotes == ["a"]
    assert all(not a.footnotes for n, a in by_name.items() if not n.startswith("Pregnancy"))
    assert "Comments" not in {e.name for e in soa.encounters}
    assert len(soa.activities) == 2 * len(SOA_ACTIVITIES)


def test_unruled_schedule_with_visit_and_week_rows() -> None:
    soa = _summary(UNRULED).schedule_of_activities
    assert soa is not None
    assert [(e.name, e.timing) for e in soa.encounters] == [
        ("Visit 1", "Week -2"),
        ("Visit 2", "Week 0"),
        ("Visit 3", "Week 4"),
        ("Visit 4", "Week 8"),
        ("Visit 5", "Week 12"),
        ("Visit 6", "Week 16"),
    ]
    labs = next(a for a in soa.activities if a.name == "Laboratory tests")
    assert labs.encounters == ["Visit 1", "Visit 3", "Visit 5", "Visit 6"]
    assert labs.footnotes == ["b"]


def test_objectives_and_endpoints_from_the_table_with_levels_and_pairs() -> None:
    for name in (SECOND, UNRULED):  # "Endpoints" and "Outcome Measures" headers
        summary = _summary(name)
        assert [(o.level, o.text) for o in summary.objectives] == [
            ("primary", "To evaluate the effect of Drug Z on glycemic control"),
            ("secondary", "To assess the effect of Drug Z on body weight"),
            ("secondary", "To assess the safety and tolerability of Drug Z"),
            ("exploratory", "To explore patient-reported treatment satisfaction"),
        ], name
        assert summary.objectives[0].endpoints == ["Change from baseline in HbA1c at Week 26"]
        assert summary.endpoints.primary == ["Change from baseline in HbA1c at Week 26"]
        assert summary.endpoints.secondary == [
            "Change from baseline in body weight at Week 26",
            "Incidence of treatment-emergent adverse events",
        ]
        assert summary.endpoints.exploratory == ["Change from baseline in the DTSQ total score"]


def test_footnote_at_the_page_foot_is_not_in_the_criterion_nor_its_number() -> None:
    summary = _summary(SECOND)
    assert summary.inclusion_criteria[0].text == AGE.text
    assert not any("Local regulations" in c.text for c in summary.inclusion_criteria)
    with open_pdf(_rendered(SECOND).pdf) as pdf:
        doc = document_from_pdf(pdf)
    assert any(line.text.startswith("1 Local regulations may set a higher minimum age") for line in doc.footnotes)
    assert not any("Local regulations" in line.text for line in doc.lines)


def test_sub_headings_inside_the_list_are_not_glued_to_the_previous_criterion() -> None:
    texts = [c.text for c in _summary(SECOND).exclusion_criteria]
    assert not any("Treatment-Related" in t or "Observed at Visit 2" in t for t in texts)


def test_title_from_the_first_page_with_text_when_page_one_is_an_image() -> None:
    rendered = _rendered(SECOND)
    with open_pdf(rendered.pdf) as pdf:
        assert not pdf.pages[0].strip()  # the cover has no text layer
    assert _summary(SECOND).title == (
        "A Phase 2b, Randomized, Open-label, Two-period Crossover Study of Drug Z Versus Drug Y in Adults "
        "With Type 2 Diabetes"
    )


def test_phase_as_written_and_normalised() -> None:
    second, unruled = _summary(SECOND), _summary(UNRULED)
    assert (second.phase, second.phase_as_written) == ("Phase 2b", "Phase 2b")
    assert (unruled.phase, unruled.phase_as_written) == ("Phase 1/2", "Phase I/II")


def test_crossover_sequences_are_the_arms_and_enrolment_is_read() -> None:
    summary = _summary(SECOND)
    assert [(a.name, a.sequence) for a in summary.arms] == [
        ("Drug Z-Drug Y", ["Drug Z", "Drug Y"]),
        ("Drug Y-Drug Z", ["Drug Y", "Drug Z"]),
    ]
    assert summary.planned_enrollment == 120
    assert _summary(UNRULED).planned_enrollment == 48
