"""``run_agent``: runs agents for Pub/Sub pushes and Eventarc CloudEvents.

Deliveries: GCS object notifications (Pub/Sub notification or the Eventarc
``google.cloud.storage.object.v1.finalized`` CloudEvent), job messages from ``submit`` and the
sweeper, upstream job requests, sweep ticks, and on ``/dead-letter`` the messages Pub/Sub gave
up on. Registered as an HTTP function rather than a CloudEvent function so that a malformed
delivery can be acked (2xx) instead of being answered 400 by the framework, which Pub/Sub would
redeliver until it is dead-lettered.

Status codes: 200 = ack (ran, already finished, in progress elsewhere, rejected with a record,
ignored, swept); 503 = redeliver (a backend is unavailable, or the attempt failed transiently and
the job was released).
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime

import flask
import functions_framework

from common import telemetry
from common.adapters.clients import firestore_client, storage_client
from common.adapters.firestore_plans import FirestorePlanLedger, FirestoreWindowCounter
from common.adapters.firestore_store import (
    FirestoreIdempotencyStore,
    FirestoreJobSweep,
    FirestoreRejectionLog,
    FirestoreTenantDirectory,
)
from common.adapters.gcs_blobs import GcsBlobStore
from common.adapters.job_events import job_event_sink
from common.api.handling import MethodNotAllowed, ack_or_retry
from common.api.responses import Response, error_response, json_response
from common.api.server_errors import install_json_errors, read_body
from common.config import MAX_JOB_INPUT_BYTES, Settings
from common.errors import PayloadTooLarge
from common.messaging.deliveries import Delivery, Rejected, traceparent_of
from common.messaging.parse import MAX_DELIVERY_BYTES, parse_delivery
from common.plans.admission import Admission
from common.plans.limiter import RateLimiter
from common.plans.runtime import PlanRuntime
from common.services.callbacks import CallbackScheduler
from common.services.erasure import JobEraser
from common.services.execution import JobExecutor
from common.services.intake import DeliveryIntake
from common.services.sweeper import Sweeper
from common.services.tenant_cache import TenantCache

_settings = Settings.from_env()
_telemetry = telemetry.init("run_agent", _settings)
install_json_errors()
_firestore = firestore_client(_settings.project)
_storage = storage_client(_settings.project)
# Price overrides (and the tenant's choice of job events) are read through the cache: pricing a
# job costs no Firestore read when warm.
_tenant_cache = TenantCache(FirestoreTenantDirectory(_firestore), ttl_seconds=_settings.auth_cache_seconds)
_tenants = FirestoreTenantDirectory(_firestore, sink=job_event_sink(_settings, _tenant_cache.get))


def _clock() -> datetime:
    return datetime.now(UTC)


def _callbacks() -> CallbackScheduler | None:
    if not _settings.callbacks_queue:
        return None
    from common.adapters.cloud_tasks import CloudTasksQueue

    return CallbackScheduler(
        queue=CloudTasksQueue.from_settings(_settings), allow_loopback=_settings.allow_loopback_callbacks
    )


_callback_scheduler = _callbacks()


def _plans() -> PlanRuntime:
    warnings = None
    if _settings.callbacks_queue:
        from common.adapters.cloud_tasks import CloudTasksQueue
        from common.plans.warnings import TaskBudgetWarnings

        warnings = TaskBudgetWarnings(CloudTasksQueue.from_settings(_settings))
    return PlanRuntime(
        ledger=_ledger,
        limiter=RateLimiter(FirestoreWindowCounter(_firestore)),
        tenant=_tenant_cache.get,
        jobs_for=_tenants.jobs,
        clock=_clock,
        warnings=warnings,
    )


_ledger = FirestorePlanLedger(_firestore)
_plan_runtime = _plans()


def _blobs_for(tenant_id: str) -> GcsBlobStore:
    return GcsBlobStore(_storage, _settings.bucket, tenant_id, retry_seconds=_settings.backend_retry_seconds)


@functools.cache
def _sweeper() -> Sweeper:
    # Built on the first sweep tick: the Pub/Sub publisher stays out of the cold start.
    from common.adapters.clients import publisher_client
    from common.adapters.pubsub_publisher import PubSubJobPublisher

    publisher = publisher_client()
    # Expired jobs are Firestore's TTL's work in production; the local stack sweeps them.
    eraser = (
        JobEraser(
            tenants=_tenants,
            blobs_for=_blobs_for,
            idempotency_for=lambda tenant_id: FirestoreIdempotencyStore(_firestore, tenant_id),
            bucket=_settings.bucket,
            clock=_clock,
        )
        if _settings.sweep_expired_jobs
        else None
    )
    return Sweeper(
        settings=_settings,
        sweep=FirestoreJobSweep(_firestore),
        publisher=PubSubJobPublisher(publisher, publisher.topic_path(_settings.project, _settings.jobs_topic)),
        callbacks=_callback_scheduler,
        clock=_clock,
        eraser=eraser,
        plans=_plan_runtime,
    )


_intake = DeliveryIntake(
    settings=_settings,
    tenants=_tenants,
    executor=JobExecutor(
        settings=_settings,
        blobs_for=_blobs_for,
        clock=_clock,
        callbacks=_callback_scheduler,
        plans=_plan_runtime,
        prices_for=lambda tenant_id: tenant.price_overrides if (tenant := _tenant_cache.get(tenant_id)) else (),
    ),
    rejections=FirestoreRejectionLog(_firestore),
    clock=_clock,
    callbacks=_callback_scheduler,
    sweeper=_sweeper,
    admission=Admission(ledger=_ledger, clock=_clock),
)


@functions_framework.http  # pyright: ignore[reportUnknownMemberType]
def run_agent(request: flask.Request) -> Response:
    """Entry point: parse the delivery, handle it, ack (200) or ask for redelivery (503)."""
    if request.method == "GET" and request.path == "/healthz":
        return json_response({"status": "ok"})  # liveness for the local stack: no auth, no I/O
    if request.method != "POST":
        return error_response(MethodNotAllowed("deliveries are POSTed", allow=("POST",)))

    def call() -> Response:
        try:
            body = read_body(request, max_bytes=MAX_DELIVERY_BYTES)
        except PayloadTooLarge:
            delivery: Delivery = Rejected("", "delivery_too_large", "the delivery is over 16 MiB")
        else:
            delivery = parse_delivery(request.headers, body, path=request.path, max_input_bytes=MAX_JOB_INPUT_BYTES)
        traceparent = traceparent_of(delivery)
        # Pub/Sub redelivers until the job's attempts run out; the executor says when this is the last.
        with _telemetry.delivery(
            "run_agent",
            carrier={"traceparent": traceparent} if traceparent else None,
            kind="consumer",
            final_attempt=False,
        ):
            outcome = _intake.handle(delivery)
        return json_response(
            {"outcome": outcome.kind, "job_id": outcome.job_id, "status": outcome.status, "code": outcome.code}
        )

    return ack_or_retry("run_agent", call)
