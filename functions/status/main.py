"""``status``: HTTPS job resources: status, result, listing, control and erasure.

Routes:
    ``GET /v1/jobs/{job_id}``: one job of the caller's tenant, with its result (410 once erased).
    ``GET /v1/jobs/{job_id}/events``: the job's events as Server-Sent Events, resumable with
    ``Last-Event-ID`` (:mod:`common.services.event_stream`).
    ``DELETE /v1/jobs/{job_id}``: erase the job's input, result, objects and callback log now.
    ``POST /v1/jobs/{job_id}:cancel``: cancel a pending or running job (200 done, 202 under way).
    ``POST /v1/jobs/{job_id}:retry``: run a failed job again as a new attempt (202).
    ``POST /v1/jobs/{job_id}/feedback``: a reviewer's verdict on a successful job's output.
    ``GET /v1/jobs?status=&quality=&agent=&created_after=&limit=&page_token=``: the caller's jobs, newest first.
    ``GET /v1/rejections?limit=&page_token=``: the caller's rejected deliveries (codes, no content).
    ``GET /v1/usage?from=&to=&group_by=``: the caller's usage by day, agent or model (daily counters),
    and with a usage plan, ``plan``: the period's budget (limit, spent, reserved, remaining) and
    the jobs pending or running per agent (:func:`common.plans.usage.plan_report`).
    ``GET /v1/openapi.json``: the OpenAPI 3.1 document.
    ``GET /healthz``: liveness (no auth, no I/O).

Authentication: ``Authorization: Bearer <api key>``. Imports no LLM code and no Cloud Storage
SDK at cold start (only an offloaded result, or erasing a job that owns objects, loads it).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import flask
import functions_framework

from common import telemetry
from common.adapters.clients import firestore_client
from common.adapters.firestore_store import (
    FirestoreIdempotencyStore,
    FirestoreRejectionLog,
    FirestoreTenantDirectory,
)
from common.adapters.job_events import job_event_sink
from common.api.auth import Authenticator
from common.api.handling import respond
from common.api.queries import parse_list_query, parse_rejections_query
from common.api.responses import Response, json_response
from common.api.routing import Route, match
from common.api.server_errors import install_json_errors, read_body
from common.api.views import own_base_url
from common.boundary.ids import IdKind, is_valid_id
from common.config import Settings
from common.jobs.models import Job
from common.judges.feedback import MAX_FEEDBACK_BYTES
from common.ports import BlobStore, JobPublisher
from common.services.erasure import JobEraser
from common.services.job_control import JobControl
from common.services.status import StatusService
from common.services.tenant_cache import TenantCache
from common.tenants.models import Tenant

if TYPE_CHECKING:
    from common.services.callbacks import CallbackScheduler

_settings = Settings.from_env()
_telemetry = telemetry.init("status", _settings)
install_json_errors()
_firestore = firestore_client(_settings.project)
# Tenant reads need no events sink; the cache answers the fan-out's per-tenant choice of events.
_tenant_cache = TenantCache(FirestoreTenantDirectory(_firestore), ttl_seconds=_settings.auth_cache_seconds)
_tenants = FirestoreTenantDirectory(_firestore, sink=job_event_sink(_settings, _tenant_cache.get))
_auth = Authenticator(_tenants, ttl_seconds=_settings.auth_cache_seconds)


def _blobs_for(tenant_id: str) -> BlobStore:
    from common.adapters.clients import storage_client
    from common.adapters.gcs_blobs import GcsBlobStore

    return GcsBlobStore(
        storage_client(_settings.project),
        _settings.bucket,
        tenant_id,
        retry_seconds=_settings.backend_retry_seconds,
    )


_eraser = JobEraser(
    tenants=_tenants,
    blobs_for=_blobs_for,
    idempotency_for=lambda tenant_id: FirestoreIdempotencyStore(_firestore, tenant_id),
    bucket=_settings.bucket,
    clock=lambda: datetime.now(UTC),
)


_rejections = FirestoreRejectionLog(_firestore)
_publishers: list[JobPublisher] = []
_callback_schedulers: list[CallbackScheduler] = []


def _publisher() -> JobPublisher:
    # Only a retry publishes: the Pub/Sub client loads on the first one, not at cold start.
    if not _publishers:
        from common.adapters.clients import publisher_client
        from common.adapters.pubsub_publisher import PubSubJobPublisher

        client = publisher_client()
        _publishers.append(PubSubJobPublisher(client, client.topic_path(_settings.project, _settings.jobs_topic)))
    return _publishers[0]


def _base_url(request: flask.Request) -> str:
    return _settings.public_base_url or request.host_url.rstrip("/")


def _service(request: flask.Request) -> StatusService:
    return StatusService(
        tenants=_tenants, blobs_for=_blobs_for, base_url=_base_url(request), eraser=_eraser, rejections=_rejections
    )


def _control(request: flask.Request) -> JobControl:
    return JobControl(
        tenants=_tenants,
        publisher=_publisher,
        clock=lambda: datetime.now(UTC),
        max_attempts=_settings.max_attempts,
        base_url=_base_url(request),
        finished=_finished,
        admit_retry=_admit_retry,
    )


def _admit_retry(job: Job) -> None:
    """Reserve for a retried job's new run against its tenant's usage plan (no-op without one)."""
    tenant = _tenants.get(job.tenant_id)
    if tenant is None or tenant.plan is None:
        return
    from common.adapters.firestore_plans import FirestorePlanLedger
    from common.plans.admission import Admission

    Admission(ledger=FirestorePlanLedger(_firestore), clock=lambda: datetime.now(UTC)).admit(
        tenant,
        job_id=job.job_id,
        agent=job.agent,
        model=job.model or "",
        job_input=job.input,
        expires_at=job.expires_at,
        round_=job.retries,
    )


def _finished(job: Job) -> None:
    """A job a cancellation ended at once: its ``job.cancelled`` callback now, its reservation settled."""
    _schedule_callback(job)
    _settle(job)


def _schedule_callback(job: Job) -> None:
    # Cancelling a pending job is rare: the Cloud Tasks client loads on the first one, not at cold start.
    if not job.callback_url or not _settings.callbacks_queue:
        return
    if not _callback_schedulers:
        from common.adapters.cloud_tasks import CloudTasksQueue
        from common.services.callbacks import CallbackScheduler

        _callback_schedulers.append(
            CallbackScheduler(
                queue=CloudTasksQueue.from_settings(_settings), allow_loopback=_settings.allow_loopback_callbacks
            )
        )
    _callback_schedulers[0].schedule(job)  # never raises: the sweeper enqueues a callback left pending


def _settle(job: Job) -> None:
    """Settle the usage-plan reservation of a job a cancellation ended at once (no-op without a plan)."""
    tenant = _tenants.get(job.tenant_id)
    if tenant is None or tenant.plan is None or not tenant.plan.reserves:
        return
    from common.adapters.firestore_plans import FirestorePlanLedger, FirestoreWindowCounter
    from common.plans.limiter import RateLimiter
    from common.plans.runtime import PlanRuntime

    PlanRuntime(
        ledger=FirestorePlanLedger(_firestore),
        limiter=RateLimiter(FirestoreWindowCounter(_firestore)),
        tenant=lambda _: tenant,
        jobs_for=_tenants.jobs,
        clock=lambda: datetime.now(UTC),
    ).settle(job)


def _usage_report(tenant: Tenant, args: dict[str, str]) -> dict[str, Any]:
    from common.adapters.firestore_usage import FirestoreUsageReader
    from common.services.usage import UsageService
    from common.usage.query import parse_usage_query

    query = parse_usage_query(args, today=datetime.now(UTC).date())
    service = UsageService(readers=lambda tenant_id: FirestoreUsageReader(_firestore, tenant_id))
    report = service.report(tenant.tenant_id, query)
    if tenant.plan is not None:  # the usage plan's budget: spent, reserved, remaining (one more read)
        from common.adapters.firestore_plans import FirestorePlanLedger
        from common.plans.usage import plan_report

        report["plan"] = plan_report(tenant, FirestorePlanLedger(_firestore), now=datetime.now(UTC))
    return report


_ROUTES = (
    Route.of("health", "GET", r"/healthz"),
    Route.of("openapi", "GET", r"/v1/openapi\.json"),
    Route.of("list_jobs", "GET", r"/v1/jobs"),
    Route.of("list_rejections", "GET", r"/v1/rejections"),
    Route.of("cancel_job", "POST", r"/v1/jobs/(?P<job_id>.+):cancel"),
    Route.of("retry_job", "POST", r"/v1/jobs/(?P<job_id>.+):retry"),
    Route.of("post_feedback", "POST", r"/v1/jobs/(?P<job_id>.+)/feedback"),
    Route.of("usage", "GET", r"/v1/usage"),
    Route.of("job_events", "GET", r"/v1/jobs/(?P<job_id>[^/]+)/events"),
    # Last: any other path below /v1/jobs/ is a job id, checked against the grammar by the service.
    Route.of("get_job", "GET", r"/v1/jobs/(?P<job_id>.+)"),
    Route.of("delete_job", "DELETE", r"/v1/jobs/(?P<job_id>.+)"),
)


def _event_stream(request: flask.Request, tenant_id: str, job_id: str) -> flask.Response:
    from common.services.event_stream import EventStreamService, parse_last_event_id

    after = parse_last_event_id(request.headers.get("Last-Event-ID"), request.args.get("last_event_id"))
    service = EventStreamService(
        tenants=_tenants,
        poll_seconds=_settings.sse_poll_seconds,
        keepalive_seconds=_settings.sse_keepalive_seconds,
        max_seconds=_settings.sse_max_seconds,
    )
    frames = service.open(tenant_id, job_id, after=after)
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return flask.Response(frames, status=200, mimetype="text/event-stream", headers=headers)


def _route(request: flask.Request) -> Response | flask.Response:
    route, params = match(_ROUTES, request.method, request.path)
    if route.name == "health":
        return json_response({"status": "ok"})
    if route.name == "openapi":
        from common.api.openapi import openapi_document

        return json_response(openapi_document(own_base_url(request.host_url, request.headers.get("X-Forwarded-Proto"))))
    tenant = _auth.authenticate(request.headers.get("Authorization"))
    job_id = params.get("job_id")  # client-controlled until the service checks it: tagged only if it is an id
    _telemetry.tag(
        telemetry.JobTags(tenant_id=tenant.tenant_id, job_id=job_id if is_valid_id(IdKind.JOB, job_id) else None)
    )
    if route.name == "list_jobs":
        query = parse_list_query({k: v for k, v in request.args.items()})
        return json_response(_service(request).list_jobs(tenant.tenant_id, query))
    if route.name == "list_rejections":
        query = parse_rejections_query({k: v for k, v in request.args.items()})
        return json_response(_service(request).list_rejections(tenant.tenant_id, query))
    if route.name == "cancel_job":
        view, done = _control(request).cancel(tenant.tenant_id, params["job_id"])
        return json_response(view, 200 if done else 202)
    if route.name == "retry_job":
        return json_response(_control(request).retry(tenant.tenant_id, params["job_id"]), 202)
    if route.name == "post_feedback":
        now = datetime.now(UTC)
        body = read_body(request, max_bytes=MAX_FEEDBACK_BYTES)
        return json_response(_service(request).add_feedback(tenant.tenant_id, params["job_id"], body, now=now))
    if route.name == "usage":
        return json_response(_usage_report(tenant, {k: v for k, v in request.args.items()}))
    if route.name == "job_events":
        return _event_stream(request, tenant.tenant_id, params["job_id"])
    if route.name == "delete_job":
        return json_response(_service(request).delete_job(tenant.tenant_id, params["job_id"]))
    return json_response(_service(request).get_job(tenant.tenant_id, params["job_id"]))


@functions_framework.http  # pyright: ignore[reportUnknownMemberType]
def status(request: flask.Request) -> Response | flask.Response:
    """Entry point: route, authenticate, look up, map errors; one transaction (flushed) per request.

    An event stream's transaction ends when the stream starts; the stream itself never raises.
    """
    with _telemetry.delivery(
        "status", carrier={"traceparent": request.headers.get("traceparent", "")}, kind="server"
    ) as delivery:
        delivery.set_attributes({"http.request.method": request.method})
        response = respond("status", lambda: _route(request))
        code = response.status_code if isinstance(response, flask.Response) else response[1]
        delivery.set_attributes({"http.response.status_code": code})
    return response
