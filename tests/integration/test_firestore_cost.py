"""Firestore operations per successful job, counted at the client (issue 13, reproduction 16).

Each function's Firestore client is wrapped at its GAPIC layer, where every RPC passes: reads
are documents asked for by ``batch_get_documents`` and documents returned by queries; writes
are the writes in each ``commit``. One successful job with a callback, through ``submit``,
``run_agent`` and ``notify`` with warm caches (the API key, the tenant's webhook secret, the
tenant's job-events choice), must cost at most 2 reads and 9 writes (5 before job events,
issue 12: each of the four commits carries one events page, and no commit is added):

* submit: write 1, the new job, and write 2, its events page (``created``), in one commit (the
  key and its tenant come from the warm auth cache);
* run_agent: read 1, the claim's read; writes 3 and 4, the claimed job (conditioned on the
  revision read) and its events page (``running``), in one commit; writes 5, 6 and 7 in one
  commit: the result (conditioned on the revision the claim wrote: no read), its events page
  (every stage, ``judged``, ``succeeded``: stages wait in memory for a write that happens anyway,
  here the outcome, as the job is faster than a heartbeat), and the tenant's daily usage
  counters (increments: no read); no transaction;
* notify: read 2, the job (its callback URL and status); writes 8 and 9 in one commit, the
  attempt and callback status, and the ``callback_delivered`` events page.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

import common.adapters.clients as clients
from common.usage.counters import shard_of
from common.webhooks.receiver import WebhookReceiver
from tests.integration.conftest import bearer
from tests.support.hostile_pdfs import tiny_protocol_pdf

AGENT = "protocol-processor"


@dataclass
class Operations:
    """Firestore RPCs seen, as ``(function, kind, document)``."""

    seen: list[tuple[str, str, str]] = field(default_factory=list)
    commits: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    def of(self, kind: str) -> list[tuple[str, str]]:
        return [(function, doc) for function, k, doc in self.seen if k == kind]

    def clear(self) -> None:
        self.seen.clear()
        self.commits.clear()


def _short(name: str) -> str:
    return name.split("/documents/", 1)[-1]


def instrument(client: Any, ops: Operations, function: str) -> Any:
    api = client._firestore_api  # the GAPIC client every call of this Firestore client goes through

    def batch_get_documents(*args, request=None, **kwargs):
        for name in request["documents"]:
            ops.seen.append((function, "read", _short(name)))
        return real["batch_get_documents"](*args, request=request, **kwargs)

    def run_query(*args, request=None, **kwargs) -> Iterator[Any]:
        for response in real["run_query"](*args, request=request, **kwargs):
            if response.document.name:
                ops.seen.append((function, "read", _short(response.document.name)))
            yield response

    def commit(*args, request=None, **kwargs):
        names = tuple(_short(write.update.name or write.delete) for write in request["writes"])
        ops.commits.append((function, names))
        for name in names:
            ops.seen.append((function, "write", name))
        return real["commit"](*args, request=request, **kwargs)

    def begin_transaction(*args, **kwargs):
        ops.seen.append((function, "transaction", ""))
        return real["begin_transaction"](*args, **kwargs)

    wrappers = {f.__name__: f for f in (batch_get_documents, run_query, commit, begin_transaction)}
    real = {name: getattr(api, name) for name in wrappers}
    for name, wrapper in wrappers.items():
        setattr(api, name, wrapper)
    return client


@pytest.fixture
def counted(make_app, monkeypatch):
    """``make(function)``: the function's app whose Firestore client counts into ``ops``."""
    ops = Operations()
    real_factory = clients.firestore_client

    def make(function: str, **env: str):
        monkeypatch.setattr(
            clients, "firestore_client", lambda project: instrument(real_factory(project), ops, function)
        )
        return make_app(function, **env)

    return make, ops


def job_message(tenant_id: str, job_id: str, message_id: str) -> dict:
    data = base64.b64encode(json.dumps({"tenant_id": tenant_id, "job_id": job_id}).encode()).decode()
    return {
        "message": {"data": data, "attributes": {"kind": "job.queued"}, "messageId": message_id},
        "subscription": "s",
    }


def submit_job(submit, tenant, blobs, name: str, callback_url: str) -> str:
    stored = blobs("acme").write(f"uploads/{name}", tiny_protocol_pdf(), content_type="application/pdf")
    response = submit.post(
        f"/v1/agents/{AGENT}/jobs", json={"file_uri": stored.uri, "callback_url": callback_url}, headers=bearer(tenant)
    )
    assert response.status_code == 202, response.get_json()
    return response.get_json()["job_id"]


