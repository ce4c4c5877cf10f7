"""A flagged job end to end on the emulators: submit -> run_agent (judged) -> notify, Sentry.

The criteria evaluator runs with a scripted model (the OpenAI-compatible server of
tests/support) that answers with the physicians' labels, except that it cites a sentence the
note does not have for one ``met`` criterion. The agent drops the impossible index, so that
status is left without evidence and ``status_has_evidence`` flags the job. The LLM judge, on the
same server, adds its own line with its cost. What must follow:

* the job stays ``success`` with ``quality: flagged`` and its judgements, stored in the
  completion write (run_agent still reads the job once and writes it twice: claim, then result);
* the callback is ``job.flagged``, signed, and verifies with ``standardwebhooks``;
* the real Sentry SDK sends one warning event, fingerprinted by judge and agent, tagged with
  the job, to the local envelope receiver, without patient text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

import common.adapters.clients as clients
import common.telemetry as telemetry
from common.evals.shared_data import LabelledPair, load_pairs
from common.llm.default import default_model
from common.telemetry import TelemetryConfig
from common.webhooks.receiver import WebhookReceiver
from tests.integration.conftest import bearer
from tests.integration.test_firestore_cost import Operations, instrument, job_message
from tests.support.scripted_llm import Answer, Json, ScriptedLLM, ScriptedRequest
from tests.support.sentry_receiver import SentryReceiver

AGENT = "criteria-evaluator"
MODEL = "openai/gpt-4o-mini"
PAIR: LabelledPair = next(p for p in load_pairs() if any(c.status == "met" and c.evidence for c in p.labels))
CRITERION = re.compile(r"^(?P<index>\d+)\. \[(?P<type>inclusion|exclusion)\] (?P<text>.*)$", re.MULTILINE)


def script(request: ScriptedRequest) -> Answer:
    if "You review the output" in request.system:
        return Json(
            {"pass": True, "score": 0.9, "reason": "The statuses follow the cited sentences; C1 is borderline."}
        )
    by_text = {(c.type, " ".join(c.text.split())): c for c in PAIR.labels}
    assessments: list[dict[str, Any]] = []
    corrupted = False
    for match in CRITERION.finditer(request.prompt):
        label = by_text[(match["type"], match["text"])]
        evidence = list(label.evidence)
        if label.status == "met" and evidence and not corrupted:
            evidence, corrupted = [len(PAIR.sentences) + 40], True  # a sentence the note does not have
        assessments.append(
            {"criterion_index": int(match["index"]), "status": label.status, "evidence": evidence, "explanation": ""}
        )
    return Json({"assessments": assessments})


@pytest.fixture
def llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[ScriptedLLM]:
    with ScriptedLLM(script) as server:
        for key, value in {
            "AGENTJOBS_MODEL": MODEL,
            "AGENTJOBS_MODEL_BASE_URL": server.base_url,
            "AGENTJOBS_MODEL_API_KEY": "sk-test",
            "AGENTJOBS_JUDGE_MODEL__CRITERIA_EVALUATOR": MODEL,
        }.items():
            monkeypatch.setenv(key, value)
        default_model.cache_clear()  # the process-wide adapter reads the server from the environment
        yield server
        default_model.cache_clear()


@pytest.fixture
def sentry() -> Iterator[SentryReceiver]:
    telemetry.shutdown()
    with SentryReceiver() as receiver:
        telemetry.init("run_agent", config=TelemetryConfig(service="run_agent", sentry_dsn=receiver.dsn))
        yield receiver
    telemetry.shutdown()


def test_a_flagged_job_is_stored_signed_as_job_flagged_and_reported(
    make_app, monkeypatch, tenant, directory, llm, sentry
):
    ops = Operations()
    real_factory = clients.firestore_client

    def app(function: str, **env: str):
        monkeypatch.setattr(
            clients, "firestore_client", lambda project: instrument(real_factory(project), ops, function)
        )
        return make_app(function, **env)

    submit, run_agent, notify = (
        app("submit"),
        app(
            # A slow first model call (mirascope's import) must not add a heartbeat write to the count.
            "run_agent",
            AGENTJOBS_CALLBACKS_QUEUE="",
            AGENTJOBS_HEARTBEAT_SECONDS="120",
            AGENTJOBS_LEASE_SECONDS="300",
        ),
        app("notify"),
    )
    with WebhookReceiver(secret=tenant.webhook_secret) as receiver:
        created = submit.post(
            f"/v1/agents/{AGENT}/jobs",
            json={**PAIR.agent_input(), "callback_url": receiver.url},
            headers=bearer(tenant),
        )
        assert created.status_code == 202, created.get_json()
        job_id = created.get_json()["job_id"]
        ops.clear()  # submit's API-key lookup is cached in production; count the job itself

        ran = run_agent.post("/", json=job_message("acme", job_id, "m1"))
        assert ran.get_json()["status"] == "success", ran.get_json()

        status_app = make_app("status")
        status = status_app.get(f"/v1/jobs/{job_id}", headers=bearer(tenant)).get_json()
        flagged = status_app.get("/v1/jobs?quality=flagged", headers=bearer(tenant)).get_json()
        assert [j["job_id"] for j in flagged["jobs"]] == [job_id] and flagged["jobs"][0]["quality"] == "flagged"
        assert status_app.get("/v1/jobs?quality=passed", headers=bearer(tenant)).get_json()["count"] == 0
        none = status_app.get("/v1/jobs?quality=flagged&status=failed", headers=bearer(tenant)).get_json()
        assert none["count"] == 0  # only successful jobs have a quality
        assert status["status"] == "success" and status["quality"] == "flagged"
        by_judge = {j["judge"]: j for j in status["judgements"]}
        assert by_judge["status_has_evidence"]["pass"] is False
        assert by_judge["status_has_evidence"]["reason_code"] == "status_without_evidence"
        assert by_judge["verdict_follows_rule"]["pass"] is True
        llm_line = by_judge["llm_rubric"]
        assert llm_line["model"] == MODEL and llm_line["pass"] is True and llm_line["score"] == 0.9
        assert llm_line["usage"]["calls"] == 1 and llm_line["usage"]["input_tokens"] > 0
        assert float(llm_line["cost"]["total_usd"]) > 0
        assert "judge" in status["timings"]

        task = {"tenant_id": "acme", "job_id": job_id, "event": "job.flagged"}
        assert notify.post("/", json=task).get_json()["outcome"] == "delivered"
        (delivery,) = receiver.wait_for(1)
        assert delivery.verified  # standardwebhooks, with the tenant's secret
        assert delivery.payload["type"] == "job.flagged"
        assert delivery.payload["status"] == "success" and delivery.payload["quality"] == "flagged"

    # A reviewer disagrees with the judge: stored beside the judgements, codes only.
    url = f"/v1/jobs/{job_id}/feedback"
    given = status_app.post(url, json={"verdict": "correct", "field": "criteria[0].status"}, headers=bearer(tenant))
    assert given.status_code == 200, given.get_json()
    assert given.get_json()["feedback"][0]["verdict"] == "correct"
    for bad in (
        {"verdict": "great"},
        {"verdict": "incorrect", "comment_code": "the patient is 52 and diabetic"},
        {"verdict": "incorrect", "note": "free text"},
    ):
        refused = status_app.post(url, json=bad, headers=bearer(tenant))
        assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "invalid_feedback"
    stored = directory.jobs("acme").get(job_id)
    assert [(f.verdict, f.field, f.quality) for f in stored.feedback] == [("correct", "criteria[0].status", "flagged")]
    assert stored.quality is not None and stored.judgements

    job_doc = f"tenants/acme/jobs/{job_id}"
    assert ops.of("read").count(("run_agent", job_doc)) == 1
    assert ops.of("write").count(("run_agent", job_doc)) == 2, ops.seen  # claim, then result + judgements

    telemetry.get().flush()
    events = [e for e in sentry.wait_for("event", 1) if e.get("logentry", {}).get("message") == "job_flagged"]
    assert len(events) == 1
    assert events[0]["fingerprint"] == ["judge", "status_has_evidence", AGENT]
    assert events[0]["tags"]["job_id"] == job_id and events[0]["tags"]["tenant_id"] == "acme"
    raw = sentry.raw().decode("utf-8", "replace")
    assert not any(s[:25] in raw for s in PAIR.sentences)
    assert json.dumps(PAIR.labels[0].text)[1:-1] not in raw
