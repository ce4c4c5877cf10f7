"""``run_agent``: runs agents for Pub/Sub pushes and Eventarc CloudEvents.

Deliveries: GCS object notifications (Pub/Sub notification or the Eventarc
``google.cloud.storage.object.v1.finalized`` CloudEvent), job messages from ``submit``, and
upstream job requests. Registered as an HTTP function rather than a CloudEvent function so that
a malformed delivery can be acked (2xx) instead of being answered 400 by the framework, which
Pub/Sub would redeliver forever.

Status codes: 200 = ack (ran, already finished, rejected or ignored); 429/503 = redeliver.
"""

from __future__ import annotations

from datetime import UTC, datetime

import flask
import functions_framework

from common.adapters.clients import firestore_client, storage_client
from common.adapters.firestore_store import FirestoreRejectionLog, FirestoreTenantDirectory
from common.adapters.gcs_blobs import GcsBlobStore
from common.api.handling import MethodNotAllowed, ack_or_retry
from common.api.responses import Response, error_response, json_response
from common.config import Settings
from common.messaging.parse import parse_delivery
from common.services.callbacks import CallbackScheduler
from common.services.runner import JobRunner

_settings = Settings.from_env()
_firestore = firestore_client(_settings.project)
_storage = storage_client(_settings.project)
_tenants = FirestoreTenantDirectory(_firestore)


def _callbacks() -> CallbackScheduler | None:
    if not _settings.callbacks_queue:
        return None
    from common.adapters.cloud_tasks import CloudTasksQueue

    queue = CloudTasksQueue.from_settings(_settings)
    return CallbackScheduler(queue=queue, tenants=_tenants, allow_loopback=_settings.allow_loopback_callbacks)


_runner = JobRunner(
    settings=_settings,
    tenants=_tenants,
    blobs_for=lambda tenant_id: GcsBlobStore(
        _storage, _settings.bucket, tenant_id, retry_seconds=_settings.backend_retry_seconds
    ),
    rejections=FirestoreRejectionLog(_firestore),
    clock=lambda: datetime.now(UTC),
    callbacks=_callbacks(),
)


@functions_framework.http  # pyright: ignore[reportUnknownMemberType]
def run_agent(request: flask.Request) -> Response:
    """Entry point: parse the delivery, run it, ack (200) or ask for redelivery (429/503)."""
    if request.method != "POST":
        return error_response(MethodNotAllowed("deliveries are POSTed"))
    delivery = parse_delivery(request.headers, request.get_data(cache=False))

    def call() -> Response:
        outcome = _runner.handle(delivery)
        return json_response(
            {
                "outcome": outcome.kind,
                "job_id": outcome.job_id,
                "status": outcome.status,
                "code": outcome.code,
            }
        )

    return ack_or_retry("run_agent", call)
