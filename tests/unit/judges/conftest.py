from __future__ import annotations

from functools import cache

from common.agents.protocol_processor.models import ProtocolProcessorInput, ProtocolSummary
from common.agents.protocol_processor.rules import extract_summary_and_pages
from common.judges.base import Subject
from tests.support.shared_data import protocol_pdf

PROTOCOLS = ["CDISC_Pilot_Study", "EliLilly_NCT03421379_Diabetes"]


@cache
def protocol_output(name: str) -> tuple[ProtocolSummary, tuple[str, ...]]:
    """The rules extractor's real output on a shared protocol, and the page texts it read."""
    return extract_summary_and_pages(protocol_pdf(name))


def protocol_subject(name: str, summary: ProtocolSummary | None = None) -> Subject:
    real, pages = protocol_output(name)
    return Subject(ProtocolProcessorInput(file_uri="gs://b/tenants/acme/p.pdf"), summary or real, pages)
