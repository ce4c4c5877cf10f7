"""The id grammar on every store path: a scan of Firestore after the fuzzers ran.

Runs last in this directory (file order), when the HTTP and push fuzzers have written whatever
they could. Every document, including "missing" parents that only hold subcollections, must sit
at one of the layout's paths with ids of the grammar, and no document may carry a client string
that is not content (:data:`CANARY`).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from common.boundary.ids import IdKind, is_valid_id
from tests.property.conftest import Functions
from tests.property.strategies import CANARY, JOB_ID

pytestmark = pytest.mark.property

SHA256 = r"[0-9a-f]{64}"
AUTO_ID = r"[A-Za-z0-9]{20}"  # Firestore's own ids, for rejections of deliveries that carried no id
LAYOUT = [
    re.compile(r"tenants/(?P<tenant>[^/]+)"),
    re.compile(r"tenants/(?P<tenant>[^/]+)/jobs/(?P<job>[^/]+)"),
    # Job events (issue 12): one page per write, named by its first seq.
    re.compile(r"tenants/(?P<tenant>[^/]+)/jobs/(?P<job>[^/]+)/events/\d{10}"),
    re.compile(rf"tenants/(?P<tenant>[^/]+)/idempotency/{SHA256}"),
    re.compile(rf"api_keys/{SHA256}"),
    re.compile(rf"rejections/(?:{SHA256}|{AUTO_ID})"),
    # Usage counters (issue 6): a day and a shard number, never a client string.
    re.compile(r"tenants/(?P<tenant>[^/]+)/usage/\d{4}-\d{2}-\d{2}_\d{1,2}"),
    # Usage plans (issue 10): the ledger and its per-period warning marker, a reservation per
    # job, and a rate window per model hash and minute.
    re.compile(r"tenants/(?P<tenant>[^/]+)/plan_ledger/(?:ledger|warned-(?:day-\d{4}-\d{2}-\d{2}|month-\d{4}-\d{2}))"),
    re.compile(r"tenants/(?P<tenant>[^/]+)/plan_reservations/(?P<job>[^/]+)"),
    re.compile(r"tenants/(?P<tenant>[^/]+)/rate_windows/[0-9a-f]{16}-\d{1,12}"),
]


def documents(client: Any) -> Iterator[Any]:
    """Every document reference, including missing parents of subcollections."""
    stack = list(client.collections())
    while stack:
        collection = stack.pop()
        for ref in collection.list_documents():
            yield ref
            stack.extend(ref.collections())


def push(data: dict[str, Any] | bytes, attributes: dict[str, str], message_id: str = "1") -> dict[str, Any]:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    message = {"data": base64.b64encode(raw).decode(), "attributes": attributes, "messageId": message_id}
    return {"message": message, "subscription": "s"}


def seed_path_injections(functions: Functions) -> None:
    """The issue's path-injection reproductions, so the scan is meaningful even when run alone."""
    run_agent, notify, submit = (functions.client(n) for n in ("run_agent", "notify", "submit"))
    request = {"agent": "criteria-evaluator", "input": {"criteria": "x", "patient_profile": ["y"]}}
    for tenant_id in (f"fuzz-a/jobs/{JOB_ID}", "fuzz-a/../fuzz-b", "a/b", "__x__", "..", "fuzz-a"):
        run_agent.post("/", json=push(request, {"tenant_id": tenant_id}, message_id=f"seed-{len(tenant_id)}"))
        run_agent.post("/", json=push({"tenant_id": tenant_id, "job_id": JOB_ID}, {"kind": "job.queued"}))
        notify.post("/", json={"tenant_id": tenant_id, "job_id": JOB_ID, "event": "job.completed"})
    for segment in ("__x__", ".", "..", "fuzz-a/jobs"):
        name = f"tenants/{segment}/inbox/protocol-processor/p.pdf"
        resource = {"bucket": functions.bucket, "name": name, "generation": "1"}
        attributes = {"eventType": "OBJECT_FINALIZE", "bucketId": functions.bucket, "objectId": name}
        run_agent.post("/", json=push(resource, attributes | {"objectGeneration": "1"}))
    run_agent.post("/", data=b"not a push request")  # no id at all
    submit.post(
        "/v1/agents/criteria-evaluator/jobs",
        json={"criteria": "Inclusion Criteria:\n- adult", "patient_profile": ["x"], "metadata": {"k": "v"}},
        headers={"Authorization": f"Bearer {functions.tenant.api_key}", "Idempotency-Key": "seed/../key"},
    )


def test_every_document_sits_at_a_layout_path_with_valid_ids(functions: Functions):
    seed_path_injections(functions)
    paths: list[str] = []
    for ref in documents(functions.firestore):
        path = ref.path
        paths.append(path)
        match = next((m for pattern in LAYOUT if (m := pattern.fullmatch(path))), None)
        assert match is not None, f"document outside the layout: {path!r}"
        groups = match.groupdict()
        if "tenant" in groups:
            assert is_valid_id(IdKind.TENANT, groups["tenant"]), path
            tenant = functions.firestore.document(f"tenants/{groups['tenant']}").get()
            assert tenant.exists, f"a write under a tenant that does not exist: {path!r}"
        if groups.get("job"):
            assert is_valid_id(IdKind.JOB, groups["job"]), path
            snapshot = ref.get()
            assert snapshot.exists, f"a job id used only as a parent of other documents: {path!r}"
            doc = snapshot.to_dict()
            assert (doc["tenant_id"], doc["job_id"]) == (groups["tenant"], groups["job"]), path
    assert any("/jobs/" in p for p in paths) and any(p.startswith("rejections/") for p in paths), (
        "the fuzzers wrote no job or no rejection: the scan proves nothing"
    )


def test_no_document_carries_a_client_string_that_is_not_content(functions: Functions):
    for ref in documents(functions.firestore):
        snapshot = ref.get()
        if snapshot.exists:
            text = json.dumps(snapshot.to_dict(), default=str, ensure_ascii=False)
            assert CANARY not in text, f"{ref.path} stores a client string that is not content"
