"""Job events on Pub/Sub (issue 12): a subscription filtered by tenant gets that tenant's events.

Real functions (submit, run_agent) against the Pub/Sub and Firestore emulators; the subscriber
creates its own subscription with a filter, as a downstream system would.

The Pub/Sub emulator (0.8.20, the one the local stack runs) stores a subscription's filter but
does not apply it: it delivers every message of the topic (checked below, so a future emulator
that filters fails this test and the workaround can go). The test therefore applies the filter
the subscription holds, read back from the emulator, to the ``attributes`` of what arrives, the
way Pub/Sub evaluates ``attributes.KEY = "VALUE"``. What the test proves is that the messages
carry the attributes such a filter selects on, and that the selected set is exactly the tenant's
outcomes, each once after dedup by ``seq``.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from decimal import Decimal

from google.cloud import pubsub_v1

from common.adapters.clients import firestore_client
from common.adapters.firestore_plans import RESERVATIONS
from common.costs.models import PriceOverride
from common.plans.models import Budget, BudgetPeriod, UsagePlan
from common.topology import JOB_EVENTS_TOPIC
from tests.integration.conftest import bearer
from tests.integration.test_firestore_cost import job_message


def _subscribe(project: str, filter_: str) -> str:
    subscriber = pubsub_v1.SubscriberClient()
    name = subscriber.subscription_path(project, f"events-{uuid.uuid4().hex[:8]}")
    subscriber.create_subscription(
        request={
            "name": name,
            "topic": f"projects/{project}/topics/{JOB_EVENTS_TOPIC}",
            "filter": filter_,
            "enable_message_ordering": True,
        }
    )
    return name


def _matches(filter_: str, attributes: dict[str, str]) -> bool:
    """Pub/Sub's ``attributes.KEY = "VALUE"`` (the only filter form used here)."""
    found = re.fullmatch(r'attributes\.([\w-]+) = "([^"]*)"', filter_)
    assert found is not None, filter_
    return attributes.get(found[1]) == found[2]


def _received(subscription: str) -> tuple[list[tuple[dict[str, str], dict]], set[str]]:
    """What the filtered subscription delivers, as Pub/Sub would filter it (see the module docstring),
    and the tenants of everything the emulator delivered."""
    stored = pubsub_v1.SubscriberClient().get_subscription(subscription=subscription).filter
    raw = _drain(subscription)
    return [(a, body) for a, body in raw if _matches(stored, a)], {a["tenant_id"] for a, _ in raw}


def _drain(subscription: str, *, settle: float = 1.5) -> list[tuple[dict[str, str], dict]]:
    """Every message until none came for ``settle`` seconds, acked."""
    subscriber = pubsub_v1.SubscriberClient()
    got: list[tuple[dict[str, str], dict]] = []
    quiet_since = time.monotonic()
    while time.monotonic() - quiet_since < settle:
        response = subscriber.pull(request={"subscription": subscription, "max_messages": 50}, timeout=5)
        if response.received_messages:
            quiet_since = time.monotonic()
            for received in response.received_messages:
                got.append((dict(received.message.attributes), json.loads(received.message.data)))
            subscriber.acknowledge(
                request={"subscription": subscription, "ack_ids": [r.ack_id for r in response.received_messages]}
            )
    return got


def test_a_tenant_filtered_subscription_receives_exactly_that_tenants_outcomes_once_by_seq(
    make_app, emulators, tenant, other_tenant, admin, blobs
):
    everything = _subscribe(emulators.project, "")
    acme_only = _subscribe(emulators.project, 'attributes.tenant_id = "acme"')
    globex_only = _subscribe(emulators.project, 'attributes.tenant_id = "globex"')
    admin.set_stage_events("globex", True)  # globex opted in to every event; acme gets outcomes only
    submit, run_agent = make_app("submit"), make_app("run_agent", AGENTJOBS_CALLBACKS_QUEUE="")
    jobs: dict[str, list[str]] = {"acme": [], "globex": []}
    for created, name in ((tenant, "a1.pdf"), (tenant, "a2.pdf"), (other_tenant, "g1.pdf")):
        tenant_id = created.tenant.tenant_id
        stored = blobs(tenant_id).write(f"uploads/{name}", _pdf(), content_type="application/pdf")
        response = submit.post(
            "/v1/agents/protocol-processor/jobs", json={"file_uri": stored.uri}, headers=bearer(created)
        )
        assert response.status_code == 202, response.get_json()
        job_id = response.get_json()["job_id"]
        jobs[tenant_id].append(job_id)
        ran = run_agent.post("/", json=job_message(tenant_id, job_id, f"m-{name}")).get_json()
        assert ran["status"] == "success", ran
        # A redelivery of finished work publishes nothing new; duplicates would be dropped by seq anyway.
        run_agent.post("/", json=job_message(tenant_id, job_id, f"m-{name}-again"))

    assert {a["tenant_id"] for a, _ in _drain(everything)} == {"acme", "globex"}, "both tenants published"
    acme, unfiltered = _received(acme_only)
    assert "globex" in unfiltered, "the emulator filters now: receive without _matches"
    unique = {(a["job_id"], int(a["seq"])): (a, body) for a, body in acme}
    assert {a["tenant_id"] for a, _ in acme} == {"acme"}
    assert sorted((a["job_id"], a["type"]) for a, _ in unique.values()) == sorted(
        (job_id, "succeeded") for job_id in jobs["acme"]
    )
    for attributes, body in unique.values():
        assert attributes["agent"] == "protocol-processor"
        assert body["seq"] == int(attributes["seq"]) and body["type"] == attributes["type"]
        assert set(body) == {"job_id", "seq", "type", "at"}

    globex, _ = _received(globex_only)
    seqs = sorted({int(a["seq"]) for a, _ in globex})
    types = [a["type"] for a, _ in sorted(globex, key=lambda m: int(m[0]["seq"]))]
    assert {a["tenant_id"] for a, _ in globex} == {"globex"}
    assert seqs == list(range(1, seqs[-1] + 1)), "an opted-in tenant gets every event, each seq"
    assert types[0] == "created" and "stage_finished" in types and types[-1] == "succeeded", types


def _pdf() -> bytes:
    from tests.support.hostile_pdfs import tiny_protocol_pdf

    return tiny_protocol_pdf()


def test_a_job_admitted_under_a_budget_publishes_its_created_event(make_app, emulators, tenant, admin, directory):
    # Under a budget, admission stores the job, its first events page and its reservation in one
    # commit of the plan ledger, not through the job store: the events must still go out.
    everything = _subscribe(emulators.project, "")
    admin.set_stage_events("acme", True)
    price = PriceOverride("openai", "*", Decimal(1), Decimal(1))
    budget = UsagePlan(budget=Budget(BudgetPeriod.MONTH, Decimal(10)))
    directory.save(directory.get("acme").replace(plan=budget, price_overrides=(price,)))
    submit = make_app("submit", AGENTJOBS_MODEL="openai/gpt-4o-mini:completions")
    request = {"criteria": [{"type": "inclusion", "text": "Age 18 or over"}], "patient_profile": ["A 40 year old."]}
    response = submit.post("/v1/agents/criteria-evaluator/jobs", json=request, headers=bearer(tenant))
    assert response.status_code == 202, response.get_json()
    job_id = response.get_json()["job_id"]
    reservations = firestore_client(emulators.project).collection(f"tenants/acme/{RESERVATIONS}").stream()
    assert any(job_id in r.id for r in reservations), "admission reserved the budget"

    published = [(a["type"], int(a["seq"])) for a, _ in _drain(everything) if a["job_id"] == job_id]
    assert published == [("created", 1)]
