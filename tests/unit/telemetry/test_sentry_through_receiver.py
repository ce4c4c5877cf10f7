"""The real Sentry SDK, initialised by the facade, sending to a local envelope receiver."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import redirect_stdout

import pytest
import sentry_sdk

import common.telemetry as telemetry
from common.errors import PermanentError, TransientError
from common.telemetry import JobTags, TelemetryConfig
from common.telemetry.sentry_scrub import scrub_event
from tests.support.sentry_receiver import SentryReceiver

CANARY = "CANARY_4c7e1f"
TAGS = JobTags(
    tenant_id="acme",
    job_id="job_aaaabbbbccccddddeeeeffffgg",
    agent="criteria-evaluator",
    attempt=2,
    source="https",
    model="openai/gpt-4o-mini",
)


@pytest.fixture(scope="module")
def receiver() -> Iterator[SentryReceiver]:
    with SentryReceiver() as server:
        yield server


@pytest.fixture
def sentry(receiver: SentryReceiver) -> Iterator[telemetry.Telemetry]:
    receiver.clear()
    t = telemetry.init("run_agent", config=TelemetryConfig(service="run_agent", sentry_dsn=receiver.dsn))
    assert t.sentry
    yield t


def _run(t: telemetry.Telemetry, error: Exception | None, *, final_attempt: bool = True) -> None:
    try:
        with t.delivery("run_agent", kind="consumer", tags=TAGS, final_attempt=final_attempt):
            with t.stage("download", **{"agentjobs.bytes": 12, "file.name": CANARY}):
                sentry_sdk.add_breadcrumb(message=f"read {CANARY}", category="app", data={"path": CANARY, "attempt": 2})
            t.record_stage("extract_text", 0.25)
            if error is not None:
                raise error
    except Exception:
        pass


def test_init_is_explicit_and_collects_no_pii(sentry: telemetry.Telemetry):
    client = sentry_sdk.get_client()
    assert not client.should_send_default_pii()
    assert client.options["default_integrations"] is False and client.options["auto_enabling_integrations"] is False
    assert client.integrations == {}
    assert client.options["include_local_variables"] is False and client.options["include_source_context"] is False
    assert client.options["data_collection"]["gen_ai"] == {"inputs": False, "outputs": False}


def test_a_bug_is_one_issue_tagged_with_the_job_and_no_content(sentry: telemetry.Telemetry, receiver: SentryReceiver):
    _run(sentry, ValueError(f"could not parse {CANARY}"))
    events = receiver.wait_for("event")
    transactions = receiver.wait_for("transaction")
    assert len(events) == 1 and len(transactions) == 1
    event, txn = events[0], transactions[0]
    assert event["exception"]["values"][-1]["type"] == "ValueError"
    assert "value" not in event["exception"]["values"][-1]
    assert {
        k: event["tags"][k] for k in ("tenant_id", "job_id", "agent", "attempt", "source", "model")
    } == TAGS.as_tags()
    assert event["contexts"]["trace"]["trace_id"] == txn["contexts"]["trace"]["trace_id"]
    assert [s["description"] for s in txn["spans"]] == ["download", "extract_text"]
    assert txn["spans"][1]["data"]["agentjobs.duration_s"] == 0.25
    assert CANARY.encode() not in receiver.raw()
    assert b"could not parse" not in receiver.raw()


def test_a_permanent_failure_is_a_transaction_tag_not_an_event(sentry: telemetry.Telemetry, receiver: SentryReceiver):
    _run(sentry, PermanentError(f"bad pdf {CANARY}", code="no_text_layer"))
    transactions = receiver.wait_for("transaction")
    assert receiver.events() == []
    assert transactions[0]["tags"]["outcome"] == "failed" and transactions[0]["tags"]["error_code"] == "no_text_layer"
    assert CANARY.encode() not in receiver.raw()


def test_transient_errors_are_breadcrumbs_until_the_final_attempt(
    sentry: telemetry.Telemetry, receiver: SentryReceiver
):
    _run(sentry, TransientError("429", code="model_rate_limited"), final_attempt=False)
    receiver.wait_for("transaction")
    assert receiver.events() == []
    receiver.clear()
    _run(sentry, TransientError(f"429 {CANARY}", code="model_rate_limited"), final_attempt=True)
    events = receiver.wait_for("event")
    assert len(events) == 1 and events[0]["exception"]["values"][-1]["value"] == "model_rate_limited"
    crumbs = events[0]["breadcrumbs"]["values"]
    assert {"category": "transient"}.items() <= crumbs[-1].items() and all("message" not in c for c in crumbs)
    assert CANARY.encode() not in receiver.raw()


def test_scrubber_drops_everything_off_the_allow_list():
    event = {
        "event_id": "abc",
        "level": "error",
        "request": {"url": f"https://x/?q={CANARY}", "data": CANARY, "headers": {"X": CANARY}},
        "user": {"email": CANARY},
        "extra": {"note": CANARY},
        "logentry": {"message": f"failed for {CANARY} patient"},
        "tags": {"job_id": "job_a", "patient": CANARY, "model": f"{CANARY} text"},
        "contexts": {"trace": {"trace_id": "a" * 32, "data": {"http.url": CANARY}}, "response": {"body": CANARY}},
        "exception": {
            "values": [
                {
                    "type": "ValueError",
                    "value": CANARY,
                    "stacktrace": {
                        "frames": [{"filename": "a.py", "lineno": 3, "vars": {"x": CANARY}, "context_line": CANARY}]
                    },
                }
            ]
        },
        "breadcrumbs": {"values": [{"message": CANARY, "category": "http", "data": {"url": CANARY, "attempt": 1}}]},
        "modules": {"x": "1"},
        "threads": {"values": [{"stacktrace": {"frames": [{"vars": {"x": CANARY}}]}}]},
    }
    scrubbed = scrub_event(event)
    assert CANARY not in json.dumps(scrubbed)
    assert scrubbed["tags"] == {"job_id": "job_a"}
    assert scrubbed["breadcrumbs"]["values"][0] == {"category": "http", "data": {"attempt": 1}}
    assert scrubbed["exception"]["values"][0]["stacktrace"]["frames"] == [{"filename": "a.py", "lineno": 3}]


def test_a_malformed_dsn_disables_sentry_with_one_clear_log_line():
    out = io.StringIO()
    with redirect_stdout(out):
        t = telemetry.init("submit", config=TelemetryConfig(service="submit", sentry_dsn="not a dsn"))
        with t.delivery("submit"):
            pass
    assert not t.sentry
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    disabled = [line for line in lines if line["message"] == "telemetry.sentry_disabled"]
    assert len(disabled) == 1 and disabled[0]["reason"] == "malformed_dsn" and disabled[0]["severity"] == "ERROR"


def test_sentry_alone_continues_and_propagates_the_w3c_trace(sentry: telemetry.Telemetry, receiver: SentryReceiver):
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    with sentry.delivery("notify", carrier={"traceparent": parent}):
        outgoing = sentry.inject({})["traceparent"]
    (txn,) = receiver.wait_for("transaction")
    trace = txn["contexts"]["trace"]
    assert (trace["trace_id"], trace["parent_span_id"]) == ("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331")
    assert outgoing == f"00-{trace['trace_id']}-{trace['span_id']}-01"


def test_an_error_reported_inside_and_re_raised_is_one_event(sentry: telemetry.Telemetry, receiver: SentryReceiver):
    with pytest.raises(KeyError), sentry.delivery("run_agent"):
        try:
            raise KeyError("x")
        except KeyError as e:
            sentry.report(e, final_attempt=True)
            raise
    receiver.wait_for("transaction")
    assert len(receiver.events()) == 1


def test_gen_ai_spans_stream_to_sentry_scrubbed_with_usage(sentry: telemetry.Telemetry, receiver: SentryReceiver):
    from datetime import UTC, datetime

    from common.jobs.models import ModelCall

    with sentry.delivery("run_agent"), sentry.model_call(provider="openai", request_model="gpt-4o-mini") as span:
        span.record(ModelCall("openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", datetime.now(UTC), 100, 20, 50))
    receiver.wait_for("transaction")
    # sentry-sdk 2.75 moves gen_ai spans out of the (already scrubbed) transaction into a span item.
    (item,) = [i for i in receiver.items if i.type == "span"]
    (gen_ai,) = item.json()["items"]
    assert gen_ai["name"] == "chat gpt-4o-mini"
    assert gen_ai["attributes"]["gen_ai.usage.input_tokens"]["value"] == 100
    assert gen_ai["attributes"]["gen_ai.usage.cache_read.input_tokens"]["value"] == 50
    assert not [k for k in gen_ai["attributes"] if k.startswith(("gen_ai.input", "gen_ai.output", "gen_ai.system_"))]
