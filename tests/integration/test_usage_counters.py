"""Cost at completion and daily usage counters, on the real path against the emulators.

A criteria-evaluator job goes submit -> run_agent (mirascope -> openai client -> HTTP -> the
scripted OpenAI-compatible server) -> Firestore; its cost is priced at completion and counted
in the tenant's day document in the same commit, once, whatever the redeliveries; ``status``
serves both (``GET /v1/jobs/{id}``, ``GET /v1/usage``).
"""

from __future__ import annotations

import json
import re
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from typer.testing import CliRunner
from werkzeug.serving import make_server

from common.adapters.firestore_usage import FirestoreUsageReader
from common.agents.registry import load_agent
from common.cli.app import app
from common.costs import PriceOverride
from common.jobs import lifecycle
from common.jobs.ids import new_job_id
from common.jobs.models import JobError, JobStatus, Source
from common.usage.counters import nano_usd
from tests.integration.conftest import bearer
from tests.integration.test_firestore_cost import job_message
from tests.support.scripted_llm import Answer, Json, ScriptedLLM, ScriptedRequest

CRITERIA = [
    {"type": "inclusion", "text": "Adults aged 18 years or older"},
    {"type": "exclusion", "text": "Pregnant women"},
]
PROFILE = ["A 54-year-old man with type 2 diabetes."]
_CRITERION = re.compile(r"^(?P<index>\d+)\. \[(?P<type>inclusion|exclusion)\] (?P<text>.*)$", re.MULTILINE)
CACHED = 40


def answer(request: ScriptedRequest) -> Answer:
    assessments = [
        {"criterion_index": int(m["index"]), "explanation": "scripted", "evidence": [0], "status": "met"}
        for m in _CRITERION.finditer(request.prompt)
    ]
    return Json({"assessments": assessments})


@pytest.fixture
def llm():
    with ScriptedLLM(answer, cached_tokens=CACHED, response_model="gpt-4o-mini-2024-07-18") as server:
        yield server


@pytest.fixture
def apps(make_app, llm):
    # Agents are cached per process and keep the model port they first built (this test's
    # scripted server is new): start from fresh agents.
    load_agent.cache_clear()

    def make(model: str):
        env = {
            "AGENTJOBS_MODEL__CRITERIA_EVALUATOR": model,
            "AGENTJOBS_MODEL_BASE_URL": llm.base_url,
            "AGENTJOBS_MODEL_API_KEY": "test-key",
            "AGENTJOBS_CALLBACKS_QUEUE": "",
        }
        return make_app("submit", **env), make_app("run_agent", **env), make_app("status", **env)

    return make


def run_job(submit, run_agent, tenant, message_id: str = "m1") -> str:
    response = submit.post(
        "/v1/agents/criteria-evaluator/jobs",
        json={"criteria": CRITERIA, "patient_profile": PROFILE},
        headers=bearer(tenant),
    )
    assert response.status_code == 202, response.get_json()
    job_id = response.get_json()["job_id"]
    ran = run_agent.post("/", json=job_message(tenant.tenant.tenant_id, job_id, message_id)).get_json()
    assert ran["status"] == "success", ran
    return job_id


def today() -> datetime:
    return datetime.now(UTC)


def test_a_criteria_job_is_priced_at_completion_and_counted_once_under_redelivery(apps, directory, tenant):
    submit, run_agent, status = apps("openai/gpt-4o-mini:completions")
    job_id = run_job(submit, run_agent, tenant)
    for message_id in ("m1", "m2", "m1"):  # redeliveries of the finished job's message
        again = run_agent.post("/", json=job_message("acme", job_id, message_id)).get_json()
        assert again["outcome"] == "already_finished", again

    job = directory.jobs("acme").get(job_id)
    assert job is not None and job.usage is not None and job.cost is not None
    [call] = job.usage.model_calls
    assert (call.provider, call.request_model, call.response_model) == (
        "openai",
        "gpt-4o-mini",
        "gpt-4o-mini-2024-07-18",
    )
    assert call.cache_read_tokens == CACHED and call.input_tokens > CACHED and call.output_tokens > 0
    # gpt-4o-mini list prices: $0.15 / MTok uncached input, $0.075 cached, $0.60 output.
    expected_input = (Decimal(call.input_tokens - CACHED) * Decimal("0.15") + CACHED * Decimal("0.075")) / 10**6
    expected_output = Decimal(call.output_tokens) * Decimal("0.6") / 10**6
    assert (job.cost.input_usd, job.cost.output_usd) == (expected_input, expected_output)
    assert (job.cost.priced_calls, job.cost.unpriced_calls) == (1, 0)
    assert job.cost.price_source.startswith("genai-prices==")

    view = status.get(f"/v1/jobs/{job_id}", headers=bearer(tenant)).get_json()
    assert Decimal(view["cost"]["total_usd"]) == expected_input + expected_output
    assert view["cost"]["price_source"] == job.cost.price_source and view["cost"]["priced_at"].endswith("Z")
    [shown] = view["usage"]["model_calls"]
    assert shown["response_model"] == "gpt-4o-mini-2024-07-18" and shown["cache_read_tokens"] == CACHED
    assert shown["requested_at"].endswith("Z") and view["usage"]["cache_read_tokens"] == CACHED

    [day] = FirestoreUsageReader(directory._client, "acme").days(today().date(), today().date())
    counts = day.total
    assert (counts.jobs, counts.succeeded, counts.failed, counts.calls) == (1, 1, 0, 1)
    assert (counts.input_tokens, counts.output_tokens, counts.cache_read_tokens) == (
        call.input_tokens,
        call.output_tokens,
        CACHED,
    )
    assert counts.cost_nano_usd == nano_usd(expected_input + expected_output)
    assert day.agents == {"criteria-evaluator": counts}
    assert day.models == {"openai/gpt-4o-mini:completions": counts}

    by_model = status.get("/v1/usage?group_by=model", headers=bearer(tenant)).get_json()
    [row] = by_model["rows"]
    assert row["key"] == "openai/gpt-4o-mini:completions" and row["jobs"] == 1
    assert Decimal(row["cost_usd"]) == counts.cost_usd == Decimal(by_model["total"]["cost_usd"])


