"""``notify``: the Cloud Tasks HTTP target that delivers Standard Webhooks-signed callbacks.

Body: ``{tenant_id, job_id, event}``; headers ``X-CloudTasks-TaskRetryCount`` and
``X-CloudTasks-TaskName``. Answers 2xx when delivered, abandoned after the queue's last attempt,
or when it can never be delivered (malformed task, job gone: recorded in ``rejections/``; URL
refused: recorded on the job), and 503 when the receiver failed and attempts remain,
so Cloud Tasks retries with the queue's backoff. In production the function is private: only the
queue's service account (OIDC token) may invoke it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import flask
import functions_framework

from common import telemetry
from common.adapters.clients import firestore_client
from common.adapters.firestore_store import FirestoreRejectionLog, FirestoreTenantDirectory
from common.adapters.job_events import job_event_sink
from common.adapters.secret_ciphers import secret_cipher_factory
from common.api.handling import MethodNotAllowed, ack_or_retry
from common.api.responses import Response, error_response, json_response
from common.api.server_errors import install_json_errors, read_body
from common.boundary.ids import IdKind, is_valid_id, parse_uint
from common.boundary.json_input import loads_bounded
from common.config import Settings
from common.errors import AgentJobsError
from common.services.notify import Notifier
from common.services.tenant_cache import TenantCache
from common.services.webhook_secrets import SigningSecrets
from common.webhooks.http_post import RequestsPoster

_MAX_TASK_BYTES = 64 * 1024
_settings = Settings.from_env()
_telemetry = telemetry.init("notify", _settings)
install_json_errors()
_firestore = firestore_client(_settings.project)
# Tenant reads need no events sink; the cache answers the fan-out's per-tenant choice of events.
_tenant_cache = TenantCache(FirestoreTenantDirectory(_firestore), ttl_seconds=_settings.auth_cache_seconds)
_tenants = FirestoreTenantDirectory(_firestore, sink=job_event_sink(_settings, _tenant_cache.get))
_notifier = Notifier(
    tenants=_tenants,
    # The cipher (Cloud KMS in production) loads on the first callback, not at cold start.
    signing=SigningSecrets(secret_cipher_factory(_settings)),
    poster=RequestsPoster(),
    clock=lambda: datetime.now(UTC),
    base_url=_settings.public_base_url,
    max_attempts=_settings.callback_max_attempts,
    timeout_seconds=_settings.callback_timeout_seconds,
    allow_loopback=_settings.allow_loopback_callbacks,
    cache_seconds=_settings.auth_cache_seconds,
    rejections=FirestoreRejectionLog(_firestore),
)


@functions_framework.http  # pyright: ignore[reportUnknownMemberType]
def notify(request: flask.Request) -> Response:
    """Entry point: parse the task, deliver, map the outcome to 2xx (done) or 503 (retry)."""
    if request.method == "GET" and request.path == "/healthz":
        return json_response({"status": "ok"})  # liveness for the local stack: no auth, no I/O
    if request.method != "POST":
        return error_response(MethodNotAllowed("tasks are POSTed", allow=("POST",)))

    def call() -> Response:
        try:
            payload: object = loads_bounded(
                read_body(request, max_bytes=_MAX_TASK_BYTES), max_bytes=_MAX_TASK_BYTES, max_depth=2
            )
        except AgentJobsError:
            payload = None
        _tag(payload, request.headers.get("X-CloudTasks-TaskRetryCount"))
        outcome = _notifier.handle(
            payload,
            retry_count=request.headers.get("X-CloudTasks-TaskRetryCount"),
            task_name=request.headers.get("X-CloudTasks-TaskName"),
        )
        return json_response({"outcome": outcome.kind, "http_status": outcome.http_status, "code": outcome.code})

    # Cloud Tasks sends the job's traceparent (run_agent put it on the task): one trace per job.
    with _telemetry.delivery(
        "notify", carrier={"traceparent": request.headers.get("traceparent", "")}, kind="server", final_attempt=False
    ):
        return ack_or_retry("notify", call)


def _tag(payload: object, retry_count: str | None) -> None:
    """Job tags from the task (ids checked against the grammar) and whether this is the last attempt."""
    fields: dict[str, object] = payload if isinstance(payload, dict) else {}  # pyright: ignore[reportUnknownVariableType]
    tenant_id, job_id = fields.get("tenant_id"), fields.get("job_id")
    retries = parse_uint(retry_count, maximum=1_000_000)
    _telemetry.tag(
        telemetry.JobTags(
            tenant_id=tenant_id if is_valid_id(IdKind.TENANT, tenant_id) and isinstance(tenant_id, str) else None,
            job_id=job_id if is_valid_id(IdKind.JOB, job_id) and isinstance(job_id, str) else None,
            attempt=None if retries is None else retries + 1,
        )
    )
    _telemetry.set_final_attempt(retries is not None and retries + 1 >= _settings.callback_max_attempts)
