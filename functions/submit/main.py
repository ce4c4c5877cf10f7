"""``submit``: HTTPS job submission.

Routes:
    ``POST /v1/agents/{agent}/jobs``: validate, store the job ``pending``, publish it; ``202``
    with ``{job_id, status, links}`` (``200`` when an ``Idempotency-Key`` replays a job). A small
    PDF may come inline as ``document_base64``.
    ``POST /v1/uploads``: a signed URL to ``PUT`` a document into the tenant's prefix (``201``).
    ``DELETE /v1/uploads/{upload_id}``: remove an upload (e.g. after a failed submission).
    ``GET /v1/openapi.json``: the OpenAPI 3.1 document.
    ``GET /healthz``: liveness (no auth, no I/O).

Authentication: ``Authorization: Bearer <api key>``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING

import flask
import functions_framework

from common import telemetry
from common.adapters.clients import firestore_client, publisher_client
from common.adapters.firestore_plans import FirestorePlanLedger
from common.adapters.firestore_store import FirestoreIdempotencyStore, FirestoreTenantDirectory
from common.adapters.job_events import job_event_sink
from common.adapters.pubsub_publisher import PubSubJobPublisher
from common.api.auth import Authenticator
from common.api.handling import respond
from common.api.responses import Response, json_response
from common.api.routing import Route, match
from common.api.server_errors import install_json_errors, read_body
from common.api.views import job_links, own_base_url
from common.config import Settings
from common.plans.admission import Admission
from common.ports import BlobStore, UploadSigner
from common.services.submit import SubmitService, parse_json_body
from common.services.tenant_cache import TenantCache
from common.services.uploads import UploadService

if TYPE_CHECKING:
    from google.cloud import storage  # pyright: ignore[reportMissingTypeStubs]

_settings = Settings.from_env()
_telemetry = telemetry.init("submit", _settings)
install_json_errors()
_firestore = firestore_client(_settings.project)
# Job events go to the job events topic; the tenant's choice of events is read through a cache.
# Tenant reads need no events sink; the cache answers the fan-out's per-tenant choice of events.
_tenant_cache = TenantCache(FirestoreTenantDirectory(_firestore), ttl_seconds=_settings.auth_cache_seconds)
_events = job_event_sink(_settings, _tenant_cache.get)
_tenants = FirestoreTenantDirectory(_firestore, sink=_events)
_auth = Authenticator(_tenants, ttl_seconds=_settings.auth_cache_seconds)
_publisher = publisher_client()
_signers: list[UploadSigner] = []


@cache
def _storage() -> storage.Client:
    # Only uploads and inline documents touch Cloud Storage: its SDK loads on the first one.
    from common.adapters.clients import storage_client

    return storage_client(_settings.project)


def _blobs_for(tenant_id: str) -> BlobStore:
    from common.adapters.gcs_blobs import GcsBlobStore

    return GcsBlobStore(_storage(), _settings.bucket, tenant_id)


def _signer() -> UploadSigner:
    if not _signers:
        from common.adapters.gcs_signer import GcsUploadSigner

        _signers.append(
            GcsUploadSigner(
                _storage(),
                _settings.bucket,
                expires_seconds=_settings.upload_url_seconds,
                dev_key=_settings.dev_signing_key,
                service_account=_settings.signing_service_account,
            )
        )
    return _signers[0]


_uploads = UploadService(
    signer=_signer,
    blobs_for=_blobs_for,
    bucket=_settings.bucket,
    max_document_bytes=_settings.max_document_bytes,
    clock=lambda: datetime.now(UTC),
)
_service = SubmitService(
    settings=_settings,
    tenants=_tenants,
    idempotency_for=lambda tenant_id: FirestoreIdempotencyStore(_firestore, tenant_id),
    publisher=PubSubJobPublisher(_publisher, _publisher.topic_path(_settings.project, _settings.jobs_topic)),
    clock=lambda: datetime.now(UTC),
    blobs_for=_blobs_for,
    # A job admitted under a budget is stored by the ledger, with its reservation: same events.
    admission=Admission(ledger=FirestorePlanLedger(_firestore, sink=_events), clock=lambda: datetime.now(UTC)),
)


_ROUTES = (
    Route.of("health", "GET", r"/healthz"),
    Route.of("openapi", "GET", r"/v1/openapi\.json"),
    Route.of("submit", "POST", r"/v1/agents/(?P<agent>[a-z0-9-]{1,64})/jobs"),
    Route.of("create_upload", "POST", r"/v1/uploads"),
    Route.of("delete_upload", "DELETE", r"/v1/uploads/(?P<upload_id>[^/]+)"),
)


def _route(request: flask.Request) -> Response:
    route, params = match(_ROUTES, request.method, request.path)
    if route.name == "health":
        return json_response({"status": "ok"})
    if route.name == "openapi":
        from common.api.openapi import openapi_document

        return json_response(openapi_document(own_base_url(request.host_url, request.headers.get("X-Forwarded-Proto"))))
    tenant = _auth.authenticate(request.headers.get("Authorization"))
    if route.name == "delete_upload":
        return json_response(_uploads.delete(tenant.tenant_id, params["upload_id"]))
    body = parse_json_body(
        read_body(request, max_bytes=_settings.max_request_bytes), max_bytes=_settings.max_request_bytes
    )
    if route.name == "create_upload":
        return json_response(_uploads.create(tenant.tenant_id, body), 201)
    result = _service.submit(tenant, params["agent"], body, idempotency_key=request.headers.get("Idempotency-Key"))
    _telemetry.tag(
        telemetry.JobTags(
            tenant_id=tenant.tenant_id,
            job_id=result.job.job_id,
            agent=result.job.agent,
            source=result.job.source.value,
            model=result.job.model,
        )
    )
    base_url = _settings.public_base_url or request.host_url.rstrip("/")
    links = job_links(base_url, result.job.job_id)
    return json_response(
        {"job_id": result.job.job_id, "status": result.job.status.value, "links": links},
        202 if result.created else 200,
        {"Location": links["self"]},
    )


@functions_framework.http  # pyright: ignore[reportUnknownMemberType]
def submit(request: flask.Request) -> Response:
    """Entry point: route, authenticate, submit, map errors; one transaction (flushed) per request."""
    with _telemetry.delivery(
        "submit", carrier={"traceparent": request.headers.get("traceparent", "")}, kind="server"
    ) as delivery:
        delivery.set_attributes({"http.request.method": request.method})
        response = respond("submit", lambda: _route(request))
        delivery.set_attributes({"http.response.status_code": response[1]})
    return response
