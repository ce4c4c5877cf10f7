"""The notify service: signing (verified with standardwebhooks), retries, dedupe, SSRF at delivery."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from common.adapters.local_cipher import LocalSecretCipher, new_local_key
from common.errors import InvalidRequest, PermanentError
from common.jobs import lifecycle
from common.jobs.models import JobError, Source
from common.retention.erasure import tombstone
from common.services.notify import CallbackFailed, CallbackTask, Notifier, parse_callback_task
from common.services.webhook_secrets import SigningSecrets
from common.tenants.models import Tenant, WebhookSecret, new_webhook_secret, webhook_secret_context
from common.webhooks.http_post import PostResult
from tests.support.fakes import InMemoryTenantDirectory, RecordingRejectionLog

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


def test_tasks_that_can_never_be_delivered_are_recorded_then_acked():
    tenants, _, _, _ = setup([])
    rejections = RecordingRejectionLog()
    notifier = Notifier(
        tenants=tenants,
        signing=SigningSecrets(lambda: CIPHER),
        poster=ScriptedPoster([]),
        clock=lambda: NOW,
        base_url="https://x",
        rejections=rejections,
    )
    malformed = notifier.handle({"tenant_id": "a/b"}, task_name="task-1")
    missing = notifier.handle(
        {"tenant_id": "acme", "job_id": "job_" + "b" * 26, "event": "job.completed"}, task_name="<canary>\n"
    )
    assert (malformed.kind, malformed.code) == ("rejected", "malformed_task")
    assert (missing.kind, missing.code) == ("rejected", "job_not_found")
    assert [(r["message_id"], r["code"], r["tenant_id"]) for r in rejections.records] == [
        ("task-1", "malformed_task", None),
        (rejections.records[1]["message_id"], "job_not_found", None),
    ]
    assert rejections.records[1]["message_id"].startswith("h_")  # a malformed task name is never stored


def test_a_refused_url_is_recorded_on_the_job_not_as_a_rejection():
    tenants, _, poster, _ = setup([], url="https://hooks.example.com/x")
    job_id = "job_" + "c" * 26
    job = tenants.jobs("acme").get("job_a").replace(job_id=job_id)
    tenants.jobs("acme").create(job)
    rejections = RecordingRejectionLog()
    notifier = Notifier(
        tenants=tenants,
        signing=SigningSecrets(lambda: CIPHER),
        poster=poster,
        clock=lambda: NOW,
        base_url="https://x",
        rejections=rejections,
        resolve=lambda host, port: ["10.0.0.1"],
    )
    with pytest.raises(PermanentError) as info:
        notifier.handle({"tenant_id": "acme", "job_id": job_id, "event": "job.completed"})
    assert info.value.error_code == "callback_url_refused" and rejections.records == []
    assert tenants.jobs("acme").get(job_id).callback_status.value == "abandoned"


class CountingCipher:
    def __init__(self):
        self.decryptions = 0

    def encrypt(self, plaintext, *, context):
        return CIPHER.encrypt(plaintext, context=context)

    def decrypt(self, ciphertext, *, context):
        self.decryptions += 1
        return CIPHER.decrypt(ciphertext, context=context)


def test_during_a_rotation_both_secrets_sign_and_a_receiver_holding_either_verifies():
    tenants, old, poster, _ = setup([PostResult(204), PostResult(204)])
    new = new_webhook_secret()
    tenant = tenants.get("acme")
    grace_end = datetime.now(UTC) + timedelta(hours=1)
    tenants.save(tenant.replace(webhook_secrets=(sealed(new), sealed(old, expires_at=grace_end))))
    counting = CountingCipher()
    notifier = Notifier(
        tenants=tenants,
        signing=SigningSecrets(lambda: counting),
        poster=poster,
        clock=lambda: datetime.now(UTC),
        base_url="https://api.example.com",
        resolve=lambda host, port: ["93.184.216.34"],
    )
    notifier.deliver(CallbackTask("acme", "job_a", "job.completed"))
    _, body, headers = poster.calls[0]
    signatures = headers["webhook-signature"].split(" ")
    assert len(signatures) == 2 and all(s.startswith("v1,") for s in signatures)
    for secret in (new, old):
        assert Webhook(secret).verify(body, headers)["job_id"] == "job_a"
    with pytest.raises(WebhookVerificationError):
        Webhook(new_webhook_secret()).verify(body, headers)
    # Decrypted once per secret and instance, not once per callback.
    tenants.jobs("acme").update("job_a", lambda j: j.replace(callbacks=(), callback_status=None))
    notifier.deliver(CallbackTask("acme", "job_a", "job.completed"))
    assert counting.decryptions == 2


def test_after_the_grace_period_only_the_new_secret_signs():
    tenants, old, poster, notifier = setup([PostResult(204)])
    new = new_webhook_secret()
    ended = datetime.now(UTC) - timedelta(seconds=1)
    tenants.save(tenants.get("acme").replace(webhook_secrets=(sealed(new), sealed(old, expires_at=ended))))
    notifier.deliver(CallbackTask("acme", "job_a", "job.completed"))
    _, body, headers = poster.calls[0]
    assert len(headers["webhook-signature"].split(" ")) == 1
    assert Webhook(new).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(body, headers)


def test_a_tenant_without_a_secret_and_an_erased_job_send_nothing():
    tenants, _, poster, notifier = setup([])
    tenants.jobs("acme").update("job_a", lambda j: tombstone(j, now=NOW))
    assert notifier.deliver(CallbackTask("acme", "job_a", "job.completed")).kind == "skipped"
    tenants, _, poster, notifier = setup([])
    tenants.save(tenants.get("acme").replace(webhook_secrets=()))
    with pytest.raises(PermanentError) as info:
        notifier.deliver(CallbackTask("acme", "job_a", "job.completed"))
    assert info.value.error_code == "no_webhook_secret" and poster.calls == []


def test_a_cancelled_job_is_a_job_cancelled_event_and_a_retried_jobs_outcome_is_a_new_one():
    tenants, secret, poster, notifier = setup([PostResult(200), PostResult(200)], status_error="no_text_layer")
    store = tenants.jobs("acme")
    notifier.deliver(CallbackTask("acme", "job_a", "job.failed"))
    first_id = poster.calls[0][2]["webhook-id"]
    store.update("job_a", lambda j: lifecycle.retry(j, now=NOW, max_attempts=3))
    # The first outcome's task, redelivered after the retry: nothing is sent for a pending job.
    assert notifier.deliver(CallbackTask("acme", "job_a", "job.failed")).kind == "skipped"
    store.update("job_a", lambda j: lifecycle.cancel(j, now=NOW))
    assert notifier.deliver(CallbackTask("acme", "job_a", "job.cancelled")).kind == "delivered"
    _, body, headers = poster.calls[1]
    assert Webhook(secret).verify(body, headers)["type"] == "job.cancelled"
    assert headers["webhook-id"] != first_id
    job_id = "job_" + "a" * 26
    assert parse_callback_task({"tenant_id": "acme", "job_id": job_id, "event": "job.cancelled"}).event
