"""The submit service over fakes: validation, tenant prefix, idempotency keys, rollback."""

from __future__ import annotations

import pytest

from common.config import Settings
from common.errors import (
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
    PayloadTooLarge,
    TransientError,
    UnprocessableEntity,
)
from common.jobs.models import JobStatus
from common.services.submit import SubmitService, parse_json_body
from common.tenants.models import Tenant
from tests.support.fakes import FakeClock, FakePublisher, InMemoryIdempotencyStore, InMemoryTenantDirectory

URI = "gs://bkt/tenants/acme/inbox/protocol-processor/p.pdf"


@pytest.fixture
def env():
    class Env:
        clock = FakeClock()
        tenants = InMemoryTenantDirectory()
        publisher = FakePublisher()
        keys: dict = {}

        def service(self, **settings):
            return SubmitService(
                settings=Settings(bucket="bkt", **settings),
                tenants=self.tenants,
                idempotency_for=lambda t: InMemoryIdempotencyStore(self.keys.setdefault(t, {})),
                publisher=self.publisher,
                clock=self.clock,
            )

    e = Env()
    e.tenants.create(Tenant("acme", "Acme", e.clock(), allowed_models=("openai/gpt-4o",)), "h1")
    return e


def test_submit_stores_a_pending_job_and_publishes_it(env):
    result = env.service().submit(
        env.tenants.get("acme"), "protocol-processor", {"file_uri": URI, "metadata": {"batch": "1"}}
    )
    assert result.created
    job = env.tenants.jobs("acme").get(result.job.job_id)
    assert job.status is JobStatus.PENDING and job.input == {"file_uri": URI} and job.metadata == {"batch": "1"}
    assert env.publisher.published == [("acme", job.job_id)]


def test_unknown_agent_is_404(env):
    with pytest.raises(NotFound) as info:
        env.service().submit(env.tenants.get("acme"), "nope", {})
    assert info.value.error_code == "unknown_agent"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"file_uri": "s3://x/y"},
        {"file_uri": URI, "extra": 1},
        {"file_uri": 5},
        {"file_uri": URI, "metadata": {"a": 1}},
        {"file_uri": URI, "callback_url": 7},
    ],
)
def test_invalid_bodies(env, body):
    with pytest.raises(UnprocessableEntity) as info:
        env.service().submit(env.tenants.get("acme"), "protocol-processor", body)
    assert info.value.http_status == 422
    assert info.value.details["errors"]
    assert env.publisher.published == []


@pytest.mark.parametrize(
    "uri",
    [
        "gs://bkt/tenants/other/inbox/p.pdf",
        "gs://other-bucket/tenants/acme/p.pdf",
        "gs://bkt/tenants/acme/../other/p.pdf",
        "gs://bkt/tenants/acme/x/..",
        "gs://bkt/tenants/acme/./p.pdf",
        "gs://bkt/tenants/acme//p.pdf",
        "gs://bkt/tenants/acme/p.pdf\ngs://bkt/tenants/other/p.pdf",
        "gs://bkt/tenants/acme/" + "x" * 1100,
    ],
)
def test_file_uri_outside_the_tenant_prefix_is_403(env, uri):
    with pytest.raises(Forbidden) as info:
        env.service().submit(env.tenants.get("acme"), "protocol-processor", {"file_uri": uri})
    assert info.value.error_code == "outside_tenant_prefix"


def test_model_must_be_on_the_allow_list(env):
    with pytest.raises(Forbidden) as info:
        env.service().submit(
            env.tenants.get("acme"), "protocol-processor", {"file_uri": URI, "model": "anthropic/claude-x"}
        )
    assert info.value.error_code == "model_not_allowed"
    result = env.service().submit(
        env.tenants.get("acme"), "protocol-processor", {"file_uri": URI, "model": "openai/gpt-4o"}
    )
    assert result.job.model == "openai/gpt-4o"


def test_callback_url_to_a_private_address_is_refused(env):
    with pytest.raises(UnprocessableEntity) as info:
        env.service().submit(
            env.tenants.get("acme"), "protocol-processor", {"file_uri": URI, "callback_url": "https://127.0.0.1/x"}
        )
    assert info.value.error_code == "callback_url_refused"


def test_idempotency_key_replays_the_same_job(env):
    service = env.service()
    first = service.submit(env.tenants.get("acme"), "protocol-processor", {"file_uri": URI}, idempotency_key="k1")
    again = service.submit(env.tenants.get("acme"), "protocol-processor", {"file_uri": URI}, idempotency_key="k1")
    assert first.created and not again.created
    assert first.job.job_id == again.job.job_id
    assert len(env.publisher.published) == 1


def test_idempotency_key_with_another_body_is_422(env):
    service = env.service()
    service.submit(env.tenants.get("acme"), "protocol-processor", {"file_uri": URI}, idempotency_key="k1")
    with pytest.raises(UnprocessableEntity) as info:
        service.submit(env.tenants.get("acme"), "protocol-processor", {"file_uri": URI + "x"}, idempotency_key="k1")
    assert info.value.error_code == "idempotency_key_reused"