def test_a_stale_or_repeated_completion_writes_and_counts_nothing(directory, tenant):
    """Fencing: the finishing write is conditional on the revision and the lease token."""
    store = directory.jobs("acme")
    now = today()
    job, _ = store.create(
        lifecycle.new_job(
            job_id=new_job_id(), tenant_id="acme", agent="protocol-processor", input={}, source=Source.HTTPS, now=now
        )
    )

    def claim(token: str, at: datetime):
        return store.update(
            job.job_id, lambda j: lifecycle.claim(j, token=token, now=at, lease_seconds=1, max_attempts=5)
        )

    def complete(token: str):
        return lambda j: lifecycle.complete(j, token=token, now=today(), result={"n": token})

    stale = claim("a", now)  # worker a's attempt; its lease runs out
    taken = claim("b", now + timedelta(seconds=5))  # worker b takes the job over
    assert store.replace(taken, complete("b")).status is JobStatus.SUCCESS
    with pytest.raises(lifecycle.LeaseLost):  # a's completion, from the revision it knew
        store.replace(stale, complete("a"))
    with pytest.raises(lifecycle.LeaseLost):  # b's completion delivered twice
        store.replace(taken, complete("b"))
    [day] = FirestoreUsageReader(directory._client, "acme").days(now.date(), now.date())
    assert (day.total.jobs, day.total.succeeded) == (1, 1)
    assert store.get(job.job_id).result == {"n": "b"}


def test_tenant_price_overrides_price_a_self_hosted_model_and_unknown_prices_stay_unpriced(
    apps, admin, directory, tenant, other_tenant
):
    admin.set_price_override("acme", PriceOverride("ollama", "*", Decimal("0.5"), Decimal("1.5")))
    submit, run_agent, status = apps("ollama/llama3.1:8b")
    priced = directory.jobs("acme").get(run_job(submit, run_agent, tenant))
    unpriced = directory.jobs("globex").get(run_job(submit, run_agent, other_tenant))
    assert priced is not None and priced.cost is not None and priced.usage is not None
    assert priced.cost.price_source == "tenant-override"
    usage = priced.usage
    assert priced.cost.total_usd == (usage.input_tokens * Decimal("0.5") + usage.output_tokens * Decimal("1.5")) / 10**6
    assert unpriced is not None and unpriced.cost is not None
    assert (unpriced.cost.total_usd, unpriced.cost.unpriced_calls, unpriced.cost.price_source) == (None, 1, "")

    view = status.get(f"/v1/jobs/{unpriced.job_id}", headers=bearer(other_tenant)).get_json()
    assert view["cost"]["total_usd"] is None and view["cost"]["unpriced_calls"] == 1
    report = status.get("/v1/usage", headers=bearer(other_tenant)).get_json()
    assert report["total"]["unpriced_calls"] == 1 and report["total"]["cost_usd"] == "0"
    assert report["total"]["jobs"] == 1  # only its own tenant's job


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("from=2026-13-01", "from"),
        ("to=yesterday", "to"),
        ("from=2026-03-02&to=2026-03-01", "from"),
        ("from=2024-01-01&to=2026-01-01", "from"),
        ("group_by=tenant", "group_by"),
        ("from=20260301", "from"),
    ],
)
def test_bad_usage_queries_answer_400_with_a_code(make_app, tenant, query, parameter):
    status = make_app("status")
    response = status.get(f"/v1/usage?{query}", headers=bearer(tenant))
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_parameter" and error["parameter"] == parameter


