"""`--wait`: a progress line per status change off a terminal, --timeout, 404, and distinct exit codes.

Against a scripted status API on 127.0.0.1 that answers each poll from a list.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from typer.testing import CliRunner

from common.cli import api_client, exits
from common.cli.app import app

runner = CliRunner()


@dataclass
class ScriptedStatus:
    """Answers GET /v1/jobs/{id} with the next (status code, body); the last one repeats."""

    answers: list[tuple[int, dict[str, Any]]]
    polls: int = 0
    seen_keys: list[str] = field(default_factory=list[str])

    def next(self) -> tuple[int, dict[str, Any]]:
        answer = self.answers[min(self.polls, len(self.answers) - 1)]
        self.polls += 1
        return answer


def job(status: str, **extra: Any) -> tuple[int, dict[str, Any]]:
    return 200, {"job_id": "job_w", "agent": "criteria-evaluator", "status": status, "attempts": 1, **extra}


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, ScriptedStatus]]:
    script = ScriptedStatus([])

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            script.seen_keys.append(self.headers.get("Authorization", ""))
            # An older deployment: no event stream, so --wait polls.
            stream = {"error": {"code": "route_not_found", "message": "no such endpoint"}}
            code, body = (404, stream) if self.path.endswith("/events") else script.next()
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("AGENTJOBS_API_KEY", "aj_test")
    monkeypatch.setattr(api_client, "_NOT_FOUND_GRACE_SECONDS", 0.3)
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", script
    finally:
        server.shutdown()
        server.server_close()


def wait(url: str, *extra: str):
    return runner.invoke(app, ["status", "job_w", "--wait", "--api-url", url, *extra])


def test_one_progress_line_per_status_change_then_success(api):
    url, script = api
    script.answers = [job("pending"), job("pending"), job("running"), job("running"), job("success", result={})]
    result = wait(url, "--json")
    assert result.exit_code == exits.OK, result.output
    progress = [line for line in result.stderr.splitlines() if "job_w" in line]
    assert [line.split()[2] for line in progress] == ["pending", "running", "success"]
    assert json.loads(result.stdout)["status"] == "success"
    assert set(script.seen_keys) == {"Bearer aj_test"}


def test_failed_job_exits_1_and_prints_its_error(api):
    url, script = api
    script.answers = [job("running"), job("failed", error={"code": "model_not_configured", "message": "no model"})]
    result = wait(url)
    assert result.exit_code == exits.FAILED
    assert "model_not_configured" in result.stdout


def test_timeout_exits_3_and_says_how_to_keep_waiting(api):
    url, script = api
    script.answers = [job("running")]
    result = wait(url, "--timeout", "1")
    assert result.exit_code == exits.TIMEOUT
    assert "timed out after 1 s: job job_w is still running" in result.stderr
    assert "agentjobs status job_w --wait" in result.stderr


def test_a_job_that_stays_404_is_reported_not_waited_on_forever(api):
    url, script = api
    script.answers = [(404, {"error": {"code": "job_not_found", "message": "no such job"}})]
    result = wait(url, "--timeout", "0")
    assert result.exit_code == exits.FAILED
    assert "not found" in result.stderr and "--api-url" in result.stderr


def test_a_brief_404_then_the_job_is_fine(api):
    url, script = api
    script.answers = [(404, {"error": {"code": "job_not_found", "message": "x"}}), job("success")]
    assert wait(url).exit_code == exits.OK


def test_a_refused_key_stops_at_once(api):
    url, script = api
    script.answers = [(401, {"error": {"code": "unauthenticated", "message": "bad key"}})]
    result = wait(url)
    assert result.exit_code == exits.FAILED and "401 unauthenticated" in result.stderr
    assert script.polls == 1


def test_jobs_list_prints_a_line_when_empty_and_sends_only_given_filters(api, monkeypatch):
    url, script = api
    script.answers = [(200, {"jobs": [], "count": 0})]
    result = runner.invoke(app, ["jobs", "list", "--api-url", url, "--agent", "criteria-evaluator"])
    assert result.exit_code == exits.OK
    assert result.stdout.strip() == "no jobs matching agent=criteria-evaluator"
    script.answers = [(200, {"jobs": [], "count": 0, "next_page_token": "tok"})]
    result = runner.invoke(app, ["jobs", "list", "--api-url", url, "--json"])
    assert json.loads(result.stdout)["next_page_token"] == "tok"
