"""Running a dataset: each case's agent in process or as a job against a stack, in parallel.

``pydantic-evals`` drives the run (concurrency limit, progress bar, evaluators, timings); this
module supplies the task that turns a case's :class:`~common.evals.models.EvalInputs` into an
:class:`~common.evals.models.EvalOutput`:

* ``local``: the agent runs in this process (a thread per case), reading documents from disk;
  the model is ``--model`` or the configured one (``AGENTJOBS_MODEL``...); ``replay`` answers the
  criteria evaluator with the physicians' labels (:mod:`common.evals.replay`);
* a stack: the case is submitted as a job over HTTPS with an API key (documents uploaded to the
  tenant's ``uploads/`` first, through ``POST /v1/uploads``) and polled until it finishes; the
  job's own judgements come back with its result.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio.to_thread
from pydantic import BaseModel
from pydantic_evals.evaluators import Evaluator
from pydantic_evals.reporting import EvaluationReport

from common.agents.base import Agent, AgentResult
from common.config import Settings
from common.evals.datasets import EvalDataset
from common.evals.models import EvalInputs, EvalOutput
from common.evals.replay import REPLAY, ExpertReplay
from common.evals.scorers import LlmRubric

__all__ = ["RunConfig", "run_dataset"]

_LOCAL_URI = "gs://local-eval/tenants/eval/"


@dataclass(frozen=True, slots=True)
class RunConfig:
    """How to run a dataset.

    Attributes:
        target: ``local`` (in process), or the base URL of a stack's API (submit and status).
        status_url: The status API's base URL when it differs from ``target`` (the local stack).
        concurrency: Cases run at once, at least 1.
        model: The agents' ``provider/model``; ``""`` = the configured one; ``replay`` = the
            physicians' labels (criteria evaluator, in process only).
        judge_model: ``provider/model`` of the LLM judge scorer; ``""`` = none.
        api_key: The tenant's API key (stack target).
        progress: Show a progress bar.
        job_timeout_seconds: How long to wait for one job against a stack (s).
    """

    target: str = "local"
    status_url: str = ""
    concurrency: int = 4
    model: str = ""
    judge_model: str = ""
    api_key: str = ""
    progress: bool = True
    job_timeout_seconds: float = 600.0


@dataclass
class _LocalContext:
    tenant_id: str
    job_id: str
    model: str
    documents: dict[str, Path]
    timings: dict[str, float] = field(default_factory=dict[str, float])

    def read_document(self, uri: str, *, generation: int | None = None) -> bytes:
        return self.documents[uri].read_bytes()

    def record_stage(self, name: str, seconds: float) -> None:
        self.timings[name] = self.timings.get(name, 0.0) + seconds


def _agent(name: str, model: str) -> Agent:
    if name == "criteria-evaluator":
        from common.agents.criteria_evaluator.agent import CriteriaEvaluator

        if model == REPLAY:
            from common.evals.shared_data import load_pairs

            pairs = load_pairs()
            return CriteriaEvaluator(lambda: ExpertReplay(pairs))
        return CriteriaEvaluator()  # the process-wide model adapter, configured from the environment
    from common.agents.registry import load_agent

    return load_agent(name)


def _run_local(inputs: EvalInputs, config: RunConfig, settings: Settings) -> EvalOutput:
    model = config.model or settings.model_for(inputs.agent)
    agent = _agent(inputs.agent, model)
    payload = dict(inputs.input)
    documents: dict[str, Path] = {}
    if inputs.document is not None:
        uri = _LOCAL_URI + Path(inputs.document).name
        documents[uri] = Path(inputs.document)
        payload.setdefault("file_uri", uri)
    validated: BaseModel = agent.input_model.model_validate(payload)
    ctx = _LocalContext(tenant_id="eval", job_id="eval", model=model, documents=documents)
    result: AgentResult = agent.run(validated, ctx)
    return EvalOutput(
        output=result.output.model_dump(mode="json"), source_pages=result.source_pages, model=result.model
    )


def _run_remote(inputs: EvalInputs, config: RunConfig) -> EvalOutput:
    import httpx

    headers = {"Authorization": f"Bearer {config.api_key}"}
    body = dict(inputs.input)
    if inputs.document is not None and "file_uri" not in body:
        from common.cli.uploads import upload_document

        body["file_uri"] = upload_document(config.target, config.api_key, Path(inputs.document)).file_uri
    created = httpx.post(f"{config.target}/v1/agents/{inputs.agent}/jobs", json=body, headers=headers, timeout=30)
    if created.status_code not in (200, 202):
        raise RuntimeError(f"submit answered {created.status_code}")
    job_id = created.json()["job_id"]
    status_url = config.status_url or config.target
    deadline = time.monotonic() + config.job_timeout_seconds
    while True:
        answer = httpx.get(f"{status_url}/v1/jobs/{job_id}", headers=headers, timeout=30)
        job: dict[str, Any] = answer.json() if answer.status_code == 200 else {}
        if job.get("status") == "success":
            return EvalOutput(
                output=job.get("result") or {}, model=job.get("model"), judgements=job.get("judgements", [])
            )
        if job.get("status") == "failed":
            raise RuntimeError(f"job {job_id} failed: {job.get('error', {}).get('code')}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"job {job_id} did not finish in {config.job_timeout_seconds:.0f} s")
        time.sleep(0.5)


def _task(config: RunConfig) -> Callable[[EvalInputs], Awaitable[EvalOutput]]:
    settings = Settings.from_env()

    async def task(inputs: EvalInputs) -> EvalOutput:
        if config.target == "local":
            return await anyio.to_thread.run_sync(_run_local, inputs, config, settings)
        return await anyio.to_thread.run_sync(_run_remote, inputs, config)

    return task


def run_dataset(dataset: EvalDataset, config: RunConfig) -> EvaluationReport[EvalInputs, EvalOutput, dict[str, Any]]:
    """Run every case of ``dataset`` and score it.

    Returns:
        ``pydantic-evals``' report: per case its output, scores, assertions, labels and duration,
        or its failure (a case whose agent or job failed).
    """
    if config.judge_model:
        evaluators: list[Evaluator[EvalInputs, Any, dict[str, Any]]] = [
            *dataset.evaluators,
            LlmRubric(model=config.judge_model),
        ]
        dataset = EvalDataset(name=dataset.name, cases=dataset.cases, evaluators=evaluators)
    return dataset.evaluate_sync(
        _task(config),
        name=dataset.name,
        max_concurrency=max(1, config.concurrency),
        progress=config.progress,
    )
