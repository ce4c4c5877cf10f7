"""``agentjobs eval``: the built-in datasets on the shared data, user datasets, reports, comparison."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from common.cli.app import app
from common.evals.datasets import load_dataset
from common.evals.reports import build_results, compare, render_html, write_reports
from common.evals.runner import RunConfig, run_dataset
from common.evals.scorers import values_at
from common.evals.shared_data import load_pairs

PAIRS = load_pairs()


@pytest.fixture(scope="module")
def criteria_results() -> dict[str, Any]:
    report = run_dataset(load_dataset("criteria"), RunConfig(model="replay", concurrency=4, progress=False))
    return build_results(report, settings={"model": "replay"})


def test_the_criteria_dataset_replayed_checks_the_whole_harness(criteria_results: dict[str, Any]):
    results = criteria_results
    assert results["summary"]["cases"] == 12 and results["summary"]["failed"] == 0
    statuses = results["statuses"]
    assert statuses["criteria"] == 74 and statuses["accuracy"] == 1.0
    expected_counts = Counter(c.status for p in PAIRS for c in p.labels)
    assert {s: statuses["confusion"][s][s] for s in expected_counts} == dict(expected_counts)
    assert all(c["assertions"]["verdict.equals"]["value"] for c in results["cases"])
    # The GPT-4 baseline labels in the data, scored the same way.
    gpt4 = [(c.status, c.gpt4_status) for p in PAIRS for c in p.labels if c.gpt4_status is not None]
    assert statuses["gpt4_baseline_accuracy"] == round(sum(e == g for e, g in gpt4) / len(gpt4), 4)
    # The deterministic judges run as scorers; status_has_evidence flags the pairs whose physicians
    # gave a decisive status without evidence, and only those.
    flagged = {c["name"] for c in results["cases"] if not c["assertions"]["judge.status_has_evidence"]["value"]}
    lacking = {
        p.case_id
        for p in PAIRS
        if any(
            not c.evidence and (c.status == "met" or (c.status, c.type) == ("not_met", "inclusion")) for c in p.labels
        )
    }
    assert flagged == lacking and flagged
    assert results["summary"]["assertions"]["judge.verdict_follows_rule"] == 1.0


def test_reports_hold_no_input_text(criteria_results: dict[str, Any], tmp_path: Path):
    paths = write_reports(criteria_results, tmp_path)
    text = paths["json"].read_text() + paths["html"].read_text()
    assert not any(s[:30] in text for p in PAIRS for s in p.sentences)
    assert not any(c.text[:30] in text for p in PAIRS for c in p.labels if len(c.text) > 20)
    assert json.loads(paths["json"].read_text())["schema"] == "agentjobs.eval/1"


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium (apt-get install chromium)")
def test_the_html_report_renders_its_case_table_in_headless_chromium(criteria_results: dict[str, Any], tmp_path: Path):
    page = tmp_path / "criteria.html"
    page.write_text(render_html(criteria_results))
    dom = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert '<table id="cases">' in dom and "<tfoot>" in dom
    table = dom.split('<table id="cases">', 1)[1].split("<tfoot>", 1)[0]  # the parsed case table's body
    assert table.count('<tr class="case">') == 12
    assert all(p.case_id in table for p in PAIRS)
    assert table.count("<details>") == 12 and '<table id="confusion">' in dom


def test_compare_shows_regressions_per_case(criteria_results: dict[str, Any]):
    after = json.loads(json.dumps(criteria_results))
    after["cases"][2]["assertions"]["verdict.equals"]["value"] = False
    after["cases"][5]["scores"]["status_accuracy"] = 0.5
    after["cases"][7]["error"] = "job failed: model_timeout"
    diff = compare(criteria_results, after)
    got = {(r["case"], r["what"]) for r in diff["regressions"]}
    names = [c["name"] for c in criteria_results["cases"]]
    assert got == {(names[2], "verdict.equals"), (names[5], "status_accuracy"), (names[7], "error")}
    assert compare(after, criteria_results)["regressions"] == []


def test_user_datasets_in_jsonl_and_yaml(tmp_path: Path):
    pair = PAIRS[0]
    line = {
        "name": "mine",
        "agent": "criteria-evaluator",
        "input": pair.agent_input(),
        "assertions": [{"field": "verdict", "equals": pair.verdict}, {"field": "verdict", "equals": "nonsense"}],
    }
    (tmp_path / "mine.jsonl").write_text(json.dumps(line) + "\n")
    report = run_dataset(load_dataset(str(tmp_path / "mine.jsonl")), RunConfig(model="replay", progress=False))
    results = build_results(report, settings={})
    assertions = results["cases"][0]["assertions"]
    assert [a["value"] for k, a in assertions.items() if k == "verdict.equals"] in ([True], [False])
    assert sum(1 for k in assertions if k.startswith("judge.")) == 4
    yaml_text = f"""
