"""The notify service: signing (verified with standardwebhooks), retries, dedupe, SSRF at delivery."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook

from common.adapters.local_cipher import LocalSecretCipher, new_local_key
from common.errors import InvalidRequest, PermanentError
from common.jobs import lifecycle
from common.jobs.models import JobError, Source
from common.services.notify import CallbackFailed, CallbackTask, Notifier, parse_callback_task
from common.services.webhook_secrets import SigningSecrets
from common.tenants.models import Tenant, WebhookSecret, new_webhook_secret, webhook_secret_context
from common.webhooks.http_post import PostResult
from tests.support.fakes import InMemoryTenantDirectory

NOW = datetime.now(UTC)
CIPHER = LocalSecretCipher(new_local_key())


def sealed(secret: str, tenant_id: str = "acme", **times) -> WebhookSecret:
    return WebhookSecret(CIPHER.encrypt(secret, context=webhook_secret_context(tenant_id)), NOW, **times)


@dataclass
class ScriptedPoster:
    answers: list[PostResult]
    calls: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def post(self, url, body, headers, *, timeout):
        self.calls.append((url, body, dict(headers)))
        return self.answers.pop(0)


def setup(answers, url="https://hooks.example.com/x", status_error=None):
    tenants = InMemoryTenantDirectory()
    secret = new_webhook_secret()
    tenants.create(Tenant("acme", "Acme", NOW, (sealed(secret),), webhook_url=url), "h")
    job = lifecycle.new_job(
        job_id="job_a", tenant_id="acme", agent="protocol-processor", input={}, source=Source.HTTPS, now=NOW
    )
    job = lifecycle.claim(job, token="t", now=NOW, lease_seconds=60, max_attempts=3)
    if status_error:
        job = lifecycle.fail(job, token="t", now=NOW, error=JobError(status_error, "m"))
    else:
        job = lifecycle.complete(job, token="t", now=NOW, result={"secret": "patient text"})
    tenants.jobs("acme").create(job)
    poster = ScriptedPoster(list(answers))
    notifier = Notifier(
        tenants=tenants,
        signing=SigningSecrets(lambda: CIPHER),
        poster=poster,
        clock=lambda: datetime.now(UTC),
        base_url="https://api.example.com",
        resolve=lambda host, port: ["93.184.216.34"],
    )
    return tenants, secret, poster, notifier


def test_delivery_is_signed_per_standard_webhooks_and_carries_no_result():
    tenants, secret, poster, notifier = setup([PostResult(204)])
    outcome = notifier.deliver(CallbackTask("acme", "job_a", "job.completed"))
    assert outcome.kind == "delivered"
    _, body, headers = poster.calls[0]
    payload = Webhook(secret).verify(body, headers)
    assert payload == {
        "type": "job.completed",
        "job_id": "job_a",
        "agent": "protocol-processor",
        "status": "success",
        "links": {"self": "https://api.example.com/v1/jobs/job_a"},
    }
    assert "patient" not in body
    [attempt] = tenants.jobs("acme").get("job_a").callbacks
    assert attempt.http_status == 204 and attempt.event == "job.completed"


def test_failed_receiver_raises_for_retry_then_delivers_once_with_all_attempts_recorded():
    tenants, _, poster, notifier = setup([PostResult(500), PostResult(None, "timeout"), PostResult(200)])
    task = CallbackTask("acme", "job_a", "job.completed")
    for _ in range(2):
        with pytest.raises(CallbackFailed):
            notifier.deliver(task)
    assert notifier.deliver(task).kind == "delivered"
    assert notifier.deliver(task).kind == "already_delivered"
    attempts = tenants.jobs("acme").get("job_a").callbacks
    assert [(a.http_status, a.error) for a in attempts] == [(500, None), (None, "timeout"), (200, None)]
    ids = {headers["webhook-id"] for _, _, headers in poster.calls}
    assert len(ids) == 1, "webhook-id is stable across retries so receivers can dedupe"


def test_failed_job_event():
    _, secret, poster, notifier = setup([PostResult(200)], status_error="no_text_layer")
    notifier.deliver(CallbackTask("acme", "job_a", "job.failed"))
    payload = Webhook(secret).verify(poster.calls[0][1], poster.calls[0][2])
    assert payload["type"] == "job.failed" and payload["error"] == {"code": "no_text_layer"}


def test_url_that_now_resolves_privately_is_refused_at_delivery():
    tenants, _, poster, _ = setup([])
    notifier = Notifier(
        tenants=tenants,
        signing=SigningSecrets(lambda: CIPHER),
        poster=poster,
        clock=lambda: NOW,
        base_url="x",
        resolve=lambda h, p: ["10.0.0.7"],
    )
    with pytest.raises(PermanentError) as info:
        notifier.deliver(CallbackTask("acme", "job_a", "job.completed"))
    assert info.value.error_code == "callback_url_refused"
    assert poster.calls == []
    assert tenants.jobs("acme").get("job_a").callbacks[0].error == "url_refused"


def test_missing_job_is_permanent():
    _, _, _, notifier = setup([])
    with pytest.raises(PermanentError):
        notifier.deliver(CallbackTask("acme", "job_missing", "job.completed"))


@pytest.mark.parametrize(
    "payload", [None, [], {"tenant_id": "a"}, {"tenant_id": "a", "job_id": "b", "event": "job.exploded"}]
)
def test_malformed_tasks(payload):
    with pytest.raises(InvalidRequest):
        parse_callback_task(payload)


def test_callback_status_moves_failing_then_delivered_in_one_write_per_attempt():
    tenants, _, _, notifier = setup([PostResult(503), PostResult(200)])
    store = tenants.jobs("acme")
    writes = store.writes
    with pytest.raises(CallbackFailed):
        notifier.deliver(CallbackTask("acme", "job_a", "job.completed", attempt=1))
    job = store.get("job_a")
    assert (job.callback_status.value, job.callback_error) == ("failing", "http_503")
    notifier.deliver(CallbackTask("acme", "job_a", "job.completed", attempt=2))
    assert store.get("job_a").callback_status.value == "delivered"
    assert store.writes - writes == 2


def test_the_queues_last_attempt_abandons_the_callback_and_stops_the_retries():
    tenants, _, _, notifier = setup([PostResult(None, "connect_error")])
    outcome = notifier.deliver(CallbackTask("acme", "job_a", "job.completed", attempt=16))
    assert outcome.kind == "abandoned"  # answered 2xx: Cloud Tasks stops
    job = tenants.jobs("acme").get("job_a")
    assert (job.callback_status.value, job.callback_error) == ("abandoned", "connect_error")
    assert notifier.deliver(CallbackTask("acme", "job_a", "job.completed")).kind == "already_delivered"


@pytest.mark.parametrize(
    "payload",
    [
        {"tenant_id": "a/b", "job_id": "job_" + "a" * 26, "event": "job.completed"},
        {"tenant_id": "acme", "job_id": "../../x", "event": "job.completed"},
        {"tenant_id": "acme", "job_id": "job_" + "a" * 26, "event": 7},
    ],
)
def test_task_ids_must_match_the_grammar(payload):
    with pytest.raises(InvalidRequest) as info:
        parse_callback_task(payload)
    assert info.value.error_code == "malformed_task"


@pytest.mark.parametrize(("header", "attempt"), [(None, 1), ("0", 1), ("4", 5), ("²", 1), ("-1", 1), ("9" * 40, 1)])
def test_the_retry_count_header_is_parsed_as_ascii_digits(header, attempt):
    task = parse_callback_task(
        {"tenant_id": "acme", "job_id": "job_" + "a" * 26, "event": "job.completed"}, retry_count=header
    )
    assert task.attempt == attempt
