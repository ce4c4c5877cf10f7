"""Retention, erasure and webhook secrets for real: the functions in-process, the admin CLI, the
Firestore emulator and fake-gcs-server. Erasure is checked by reading back every document and
every object and looking for the erased job's input and result."""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from google.cloud import firestore
from standardwebhooks import Webhook
from typer.testing import CliRunner
from werkzeug.serving import make_server

from common.adapters.clients import storage_client
from common.cli.app import app as cli
from common.errors import NotFound
from common.jobs import lifecycle
from common.jobs.ids import gcs_job_id, new_job_id
from common.jobs.models import JobStatus, Source
from common.webhooks.receiver import WebhookReceiver
from tests.integration.conftest import bearer
from tests.support.protocol_pdfs import CriteriaList, Heading, Item, Protocol, render_protocol
from tests.support.store_scan import bucket_objects, firestore_documents, holding

AGENT = "protocol-processor"


def canary_pdf(canary: str) -> bytes:
    """A protocol whose title and first criterion carry ``canary`` (so its result does), with the
    canary also in a trailing comment (so the stored input does)."""
    protocol = Protocol(
        title=f"A Phase 2 Study of {canary} in Adults",
        protocol_id="CAN-1",
        sponsor="Canary Pharma",
        blocks=(
            Heading("5. Study Population"),
            Heading("5.1. Inclusion Criteria", level=2),
            CriteriaList("inclusion", (Item(f"Participants with {canary} disease."), Item("Age 18 or older."))),
            Heading("5.2. Exclusion Criteria", level=2),
            CriteriaList("exclusion", (Item("Pregnancy."),)),
        ),
    )
    return render_protocol(protocol).pdf + f"\n%{canary}\n".encode()


def job_push(tenant_id: str, job_id: str) -> dict:
    data = base64.b64encode(json.dumps({"tenant_id": tenant_id, "job_id": job_id}).encode()).decode()
    return {"message": {"data": data, "attributes": {"kind": "job.queued"}, "messageId": f"m-{job_id}"}}


def drop_push(bucket: str, stored) -> dict:
    name = stored.uri.split("/", 3)[3]
    attributes = {
        "eventType": "OBJECT_FINALIZE",
        "bucketId": bucket,
        "objectId": name,
        "objectGeneration": str(stored.generation),
        "payloadFormat": "JSON_API_V1",
    }
    resource = {"bucket": bucket, "name": name, "generation": str(stored.generation)}
    data = base64.b64encode(json.dumps(resource).encode()).decode()
    return {"message": {"data": data, "attributes": attributes, "messageId": f"d-{stored.generation}"}}


def scan(emulators):
    documents = firestore_documents(firestore.Client(project=emulators.project))
    return documents, bucket_objects(storage_client(emulators.project), emulators.bucket)