cases:
  - name: yaml-case
    inputs:
      agent: criteria-evaluator
      input: {json.dumps(pair.agent_input())}
    expected_output:
      statuses: {json.dumps([c.status for c in pair.labels])}
    evaluators:
      - StatusAccuracy
      - FieldEquals:
          field: verdict
          value: {pair.verdict}
"""
    (tmp_path / "mine.yaml").write_text(yaml_text)
    report = run_dataset(load_dataset(str(tmp_path / "mine.yaml")), RunConfig(model="replay", progress=False))
    case = build_results(report, settings={})["cases"][0]
    assert case["scores"]["status_accuracy"] == 1.0 and case["assertions"]["verdict.equals"]["value"] is True


def test_values_at_walks_lists_and_mappings():
    data = {"objectives": [{"text": "a", "endpoints": ["x"]}, {"text": "b"}], "endpoints": {"primary": ["p"], "x": []}}
    assert values_at(data, "objectives[].text") == ["a", "b"]
    assert values_at(data, "endpoints.*") == ["p"]
    assert values_at(data, "missing.field") == []


def test_the_cli_runs_both_built_in_datasets_and_writes_the_reports(tmp_path: Path):
    runner = CliRunner()
    for dataset in ("criteria", "protocols"):
        result = runner.invoke(app, ["eval", "run", dataset, "--out", str(tmp_path), "--no-progress"])
        assert result.exit_code == 0, result.output
        assert (tmp_path / f"{dataset}.json").is_file() and (tmp_path / f"{dataset}.html").is_file()
        assert "reports:" in result.output
    protocols = json.loads((tmp_path / "protocols.json").read_text())
    assert protocols["summary"]["cases"] == 2 and protocols["summary"]["failed"] == 0
    assert protocols["summary"]["scores"]["inclusion_criteria.recall"] >= 0.9
    assert protocols["summary"]["assertions"]["judge.criteria_on_cited_page"] == 1.0
    compared = runner.invoke(
        app,
        ["eval", "compare", str(tmp_path / "criteria.json"), str(tmp_path / "criteria.json"), "--fail-on-regression"],
    )
    assert compared.exit_code == 0 and "regressions (0)" in compared.output


def test_feedback_exports_as_a_dataset_that_runs(tmp_path: Path):
    from datetime import UTC, datetime

    from common.evals.feedback_export import feedback_cases
    from common.jobs.models import Job, JobStatus, Source
    from common.judges.feedback import Feedback

    now = datetime(2026, 1, 1, tzinfo=UTC)
    pair = PAIRS[0]

    def job(job_id: str, verdict: str | None) -> Job:
        return Job(
            job_id=job_id,
            tenant_id="acme",
            agent="criteria-evaluator",
            status=JobStatus.SUCCESS,
            input=pair.agent_input(),
            source=Source.HTTPS,
            created_at=now,
            updated_at=now,
            result=pair.expert_output(),
            feedback=() if verdict is None else (Feedback(verdict=verdict, at=now, field="verdict"),),  # type: ignore[arg-type]
        )

    cases = feedback_cases([job("job_a", "correct"), job("job_b", "incorrect"), job("job_c", None)])
    assert [c["name"] for c in cases] == ["job_a", "job_b"]
    assert cases[0]["assertions"] == [{"field": "verdict", "equals": pair.verdict}]
    assert "expected_output" not in cases[1] and cases[1]["metadata"]["feedback"][0]["verdict"] == "incorrect"
    path = tmp_path / "feedback.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in cases))
    results = build_results(
        run_dataset(load_dataset(str(path)), RunConfig(model="replay", progress=False)), settings={}
    )
    assert results["cases"][0]["assertions"]["verdict.equals"]["value"] is True
