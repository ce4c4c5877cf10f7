"""Erasure over in-memory fakes: one job on request, expired jobs by the sweeper, a whole tenant."""

from __future__ import annotations

from datetime import timedelta

import pytest

from common.errors import NotFound
from common.jobs import lifecycle
from common.jobs.models import JobStatus, Source
from common.messaging.deliveries import JobQueued
from common.retention.erasure import JobRunning
from common.services.erasure import JobEraser
from common.services.sweeper import Sweeper
from common.services.tenant_erasure import TenantEraser, TenantJobsRunning
from tests.support.fakes import InMemoryBlobStore, InMemoryIdempotencyStore, InMemoryJobSweep
from tests.unit.services.conftest import BUCKET

JOB = "job_" + "e" * 26


class Erasure:
    def __init__(self, world):
        self.world = world
        self.keys: dict[str, dict] = {}

    def idempotency(self, tenant_id):
        return InMemoryIdempotencyStore(self.keys.setdefault(tenant_id, {}))

    def eraser(self) -> JobEraser:
        return JobEraser(
            tenants=self.world.tenants,
            blobs_for=lambda t: InMemoryBlobStore(BUCKET, t, self.world.bucket),
            idempotency_for=self.idempotency,
            bucket=BUCKET,
            clock=self.world.clock,
        )

    def stored_job(self, tenant="acme", job_id=JOB, *, finished=True, days=30):
        world = self.world
        upload = f"tenants/{tenant}/uploads/u/Patient.pdf"
        generation = world.bucket.put(upload, b"ok:canary")
        job = lifecycle.new_job(
            job_id=job_id,
            tenant_id=tenant,
            agent="echo",
            input={"file_uri": f"gs://{BUCKET}/{upload}", "generation": generation},
            source=Source.HTTPS,
            now=world.clock(),
            metadata={"who": "canary"},
            callback_url="https://hooks.example.com/x",
            expires_at=world.clock() + timedelta(days=days),
        )
        world.tenants.jobs(tenant).create(job)
        self.idempotency(tenant).put_if_absent("key-1", job_id=job_id, request_hash="h", now=world.clock())
        if finished:
            world.runner().handle(JobQueued(tenant, job_id, "m1"))
        return world.tenants.jobs(tenant).get(job_id)


@pytest.fixture
def erasure(world):
    return Erasure(world)


def test_erasing_a_job_deletes_its_objects_keys_and_content_and_leaves_a_tombstone(world, erasure):
    job = erasure.stored_job()
    world.bucket.put("tenants/acme/results/other-job.json", b"{}")
    assert job.status is JobStatus.SUCCESS and job.callbacks == () and job.callback_status is not None
    tomb = erasure.eraser().erase(job)
    assert tomb.status is JobStatus.DELETED and tomb.deleted_at == world.clock()
    stored = world.tenants.jobs("acme").get(JOB)
    assert stored.input == {} and stored.result is None and stored.metadata == {} and stored.callback_url is None
    assert list(world.bucket.objects) == ["tenants/acme/results/other-job.json"]  # only another job's object
    assert erasure.keys["acme"] == {}
    assert erasure.eraser().erase(stored).status is JobStatus.DELETED  # idempotent


def test_an_offloaded_result_is_erased_too(world, erasure):
    erasure.stored_job(finished=False)
    world.bucket.put(f"tenants/acme/results/{JOB}.json", b'{"big": "canary"}')
    result_ref = f"gs://{BUCKET}/tenants/acme/results/{JOB}.json"
    world.tenants.jobs("acme").update(JOB, lambda j: j.replace(result_ref=result_ref))
    erasure.eraser().erase(world.tenants.jobs("acme").get(JOB))
    assert not [name for name, (data, _) in world.bucket.objects.items() if b"canary" in data]


def test_a_running_job_is_refused_and_nothing_is_deleted(world, erasure):
    job = erasure.stored_job(finished=False)
    running = world.tenants.jobs("acme").update(
        JOB, lambda j: lifecycle.claim(j, token="t", now=world.clock(), lease_seconds=30, max_attempts=3)
    )
    objects = dict(world.bucket.objects)
    with pytest.raises(JobRunning):
        erasure.eraser().erase(running)
    assert world.bucket.objects == objects and erasure.keys["acme"]
    assert world.tenants.jobs("acme").get(JOB).input == job.input