def test_idempotency_key_whose_original_is_in_flight_is_409_until_stale(env):
    service = env.service()
    store = InMemoryIdempotencyStore(env.keys.setdefault("acme", {}))
    from common.services.submit import _request_hash

    store.put_if_absent(
        "k1",
        job_id="job_x",
        request_hash=_request_hash("protocol-processor", {"file_uri": URI}),
        now=env.clock(),
    )
    with pytest.raises(Conflict) as info:
        service.submit(env.tenants.get("acme"), "protocol-processor", {"file_uri": URI}, idempotency_key="k1")
    assert info.value.http_status == 409
    env.clock.advance(120)
    taken = service.submit(env.tenants.get("acme"), "protocol-processor", {"file_uri": URI}, idempotency_key="k1")
    assert taken.job.status is JobStatus.PENDING and env.publisher.published


def test_publish_failure_leaves_nothing_behind(env):
    env.publisher.fail = True
    with pytest.raises(TransientError):
        env.service().submit(env.tenants.get("acme"), "protocol-processor", {"file_uri": URI}, idempotency_key="k1")
    assert env.tenants.jobs("acme").list() == []
    assert env.keys["acme"] == {}
    env.publisher.fail = False
    assert (
        env.service()
        .submit(env.tenants.get("acme"), "protocol-processor", {"file_uri": URI}, idempotency_key="k1")
        .created
    )


def test_body_parsing():
    assert parse_json_body(b'{"a": 1}', max_bytes=100) == {"a": 1}
    with pytest.raises(PayloadTooLarge):
        parse_json_body(b'{"a": "' + b"x" * 200 + b'"}', max_bytes=100)
    for bad in (b"", b"{", b"[1]", b"\xff\xfe", b'"s"'):
        with pytest.raises(InvalidRequest) as info:
            parse_json_body(bad, max_bytes=100)
        assert info.value.error_code == "invalid_json"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"[" * 100_000, "json_too_deep"),
        (b'{"a": ' * 40 + b"1" + b"}" * 40, "json_too_deep"),
        (b'{"a": "\\ud800"}', "invalid_unicode"),
        (b'{"a": 1000000000000000000000000000000}', "number_out_of_range"),
        (b'{"a": NaN}', "invalid_json"),
        (b'{"": 1}', "invalid_field_name"),
    ],
)
def test_hostile_bodies_are_client_errors(body, code):
    with pytest.raises(InvalidRequest) as info:
        parse_json_body(body, max_bytes=1_000_000)
    assert info.value.error_code == code and info.value.http_status == 400


@pytest.mark.parametrize(
    "metadata", [{"": "x"}, {"a b": "x"}, {"k": "\ud800"}, {"k": "x\x00"}, {"k" * 65: "x"}, {"k": "x" * 513}]
)
def test_metadata_that_cannot_be_stored_is_422_never_503(env, metadata):
    with pytest.raises(UnprocessableEntity) as info:
        env.service().submit(env.tenants.get("acme"), "protocol-processor", {"file_uri": URI, "metadata": metadata})
    assert info.value.http_status == 422
    assert env.tenants.jobs("acme").list() == []


@pytest.mark.parametrize("key", ["", "has space", "é", "k" * 256, "line\nbreak"])
def test_idempotency_keys_are_bounded_printable_ascii(env, key):
    with pytest.raises(UnprocessableEntity) as info:
        env.service().submit(env.tenants.get("acme"), "protocol-processor", {"file_uri": URI}, idempotency_key=key)
    assert info.value.error_code == "invalid_idempotency_key"


def test_the_tenant_default_webhook_is_fixed_on_the_job_at_submission(env):
    env.tenants.save(env.tenants.get("acme").replace(webhook_url="https://hooks.example.com/a"))
    result = env.service().submit(env.tenants.get("acme"), "protocol-processor", {"file_uri": URI})
    assert result.job.callback_url == "https://hooks.example.com/a"


def test_validation_errors_name_json_paths_never_client_field_names_or_pydantic_types(env):
    body = {"criteria": [{"type": "sideways", "text": "x"}], "patient_profile": ["p"], "zz_canary_field": 1}
    with pytest.raises(UnprocessableEntity) as info:
        env.service().submit(env.tenants.get("acme"), "criteria-evaluator", body)
    rendered = str(info.value.to_dict())
    assert "zz_canary_field" not in rendered and "constrained-str" not in rendered and "list[" not in rendered
    fields = [e["field"] for e in info.value.details["errors"]]
    assert "criteria[0].type" in fields


@pytest.mark.parametrize(("tenant_days", "expected_days"), [(None, 30), (7, 7), (400, 30)])
def test_a_submitted_job_and_its_idempotency_key_expire_with_the_tenants_retention(env, tenant_days, expected_days):
    from datetime import timedelta

    env.tenants.save(env.tenants.get("acme").replace(retention_days=tenant_days))
    tenant = env.tenants.get("acme")
    result = env.service(retention_days=30).submit(tenant, "protocol-processor", {"file_uri": URI}, idempotency_key="k")
    assert result.job.expires_at == env.clock() + timedelta(days=expected_days)
    assert env.keys["acme"]["k"].expires_at == result.job.expires_at


def test_a_body_over_the_job_input_limit_without_its_document_is_413(env):
    from common.config import MAX_JOB_INPUT_BYTES
    from common.errors import PayloadTooLarge

    body = {"criteria": "x" * (MAX_JOB_INPUT_BYTES + 1), "patient_profile": ["y"]}
    with pytest.raises(PayloadTooLarge) as caught:
        env.service().submit(env.tenants.get("acme"), "criteria-evaluator", body)
    assert (caught.value.http_status, caught.value.error_code) == (413, "input_too_large")
    assert env.publisher.published == []
