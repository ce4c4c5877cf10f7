"""``status``: HTTPS job status and result lookup.

Routes:
    ``GET /v1/jobs/{job_id}``: one job of the caller's tenant, with its result.
    ``GET /v1/jobs?status=&limit=``: the caller's recent jobs, newest first.
    ``GET /v1/openapi.json``: the OpenAPI 3.1 document.
    ``GET /healthz``: liveness (no auth, no I/O).

Authentication: ``Authorization: Bearer <api key>``. Imports no LLM code and no Cloud Storage
SDK at cold start (only an offloaded result loads it).
"""

from __future__ import annotations

import flask
import functions_framework

from common.adapters.clients import firestore_client
from common.adapters.firestore_store import FirestoreTenantDirectory
from common.api.auth import Authenticator
from common.api.handling import MethodNotAllowed, RouteNotFound, respond
from common.api.queries import parse_list_query
from common.api.responses import Response, json_response
from common.api.server_errors import install_json_errors
from common.config import Settings
from common.ports import BlobStore
from common.services.status import StatusService

_settings = Settings.from_env()
install_json_errors()
_tenants = FirestoreTenantDirectory(firestore_client(_settings.project))
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


def _service(request: flask.Request) -> StatusService:
    base_url = _settings.public_base_url or request.host_url.rstrip("/")
    return StatusService(tenants=_tenants, blobs_for=_blobs_for, base_url=base_url)


def _route(request: flask.Request) -> Response:
    path = request.path.rstrip("/")
    if path in ("/v1/openapi.json", "/healthz"):
        if request.method not in ("GET", "HEAD"):
            raise MethodNotAllowed("only GET is allowed here", allow=("GET", "HEAD"))
        if path == "/healthz":
            return json_response({"status": "ok"})
        from common.api.openapi import openapi_document

        return json_response(openapi_document())
    if path != "/v1/jobs" and not path.startswith("/v1/jobs/"):
        raise RouteNotFound("no such endpoint; see /v1/openapi.json")
    if request.method not in ("GET", "HEAD"):
        raise MethodNotAllowed("only GET is allowed here", allow=("GET", "HEAD"))
    tenant = _auth.authenticate(request.headers.get("Authorization"))
    if path == "/v1/jobs":
        query = parse_list_query({k: v for k, v in request.args.items()})
        return json_response(_service(request).list_jobs(tenant.tenant_id, query))
    job_id = path[len("/v1/jobs/") :]
    return json_response(_service(request).get_job(tenant.tenant_id, job_id))


@functions_framework.http  # pyright: ignore[reportUnknownMemberType]
def status(request: flask.Request) -> Response:
    """Entry point: route, authenticate, look up, map errors."""
    return respond("status", lambda: _route(request))
