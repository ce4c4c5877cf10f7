"""Admin commands name their target and never act on a real project by accident; expected
conditions end with one line and a documented exit code, not a traceback."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from common.cli import exits
from common.cli.app import app
from common.cli.config_file import ConfigFileError, load_config

runner = CliRunner()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_no_stack_and_no_project_is_refused():
    result = runner.invoke(app, ["tenants", "list"])
    assert result.exit_code == exits.USAGE
    assert "No target" in result.stderr and "agentjobs dev up" in result.stderr and "--project" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_application_default_credentials_alone_never_select_a_project(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    adc = tmp_path / "adc.json"
    adc.write_text("{}")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(adc))
    monkeypatch.setenv("AGENTJOBS_PROJECT", "prod-project")  # a leftover export is not a choice
    result = runner.invoke(app, ["tenants", "create", "acme"])
    assert result.exit_code == exits.USAGE and "No target" in result.stderr


def test_named_project_is_announced_and_missing_credentials_are_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    result = runner.invoke(app, ["tenants", "list", "--project", "my-project-1"])
    assert result.exit_code == exits.UNREACHABLE, result.output
    assert "target: Google Cloud project my-project-1 (named by --project)" in result.stderr
    assert "gcloud auth application-default login" in result.stderr
    assert "Traceback" not in result.output


def test_config_file_names_the_project(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    (tmp_path / "agentjobs.toml").write_text('project = "cfg-project"\n[dev]\nmodel = "openai/gpt-4o-mini"\n')
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    result = runner.invoke(app, ["tenants", "show", "acme"])
    assert f"target: Google Cloud project cfg-project (from {tmp_path / 'agentjobs.toml'})" in result.stderr
    assert result.exit_code == exits.UNREACHABLE
    assert load_config().dev_model == "openai/gpt-4o-mini"


def test_emulator_that_does_not_answer_names_the_endpoint(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", f"127.0.0.1:{_free_port()}")
    result = runner.invoke(app, ["tenants", "list"])
    assert result.exit_code == exits.UNREACHABLE
    assert "Nothing answers at 127.0.0.1:" in result.stderr and "agentjobs dev up" in result.stderr


def test_invalid_config_file_is_a_usage_error(tmp_path: Path):
    (tmp_path / "agentjobs.toml").write_text("project = [1\n")
    with pytest.raises(ConfigFileError):
        load_config()
    result = runner.invoke(app, ["tenants", "list"])
    assert result.exit_code == exits.USAGE and "not valid TOML" in result.stderr


def test_api_commands_say_what_to_pass_and_where_nothing_answers(monkeypatch: pytest.MonkeyPatch):
    result = runner.invoke(app, ["jobs", "list", "--api-key", "k"])
    assert result.exit_code == exits.USAGE and "--api-url" in result.stderr and "agentjobs dev up" in result.stderr
    result = runner.invoke(app, ["jobs", "list", "--api-url", "http://127.0.0.1:9"])
    assert result.exit_code == exits.USAGE and "--api-key" in result.stderr
    url = f"http://127.0.0.1:{_free_port()}"
    monkeypatch.setenv("AGENTJOBS_API_KEY", "k")
    for argv in (["status", "job_x", "--api-url", url], ["jobs", "list"], ["jobs", "delete", "job_x"]):
        monkeypatch.setenv("AGENTJOBS_API_URL", url)
        result = runner.invoke(app, argv)
        assert result.exit_code == exits.UNREACHABLE, argv
        assert f"Nothing answers at {url}/" in result.stderr, argv


def test_config_file_gives_the_api_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    url = f"http://127.0.0.1:{_free_port()}"
    (tmp_path / "agentjobs.toml").write_text(f'api_url = "{url}/"\n')
    result = runner.invoke(app, ["jobs", "list", "--api-key", "k"])
    assert result.exit_code == exits.UNREACHABLE and f"Nothing answers at {url}/" in result.stderr


def test_submit_needs_exactly_one_input(tmp_path: Path):
    request = tmp_path / "request.json"
    request.write_text("{}")
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(b"%PDF")
    for argv in ([], ["--input", str(request), "--file", str(pdf)]):
        result = runner.invoke(app, ["submit", "criteria-evaluator", *argv, "--api-key", "k"])
        assert result.exit_code == exits.USAGE and "exactly one of --file or --input" in result.stderr
