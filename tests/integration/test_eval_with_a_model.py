"""``agentjobs eval`` with a model: the same run, through the real adapter and the scripted model server.

The server answers the criteria evaluator with the physicians' labels (as the dataset tests do)
and the LLM judge scorer with a verdict, both over HTTP through mirascope and the openai client.
With a real model configured instead, the same command measures real accuracy.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from common.evals.datasets import load_dataset
from common.evals.reports import build_results
from common.evals.runner import RunConfig, run_dataset
from common.evals.shared_data import load_pairs
from common.llm.default import default_model
from tests.support.scripted_llm import Answer, Json, ScriptedLLM, ScriptedRequest

PAIRS = load_pairs()
CRITERION = re.compile(r"^(?P<index>\d+)\. \[(?P<type>inclusion|exclusion)\] (?P<text>.*)$", re.MULTILINE)


def experts(request: ScriptedRequest) -> Answer:
    if "You review the output" in request.system:
        return Json({"pass": True, "score": 1.0, "reason": "Every status follows its cited sentences."})
    pair = next(
        p
        for p in PAIRS
        if all(s.split()[0] in request.prompt for s in p.sentences)
        and all(" ".join(c.text.split()) in request.prompt for c in p.labels)
    )
    labels = {(c.type, " ".join(c.text.split())): c for c in pair.labels}
    return Json(
        {
            "assessments": [
                {
                    "criterion_index": int(m["index"]),
                    "status": labels[(m["type"], m["text"])].status,
                    "evidence": list(labels[(m["type"], m["text"])].evidence),
                    "explanation": "",
                }
                for m in CRITERION.finditer(request.prompt)
            ]
        }
    )


@pytest.fixture
def llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[ScriptedLLM]:
    with ScriptedLLM(experts) as server:
        monkeypatch.setenv("AGENTJOBS_MODEL_BASE_URL", server.base_url)
        monkeypatch.setenv("AGENTJOBS_MODEL_API_KEY", "sk-test")
        default_model.cache_clear()
        yield server
        default_model.cache_clear()


def test_the_criteria_dataset_through_a_model_server_with_the_llm_judge_scorer(llm: ScriptedLLM):
    config = RunConfig(model="openai/gpt-4o-mini", judge_model="openai/gpt-4o-mini", concurrency=4, progress=False)
    results = build_results(run_dataset(load_dataset("criteria"), config), settings={})
    assert results["summary"]["failed"] == 0
    assert results["statuses"]["accuracy"] == 1.0 and results["statuses"]["criteria"] == 74
    assert results["summary"]["assertions"]["llm_judge.pass"] == 1.0
    assert results["summary"]["assertions"]["verdict.equals"] == 1.0
    assert len(llm.requests) == 24  # one agent call and one judge call per pair
