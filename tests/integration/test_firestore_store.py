"""The Firestore adapters against the emulator: create-if-absent, transactions, scoping, listing."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from common.adapters.firestore_store import FirestoreIdempotencyStore, FirestoreJobStore
from common.errors import Conflict, NotFound
from common.jobs import lifecycle
from common.jobs.ids import new_job_id
from common.jobs.models import CallbackAttempt, JobStatus, Source, Usage
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
    store.create(original)
    stored = store.get(original.job_id)
    assert stored == original


def test_create_is_create_if_absent(directory, tenant):
    store = directory.jobs("acme")
    first = job()
    assert store.create(first) == (first, True)
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
    store.add_callback_attempt(j.job_id, CallbackAttempt(NOW, "job.completed", 503, 12.5))
    store.add_callback_attempt(j.job_id, CallbackAttempt(NOW + timedelta(seconds=1), "job.completed", 204, 8.0))
    assert [a.http_status for a in store.get(j.job_id).callbacks] == [503, 204]


def test_tenant_ids_are_unique_and_keys_resolve(directory, admin, tenant):
    with pytest.raises(Conflict):
        admin.create("acme")
    from common.tenants.models import hash_api_key

    assert directory.tenant_id_for_key(hash_api_key(tenant.api_key)) == "acme"
    assert directory.tenant_id_for_key(hash_api_key("aj_other")) is None
    stored: Tenant = directory.get("acme")
    assert stored.webhook_secret.startswith("whsec_")


def test_idempotency_store(directory, tenant):
    keys = FirestoreIdempotencyStore(directory._client, "acme")
    assert keys.put_if_absent("k/with/slashes", job_id="j1", request_hash="h", now=NOW) is None
    record = keys.put_if_absent("k/with/slashes", job_id="j2", request_hash="h2", now=NOW)
    assert (record.job_id, record.request_hash, record.completed) == ("j1", "h", False)
    keys.mark_completed("k/with/slashes")
    assert keys.put_if_absent("k/with/slashes", job_id="j3", request_hash="h", now=NOW).completed
    keys.delete("k/with/slashes")
    assert keys.put_if_absent("k/with/slashes", job_id="j4", request_hash="h", now=NOW) is None
