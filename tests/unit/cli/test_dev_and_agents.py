"""`dev logs` formatting, `dev up --model` key lookup, and `agents run` reading submit's request format."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from typer.testing import CliRunner

from common.cli import exits
from common.cli.app import app
from common.cli.dev import model_env
from common.devstack.logs import parse_line, read_logs

runner = CliRunner()


def test_a_json_record_becomes_one_line_in_local_time():
    record = {
        "severity": "WARNING",
        "message": "job.failed",
        "time": 1_700_000_000.25,
        "job_id": "job_abc",
        "code": "x",
    }
    line = parse_line(json.dumps(record), "run_agent", 0.0)
    local = datetime.fromtimestamp(1_700_000_000.25).astimezone().strftime("%H:%M:%S.250")
    assert line.text.split() == [local, "WARNING", "run_agent", "job_abc", "job.failed", "code=x"]
    assert not line.routine


def test_plain_lines_keep_their_place_and_idle_sweeps_are_routine(tmp_path: Path):
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "run_agent.log").write_text(
        json.dumps({"severity": "ERROR", "message": "job.crashed", "time": 20.0, "job_id": "job_2"})
        + "\nTraceback (most recent call last):\n"
        + json.dumps({"severity": "INFO", "message": "sweep.done", "time": 30.0, "requeued_pending": 0})
        + "\n"
    )
    (logs / "submit.log").write_text(json.dumps({"severity": "INFO", "message": "job.submitted", "time": 10.0}) + "\n")
    lines = read_logs(logs, ["submit", "run_agent"])
    assert [line.source for line in lines] == ["submit", "run_agent", "run_agent", "run_agent"]
    assert "Traceback" in lines[2].text and lines[2].time == 20.0
    assert [line.routine for line in lines] == [False, False, False, True]
    result = runner.invoke(app, ["dev", "logs", "--state-dir", str(tmp_path)])
    assert result.exit_code == 0
    assert "job.crashed" in result.stdout and "sweep.done" not in result.stdout
    assert "sweep.done" in runner.invoke(app, ["dev", "logs", "--routine", "--state-dir", str(tmp_path)]).stdout
    assert runner.invoke(app, ["dev", "logs", "nope", "--state-dir", str(tmp_path)]).exit_code == exits.USAGE


def test_dev_up_model_key_comes_from_the_usual_variable():
    env, line = model_env("openai/gpt-4o-mini", {"OPENAI_API_KEY": "sk-1"})
    assert env == {"AGENTJOBS_MODEL": "openai/gpt-4o-mini", "OPENAI_API_KEY": "sk-1"}
    assert "key from OPENAI_API_KEY" in line
    env, line = model_env("openai/gpt-4o-mini", {"OPENAI_API_KEY": "sk-1", "AGENTJOBS_MODEL_API_KEY": "k2"})
    assert env["AGENTJOBS_MODEL_API_KEY"] == "k2" and "AGENTJOBS_MODEL_API_KEY" in line
    env, line = model_env("anthropic/claude-sonnet-4-5", {})
    assert "no key" in line and "ANTHROPIC_API_KEY" in line
    assert "no key needed" in model_env("ollama/llama3", {})[1]


def test_agents_run_takes_the_request_submit_takes(tmp_path: Path):
    request = tmp_path / "request.json"
    request.write_text(
        json.dumps(
            {
                "criteria": [{"type": "inclusion", "text": "Adults"}],
                "patient_profile": ["A 54-year-old man."],
                "metadata": {"ref": "42"},
                "callback_url": "https://example.com/hooks",
            }
        )
    )
    result = runner.invoke(app, ["agents", "run", "criteria-evaluator", "--input", str(request), "--json"])
    # The envelope is accepted; with no model configured the agent says so (not `metadata: extra_forbidden`).
    assert result.exit_code == exits.FAILED
    assert json.loads(result.stdout)["error"]["code"] == "model_not_configured"
    result = runner.invoke(app, ["agents", "run", "criteria-evaluator", "--file", str(request)])
    assert result.exit_code == exits.FAILED and "--input" in result.stderr


def test_dev_up_gives_the_model_and_its_key_to_the_functions(monkeypatch, tmp_path: Path):
    from common.devstack import stack
    from common.devstack.processes import StartupFailed

    started: list[stack.StackSettings] = []

    def fake_start(settings: stack.StackSettings, *, state_dir: Path) -> stack.StackInfo:
        started.append(settings)
        raise StartupFailed("not starting anything in a unit test")

    monkeypatch.setattr(stack, "start_stack", fake_start)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-unit")
    result = runner.invoke(app, ["dev", "up", "--model", "openai/gpt-4o-mini"])
    assert result.exit_code == exits.FAILED and "key from OPENAI_API_KEY" in result.stderr
    assert started[-1].model == "openai/gpt-4o-mini" and started[-1].extra_env["OPENAI_API_KEY"] == "sk-unit"
    (tmp_path / "agentjobs.toml").write_text('[dev]\nmodel = "ollama/llama3"\n')
    runner.invoke(app, ["dev", "up"])
    assert started[-1].model == "ollama/llama3"
