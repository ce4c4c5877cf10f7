"""Input and output models of the protocol processor agent.

The output, :class:`ProtocolSummary`, is what a clinical-operations team needs from a
clinical-trial protocol: its identity (title, phase), its design (arms, objectives, endpoints),
who may enter (inclusion and exclusion criteria, each with the page it starts on) and where the
key sections sit (page ranges), so a reviewer can jump to the source.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from common.documents.section_kinds import SectionKind

__all__ = [
    "Arm",
    "Criterion",
    "Endpoints",
    "Objective",
    "ProtocolProcessorInput",
    "ProtocolSummary",
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

    file_uri: str = Field(pattern=r"^gs://[a-z0-9._-]+/.+", examples=["gs://agentjobs-dev/tenants/acme/inbox/p.pdf"])
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
    """A study arm (treatment group)."""

    name: str
    description: str | None = None


class Objective(BaseModel):
    """A study objective and its level."""

    level: Literal["primary", "secondary", "exploratory", "other"]
    text: str


class Endpoints(BaseModel):
    """Primary and secondary endpoints, as listed in the protocol."""

    primary: list[str] = Field(default_factory=list[str])
    secondary: list[str] = Field(default_factory=list[str])


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
        phase: Trial phase as printed, normalised to e.g. ``"Phase 2"``, if found.
        arms: Study arms, if found.
        objectives: Objectives with their level.
        endpoints: Primary and secondary endpoints.
        inclusion_criteria: Inclusion criteria in document order.
        exclusion_criteria: Exclusion criteria in document order.
        sections: Key sections with page ranges.
        method: ``"rules"`` for the offline extractor, ``"llm:<provider/model>"`` for model mode.
        page_count: Number of pages in the PDF.
    """

    title: str | None = None
    phase: str | None = None
    arms: list[Arm] = Field(default_factory=list[Arm])
    objectives: list[Objective] = Field(default_factory=list[Objective])
    endpoints: Endpoints = Field(default_factory=Endpoints)
    inclusion_criteria: list[Criterion] = Field(default_factory=list[Criterion])
    exclusion_criteria: list[Criterion] = Field(default_factory=list[Criterion])
    sections: list[SectionRef] = Field(default_factory=list[SectionRef])
    method: str = "rules"
    page_count: int = Field(default=0, ge=0)
