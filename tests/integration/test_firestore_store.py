"""The Firestore adapters against the emulator: create-if-absent, transactions, scoping, listing."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from common.adapters.firestore_store import FirestoreIdempotencyStore, FirestoreJobStore
from common.errors import Conflict, NotFound
from common.jobs import lifecycle
from common.jobs.ids import new_job_id
from common.jobs.models import CallbackAttempt, CallbackStatus, JobStatus, Source, Usage
from common.tenants.models import Tenant

NOW = datetime(2026, 5, 1, tzinfo=UTC)


def job(tenant_id="acme", minutes=0):
    return lifecycle.new_job(
        job_id=new_job_id(),
        tenant_id=tenant_id,
        agent="protocol-processor",
        input={"file_uri": "gs://b/tenants/acme/x.pdf"},
        source=Source.GCS,
        now=NOW + timedelta(minutes=minutes),
        metadata={"k": "v"},
    )


def test_round_trip_keeps_every_field(directory, tenant):
    store = directory.jobs("acme")
    original = lifecycle.claim(job(), token="t", now=NOW, lease_seconds=60, max_attempts=3)
    original = lifecycle.complete(
        original,
        token="t",
        now=NOW,
        result={"a": [1, 2]},
        timings={"run": 1.5},
        model="openai/x",
        usage=Usage(10, 5, 100, 1),
    )
    created, _ = store.create(original)
    stored = store.get(original.job_id)
    assert stored == created and stored.revision is not None
    # created, and the outcome of a job created already finished (here: a success)
    assert stored.replace(revision=None) == original.replace(event_seq=2)


def test_create_is_create_if_absent(directory, tenant):
    store = directory.jobs("acme")
    first = job()
    created, was_created = store.create(first)
    assert was_created and created.replace(revision=None) == first.replace(event_seq=1)
    again, created = store.create(first.replace(agent="other"))
    assert not created and again.agent == "protocol-processor"


def test_stores_are_scoped_to_their_tenant(directory, tenant, other_tenant):
    mine = job("acme")
    directory.jobs("acme").create(mine)
    assert directory.jobs("globex").get(mine.job_id) is None
    assert directory.jobs("globex").list() == []
    with pytest.raises(ValueError):
        directory.jobs("globex").create(mine)
    with pytest.raises(ValueError):
        FirestoreJobStore(directory._client, "")


def test_concurrent_claims_give_exactly_one_lease(directory, tenant):
    store = directory.jobs("acme")
    pending = job()
    store.create(pending)
    winners: list[str] = []

    def worker(token: str) -> None:
        claimed = store.update(
            pending.job_id,
            lambda j: lifecycle.claim(j, token=token, now=NOW, lease_seconds=600, max_attempts=5),
        )
        if lifecycle.holds_lease(claimed, token):
            winners.append(token)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1
    assert store.get(pending.job_id).attempts == 1


def test_update_of_a_missing_job_is_not_found(directory, tenant):
    with pytest.raises(NotFound):
        directory.jobs("acme").update("job_" + "b" * 26, lambda j: j)


def test_list_orders_newest_first_and_filters(directory, tenant):
    store = directory.jobs("acme")
    jobs = [job(minutes=i) for i in range(5)]
    for j in jobs:
        store.create(j)
    store.update(jobs[1].job_id, lambda j: lifecycle.reject(j, now=NOW, error=lifecycle.JobError("x", "y")))
    assert [j.job_id for j in store.list(limit=3)] == [jobs[4].job_id, jobs[3].job_id, jobs[2].job_id]
    assert [j.job_id for j in store.list(status=JobStatus.FAILED)] == [jobs[1].job_id]


def test_callback_attempts_append(directory, tenant):
    store = directory.jobs("acme")
    j = job()
    store.create(j)
    store.record_callback(
        j.job_id, CallbackAttempt(NOW, "job.completed", 503, 12.5), status=CallbackStatus.FAILING, error="http_503"
    )
    later = NOW + timedelta(seconds=1)
    store.record_callback(
        j.job_id, CallbackAttempt(later, "job.completed", 204, 8.0), status=CallbackStatus.DELIVERED, error=None
    )
    stored = store.get(j.job_id)
    assert [a.http_status for a in stored.callbacks] == [503, 204]
    assert (stored.callback_status, stored.callback_error, stored.callback_updated_at) == (
        CallbackStatus.DELIVERED,
        None,
        later,
    )


def test_a_conditional_write_loses_to_a_newer_revision_and_falls_back_to_a_read(directory, tenant):
    store = directory.jobs("acme")
    created, _ = store.create(job())
    claimed = store.replace(created, lambda j: lifecycle.claim(j, token="a", now=NOW, lease_seconds=30, max_attempts=3))
    assert claimed.revision != created.revision
    # A stale holder (revision of `created`) renews: the write is refused, the fallback reads the
    # stored job, and the lease check there decides (token "b" holds nothing).
    with pytest.raises(lifecycle.LeaseLost):
        store.replace(created, lambda j: lifecycle.renew(j, token="b", now=NOW, lease_seconds=30))
    renewed = store.replace(claimed, lambda j: lifecycle.renew(j, token="a", now=NOW, lease_seconds=60))
    assert store.get(created.job_id).lease_expires_at == renewed.lease_expires_at


def test_tenant_ids_are_unique_and_keys_resolve(directory, admin, tenant):
    with pytest.raises(Conflict):
        admin.create("acme")
    from common.tenants.models import hash_api_key

    assert directory.api_key(hash_api_key(tenant.api_key)).tenant_id == "acme"
    assert directory.api_key(hash_api_key("aj_other")) is None
    stored: Tenant = directory.get("acme")
    (secret,) = stored.webhook_secrets
    assert secret.ciphertext.startswith("local:") and secret.expires_at is None


def test_idempotency_store(directory, tenant):
    keys = FirestoreIdempotencyStore(directory._client, "acme")
    assert keys.put_if_absent("k/with/slashes", job_id="j1", request_hash="h", now=NOW) is None
    record = keys.put_if_absent("k/with/slashes", job_id="j2", request_hash="h2", now=NOW)
    assert (record.job_id, record.request_hash, record.completed) == ("j1", "h", False)
    keys.mark_completed("k/with/slashes")
    assert keys.put_if_absent("k/with/slashes", job_id="j3", request_hash="h", now=NOW).completed
    keys.delete("k/with/slashes")
    assert keys.put_if_absent("k/with/slashes", job_id="j4", request_hash="h", now=NOW) is None


def test_sweep_queries_find_stale_pending_expired_and_stuck_callback_jobs_across_tenants(
    directory, tenant, other_tenant
):
    from common.adapters.firestore_store import FirestoreJobSweep

    old = NOW - timedelta(minutes=10)
    pending = job("acme").replace(updated_at=old)
    running = lifecycle.claim(job("globex"), token="t", now=old, lease_seconds=30, max_attempts=3)
    done = lifecycle.complete(
        lifecycle.claim(
            job("acme").replace(callback_url="https://x"), token="t", now=old, lease_seconds=30, max_attempts=3
        ),
        token="t",
        now=old,
        result={},
    )
    for j in (pending, running, done):
        directory.jobs(j.tenant_id).create(j)
    sweep = FirestoreJobSweep(directory._client)
    assert [j.job_id for j in sweep.stale_pending(updated_before=NOW, limit=10)] == [pending.job_id]
    [expired] = sweep.expired_leases(now=NOW, limit=10)
    assert (expired.job_id, expired.tenant_id) == (running.job_id, "globex") and expired.revision
    [stuck] = sweep.stuck_callbacks(CallbackStatus.PENDING, updated_before=NOW, limit=10)
    assert stuck.job_id == done.job_id
    assert sweep.stale_pending(updated_before=old, limit=10) == []
