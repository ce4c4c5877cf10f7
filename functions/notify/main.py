"""``notify``: the Cloud Tasks HTTP target that delivers Standard Webhooks-signed callbacks.

Body: ``{tenant_id, job_id, event}``. Answers 2xx when delivered (or when it can never be
delivered: malformed task, job gone, URL refused) and 503 when the receiver failed, so Cloud
Tasks retries with the queue's backoff. In production the function is private: only the queue's
service account (OIDC token) may invoke it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import flask
import functions_framework

from common.adapters.clients import firestore_client
from common.adapters.firestore_store import FirestoreTenantDirectory
from common.api.handling import MethodNotAllowed, ack_or_retry
from common.api.responses import Response, error_response, json_response
from common.config import Settings
from common.services.notify import Notifier, parse_callback_task
from common.webhooks.http_post import RequestsPoster

_settings = Settings.from_env()
_notifier = Notifier(
    tenants=FirestoreTenantDirectory(firestore_client(_settings.project)),
    poster=RequestsPoster(),
    clock=lambda: datetime.now(UTC),
    base_url=_settings.public_base_url,
    timeout_seconds=_settings.callback_timeout_seconds,
    allow_loopback=_settings.allow_loopback_callbacks,
)


@functions_framework.http  # pyright: ignore[reportUnknownMemberType]
def notify(request: flask.Request) -> Response:
    """Entry point: parse the task, deliver, map the outcome to 2xx (done) or 503 (retry)."""
    if request.method != "POST":
        return error_response(MethodNotAllowed("tasks are POSTed"))

    def call() -> Response:
        try:
            payload: object = json.loads(request.get_data(cache=False) or b"null")
        except ValueError:
            payload = None
        outcome = _notifier.deliver(parse_callback_task(payload))
        return json_response({"outcome": outcome.kind, "http_status": outcome.http_status})

    return ack_or_retry("notify", call)