@pytest.fixture
def served(make_app):
    """A function served over real HTTP (for the CLI); yields its base URL."""
    servers = []

    def serve(name: str, **env: str) -> str:
        server = make_server("127.0.0.1", 0, make_app(name, **env).application, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield serve
    for server in servers:
        server.shutdown()


def submit_and_run(submit, run_agent, created, uri, **envelope):
    headers = bearer(created) | envelope.pop("headers", {})
    response = submit.post(f"/v1/agents/{AGENT}/jobs", json={"file_uri": uri, **envelope}, headers=headers)
    assert response.status_code == 202, response.get_json()
    job_id = response.get_json()["job_id"]
    assert run_agent.post("/", json=job_push(created.tenant.tenant_id, job_id)).get_json()["status"] == "success"
    return job_id


def test_erasing_jobs_leaves_no_input_or_result_anywhere_and_only_a_tombstone(
    make_app, served, admin, directory, blobs, emulators
):
    canary, control = f"canary{secrets.token_hex(4)}", f"control{secrets.token_hex(4)}"
    a, b = admin.create("erasure-a"), admin.create("erasure-b")
    submit, status, notify, run_agent = (make_app(n) for n in ("submit", "status", "notify", "run_agent"))
    offloading = make_app("run_agent", AGENTJOBS_INLINE_RESULT_BYTES="64")
    upload = blobs("erasure-a").write(f"uploads/{canary}/Patient-{canary}.pdf", canary_pdf(canary), content_type="x")
    drop = blobs("erasure-a").write(f"inbox/{AGENT}/Drop-{canary}.pdf", canary_pdf(canary), content_type="x")
    kept = blobs("erasure-b").write(f"uploads/{control}.pdf", canary_pdf(control), content_type="x")

    with WebhookReceiver(secret=a.webhook_secret) as receiver:
        uploaded = submit_and_run(
            submit,
            run_agent,
            a,
            upload.uri,
            callback_url=f"{receiver.url}?ref={canary}",
            metadata={"ref": canary},
            headers={"Idempotency-Key": f"key-{canary}"},
        )
        assert (
            notify.post("/", json={"tenant_id": "erasure-a", "job_id": uploaded, "event": "job.completed"}).get_json()[
                "outcome"
            ]
            == "delivered"
        )
    assert offloading.post("/", json=drop_push(emulators.bucket, drop)).get_json()["status"] == "success"
    dropped = gcs_job_id(emulators.bucket, drop.uri.split("/", 3)[3], drop.generation)
    assert directory.jobs("erasure-a").get(dropped).result_ref
    other = submit_and_run(submit, run_agent, b, kept.uri, metadata={"ref": control})

    before = holding([canary], *scan(emulators))
    assert any(h.startswith("firestore:") for h in before) and any("results/" in h for h in before)
    assert any(f"uploads/{canary}" in h for h in before) and any("inbox/" in h for h in before)

    erased = status.delete(f"/v1/jobs/{uploaded}", headers=bearer(a))
    assert erased.status_code == 200, erased.get_json()
    assert erased.get_json()["status"] == "deleted" and erased.get_json()["deleted_at"]
    cli_run = CliRunner().invoke(
        cli, ["jobs", "delete", dropped, "--api-url", served("status"), "--api-key", a.api_key], catch_exceptions=False
    )
    assert cli_run.exit_code == 0, cli_run.output

    documents, objects = scan(emulators)
    assert holding([canary], documents, objects) == []
    assert holding([control], documents, objects)  # the other tenant's job and upload are untouched
    tombstones = {path: text for path, text in documents.items() if path.startswith("tenants/erasure-a/jobs/")}
    assert set(tombstones) == {f"tenants/erasure-a/jobs/{uploaded}", f"tenants/erasure-a/jobs/{dropped}"}
    assert all("'status': 'deleted'" in text for text in tombstones.values())
    assert not [p for p in documents if p.startswith("tenants/erasure-a/idempotency/")]

    gone = status.get(f"/v1/jobs/{uploaded}", headers=bearer(a))
    assert gone.status_code == 410 and gone.get_json()["error"]["code"] == "job_deleted"
    listed = status.get("/v1/jobs", headers=bearer(a)).get_json()["jobs"]
    assert {j["status"] for j in listed} == {"deleted"} and len(listed) == 2
    assert status.delete(f"/v1/jobs/{uploaded}", headers=bearer(a)).status_code == 200  # idempotent
    foreign = status.delete(f"/v1/jobs/{other}", headers=bearer(a))
    unknown = status.delete(f"/v1/jobs/{new_job_id()}", headers=bearer(a))
    unknown_get = status.get(f"/v1/jobs/{new_job_id()}", headers=bearer(a))
    assert foreign.status_code == unknown.status_code == unknown_get.status_code == 404
    assert foreign.get_json() == unknown.get_json() == unknown_get.get_json()
    assert directory.jobs("erasure-b").get(other).status is JobStatus.SUCCESS

    # A retry of the original request finds the tombstone: nothing is created or run again.
    replay = submit.post(
        f"/v1/agents/{AGENT}/jobs",
        json={"file_uri": upload.uri, "callback_url": f"{receiver.url}?ref={canary}", "metadata": {"ref": canary}},
        headers=bearer(a) | {"Idempotency-Key": f"key-{canary}"},
    )
    assert (replay.status_code, replay.get_json()["job_id"], replay.get_json()["status"]) == (200, uploaded, "deleted")
    assert run_agent.post("/", json=job_push("erasure-a", uploaded)).get_json()["outcome"] == "already_finished"


def test_a_running_job_cannot_be_erased_yet(make_app, admin, directory, blobs):
    a = admin.create("erasure-a")
    upload = blobs("erasure-a").write("uploads/running.pdf", b"%PDF", content_type="application/pdf")
    job = lifecycle.new_job(
        job_id=new_job_id(),
        tenant_id="erasure-a",
        agent=AGENT,
        input={"file_uri": upload.uri},
        source=Source.HTTPS,
        now=datetime.now(UTC),
    )
    directory.jobs("erasure-a").create(
        lifecycle.claim(job, token="t", now=datetime.now(UTC), lease_seconds=60, max_attempts=3)
    )
    response = make_app("status").delete(f"/v1/jobs/{job.job_id}", headers=bearer(a))
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "job_running"
    assert directory.jobs("erasure-a").get(job.job_id).input == {"file_uri": upload.uri}
    assert blobs("erasure-a").read(upload.uri, max_bytes=10) == b"%PDF"


def test_deleting_a_tenant_erases_everything_it_had_after_a_confirmation(make_app, admin, directory, blobs, emulators):
    canary = f"canary{secrets.token_hex(4)}"
    a, b = admin.create("erasure-a"), admin.create("erasure-b")
    submit, run_agent = make_app("submit"), make_app("run_agent")
    upload = blobs("erasure-a").write(f"uploads/{canary}.pdf", canary_pdf(canary), content_type="x")
    submit_and_run(submit, run_agent, a, upload.uri, headers={"Idempotency-Key": canary})
    response = submit.post(f"/v1/agents/{AGENT}/jobs", json={"file_uri": upload.uri}, headers=bearer(a))
    pending = response.get_json()["job_id"]  # never run: still pending
    assert run_agent.post("/", json=job_push("erasure-a", new_job_id())).get_json()["outcome"] == "rejected"
    assert CliRunner().invoke(cli, ["tenants", "rotate-key", "erasure-a"]).exit_code == 0  # a second key
    kept = blobs("erasure-b").write("uploads/kept.pdf", b"%PDF", content_type="x")

    declined = CliRunner().invoke(cli, ["tenants", "delete", "erasure-a"], input="n\n")
    assert declined.exit_code == 1 and directory.get("erasure-a") is not None
    done = CliRunner().invoke(cli, ["tenants", "delete", "erasure-a"], input="y\n")
    assert done.exit_code == 0, done.output

    documents, objects = scan(emulators)
    assert holding([canary, "erasure-a"], documents, objects) == []
    assert not [name for name in objects if name.startswith("tenants/erasure-a/")]
    assert directory.jobs("erasure-a").get(pending) is None
    assert kept.uri.split("/", 3)[3] in objects
    assert make_app("status").get("/v1/jobs", headers=bearer(a)).status_code == 401
    assert make_app("status").get("/v1/jobs", headers=bearer(b)).status_code == 200
    again = CliRunner().invoke(cli, ["tenants", "delete", "erasure-a", "--yes"])
    assert again.exit_code == 1 and "tenant_not_found" in again.output


def test_webhook_secrets_are_never_stored_in_clear_and_a_rotation_signs_with_both(make_app, admin, directory):
    created = admin.create("erasure-a")
    raw = firestore.Client().collection("tenants").document("erasure-a").get().to_dict()
    body = created.webhook_secret.removeprefix("whsec_")
    assert created.webhook_secret.startswith("whsec_")
    assert body not in repr(raw) and body[:16] not in repr(raw) and "whsec_" not in repr(raw)

    rotated = CliRunner().invoke(cli, ["tenants", "rotate-webhook-secret", "erasure-a", "--grace", "1h"])
    assert rotated.exit_code == 0, rotated.output
    new_secret = next(w for w in rotated.output.split() if w.startswith("whsec_"))
    raw = firestore.Client().collection("tenants").document("erasure-a").get().to_dict()
    assert len(raw["webhook_secrets"]) == 2 and new_secret[6:] not in repr(raw) and body not in repr(raw)

    now = datetime.now(UTC)
    job = lifecycle.new_job(
        job_id=new_job_id(), tenant_id="erasure-a", agent=AGENT, input={}, source=Source.HTTPS, now=now
    )
    with WebhookReceiver(secret=created.webhook_secret) as receiver:
        job = lifecycle.claim(
            job.replace(callback_url=receiver.url), token="t", now=now, lease_seconds=60, max_attempts=3
        )
        directory.jobs("erasure-a").create(lifecycle.complete(job, token="t", now=now, result={}))
        task = {"tenant_id": "erasure-a", "job_id": job.job_id, "event": "job.completed"}
        assert make_app("notify").post("/", json=task).get_json()["outcome"] == "delivered"
        (delivery,) = receiver.wait_for(1)
    assert delivery.verified  # the receiver still holding the old secret
    assert len(delivery.headers["webhook-signature"].split(" ")) == 2
    assert Webhook(new_secret).verify(delivery.body, delivery.headers)["job_id"] == job.job_id


def test_a_rotated_api_key_works_for_its_grace_period_then_is_refused(make_app, admin):
    created = admin.create("erasure-a")
    status = make_app("status")
    assert status.get("/v1/jobs", headers=bearer(created)).status_code == 200  # cached on this instance
    rotated = CliRunner().invoke(cli, ["tenants", "rotate-key", "erasure-a", "--grace", "2s"])
    assert rotated.exit_code == 0, rotated.output
    new_key = next(w for w in rotated.output.split() if w.startswith("aj_"))
    started = time.monotonic()
    assert status.get("/v1/jobs", headers=bearer(created)).status_code == 200
    fresh = make_app("status")
    assert fresh.get("/v1/jobs", headers=bearer(created)).status_code == 200  # cached until the key's expiry
    time.sleep(max(0.0, 2.2 - (time.monotonic() - started)))
    assert fresh.get("/v1/jobs", headers=bearer(created)).status_code == 401
    assert fresh.get("/v1/jobs", headers={"Authorization": f"Bearer {new_key}"}).status_code == 200


def test_the_local_sweeper_deletes_expired_jobs_and_their_blobs(make_app, admin, directory, blobs):
    admin.create("erasure-a")
    now = datetime.now(UTC)
    upload = blobs("erasure-a").write("uploads/old.pdf", b"%PDF old", content_type="x")
    result = blobs("erasure-a").write("results/old.json", b"{}", content_type="application/json")
    jobs = {}
    for name, expires_at in (("expired", now - timedelta(seconds=1)), ("live", now + timedelta(days=1))):
        job = lifecycle.new_job(
            job_id=new_job_id(),
            tenant_id="erasure-a",
            agent=AGENT,
            input={"file_uri": upload.uri} if name == "expired" else {},
            source=Source.HTTPS,
            now=now - timedelta(days=30),
            expires_at=expires_at,
        )
        directory.jobs("erasure-a").create(job.replace(result_ref=result.uri if name == "expired" else None))
        jobs[name] = job.job_id
    tick = {"message": {"data": "", "attributes": {"kind": "sweep"}, "messageId": "tick-1"}}
    run_agent = make_app("run_agent", AGENTJOBS_SWEEP_EXPIRED_JOBS="1")
    assert run_agent.post("/", json=tick).get_json()["outcome"] == "swept"
    assert directory.jobs("erasure-a").get(jobs["expired"]) is None
    assert directory.jobs("erasure-a").get(jobs["live"]) is not None
    store = blobs("erasure-a")
    for uri in (upload.uri, result.uri):
        with pytest.raises(NotFound):
            store.read(uri, max_bytes=100)
