"""What an erased job leaves (its tombstone), and which objects it owns."""

from datetime import UTC, datetime, timedelta

import pytest

from common.jobs import lifecycle
from common.jobs.codec import job_from_doc, job_to_doc
from common.jobs.models import CallbackAttempt, JobStatus, Source, Usage
from common.retention.erasure import JobRunning, ObjectRef, owned_objects, tombstone

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PREFIX = "gs://bkt/tenants/acme/"


def finished(**input_):
    job = lifecycle.new_job(
        job_id="job_" + "a" * 26,
        tenant_id="acme",
        agent="protocol-processor",
        input=input_ or {"file_uri": PREFIX + "uploads/u1/Patient Smith.pdf"},
        source=Source.HTTPS,
        now=T0,
        callback_url="https://hooks.example.com/canary",
        metadata={"patient": "canary"},
        model="openai/m",
        expires_at=T0 + timedelta(days=30),
    )
    job = lifecycle.claim(job, token="t", now=T0, lease_seconds=60, max_attempts=3)
    job = lifecycle.complete(
        job,
        token="t",
        now=T0 + timedelta(seconds=5),
        result={"title": "canary"},
        result_ref=PREFIX + "results/job.json",
        timings={"run": 1.0},
        usage=Usage(1, 2, 3, 1),
    )
    return job.replace(callbacks=(CallbackAttempt(T0, "job.completed", 204, 3.0),))


def test_the_tombstone_keeps_ids_and_timestamps_only():
    job = finished()
    now = T0 + timedelta(hours=1)
    tomb = tombstone(job, now=now)
    assert tomb.status is JobStatus.DELETED and tomb.status.terminal
    assert (tomb.job_id, tomb.tenant_id, tomb.agent, tomb.source) == (job.job_id, "acme", job.agent, job.source)
    assert (tomb.created_at, tomb.started_at, tomb.finished_at, tomb.expires_at) == (
        job.created_at,
        job.started_at,
        job.finished_at,
        job.expires_at,
    )
    assert tomb.deleted_at == tomb.updated_at == now
    stored = job_to_doc(tomb)
    assert "canary" not in repr(stored) and "Smith" not in repr(stored)
    for field in ("result", "result_ref", "error", "callback_url", "model", "usage", "callback_status"):
        assert stored[field] is None, field
    assert stored["input"] == {} and stored["metadata"] == {} and stored["callbacks"] == [] and stored["timings"] == {}
    assert job_from_doc(stored).status is JobStatus.DELETED


def test_erasure_is_idempotent_and_refuses_a_running_job():
    tomb = tombstone(finished(), now=T0)
    assert tombstone(tomb, now=T0 + timedelta(days=1)) is tomb
    pending = lifecycle.new_job(
        job_id="job_" + "b" * 26, tenant_id="acme", agent="a1", input={}, source=Source.HTTPS, now=T0
    )
    assert tombstone(pending, now=T0).status is JobStatus.DELETED
    running = lifecycle.claim(pending, token="t", now=T0, lease_seconds=60, max_attempts=3)
    with pytest.raises(JobRunning) as info:
        tombstone(running, now=T0)
    assert (info.value.http_status, info.value.error_code) == (409, "job_running")


def test_a_tombstone_can_never_run_again():
    tomb = tombstone(finished(), now=T0)
    assert lifecycle.claim(tomb, token="x", now=T0, lease_seconds=60, max_attempts=3) is tomb
    assert lifecycle.reject(tomb, now=T0, error=tomb.error or lifecycle.JobError("x", "y")) is tomb


def test_owned_objects_are_the_input_objects_in_the_prefix_and_the_result():
    job = finished(
        file_uri=PREFIX + "inbox/protocol-processor/p.pdf",
        generation=17,
        others=[PREFIX + "uploads/a.pdf", "gs://bkt/tenants/globex/uploads/b.pdf", "gs://other/tenants/acme/c"],
        nested={"doc": PREFIX + "uploads/d.pdf", "text": "see gs://bkt/tenants/acme/x inside prose"},
        bare=PREFIX,
    )
    assert owned_objects(job, bucket="bkt") == [
        ObjectRef(PREFIX + "inbox/protocol-processor/p.pdf", 17),
        ObjectRef(PREFIX + "uploads/a.pdf"),
        ObjectRef(PREFIX + "uploads/d.pdf"),
        ObjectRef(PREFIX + "results/job.json"),
    ]


def test_another_tenants_result_ref_is_never_owned():
    job = finished().replace(result_ref="gs://bkt/tenants/globex/results/x.json")
    assert ObjectRef("gs://bkt/tenants/globex/results/x.json") not in owned_objects(job, bucket="bkt")
