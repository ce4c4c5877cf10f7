"""Telemetry end to end: the four functions as processes on the local stack, exporting through the
real Sentry SDK to a local envelope receiver and through the real OTLP exporter to a local OTLP
receiver, with the criteria evaluator calling the scripted OpenAI-compatible server through
mirascope.

Checks issue 6's "done means" on one criteria-evaluator job (a Sentry transaction with per-stage
spans, one trace across submit → run_agent → notify, a ``gen_ai`` span with token usage and no
content, log lines correlated to the trace, job metrics), then the PHI canary: one string in every
client-controlled input and header, in inputs that succeed and inputs that fail, must appear 0
times in what leaves the functions (Sentry envelopes, OTLP spans and metrics, log lines, webhook
bodies).
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from google.cloud import pubsub_v1
from rich.console import Console

from common.adapters.clients import firestore_client
from common.adapters.firestore_store import FirestoreTenantDirectory
from common.adapters.secret_ciphers import secret_cipher_factory
from common.cli.trace import render_trace
from common.config import Settings
from common.devstack.stack import StackSettings, start_stack, stop_stack
from common.jobs.ids import gcs_job_id, request_job_id
from common.services.tenants import TenantAdmin
from common.webhooks.receiver import WebhookReceiver
from tests.e2e.conftest import FAST_RECOVERY, MODEL, CriteriaScript, Stack
from tests.support.hostile_pdfs import text_protocol_pdf
from tests.support.otlp_receiver import OtlpReceiver, ReceivedSpan
from tests.support.scripted_llm import ScriptedLLM
from tests.support.sentry_receiver import SentryReceiver

FUNCTIONS = ("submit", "run_agent", "notify", "status")
CANARY = f"canary{secrets.token_hex(6)}"


class TelemetryStack(Stack):
    sentry: SentryReceiver
    otlp: OtlpReceiver


@pytest.fixture(scope="module")
def tstack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TelemetryStack]:
    script = CriteriaScript()
    with (
        ScriptedLLM(script, cached_tokens=8, response_model="gpt-4o-mini-2024-07-18") as llm,
        SentryReceiver() as sentry,
        OtlpReceiver() as otlp,
    ):
        state_dir = tmp_path_factory.mktemp("telemetry-stack")
        extra_env = {
            "AGENTJOBS_MODEL__CRITERIA_EVALUATOR": MODEL,
            "AGENTJOBS_MODEL_BASE_URL": llm.base_url,
            "AGENTJOBS_MODEL_API_KEY": "test-key",
            "SENTRY_DSN": sentry.dsn,
            "SENTRY_ENVIRONMENT": "e2e",
            "OTEL_EXPORTER_OTLP_ENDPOINT": otlp.endpoint,
            **FAST_RECOVERY,
        }
        info = start_stack(StackSettings(extra_env=extra_env, sweep_every_seconds=0), state_dir=state_dir)
        try:
            with info.client_env():
                directory = FirestoreTenantDirectory(firestore_client(info.project))
                admin = TenantAdmin(
                    directory,
                    clock=lambda: datetime.now(UTC),
                    ciphers=secret_cipher_factory(Settings.from_env()),
                    allow_loopback_callbacks=True,
                )
                stack = TelemetryStack(info, llm, script, admin, directory, extra_env)
                stack.sentry, stack.otlp = sentry, otlp
                yield stack
        finally:
            stop_stack(state_dir)


def _roots(otlp: OtlpReceiver, trace_id: str) -> dict[str, ReceivedSpan]:
    return {s.name: s for s in otlp.spans() if s.trace_id == trace_id and s.name in FUNCTIONS}


def _function_logs(stack: Stack) -> str:
    logs = Path(stack.info.state_dir) / "logs"
    return "\n".join((logs / f"{name}.log").read_text(errors="replace") for name in FUNCTIONS)


def test_one_job_is_one_trace_with_stage_spans_a_gen_ai_span_and_correlated_logs(tstack: TelemetryStack):
    tstack.script.statuses.update({"Adults aged 18 years or older": "met"})
    tenant = tstack.tenant("traced")
    with WebhookReceiver(secret=tenant.webhook_secret) as receiver:
        body = {
            "criteria": [{"type": "inclusion", "text": "Adults aged 18 years or older"}],
            "patient_profile": ["A 54-year-old man."],
            "callback_url": receiver.url,
        }
        response = httpx.post(
            tstack.url("submit", "/v1/agents/criteria-evaluator/jobs"),
            json=body,
            headers={"Authorization": f"Bearer {tenant.api_key}"},
        )
        assert response.status_code == 202, response.text
        job_id = response.json()["job_id"]
        job = tstack.wait_job(tenant.api_key, job_id)
        assert job["status"] == "success", job.get("error")
        assert receiver.wait_for(1)[0].verified

    trace_id = job["trace"]["trace_id"]
    assert len(trace_id) == 32
    # One trace: submit (publish) -> run_agent (Pub/Sub attribute) -> notify (Cloud Tasks header).
    roots = tstack.wait_for(lambda: (r := _roots(tstack.otlp, trace_id)) and len(r) == 3 and r)
    spans = {s.span_id: s for s in tstack.otlp.spans() if s.trace_id == trace_id}
    assert roots["submit"].parent_span_id == ""
    assert roots["run_agent"].parent_span_id == roots["submit"].span_id
    enqueue = spans[roots["notify"].parent_span_id]
    assert enqueue.name == "enqueue_callback" and enqueue.parent_span_id == roots["run_agent"].span_id
    assert roots["run_agent"].attributes["agentjobs.job_id"] == job_id
    assert roots["run_agent"].attributes["agentjobs.outcome"] == "success"
    assert roots["run_agent"].attributes["agentjobs.cost.total_usd"] > 0

    # The model call: OTel GenAI semconv, usage from the scripted server's answer, no content.
    [gen_ai] = [s for s in spans.values() if s.name == "chat gpt-4o-mini"]
    assert gen_ai.kind == 3  # SPAN_KIND_CLIENT
    assert gen_ai.attributes["gen_ai.operation.name"] == "chat"
    assert gen_ai.attributes["gen_ai.provider.name"] == "openai"
    assert gen_ai.attributes["gen_ai.request.model"] == "gpt-4o-mini"
    assert gen_ai.attributes["gen_ai.response.model"] == "gpt-4o-mini-2024-07-18"
    assert gen_ai.attributes["gen_ai.usage.input_tokens"] == job["usage"]["input_tokens"] > 0
    assert gen_ai.attributes["gen_ai.usage.output_tokens"] == job["usage"]["output_tokens"] > 0
    assert gen_ai.attributes["gen_ai.usage.cache_read.input_tokens"] == 8
    assert gen_ai.attributes["agentjobs.cost.total_usd"] > 0
    assert not any(k.startswith(("gen_ai.input", "gen_ai.output", "gen_ai.prompt")) for k in gen_ai.attributes)
    assert {"assess_criteria", "store", "enqueue_callback"} <= {s.name for s in spans.values()}

    # Sentry: the run_agent transaction, in the same trace, tagged with the job, with a span per stage.
    def run_agent_transaction() -> dict | None:
        return next(
            (
                t
                for t in tstack.sentry.transactions()
                if t["transaction"] == "run_agent" and t["contexts"]["trace"]["trace_id"] == trace_id
            ),
            None,
        )

    txn = tstack.wait_for(run_agent_transaction)
    assert {k: txn["tags"][k] for k in ("tenant_id", "job_id", "agent", "attempt", "source", "model")} == {
        "tenant_id": tenant.tenant.tenant_id,
        "job_id": job_id,
        "agent": "criteria-evaluator",
        "attempt": "1",
        "source": "https",
        "model": MODEL,
    }
    assert txn["tags"]["outcome"] == "success"
    assert {"assess_criteria", "store", "enqueue_callback"} <= {s.get("description") for s in txn["spans"]}
    # sentry-sdk 2.75 ships gen_ai spans beside the transaction, as a v2 span item of the same segment.
    gen_ai_items = [
        span
        for item in tstack.sentry.items
        if item.type == "span"
        for span in item.json()["items"]
        if span["trace_id"] == trace_id
    ]
    assert [s["name"] for s in gen_ai_items] == ["chat gpt-4o-mini"]
    assert gen_ai_items[0]["attributes"]["gen_ai.usage.input_tokens"]["value"] == job["usage"]["input_tokens"]
    assert not tstack.sentry.events()  # a successful job is no error event

    # Log lines carry Cloud Logging's trace field.
    logs = _function_logs(tstack)
    assert f'"logging.googleapis.com/trace": "projects/{tstack.info.project}/traces/{trace_id}"' in logs

    # Metrics: jobs by agent and status, duration, queue delay, tokens, cost.
    points = tstack.wait_for(
        lambda: (p := tstack.otlp.metric_points()) and {"agentjobs.jobs", "agentjobs.model.cost"} <= set(p) and p
    )
    assert {
        "agentjobs.jobs",
        "agentjobs.job.duration",
        "agentjobs.job.queue_delay",
        "gen_ai.client.token.usage",
        "agentjobs.model.cost",
    } <= set(points)
    assert any(
        a.get("agentjobs.agent") == "criteria-evaluator" and a.get("agentjobs.status") == "success"
        for a, _ in points["agentjobs.jobs"]
    )

    # The stage timeline is on the job, through the API: what `agentjobs jobs trace` draws.
    kinds = {(s["kind"], s["name"]) for s in job["trace"]["spans"]}
    assert ("stage", "assess_criteria") in kinds and ("model_call", "gpt-4o-mini-2024-07-18") in kinds
    console = Console(record=True, width=160)
    render_trace(console, job)
    text = console.export_text()
    assert "assess_criteria" in text and "model gpt-4o-mini-2024-07-18" in text and trace_id in text


def _publish(stack: Stack, tenant_id: str, data: bytes, **attributes: str) -> str:
    publisher = pubsub_v1.PublisherClient()
    topic = publisher.topic_path(stack.info.project, "agentjobs-requests")
    return publisher.publish(topic, data, tenant_id=tenant_id, **attributes).result(timeout=10)


def test_the_phi_canary_never_leaves_the_functions(tstack: TelemetryStack):
    tstack.script.statuses.update({f"Adults {CANARY}": "met"})
    tenant = tstack.tenant("canary")
    tenant_id = tenant.tenant.tenant_id
    headers = {
        "Authorization": f"Bearer {tenant.api_key}",
        "Idempotency-Key": f"key-{CANARY}",
        "User-Agent": f"client/{CANARY}",
        "X-Request-Id": CANARY,
        "traceparent": f"00-{CANARY}-{CANARY}-01",
        "tracestate": f"vendor={CANARY}",
    }
    submit_url = tstack.url("submit", "/v1/agents/criteria-evaluator/jobs")
    with WebhookReceiver(secret=tenant.webhook_secret) as receiver:
        tstack.admin.set_webhook(tenant_id, f"{receiver.url}?tenant_ref={CANARY}")
        callback_url = f"{receiver.url}?ref={CANARY}"
        good = {
            "criteria": [{"type": "inclusion", "text": f"Adults {CANARY}"}],
            "patient_profile": [f"Patient {CANARY} is 54."],
            "metadata": {"ref": CANARY},
            "callback_url": callback_url,
        }
        accepted = httpx.post(submit_url, json=good, headers=headers)
        assert accepted.status_code == 202, accepted.text
        # Failing inputs: a client error at submit, an invalid upstream request, a malformed one,
        # a PDF whose text and file name carry the canary, and a dropped non-PDF.
        bad = {"criteria": CANARY, "patient_profile": {CANARY: CANARY}, CANARY: CANARY}
        assert httpx.post(submit_url, json=bad, headers=headers).status_code in (400, 409, 422)
        for path in (f"/v1/jobs/{CANARY}", f"/v1/jobs/job_{CANARY}", f"/v1/jobs?status={CANARY}"):
            assert httpx.get(tstack.url("status", path), headers=headers).status_code in (400, 404)
        assert httpx.post(tstack.url("submit", f"/v1/agents/{CANARY}/jobs"), json=good, headers=headers).is_error
        invalid_body = {"agent": "criteria-evaluator", "input": {"criteria": [], "patient_profile": [CANARY]}}
        invalid_id = _publish(tstack, tenant_id, json.dumps(invalid_body).encode())
        _publish(tstack, tenant_id, f"{{not json {CANARY}".encode(), traceparent=CANARY)
        blobs = tstack.blobs(tenant_id)
        pdf = blobs.write(
            f"inbox/protocol-processor/{CANARY}.pdf", text_protocol_pdf(CANARY), content_type="application/pdf"
        )
        junk = blobs.write(f"inbox/protocol-processor/{CANARY}-2.pdf", CANARY.encode(), content_type="application/pdf")

        job = tstack.wait_job(tenant.api_key, accepted.json()["job_id"])
        assert job["status"] == "success", job.get("error")
        drop: dict = tstack.wait_job(
            tenant.api_key, gcs_job_id(tstack.info.bucket, pdf.uri.split("/", 3)[3], pdf.generation)
        )
        assert drop["status"] == "success", drop.get("error")
        assert any(CANARY in str(c) for c in drop["result"]["inclusion_criteria"])  # it did read the text
        junk_job = gcs_job_id(tstack.info.bucket, junk.uri.split("/", 3)[3], junk.generation)
        assert tstack.wait_job(tenant.api_key, junk_job)["status"] == "failed"
        invalid_job = request_job_id(tenant_id, "criteria-evaluator", invalid_id)
        assert tstack.wait_job(tenant.api_key, invalid_job)["status"] == "failed"
        # An upstream request failed at intake gets no callback (today's intake), hence three.
        expected = {accepted.json()["job_id"], drop["job_id"], junk_job}
        webhooks = receiver.wait_for(3, timeout=30)
        got = {(w.payload or {}).get("job_id") for w in webhooks}
        assert got == expected, {j: tstack.wait_job(tenant.api_key, j) for j in expected - got}

    # Let the last deliveries (notify's) finish flushing.
    trace_id = job["trace"]["trace_id"]
    tstack.wait_for(lambda: "notify" in _roots(tstack.otlp, trace_id))
    time.sleep(1.0)
    leaving = {
        "sentry envelopes": tstack.sentry.raw(),
        "OTLP spans and metrics": tstack.otlp.raw(),
        "function logs": _function_logs(tstack).encode(),
        "webhook bodies": b"\n".join(w.body for w in webhooks),
    }
    assert all(leaving.values()), {k: len(v) for k, v in leaving.items()}
    encodings = {CANARY.encode(), base64.b64encode(CANARY.encode()), CANARY.encode("utf-16-le")}
    found = {name: sum(data.count(e) for e in encodings) for name, data in leaving.items()}
    assert found == dict.fromkeys(leaving, 0)
