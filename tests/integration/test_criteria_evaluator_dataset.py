"""The criteria evaluator over the TrialGPT expert annotations, end to end in process.

Agent -> mirascope adapter -> real openai client -> HTTP -> scripted server, which answers each
criterion it finds in the prompt with the expert's ``criterion_status`` and evidence sentences.
So every status must round-trip through prompt, structured output and parsing, and every pair's
verdict (computed in code) must equal the expert-derived ``derived_verdict``.

Data: Jin et al., "Matching patients to clinical trials with large language models", Nature
Communications 2024 (ncbi/TrialGPT-Criterion-Annotations), in ``../shared/data/criteria``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from common.agents.criteria_evaluator.agent import CriteriaEvaluator
from common.agents.criteria_evaluator.models import CriteriaEvaluation, CriteriaEvaluatorInput
from common.errors import PermanentError, TransientError
from common.llm.mirascope_adapter import MirascopeModel
from tests.support.scripted_llm import (
    Answer,
    Garbage,
    HttpError,
    Json,
    ScriptedLLM,
    ScriptedRequest,
    sequence,
)

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "criteria"
CRITERION_LINE = re.compile(r"^(?P<index>\d+)\. \[(?P<type>inclusion|exclusion)\] (?P<text>.*)$", re.MULTILINE)
NUMBERED = re.compile(r"^(\d+)\. ")

# Chat Completions (tool-mode structured output), Chat Completions (JSON schema), Responses API.
MODELS = ["ollama/llama3.1:8b", "openai/gpt-4o-mini:completions", "openai/gpt-4o-mini"]


@dataclass
class Pair:
    patient_id: str
    trial_id: str
    sentences: list[str]
    labels: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    verdict: str = ""

    def payload(self) -> CriteriaEvaluatorInput:
        return CriteriaEvaluatorInput.model_validate(
            {
                "criteria": [{"type": r["criterion_type"], "text": r["criterion_text"]} for r in self.labels],
                "patient_profile": self.sentences,
            }
        )


@dataclass
class Context:
    model: str
    tenant_id: str = "acme"
    job_id: str = "job-1"
    stages: dict[str, float] = field(default_factory=dict[str, float])

    def read_document(self, uri: str, *, generation: int | None = None) -> bytes:
        raise AssertionError("no documents")

    def record_stage(self, name: str, seconds: float) -> None:
        self.stages[name] = seconds


def _rows(name: str) -> list[dict[str, Any]]:
    path = DATA / name
    if not path.is_file():
        pytest.fail(
            f"shared evaluation data missing: {path} (expected ../shared/data next to the project root; "
            "see ../shared/data/README.md)"
        )
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _sentences(numbered: str) -> list[str]:
    lines = numbered.split("\n")
    numbers = [int(m.group(1)) for line in lines if (m := NUMBERED.match(line))]
    assert numbers == list(range(len(lines))), "note sentences must be numbered 0..n-1"
    return [NUMBERED.sub("", line, count=1).strip() for line in lines]


def load_pairs() -> list[Pair]:
    notes = {row["patient_id"]: _sentences(row["note_sentence_numbered"]) for row in _rows("patients.jsonl")}
    pairs: dict[tuple[str, str], Pair] = {}
    for row in _rows("criterion_labels.jsonl"):
        key = (row["patient_id"], row["trial_id"])
        pairs.setdefault(key, Pair(row["patient_id"], row["trial_id"], notes[row["patient_id"]])).labels.append(row)
    for row in _rows("pair_verdicts.jsonl"):
        pair = pairs[(row["patient_id"], row["trial_id"])]
        assert row["n_criteria"] == len(pair.labels)
        pair.verdict = row["derived_verdict"]
    return list(pairs.values())


def expert_script(pair: Pair) -> Any:
    """Answer each criterion named in the prompt with the expert label, in reverse order."""
    by_criterion = {(r["criterion_type"], " ".join(r["criterion_text"].split())): r for r in pair.labels}

    def script(request: ScriptedRequest) -> Answer:
        assert all(sentence.split()[0] in request.prompt for sentence in pair.sentences)
        assessments: list[dict[str, Any]] = []
        for match in CRITERION_LINE.finditer(request.prompt):
            label = by_criterion[(match["type"], match["text"])]
            assessments.append(
                {
                    "criterion_index": int(match["index"]),
                    "explanation": f"expert label {label['expert_eligibility']}",
                    "evidence": json.loads(label["expert_sentences"]),
                    "status": label["criterion_status"],
                }
            )
        return Json({"assessments": assessments[::-1]})

    return script


@pytest.fixture(scope="module")
def pairs() -> list[Pair]:
    loaded = load_pairs()
    assert len(loaded) == 12
    assert sum(len(p.labels) for p in loaded) == 74
    return loaded


@pytest.fixture
def server() -> Iterator[ScriptedLLM]:
    with ScriptedLLM(lambda _: HttpError(500, "no script set")) as s:
        yield s


def evaluator(server: ScriptedLLM) -> CriteriaEvaluator:
    return CriteriaEvaluator(lambda: MirascopeModel(base_url=server.base_url, api_key="sk-test", timeout_seconds=10))


@pytest.mark.parametrize("model_id", MODELS)
def test_all_74_expert_labels_round_trip_and_all_12_verdicts_match(
    pairs: list[Pair], server: ScriptedLLM, model_id: str
) -> None:
    agent = evaluator(server)
    statuses_checked = 0
    for pair in pairs:
        server.script = expert_script(pair)
        ctx = Context(model=model_id)
        result = agent.run(pair.payload(), ctx)
        output = result.output
        assert isinstance(output, CriteriaEvaluation)
        assert len(output.criteria) == len(pair.labels)
        for assessment, label in zip(output.criteria, pair.labels, strict=True):
            where = (pair.patient_id, pair.trial_id, label["annotation_id"])
            assert assessment.criterion == label["criterion_text"].strip(), where
            assert assessment.type == label["criterion_type"], where
            assert assessment.status == label["criterion_status"], where
            assert assessment.evidence == sorted(set(json.loads(label["expert_sentences"]))), where
            statuses_checked += 1
        assert output.verdict == pair.verdict, (pair.patient_id, pair.trial_id)
        assert result.model == model_id
        assert result.usage is not None and result.usage.calls == 1
        assert result.usage.input_tokens > 0 and result.usage.output_tokens > 0
        assert "assess_criteria" in ctx.stages
    assert statuses_checked == 74
    assert len(server.requests) == 12
    assert set(server.models_asked()) == {model_id.split("/", 1)[1].removesuffix(":completions")}


def test_the_default_factory_reads_the_model_server_from_the_environment(
    pairs: list[Pair], server: ScriptedLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTJOBS_MODEL_BASE_URL", server.base_url)
    monkeypatch.setenv("AGENTJOBS_MODEL_API_KEY", "sk-env")
    pair = pairs[0]
    server.script = expert_script(pair)
    result = CriteriaEvaluator().run(pair.payload(), Context(model="ollama/llama3.1:8b"))
    assert result.output.verdict == pair.verdict  # type: ignore[attr-defined]
    assert server.requests[0].authorization == "Bearer sk-env"


def test_a_missing_criterion_is_asked_again_over_http(pairs: list[Pair], server: ScriptedLLM) -> None:
    pair = pairs[0]
    full = expert_script(pair)

    def first_incomplete(request: ScriptedRequest) -> Answer:
        answer = full(request)
        assert isinstance(answer, Json)
        if len(server.requests) == 1:
            return Json({"assessments": answer.value["assessments"][1:]})
        return answer

    server.script = first_incomplete
    result = evaluator(server).run(pair.payload(), Context(model="openai/gpt-4o-mini"))
    assert result.output.verdict == pair.verdict  # type: ignore[attr-defined]
    assert result.usage is not None and result.usage.calls == 2
    assert len(server.requests) == 2
    assert "criterion_index" in server.requests[1].prompt  # the correction names the problem by index


@pytest.mark.parametrize(
    ("answers", "kind", "code", "calls"),
    [
        ((Garbage(),), PermanentError, "model_output_invalid", 2),
        ((Json({"assessments": []}),), PermanentError, "model_output_invalid", 2),
        ((HttpError(429, retry_after=0),), TransientError, "model_rate_limited", 1),
        ((HttpError(503),), TransientError, "model_unavailable", 1),
    ],
)
def test_model_failures_surface_as_job_errors(
    pairs: list[Pair],
    server: ScriptedLLM,
    answers: tuple[Answer, ...],
    kind: type[Exception],
    code: str,
    calls: int,
) -> None:
    server.script = sequence(*answers)
    with pytest.raises(kind) as caught:
        evaluator(server).run(pairs[0].payload(), Context(model="ollama/llama3.1:8b"))
    assert getattr(caught.value, "error_code", None) == code
    assert len(server.requests) == calls
    # Never patient text in the error a job stores.
    assert not any(s[:20] in str(caught.value) for s in pairs[0].sentences)