def test_usage_needs_a_key_and_knows_only_get(make_app, tenant):
    status = make_app("status")
    assert status.get("/v1/usage").status_code == 401
    assert status.get("/v1/usage?bogus=1", headers=bearer(tenant)).get_json()["error"]["code"] == "invalid_parameter"
    assert status.post("/v1/usage", headers=bearer(tenant)).status_code == 405


@pytest.fixture
def served(make_app):
    """A function app served over real HTTP (for the CLI); yields its base URL."""
    servers = []

    def serve(app) -> str:
        server = make_server("127.0.0.1", 0, app.application, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield serve
    for server in servers:
        server.shutdown()


def test_the_cli_sets_prices_that_price_jobs_and_shows_cost_and_usage(apps, served, directory, tenant):
    cli = CliRunner()
    refused = cli.invoke(
        app, ["tenants", "prices", "set", "acme", "openai/gpt-4o-mini", "--input-usd", "x", "--output-usd", "1"]
    )
    assert refused.exit_code == 2 and "invalid_price_override" in refused.output
    unknown = cli.invoke(
        app, ["tenants", "prices", "set", "nobody", "openai/*", "--input-usd", "1", "--output-usd", "1"]
    )
    assert unknown.exit_code == 1 and "tenant_not_found" in unknown.output
    done = cli.invoke(
        app,
        [
            "tenants",
            "prices",
            "set",
            "acme",
            "openai/gpt-4o-mini",
            "--input-usd",
            "1",
            "--output-usd",
            "2",
            "--cache-read",
            "0",
        ],
    )
    assert done.exit_code == 0, done.output
    shown = json.loads(cli.invoke(app, ["tenants", "prices", "show", "acme", "--json"]).stdout)
    assert shown["price_overrides"][0]["model"] == "openai/gpt-4o-mini"
    assert shown["price_overrides"][0]["cache_read_usd_per_mtok"] == "0"

    submit, run_agent, status = apps("openai/gpt-4o-mini:completions")
    job_id = run_job(submit, run_agent, tenant)
    job = directory.jobs("acme").get(job_id)
    assert job.cost.price_source == "tenant-override"
    expected = (Decimal(job.usage.input_tokens - CACHED) + 2 * Decimal(job.usage.output_tokens)) / 10**6
    assert job.cost.total_usd == expected

    url = served(status)
    key = ["--api-url", url, "--api-key", tenant.api_key]
    printed = cli.invoke(app, ["status", job_id, *key], catch_exceptions=False)
    assert printed.exit_code == 0, printed.output
    assert f"cost: ${expected}" in printed.output and "tenant-override" in printed.output
    assert "gpt-4o-mini-2024-07-18" in printed.output  # the per-call table names the answering model

    table = cli.invoke(app, ["usage", "--group-by", "agent", *key], catch_exceptions=False)
    assert table.exit_code == 0 and "criteria-evaluator" in table.output and f"${expected}" in table.output
    raw = json.loads(cli.invoke(app, ["usage", "--json", *key]).stdout)
    assert raw["total"]["jobs"] == 1 and raw["rows"][0]["key"] == datetime.now(UTC).date().isoformat()
    bad = cli.invoke(app, ["usage", "--group-by", "tenant", *key])
    assert bad.exit_code == 1 and "invalid_parameter" in bad.output

    cleared = cli.invoke(app, ["tenants", "prices", "clear", "acme", "--all"])
    assert cleared.exit_code == 0 and directory.get("acme").price_overrides == ()


def test_jobs_finishing_on_one_day_spread_over_shards_and_report_as_one_day(make_app, directory, tenant):
    store, now = directory.jobs("acme"), today()
    for n in range(12):
        job = lifecycle.new_job(
            job_id=new_job_id(), tenant_id="acme", agent=f"agent-{n % 2}", input={}, source=Source.HTTPS, now=now
        )
        store.create(lifecycle.reject(job, now=now, error=JobError("unknown_agent", "no such agent")))
    shards = {d.id for d in directory._client.collection("tenants").document("acme").collection("usage").stream()}
    assert len(shards) > 1 and all(s.startswith(now.date().isoformat() + "_") for s in shards)
    [day] = FirestoreUsageReader(directory._client, "acme").days(now.date(), now.date())
    assert (day.total.jobs, day.total.failed) == (12, 12)
    assert {k: v.jobs for k, v in day.agents.items()} == {"agent-0": 6, "agent-1": 6}
    report = make_app("status").get("/v1/usage", headers=bearer(tenant)).get_json()
    assert [(r["key"], r["jobs"]) for r in report["rows"]] == [(now.date().isoformat(), 12)]
