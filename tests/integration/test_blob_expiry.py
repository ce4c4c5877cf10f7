"""Blobs expire with their job: the input a job read and a result it stored carry its ``expires_at``.

The bucket's lifecycle rule (``terraform/storage.tf``) deletes an object once its ``customTime``
has passed, so a tenant with a short retention loses its blobs when its jobs expire, not at the
deployment-wide age ceiling. fake-gcs-server keeps ``customTime`` as Cloud Storage does.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from common.adapters.clients import storage_client
from common.jobs.ids import gcs_job_id
from tests.integration.test_hostile_deliveries import gcs_notification
from tests.support.hostile_pdfs import tiny_protocol_pdf

AGENT = "protocol-processor"


def custom_time(emulators, uri: str) -> datetime | None:
    bucket, name = uri.removeprefix("gs://").split("/", 1)
    blob = storage_client(emulators.project).bucket(bucket).get_blob(name)
    assert blob is not None
    return blob.custom_time


def test_the_input_a_job_reads_expires_with_the_job(make_app, emulators, directory, admin, tenant, blobs):
    admin.set_retention("acme", 3)
    stored = blobs("acme").write(f"inbox/{AGENT}/p.pdf", tiny_protocol_pdf(), content_type="application/pdf")
    name = stored.uri.split("/", 3)[3]
    response = make_app("run_agent").post("/", json=gcs_notification(emulators.bucket, name, str(stored.generation)))
    assert response.status_code == 200 and response.get_json()["status"] == "success", response.get_json()
    job = directory.jobs("acme").get(gcs_job_id(emulators.bucket, name, stored.generation))
    assert job.expires_at is not None
    assert abs(job.expires_at - (job.created_at + timedelta(days=3))) < timedelta(seconds=1)
    assert custom_time(emulators, stored.uri) == job.expires_at


def test_a_stored_result_carries_its_expiry(emulators, tenant, blobs):
    # fake-gcs-server ignores ifGenerationMatch on a metadata patch and lets customTime move
    # earlier, so those two Cloud Storage rules are left to the unit fakes.
    store = blobs("acme")
    later = datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC)
    stored = store.write("results/x.json", b"{}", content_type="application/json", expires_at=later)
    assert custom_time(emulators, stored.uri) == later
    assert store.set_expiry(stored.uri, later + timedelta(days=1), generation=stored.generation)
    assert custom_time(emulators, stored.uri) == later + timedelta(days=1)