def test_a_result_stored_while_erasing_is_erased_with_the_job(world, erasure):
    job = erasure.stored_job(finished=False)
    store = world.tenants.jobs("acme")
    real_erase = store.erase

    def erase_after_the_run_finished(job_id, transition):
        # The job ran and offloaded its result between erasure's first look and its tombstone.
        ref = store._jobs[job_id].replace(
            status=JobStatus.SUCCESS, result_ref=f"gs://{BUCKET}/tenants/acme/results/late.json"
        )
        world.bucket.put("tenants/acme/results/late.json", b"canary")
        store._jobs[job_id] = ref
        return real_erase(job_id, transition)

    store.erase = erase_after_the_run_finished
    erasure.eraser().erase(job)
    assert "tenants/acme/results/late.json" not in world.bucket.objects


def test_a_queued_message_for_an_erased_job_runs_nothing(world, erasure):
    job = erasure.stored_job(finished=False)
    erasure.eraser().erase(job)
    outcome = world.runner().handle(JobQueued("acme", JOB, "m2"))
    assert outcome.kind == "already_finished" and world.echo.runs == 0


def test_the_sweeper_deletes_expired_jobs_with_their_objects(world, erasure):
    erasure.stored_job(days=1)
    erasure.stored_job(job_id="job_" + "f" * 26, days=10)
    sweeper = Sweeper(
        settings=world.settings(),
        sweep=InMemoryJobSweep(world.tenants),
        publisher=world.publisher,
        callbacks=None,
        clock=world.clock,
        eraser=erasure.eraser(),
    )
    assert sweeper.sweep().jobs_expired == 0
    world.clock.advance(2 * 86400)
    assert sweeper.sweep().jobs_expired == 1
    assert world.tenants.jobs("acme").get(JOB) is None
    assert world.tenants.jobs("acme").get("job_" + "f" * 26) is not None
    assert all(r.job_id != JOB for r in erasure.keys["acme"].values())


def _tenant_eraser(world, erasure) -> TenantEraser:
    return TenantEraser(
        tenants=world.tenants,
        rejections=world.rejections,
        blobs_for=lambda t: InMemoryBlobStore(BUCKET, t, world.bucket),
        jobs=erasure.eraser(),
    )


def test_erasing_a_tenant_leaves_nothing_of_it_and_spares_the_others(world, erasure):
    erasure.stored_job()
    erasure.stored_job(job_id="job_" + "g" * 26, finished=False)
    erasure.stored_job("other")
    world.rejections.record("m", code="x", reason="y", tenant_id="acme", now=world.clock())
    erased = _tenant_eraser(world, erasure).erase("acme")
    assert erased.pending_jobs == 1 and erased.api_keys == 1 and erased.rejections == 1
    assert world.tenants.get("acme") is None and not world.tenants.api_keys("acme")
    assert not [n for n in world.bucket.objects if n.startswith("tenants/acme/")]
    assert world.tenants.get("other") is not None and world.tenants.jobs("other").get(JOB) is not None
    with pytest.raises(NotFound):
        _tenant_eraser(world, erasure).erase("acme")


def test_a_tenant_with_a_running_job_is_deactivated_and_erased_once_it_finishes(world, erasure):
    erasure.stored_job(finished=False)
    erasure.stored_job(job_id="job_" + "h" * 26, finished=False)
    world.tenants.jobs("acme").update(
        JOB, lambda j: lifecycle.claim(j, token="t", now=world.clock(), lease_seconds=30, max_attempts=3)
    )
    with pytest.raises(TenantJobsRunning):
        _tenant_eraser(world, erasure).erase("acme")
    assert not world.tenants.get("acme").active
    assert world.tenants.jobs("acme").get("job_" + "h" * 26).status is JobStatus.DELETED  # pending: erased
    world.tenants.jobs("acme").update(
        JOB, lambda j: lifecycle.fail(j, token="t", now=world.clock(), error=lifecycle.JobError("x", "y"))
    )
    _tenant_eraser(world, erasure).erase("acme")
    assert world.tenants.get("acme") is None