def test_a_successful_job_with_its_callback_costs_two_reads_and_nine_writes_in_four_commits(
    counted, tenant, blobs, directory
):
    make, ops = counted
    submit, run_agent, notify = make("submit"), make("run_agent", AGENTJOBS_CALLBACKS_QUEUE=""), make("notify")
    with WebhookReceiver(secret=tenant.webhook_secret) as receiver:
        # Warm-up job: fills the API-key cache of submit and the tenant cache of notify.
        warm = submit_job(submit, tenant, blobs, "warm.pdf", receiver.url)
        run_agent.post("/", json=job_message("acme", warm, "w1"))
        notify.post("/", json={"tenant_id": "acme", "job_id": warm, "event": "job.completed"})
        ops.clear()

        job_id = submit_job(submit, tenant, blobs, "p.pdf", receiver.url)
        ran = run_agent.post("/", json=job_message("acme", job_id, "m1"))
        assert ran.get_json()["status"] == "success", ran.get_json()
        task = {"tenant_id": "acme", "job_id": job_id, "event": "job.completed"}
        assert notify.post("/", json=task).get_json()["outcome"] == "delivered"
        assert receiver.wait_for(2)[-1].payload["job_id"] == job_id

    job_doc = f"tenants/acme/jobs/{job_id}"
    usage_doc = f"tenants/acme/usage/{datetime.now(UTC).date().isoformat()}_{shard_of(job_id)}"

    def page(seq: int) -> str:
        return f"{job_doc}/events/{seq:010d}"

    events = directory.jobs("acme").events(job_id)  # read outside the counted clients
    types = [e.type.value for e in events]
    assert types[:2] == ["created", "running"] and types[-2:] == ["succeeded", "callback_delivered"], types
    assert {"stage_started", "stage_finished"} <= set(types) and [e.seq for e in events] == list(
        range(1, len(types) + 1)
    )
    last_seq = events[-1].seq

    assert ops.of("transaction") == []
    assert ops.of("read") == [("run_agent", job_doc), ("notify", job_doc)], ops.seen
    assert ops.commits == [
        ("submit", (job_doc, page(1))),
        ("run_agent", (job_doc, page(2))),
        ("run_agent", (job_doc, page(3), usage_doc)),
        ("notify", (job_doc, page(last_seq))),
    ], ops.commits
    assert len(ops.of("write")) == 9


def test_a_priced_model_job_costs_no_extra_read_when_warm(counted, tenant):
    """Pricing reads the tenant's price overrides through run_agent's tenant cache."""
    from common.agents.registry import load_agent
    from tests.integration.test_usage_counters import CRITERIA, PROFILE, answer
    from tests.support.scripted_llm import ScriptedLLM

    load_agent.cache_clear()  # agents keep the model port they first built
    make, ops = counted
    with ScriptedLLM(answer) as llm:
        env = {
            "AGENTJOBS_MODEL__CRITERIA_EVALUATOR": "openai/gpt-4o-mini:completions",
            "AGENTJOBS_MODEL_BASE_URL": llm.base_url,
            "AGENTJOBS_MODEL_API_KEY": "test-key",
            "AGENTJOBS_CALLBACKS_QUEUE": "",
        }
        submit, run_agent = make("submit", **env), make("run_agent", **env)
        ids = []
        for n in range(2):  # the first warms the key and tenant caches
            body = {"criteria": CRITERIA, "patient_profile": PROFILE}
            created = submit.post("/v1/agents/criteria-evaluator/jobs", json=body, headers=bearer(tenant))
            ids.append(created.get_json()["job_id"])
            if n == 0:
                run_agent.post("/", json=job_message("acme", ids[0], "w"))
                assert ("run_agent", "tenants/acme") in ops.of("read")  # cold: the overrides are read once
                ops.clear()
        ran = run_agent.post("/", json=job_message("acme", ids[1], "m")).get_json()
    assert ran["status"] == "success", ran
    job_doc = f"tenants/acme/jobs/{ids[1]}"
    usage_doc = f"tenants/acme/usage/{datetime.now(UTC).date().isoformat()}_{shard_of(ids[1])}"
    assert ops.of("read") == [("run_agent", job_doc)], ops.seen
    assert [c for c in ops.commits if c[0] == "run_agent"] == [
        ("run_agent", (job_doc, f"{job_doc}/events/0000000002")),
        ("run_agent", (job_doc, f"{job_doc}/events/0000000003", usage_doc)),
    ], ops.commits
