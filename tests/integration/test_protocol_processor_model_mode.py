"""The protocol processor's model mode end to end in process, on the two real protocols.

Agent -> page selection -> mirascope adapter -> real openai client -> HTTP -> scripted server. The
script plays a model that reads only what it is sent: it parses the bracketed criteria
(``[12] ...``) under the ``=== page N ===`` markers of the prompt it receives and answers with
them, each on the page of the marker it sits under. Nothing expected is hard-coded: the tests
compare the job's output with what the script derived from the request, and with the offline
rules extractor run independently on the whole PDF.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pytest

from common.agents.protocol_processor.agent import ProtocolProcessor
from common.agents.protocol_processor.llm import summarise_with_model
from common.agents.protocol_processor.models import ProtocolProcessorInput, ProtocolSummary
from common.agents.protocol_processor.page_selection import PageSelection, page_texts, select_pages
from common.agents.protocol_processor.rules import extract_summary
from common.errors import PermanentError, TransientError
from common.llm.mirascope_adapter import MirascopeModel
from common.pdf.layout import document_from_pdf
from common.pdf.text import read_pdf
from common.protocols.phase import normalise_phase
from tests.support.scripted_llm import (
    Answer,
    Garbage,
    HttpError,
    Json,
    ScriptedLLM,
    ScriptedRequest,
    sequence,
)
from tests.support.shared_data import protocol_pdf

PROTOCOLS = ["CDISC_Pilot_Study", "EliLilly_NCT03421379_Diabetes"]
# Chat Completions (tool-mode structured output), Chat Completions (JSON schema), Responses API.
MODELS = ["ollama/llama3.1:8b", "openai/gpt-4o-mini:completions", "openai/gpt-4o-mini"]

MARKER = re.compile(r"^=== page (\d+) ===$", re.MULTILINE)
CRITERIA_HEADING = re.compile(r"^(?:\d+(?:\.\d+)*\.?\s+)?(Inclusion|Exclusion) Criteria$")
NUMBERED_HEADING = re.compile(r"^\d+(?:\.\d+)+\.?\s+[A-Z]")
ITEM = re.compile(r"^\[(\d+[a-z]?)\]\s*(.*)$")
PHASE = re.compile(r"\bPhase\s+(\d|I{1,3}V?)\b")
END_OF_PAGES = "Return the summary."


@dataclass
class Context:
    model: str
    pdf: bytes = b""
    tenant_id: str = "acme"
    job_id: str = "job-1"
    stages: dict[str, float] = field(default_factory=dict[str, float])

    def read_document(self, uri: str, *, generation: int | None = None) -> bytes:
        assert uri.startswith("gs://agentjobs-dev/tenants/acme/")
        return self.pdf

    def record_stage(self, name: str, seconds: float) -> None:
        self.stages[name] = seconds


@dataclass(frozen=True)
class Protocol:
    name: str
    pdf: bytes
    texts: tuple[str, ...]
    selection: PageSelection
    rules: ProtocolSummary


@cache
def protocol(name: str) -> Protocol:
    data = protocol_pdf(name)
    pdf = read_pdf(data)
    doc = document_from_pdf(pdf)
    return Protocol(name, data, page_texts(doc), select_pages(doc), extract_summary(data))


def page_blocks(prompt: str) -> list[tuple[int, list[str]]]:
    """The ``(page, lines)`` under each marker of a prompt, in order."""
    body = prompt.split(END_OF_PAGES, 1)[0]
    markers = list(MARKER.finditer(body))
    blocks: list[tuple[int, list[str]]] = []
    for i, marker in enumerate(markers):
        end = markers[i + 1].start() if i + 1 < len(markers) else len(body)
        lines = [line for line in body[marker.end() : end].splitlines() if line.strip()]
        blocks.append((int(marker.group(1)), lines))
    return blocks


def read_summary(prompt: str) -> dict[str, Any]:
    """What a model reading only ``prompt`` could answer: criteria under their page markers."""
    criteria: dict[str, list[dict[str, Any]]] = {"inclusion": [], "exclusion": []}
    kind: str | None = None
    blocks = page_blocks(prompt)
    for page, lines in blocks:
        for line in lines:
            heading = CRITERIA_HEADING.match(line)
            if heading:
                kind = heading.group(1).lower()
            elif NUMBERED_HEADING.match(line):
                kind = None
            elif kind and (item := ITEM.match(line)):
                criteria[kind].append({"id": item.group(1), "text": item.group(2), "page": page})
            elif kind and criteria[kind]:
                criteria[kind][-1]["text"] += " " + line
    first_page = " ".join(blocks[0][1]) if blocks else ""
    phase = PHASE.search("\n".join(line for _, lines in blocks for line in lines))
    return {
        "title": first_page,
        "phase": phase.group(0) if phase else "",
        "arms": [],
        "objectives": [],
        "primary_endpoints": [],
        "secondary_endpoints": [],
        "inclusion_criteria": criteria["inclusion"],
        "exclusion_criteria": criteria["exclusion"],
    }


def reader(request: ScriptedRequest) -> Answer:
    return Json(read_summary(request.prompt))


@pytest.fixture
def server() -> Iterator[ScriptedLLM]:
    with ScriptedLLM(lambda _: HttpError(500, "no script set")) as s:
        yield s


def factory(server: ScriptedLLM) -> Any:
    return lambda: MirascopeModel(base_url=server.base_url, api_key="sk-test", timeout_seconds=10)


def assert_only_selected_pages_sent(prompt: str, p: Protocol) -> None:
    sent = [int(m) for m in MARKER.findall(prompt)]
    assert sent == list(p.selection.pages)
    selected_text = "\n".join(p.texts[page - 1] for page in p.selection.pages)
    unsent_pages = [n for n in range(1, len(p.texts) + 1) if n not in p.selection.pages]
    assert 50 in unsent_pages
    checked = 0
    for n in unsent_pages:
        for line in p.texts[n - 1].splitlines():
            if len(line) >= 30 and line not in selected_text:  # (a line quoted elsewhere is skipped)
                assert line not in prompt, f"text of page {n} was sent"
                checked += 1
    assert checked > 500  # the unsent pages really were looked at


@pytest.mark.parametrize("model_id", MODELS)
@pytest.mark.parametrize("name", PROTOCOLS)
def test_only_selected_pages_go_to_the_model_and_its_summary_comes_back(
    server: ScriptedLLM, name: str, model_id: str
) -> None:
    p = protocol(name)
    server.script = reader
    ctx = Context(model=model_id)
    result = summarise_with_model(p.pdf, ctx, model_factory=factory(server))

    assert len(server.requests) == 1
    request = server.requests[0]
    assert_only_selected_pages_sent(request.prompt, p)
    expected = read_summary(request.prompt)

    summary = result.output
    assert isinstance(summary, ProtocolSummary)
    assert summary.method == f"llm:{model_id}"
    assert result.model == model_id
    assert summary.page_count == len(p.texts)
    assert summary.sections == p.rules.sections  # from the locator, not the model
    assert summary.title == " ".join(expected["title"].split())
    assert summary.phase == normalise_phase(expected["phase"])
    for got, wanted in (
        (summary.inclusion_criteria, expected["inclusion_criteria"]),
        (summary.exclusion_criteria, expected["exclusion_criteria"]),
    ):
        assert [(c.id, c.page) for c in got] == [(w["id"], w["page"]) for w in wanted]
        assert [c.text for c in got] == [" ".join(w["text"].split()) for w in wanted]
        assert got and all(c.page in p.selection.pages for c in got)

    # Everything the rules extractor finds on the WHOLE document was on the pages sent, on
    # the same page.
    for from_rules, from_model in (
        (p.rules.inclusion_criteria, summary.inclusion_criteria),
        (p.rules.exclusion_criteria, summary.exclusion_criteria),
    ):
        pages_by_id = {c.id: c.page for c in from_model}
        assert {c.id: c.page for c in from_rules}.items() <= pages_by_id.items()

    usage = result.usage
    assert usage is not None
    assert usage.calls == 1
    assert usage.input_tokens > p.selection.selected_tokens > 0  # pages + system prompt + schema
    assert usage.output_tokens > 0
    assert usage.document_tokens is not None
    assert usage.document_tokens == p.selection.document_tokens
    assert usage.document_tokens > 2 * usage.input_tokens
    assert set(ctx.stages) == {"extract_text", "locate_sections", "select_pages", "extract_with_model"}


def test_the_agent_class_runs_model_mode_with_the_model_server_from_the_environment(
    server: ScriptedLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = protocol("EliLilly_NCT03421379_Diabetes")
    monkeypatch.setenv("AGENTJOBS_MODEL_BASE_URL", server.base_url)
    monkeypatch.setenv("AGENTJOBS_MODEL_API_KEY", "sk-env")
    server.script = reader
    ctx = Context(model="openai/gpt-4o-mini", pdf=p.pdf)
    payload = ProtocolProcessorInput(file_uri="gs://agentjobs-dev/tenants/acme/inbox/p.pdf", generation=3)
    result = ProtocolProcessor().run(payload, ctx)

    assert server.requests[0].authorization == "Bearer sk-env"
    assert server.models_asked() == ["gpt-4o-mini"]
    assert_only_selected_pages_sent(server.requests[0].prompt, p)
    summary = result.output
    assert isinstance(summary, ProtocolSummary)
    assert summary.method == "llm:openai/gpt-4o-mini"
    assert summary.phase == "Phase 3"  # printed in the title on page 1, which was sent
    assert len(summary.exclusion_criteria) >= len(p.rules.exclusion_criteria)
    assert result.usage is not None and result.usage.document_tokens == p.selection.document_tokens


def test_a_criterion_on_a_page_not_sent_is_asked_again(server: ScriptedLLM) -> None:
    p = protocol("CDISC_Pilot_Study")
    unsent = next(n for n in range(len(p.texts), 0, -1) if n not in p.selection.pages)

    def first_wrong(request: ScriptedRequest) -> Answer:
        answer = read_summary(request.prompt)
        if len(server.requests) == 1:
            answer["exclusion_criteria"][2]["page"] = unsent
        return Json(answer)

    server.script = first_wrong
    result = summarise_with_model(p.pdf, Context(model="ollama/llama3.1:8b"), model_factory=factory(server))
    assert result.usage is not None and result.usage.calls == 2
    assert len(server.requests) == 2
    correction = server.requests[1].prompt.split(END_OF_PAGES, 1)[1]
    assert f"exclusion_criteria[2].page is {unsent}" in correction
    summary = result.output
    assert isinstance(summary, ProtocolSummary)
    assert all(c.page in p.selection.pages for c in summary.exclusion_criteria)


def _always_page(page: int) -> Any:
    def script(request: ScriptedRequest) -> Answer:
        answer = read_summary(request.prompt)
        answer["inclusion_criteria"][0]["page"] = page
        return Json(answer)

    return script


@pytest.mark.parametrize(
    ("script", "kind", "code", "calls"),
    [
        (sequence(Garbage()), PermanentError, "model_output_invalid", 2),
        (sequence(Json({"title": "only a title"})), PermanentError, "model_output_invalid", 2),
        (_always_page(96), PermanentError, "model_output_invalid", 2),
        (sequence(HttpError(429, retry_after=0)), TransientError, "model_rate_limited", 1),
        (sequence(HttpError(503)), TransientError, "model_unavailable", 1),
    ],
    ids=["garbage", "wrong-schema", "page-not-sent", "rate-limited", "unavailable"],
)
def test_model_failures_surface_as_job_errors(
    server: ScriptedLLM, script: Any, kind: type[Exception], code: str, calls: int
) -> None:
    p = protocol("CDISC_Pilot_Study")
    assert 96 not in p.selection.pages
    server.script = script
    with pytest.raises(kind) as caught:
        summarise_with_model(p.pdf, Context(model="openai/gpt-4o-mini:completions"), model_factory=factory(server))
    assert getattr(caught.value, "error_code", None) == code
    assert len(server.requests) == calls
    # Never document text in the error a job stores.
    message = str(caught.value)
    assert not any(len(line) >= 20 and line in message for text in p.texts for line in text.splitlines())
