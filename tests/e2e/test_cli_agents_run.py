"""The issue's acceptance command, run as a user runs it, scored against the gold criteria."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from common.devstack.stack import PROJECT_ROOT
from common.evaluation import score_criteria


@pytest.mark.parametrize("protocol", ["CDISC_Pilot_Study", "EliLilly_NCT03421379_Diabetes"])
def test_agents_run_json_meets_95_percent_recall_and_precision(shared_data, protocol):
    pdf = shared_data / "protocols" / f"{protocol}.pdf"
    agentjobs = Path(sys.executable).parent / "agentjobs"
    done = subprocess.run(
        [str(agentjobs), "agents", "run", "protocol-processor", "--file", str(pdf), "--json"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home())},  # no model configured: offline rules
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    summary = json.loads(done.stdout)
    assert summary["method"] == "rules"
    gold = json.loads((shared_data / "protocols" / "gold" / f"{protocol}.json").read_text())["eligibility_criteria"]
    for kind in ("inclusion", "exclusion"):
        score = score_criteria([c["text"] for c in summary[f"{kind}_criteria"]], [g["text"] for g in gold[kind]])
        assert score.recall >= 0.95 and score.precision >= 0.95, (protocol, kind, score)
        assert all(c["page"] >= 1 for c in summary[f"{kind}_criteria"])


def test_agents_run_reports_bad_input_as_json_error(tmp_path):
    bogus = tmp_path / "notes.pdf"
    bogus.write_text("not a pdf")
    agentjobs = Path(sys.executable).parent / "agentjobs"
    done = subprocess.run(
        [str(agentjobs), "agents", "run", "protocol-processor", "--file", str(bogus), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert json.loads(done.stdout)["error"]["code"] == "not_a_pdf"
