"""Input and output models of the protocol processor agent.

The output, :class:`ProtocolSummary`, is what a clinical-operations team needs from a
clinical-trial protocol: its identity (title, phase), its design (arms, objectives, endpoints,
planned enrolment), who may enter (inclusion and exclusion criteria, each with the page it
starts on), what happens at each visit (the schedule of activities) and where the key sections
sit (page ranges), so a reviewer can jump to the source.

Names follow TransCelerate's Unified Study Definitions Model (USDM) where it has one: an
encounter is a visit (``Encounter``), an activity a procedure done at visits (``Activity``), the
planned enrolment ``plannedEnrollmentNumber``. Fields added since the first version are optional
with empty defaults, so older results still parse and older readers can ignore them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from common.boundary.input_limits import MAX_FILE_URI_CHARS
from common.protocols.section_kinds import SectionKind

__all__ = [
    "Activity",
    "Arm",
    "Criterion",
    "Encounter",
    "Endpoints",
    "Objective",
    "ProtocolProcessorInput",
    "ProtocolSummary",
    "ScheduleOfActivities",
    "SectionKind",
    "SectionRef",
]


class ProtocolProcessorInput(BaseModel):
    """What the protocol processor reads.

    Attributes:
        file_uri: ``gs://BUCKET/tenants/{tenant_id}/...`` URI of a protocol PDF. It must lie
            inside the caller's tenant prefix.
        generation: Optional object generation to read, so a later overwrite of the same name
            cannot change what this job reads.
    """

    model_config = ConfigDict(extra="forbid")

    file_uri: str = Field(
        pattern=r"^gs://[a-z0-9._-]+/.+",
        max_length=MAX_FILE_URI_CHARS,
        examples=["gs://agentjobs-dev/tenants/acme/inbox/p.pdf"],
    )
    generation: int | None = Field(
        default=None,
        ge=1,
        le=2**63 - 1,
        description="Object generation to read; pins the exact upload of a GCS drop.",
    )


class Criterion(BaseModel):
    """One inclusion or exclusion criterion, sub-items folded into its text.

    Attributes:
        id: The label the protocol gives it (``"16b"``, ``"3"``), or ``"I4"``/``"E2"`` when the
            list is unnumbered (bullets).
        text: The criterion's full text, whitespace normalised.
        page: 1-based PDF page on which the criterion starts.
    """

    id: str
    text: str
    page: int = Field(ge=1)


class Arm(BaseModel):
    """A study arm (treatment group), or a treatment sequence of a crossover study.

    Attributes:
        name: The arm's name as printed; for a crossover sequence, its treatments in period
            order joined by ``"-"`` (``"LY900018-IMG"``).
        description: A short description (dose, regimen), if printed.
        sequence: For a crossover sequence, the treatments in period order; empty for a
            parallel arm.
    """

    name: str
    description: str | None = None
    sequence: list[str] = Field(default_factory=list[str])


class Objective(BaseModel):
    """A study objective, its level and, when the protocol pairs them, its endpoints.

    Attributes:
        level: ``primary``, ``secondary``, ``exploratory`` or ``other``.
        text: The objective as printed.
        endpoints: The endpoints printed beside it (an *Objectives | Endpoints* table row);
            empty when the protocol does not pair them.
    """

    level: Literal["primary", "secondary", "exploratory", "other"]
    text: str
    endpoints: list[str] = Field(default_factory=list[str])


class Endpoints(BaseModel):
    """Endpoints (outcome measures) by level, as listed in the protocol."""

    primary: list[str] = Field(default_factory=list[str])
    secondary: list[str] = Field(default_factory=list[str])
    exploratory: list[str] = Field(default_factory=list[str])


class Encounter(BaseModel):
    """A visit of the schedule of activities (USDM ``Encounter``), in schedule order.

    Attributes:
        name: The visit as the schedule heads its column: group and column header joined
            (``"Period 1, Day -1"``), or a visit label with its number (``"Visit 3"``).
        timing: When it happens, as printed (``"Week 2"``, ``"Days -28 to -2"``), if printed.
        window: The allowed window, as printed (``"±3 days"``), if printed.
    """

    name: str
    timing: str | None = None
    window: str | None = None


class Activity(BaseModel):
    """A row of the schedule of activities (USDM ``Activity``).

    Attributes:
        name: The activity as printed (wrapped lines joined, footnote markers removed).
        encounters: Names of the encounters at which it is performed, in schedule order.
        footnotes: Footnote markers printed in the row (``"a"`` for ``Xa``), if any.
    """

    name: str
    encounters: list[str] = Field(default_factory=list[str])
    footnotes: list[str] = Field(default_factory=list[str])


class ScheduleOfActivities(BaseModel):
    """The main schedule of activities: which visits exist and what happens at each.

    Attributes:
        encounters: The visits, in schedule order.
        activities: The activities, in printed order, each with its encounters.
        pages: 1-based pages the schedule was read from.
    """

    encounters: list[Encounter] = Field(default_factory=list[Encounter])
    activities: list[Activity] = Field(default_factory=list[Activity])
    pages: list[int] = Field(default_factory=list[int])


class SectionRef(BaseModel):
    """Where a key section sits in the document.

    Attributes:
        kind: The canonical section this heading was recognised as.
        title: The heading as printed, without its number.
        number: The heading number (``"6.1"``), if any.
        start_page: 1-based PDF page of the heading.
        end_page: 1-based PDF page on which the section ends (inclusive).
    """

    kind: SectionKind
    title: str
    number: str | None = None
    start_page: int = Field(ge=1)
    end_page: int = Field(ge=1)


class ProtocolSummary(BaseModel):
    """Structured summary of a clinical-trial protocol.

    Attributes:
        title: Official title, if found.
        phase: Trial phase, normalised (arabic numerals, sub-phase kept: ``"Phase 2b"``,
            ``"Phase 1/2"``), if found.
        phase_as_written: The phase as printed (``"Phase IIb"``), if found.
        arms: Study arms (crossover sequences for a crossover study), if found.
        objectives: Objectives with their level.
        endpoints: Primary, secondary and exploratory endpoints.
        planned_enrollment: Participants the protocol plans to enrol, when it states it (USDM
            ``plannedEnrollmentNumber``).
        schedule_of_activities: The main schedule of activities, when one was read.
        inclusion_criteria: Inclusion criteria in document order.
        exclusion_criteria: Exclusion criteria in document order.
        sections: Key sections with page ranges.
        method: ``"rules"`` for the offline extractor, ``"llm:<provider/model>"`` for model mode.
        page_count: Number of pages in the PDF.
    """

    title: str | None = None
    phase: str | None = None
    phase_as_written: str | None = None
    arms: list[Arm] = Field(default_factory=list[Arm])
    objectives: list[Objective] = Field(default_factory=list[Objective])
    endpoints: Endpoints = Field(default_factory=Endpoints)
    inclusion_criteria: list[Criterion] = Field(default_factory=list[Criterion])
    exclusion_criteria: list[Criterion] = Field(default_factory=list[Criterion])
    planned_enrollment: int | None = Field(default=None, ge=1)
    schedule_of_activities: ScheduleOfActivities | None = None
    sections: list[SectionRef] = Field(default_factory=list[SectionRef])
    method: str = "rules"
    page_count: int = Field(default=0, ge=0)
