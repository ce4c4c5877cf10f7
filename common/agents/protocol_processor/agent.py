"""The protocol processor agent: a clinical-trial protocol PDF in, a :class:`ProtocolSummary` out.

With no model configured it runs the offline rules extractor (``method: "rules"``). With a model
it sends only the pages the section locator selected (``method: "llm:<model>"``); the model path
is imported only then, so offline runs never import an LLM SDK.
"""

from __future__ import annotations

from pydantic import BaseModel

from common.agents.base import AgentContext, AgentResult
from common.agents.protocol_processor.models import ProtocolProcessorInput, ProtocolSummary

__all__ = ["ProtocolProcessor"]


class ProtocolProcessor:
    """Implements :class:`common.agents.base.Agent` for ``protocol-processor``."""

    name = "protocol-processor"
    input_model: type[BaseModel] = ProtocolProcessorInput
    output_model: type[BaseModel] = ProtocolSummary

    def input_from_file(self, file_uri: str, generation: str) -> dict[str, object] | None:
        """A dropped PDF becomes ``{"file_uri", "generation"}``: the job reads exactly that upload."""
        return {"file_uri": file_uri, "generation": int(generation)}

    def run(self, payload: BaseModel, ctx: AgentContext) -> AgentResult:
        """Read the PDF named by ``payload.file_uri`` and summarise it.

        Raises:
            PermanentError: The file is empty, not a PDF, corrupt, encrypted, too large or has no
                text layer (codes from :mod:`common.pdf.errors`); or the model's output did
                not parse.
            Forbidden: The file lies outside the tenant's prefix.
            NotFound: The file does not exist.
            TransientError: Storage or the model is unavailable.
        """
        request = ProtocolProcessorInput.model_validate(payload.model_dump())
        data = ctx.read_document(request.file_uri, generation=request.generation)
        if ctx.model:
            from common.agents.protocol_processor.llm import summarise_with_model

            return summarise_with_model(data, ctx)
        from common.agents.protocol_processor.rules import extract_summary_and_pages

        summary, pages = extract_summary_and_pages(data, on_stage=ctx.record_stage)
        return AgentResult(output=summary, source_pages=pages)
