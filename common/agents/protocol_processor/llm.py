"""The protocol processor's model mode: only the selected pages go to the model (``method: "llm:<model>"``).

Stages, each reported to ``ctx.record_stage(name, seconds)`` when it finishes:

* ``extract_text``: PDF text per page and outline, running headers and footers removed;
* ``locate_sections``: the key sections and their pages (the same locator as the rules);
* ``select_pages`` (or ``select_first_pages`` when no criteria section was located and the
  selection fell back to the document's first pages): the pages to send, see
  :mod:`common.agents.protocol_processor.page_selection`;
* ``extract_with_model``: one structured-output call (two when the first answer is invalid).

The model extracts the whole summary from the selected pages: title, phase, arms, objectives,
endpoints and the inclusion and exclusion criteria with the page each starts on. Nothing comes
from the rules extractor; only ``sections`` (the locator's) and ``page_count`` (the PDF's) are
filled in by code. A criterion page that was not sent is rejected and asked for again
(:func:`common.agents.protocol_processor.prompt.check_answer`).

Cost: ``Usage.input_tokens`` / ``output_tokens`` / ``calls`` are the provider's counts summed over
calls; ``Usage.document_tokens`` is the estimated tokens of the whole document's text
(``ceil(chars / 4)``, :func:`~common.agents.protocol_processor.page_selection.estimate_tokens`), so
the saving of sending only the selected pages can be read off the job. The selection's numbers
(pages, estimated tokens selected and whole) are also logged as ``protocol.pages_selected``
(counts only, never text).

Known limit: the criteria are asked for verbatim, so the answer is long (about as many tokens as
the criteria pages). A model whose output limit is smaller truncates its JSON, which fails to parse
twice and ends as ``model_output_invalid``.

The model adapter (mirascope and a provider SDK) is imported only when no ``model_factory`` is
given, inside :func:`summarise_with_model`.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from contextlib import contextmanager

from common.agents.base import AgentContext, AgentResult
from common.agents.protocol_processor.models import SectionRef
from common.agents.protocol_processor.page_selection import (
    DEFAULT_MAX_PAGES,
    DEFAULT_MAX_TOKENS,
    format_pages,
    page_texts,
    select_pages,
)
from common.agents.protocol_processor.prompt import (
    SYSTEM_PROMPT,
    SummaryAnswer,
    build_prompt,
    check_answer,
    to_summary,
)
from common.llm.default import ModelFactory, default_model
from common.pdf.layout import document_from_pdf
from common.pdf.text import DEFAULT_MAX_BYTES, read_pdf
from common.protocols.sections import locate_sections
from common.telemetry.log import log

__all__ = ["METHOD_PREFIX", "ModelFactory", "summarise_with_model"]

METHOD_PREFIX = "llm:"
"""``ProtocolSummary.method`` in model mode is ``"llm:" + ctx.model``."""


@contextmanager
def _stage(ctx: AgentContext, name: str) -> Generator[None]:
    started = time.perf_counter()
    yield
    ctx.record_stage(name, time.perf_counter() - started)


def summarise_with_model(
    data: bytes,
    ctx: AgentContext,
    *,
    model_factory: ModelFactory | None = None,
    max_pages: int = DEFAULT_MAX_PAGES,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> AgentResult:
    """Summarise a protocol PDF with ``ctx.model``, sending it only the selected pages.

    Args:
        data: The PDF's bytes.
        ctx: The job's context; ``ctx.model`` (``provider/model``, non-empty) is the model to ask.
        model_factory: Builds the :class:`~common.llm.port.StructuredModel`. Default: the
            mirascope adapter from ``Settings.from_env()`` (``AGENTJOBS_MODEL_BASE_URL``,
            ``AGENTJOBS_MODEL_API_KEY``, ``AGENTJOBS_MODEL_TIMEOUT_SECONDS``), built per call.
            Tests inject one pointed at a scripted server.
        max_pages: Most pages sent (see
            :data:`~common.agents.protocol_processor.page_selection.DEFAULT_MAX_PAGES`).
        max_tokens: Most estimated tokens of page text sent (see
            :data:`~common.agents.protocol_processor.page_selection.DEFAULT_MAX_TOKENS`).
        max_bytes: Largest accepted PDF, in bytes.

    Returns:
        ``AgentResult(output=ProtocolSummary(method="llm:<model>", ...), model=ctx.model,
        usage=Usage(input_tokens, output_tokens, document_tokens, calls))``; input and output
        tokens are the provider's counts summed over calls, ``document_tokens`` the estimate for
        the whole document.

    Raises:
        DocumentError: A :class:`~common.errors.PermanentError` from
            :mod:`common.pdf.errors` when the PDF is empty, too large, not a PDF, corrupt,
            encrypted or has no text layer.
        PermanentError: ``model_output_invalid`` when the answer twice failed the schema or
            named a criterion page that was not sent; ``model_auth_failed``,
            ``model_not_found``, ``model_request_rejected``, ``model_provider_unavailable``.
        TransientError: ``model_rate_limited`` (HTTP 429), ``model_unavailable``, ``model_timeout``.
        ValueError: ``ctx.model`` is empty (the agent calls this only with a model), or a cap
            is below 1.
    """
    if not ctx.model:
        raise ValueError("summarise_with_model needs ctx.model")
    with _stage(ctx, "extract_text"):
        pdf = read_pdf(data, max_bytes=max_bytes)
        doc = document_from_pdf(pdf)
    with _stage(ctx, "locate_sections"):
        sections = locate_sections(doc)
    started = time.perf_counter()
    selection = select_pages(doc, sections, max_pages=max_pages, max_tokens=max_tokens)
    stage = "select_pages" if selection.strategy == "sections" else "select_first_pages"
    ctx.record_stage(stage, time.perf_counter() - started)
    log(
        "protocol.pages_selected",
        job_id=ctx.job_id,
        strategy=selection.strategy,
        pages=format_pages(selection.pages),
        pages_selected=len(selection.pages),
        page_count=selection.page_count,
        selected_tokens=selection.selected_tokens,
        document_tokens=selection.document_tokens,
        truncated=selection.truncated,
    )

    model = (model_factory or default_model)()
    with _stage(ctx, "extract_with_model"):
        generation = model.generate(
            model=ctx.model,
            system=SYSTEM_PROMPT,
            prompt=build_prompt(page_texts(doc), selection),
            output=SummaryAnswer,
            check=check_answer(selection.pages),
        )
    summary = to_summary(
        generation.output,
        sections=[
            SectionRef(kind=s.kind, title=s.title, number=s.number, start_page=s.start_page, end_page=s.end_page)
            for s in sections
        ],
        page_count=doc.page_count,
        method=METHOD_PREFIX + ctx.model,
    )
    return AgentResult(
        output=summary,
        model=ctx.model,
        usage=generation.usage(document_tokens=selection.document_tokens),
        source_pages=page_texts(doc),
    )
