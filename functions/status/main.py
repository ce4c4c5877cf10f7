"""``status``: HTTPS job resources: status, result, listing, control and erasure.

Routes:
    ``GET /v1/jobs/{job_id}``: one job of the caller's tenant, with its result (410 once erased).
    ``DELETE /v1/jobs/{job_id}``: erase the job's input, result, objects and callback log now.
    ``POST /v1/jobs/{job_id}:cancel``: cancel a pending or running job (200 done, 202 under way).
    ``POST /v1/jobs/{job_id}:retry``: run a failed job again as a new attempt (202).
    ``GET /v1/jobs?status=&agent=&created_after=&limit=&page_token=``: the caller's jobs, newest first.
    ``GET /v1/rejections?limit=&page_token=``: the caller's rejected deliveries (codes, no content).
    ``GET /v1/openapi.json``: the OpenAPI 3.1 document.
    ``GET /healthz``: liveness (no auth, no I/O).

Authentication: ``Authorization: Bearer <api key>``. Imports no LLM code and no Cloud Storage
SDK at cold start (only an offloaded result, or erasing a job that owns objects, loads it).
"""

from __future__ import annotations

from datetime import UTC, datetime

import flask
import functions_framework

from common.adapters.clients import firestore_client
from common.adapters.firestore_store import (
    FirestoreIdempotencyStore,
    FirestoreRejectionLog,
    FirestoreTenantDirectory,
)
from common.api.auth import Authenticator
from common.api.handling import respond
from common.api.queries import parse_list_query, parse_rejections_query
from common.api.responses import Response, json_response
from common.api.routing import Route, match
from common.api.server_errors import install_json_errors
from common.api.views import own_base_url
from common.config import Settings
from common.ports import BlobStore, JobPublisher
from common.services.erasure import JobEraser
from common.services.job_control import JobControl
from common.services.status import StatusService

_settings = Settings.from_env()
install_json_errors()
_firestore = firestore_client(_settings.project)
_tenants = FirestoreTenantDirectory(_firestore)
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
    )


_ROUTES = (
    Route.of("health", "GET", r"/healthz"),
    Route.of("openapi", "GET", r"/v1/openapi\.json"),
    Route.of("list_jobs", "GET", r"/v1/jobs"),
    Route.of("list_rejections", "GET", r"/v1/rejections"),
    Route.of("cancel_job", "POST", r"/v1/jobs/(?P<job_id>[^/:]+):cancel"),
    Route.of("retry_job", "POST", r"/v1/jobs/(?P<job_id>[^/:]+):retry"),
    # Last: any other path below /v1/jobs/ is a job id, checked against the grammar by the service.
    Route.of("get_job", "GET", r"/v1/jobs/(?P<job_id>.+)"),
    Route.of("delete_job", "DELETE", r"/v1/jobs/(?P<job_id>.+)"),
)


def _route(request: flask.Request) -> Response:
    route, params = match(_ROUTES, request.method, request.path)
    if route.name == "health":
        return json_response({"status": "ok"})
    if route.name == "openapi":
        from common.api.openapi import openapi_document

        return json_response(openapi_document(own_base_url(request.host_url, request.headers.get("X-Forwarded-Proto"))))
    tenant = _auth.authenticate(request.headers.get("Authorization"))
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
    if route.name == "delete_job":
        return json_response(_service(request).delete_job(tenant.tenant_id, params["job_id"]))
    return json_response(_service(request).get_job(tenant.tenant_id, params["job_id"]))


@functions_framework.http  # pyright: ignore[reportUnknownMemberType]
def status(request: flask.Request) -> Response:
    """Entry point: route, authenticate, look up, map errors."""
    return respond("status", lambda: _route(request))
