"""Firestore reads and writes of one successful job: submit + run_agent + notify, API-key cache warm.

The functions run in-process (``create_app``) on a real Firestore client whose RPCs are counted
by a thin wrapper around its API stub: every document a read returns, every write a commit
carries. Budget (issue: hostile input and faults): at most 2 reads and 4 writes.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from typing import Any

import pytest
from google.cloud import firestore

from common.adapters import clients
from common.webhooks.receiver import WebhookReceiver
from tests.integration.conftest import bearer, sample_pdf

AGENT = "protocol-processor"


class CountingApi:
    """Delegates to the real Firestore API stub and counts documents read and written, by operation."""

    def __init__(self, real: Any, counts: Counter[str], log: list[str]):
        self._real = real
        self._counts = counts
        self._log = log

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._real, name)
        if name == "commit":

            def commit(*args: Any, **kwargs: Any) -> Any:
                writes = kwargs["request"]["writes"]
                self._counts["writes"] += len(writes)
                self._log += [f"write {_where(w)}" for w in writes]
                return attribute(*args, **kwargs)

            return commit
        if name in ("batch_get_documents", "run_query"):

            def read(*args: Any, **kwargs: Any) -> Any:
                for response in attribute(*args, **kwargs):
                    if getattr(response, "found", None) or getattr(response, "document", None):
                        self._counts["reads"] += 1
                        document = response.found if name == "batch_get_documents" else response.document
                        self._log.append(f"read {document.name.split('/documents/')[-1]}")
                    yield response

            return read
        return attribute


def _where(write: Any) -> str:
    update = getattr(write, "update", None)
    name = update.name if update is not None and update.name else getattr(write, "delete", "")
    return str(name).split("/documents/")[-1]


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> tuple[Counter[str], list[str]]:
    counts: Counter[str] = Counter()
    log: list[str] = []

    def counting_client(project: str) -> firestore.Client:
        client = firestore.Client(project=project)
        client._firestore_api_internal = CountingApi(client._firestore_api, counts, log)  # type: ignore[attr-defined]
        return client

    monkeypatch.setattr(clients, "firestore_client", counting_client)
    return counts, log


def _push_job(tenant_id: str, job_id: str) -> dict[str, Any]:
    data = base64.b64encode(json.dumps({"tenant_id": tenant_id, "job_id": job_id}).encode()).decode()
    return {"message": {"data": data, "attributes": {"kind": "job.queued"}, "messageId": f"m-{job_id}"}}


def test_one_successful_job_costs_at_most_2_reads_and_4_writes(make_app, counted, tenant, blobs, shared_data):
    counts, log = counted
    submit, run_agent, notify = make_app("submit"), make_app("run_agent"), make_app("notify")
    stored = blobs("acme").write("uploads/p.pdf", sample_pdf(shared_data), content_type="application/pdf")

    def one_job(receiver: WebhookReceiver) -> None:
        body = {"file_uri": stored.uri, "callback_url": receiver.url}
        response = submit.post(f"/v1/agents/{AGENT}/jobs", json=body, headers=bearer(tenant))
        assert response.status_code == 202, response.get_json()
        job_id = response.get_json()["job_id"]
        assert run_agent.post("/", json=_push_job("acme", job_id)).get_json()["status"] == "success"
        task = {"tenant_id": "acme", "job_id": job_id, "event": "job.completed"}
        assert notify.post("/", json=task).get_json()["outcome"] == "delivered"

    with WebhookReceiver(secret=tenant.webhook_secret) as receiver:
        one_job(receiver)  # warms the API-key cache of submit and the tenant cache of notify
        counts.clear()
        log.clear()
        one_job(receiver)
    print("\n".join(log))
    assert counts["reads"] <= 2, log
    assert counts["writes"] <= 4, log
    # What each one is: the job read when run_agent claims it and when notify builds the event;
    # the job created by submit, claimed, completed, and the callback attempt recorded.
    assert [entry.split()[0] for entry in log].count("read") == 2
