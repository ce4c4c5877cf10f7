"""Telemetry through the real functions in-process (functions-framework) against the emulators:
a deliberate bug in an agent is one Sentry issue tagged with the job; bad telemetry settings
never fail a request and are logged once at start-up."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

import common.telemetry as telemetry
from common.agents import registry
from tests.integration.conftest import bearer, sample_pdf
from tests.integration.test_run_agent_function import gcs_push, job_for
from tests.support.sentry_receiver import SentryReceiver

AGENT = "protocol-processor"


@pytest.fixture
def fresh_telemetry() -> Iterator[None]:
    """Each function module calls ``telemetry.init`` once per process: start from none, leave none."""
    telemetry.shutdown()
    yield
    telemetry.shutdown()


@pytest.fixture
def buggy_agent(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(registry._AGENTS, AGENT, ("tests.support.buggy_agent", "BuggyProtocolProcessor"))  # pyright: ignore[reportPrivateUsage]
    registry.load_agent.cache_clear()
    yield
    registry.load_agent.cache_clear()


def test_a_bug_in_an_agent_is_one_sentry_issue_tagged_with_the_job(
    fresh_telemetry, buggy_agent, make_app, emulators, directory, tenant, blobs, shared_data
):
    with SentryReceiver() as sentry:
        run_agent = make_app("run_agent", SENTRY_DSN=sentry.dsn)
        stored = blobs("acme").write(f"inbox/{AGENT}/p.pdf", sample_pdf(shared_data), content_type="application/pdf")
        response = run_agent.post("/", json=gcs_push(emulators.bucket, stored))
        assert response.status_code == 200 and response.get_json()["code"] == "agent_error"
        again = run_agent.post("/", json=gcs_push(emulators.bucket, stored, message_id="m2"))
        assert again.get_json()["outcome"] == "already_finished"
        job = job_for(directory, "acme", emulators.bucket, stored)
        assert job.status.value == "failed" and job.error.code == "agent_error"

        [event] = sentry.wait_for("event", 1)
        transactions = sentry.wait_for("transaction", 2)
        time_for_more = sentry.wait_for("event", 2, timeout=1.0)
    assert len(time_for_more) == 1  # one issue, not one per redelivery or per layer
    assert event["exception"]["values"][-1]["type"] == "ZeroDivisionError"
    assert "pages per section" not in json.dumps(event)  # the message may quote input: dropped
    assert {k: event["tags"][k] for k in ("tenant_id", "job_id", "agent", "attempt", "source")} == {
        "tenant_id": "acme",
        "job_id": job.job_id,
        "agent": AGENT,
        "attempt": "1",
        "source": "gcs",
    }
    first = next(t for t in transactions if t["tags"].get("job_id") == job.job_id)
    assert first["tags"]["outcome"] == "failed" and first["tags"]["error_code"] == "agent_error"
    assert first["contexts"]["trace"]["trace_id"] == event["contexts"]["trace"]["trace_id"] == job.trace.trace_id
    assert "download" in {s.get("description") for s in first["spans"]}


def test_a_permanent_job_failure_is_a_tag_and_never_an_event(fresh_telemetry, make_app, emulators, blobs, tenant):
    with SentryReceiver() as sentry:
        run_agent = make_app("run_agent", SENTRY_DSN=sentry.dsn)
        stored = blobs("acme").write(f"inbox/{AGENT}/x.pdf", b"not a pdf", content_type="application/pdf")
        assert run_agent.post("/", json=gcs_push(emulators.bucket, stored)).get_json()["status"] == "failed"
        [txn] = sentry.wait_for("transaction", 1)
        assert sentry.wait_for("event", 1, timeout=0.5) == []
    assert txn["tags"]["outcome"] == "failed" and txn["tags"]["error_code"]


def test_bad_telemetry_settings_never_fail_a_request_and_are_logged_once(
    fresh_telemetry, make_app, tenant, capsys: pytest.CaptureFixture[str]
):
    submit = make_app(
        "submit",
        SENTRY_DSN="https://not a dsn",
        OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9",  # discard port: nothing listens
        AGENTJOBS_MODEL="openai/gpt-4o-mini",  # criteria-evaluator is refused at submit without a model
    )
    body = {"criteria": [{"type": "inclusion", "text": "Adult"}], "patient_profile": ["An adult."]}
    for _ in range(3):
        response = submit.post("/v1/agents/criteria-evaluator/jobs", json=body, headers=bearer(tenant))
        assert response.status_code == 202, response.get_json()
    telemetry.get().flush()
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    events = [line["message"] for line in lines]
    assert events.count("telemetry.sentry_disabled") == 1
    assert events.count("telemetry.export_failed") == 1
    assert events.count("telemetry.otlp_unreachable") <= 1
    assert [line["reason"] for line in lines if line["message"] == "telemetry.sentry_disabled"] == ["malformed_dsn"]
