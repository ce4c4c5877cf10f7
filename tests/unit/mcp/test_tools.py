"""The MCP tools over a fake API: results, the API's error codes as tool errors, no value or traceback leaks."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastmcp import Client
from mcp_types import TextResourceContents

from common.mcp.api import ApiError
from common.mcp.server import build_server

JOB = "job_" + "b" * 26
SECRET = "patient Jane Roe, DOB 1970-01-01"


def text_of(contents: list[Any]) -> str:
    [content] = contents
    assert isinstance(content, TextResourceContents)
    return content.text


def view(status: str, attempts: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "job_id": JOB,
        "agent": "protocol-processor",
        "status": status,
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:01Z",
        "attempts": attempts,
        "source": "https",
        "timings": {},
        "links": {"self": f"http://status/v1/jobs/{JOB}"},
        **extra,
    }


class FakeApi:
    """JobsApi's methods, answering from memory; records what it was asked."""

    def __init__(self) -> None:
        self.jobs: list[dict[str, Any]] = [view("pending"), view("running"), view("success", result={"ok": True})]
        self.submitted: list[tuple[str, dict[str, Any], str | None]] = []
        self.uploaded: list[bytes] = []
        self.refuse: ApiError | None = None
        self.crash: Exception | None = None
        self.polls = 0

    def _check(self) -> None:
        if self.crash is not None:
            raise self.crash
        if self.refuse is not None:
            raise self.refuse

    def submit_job(self, agent: str, body: dict[str, Any], idempotency_key: str | None = None):
        self._check()
        self.submitted.append((agent, body, idempotency_key))
        return (200 if idempotency_key == "again" else 202), {"job_id": JOB, "status": "pending", "links": {}}

    def get_job(self, job_id: str) -> dict[str, Any]:
        from common.boundary.ids import IdKind
        from common.mcp.api import check_id

        check_id(IdKind.JOB, job_id, "job_id")
        self._check()
        self.polls += 1
        return self.jobs[min(self.polls - 1, len(self.jobs) - 1)]

    def job_events(self, job_id: str, *, timeout_s: float):
        # An older deployment without the event stream: wait_for_job polls (the stream path is
        # covered against the local stack in tests/e2e/test_mcp_server.py).
        from common.cli.api_client import EventStreamUnsupported

        raise EventStreamUnsupported(404, {"error": {"code": "route_not_found", "message": "no route"}})
        yield  # a generator, like the real one

    def list_jobs(self, *, status=None, agent=None, limit=20) -> dict[str, Any]:
        self._check()
        return {"jobs": [view("success")], "count": 1}

    def cancel_job(self, job_id: str) -> dict[str, Any]:
        self._check()
        return view("cancelled")

    def upload(self, data: bytes, filename: str = "document.pdf") -> dict[str, str]:
        self._check()
        self.uploaded.append(data)
        return {"file_uri": "gs://bucket/tenants/t/uploads/u", "upload_id": "u"}

    def openapi(self) -> dict[str, Any]:
        from common.api.openapi import openapi_document

        return openapi_document()


def run(api: FakeApi, body: Callable[[Client], Awaitable[Any]], *, local_files: bool = True) -> Any:
    server = build_server(lambda: api, local_files=local_files, poll_interval_s=0.01)  # type: ignore[arg-type, return-value]

    async def go() -> Any:
        async with Client(server) as client:
            return await body(client)

    return asyncio.run(go())


def error_of(result: Any) -> dict[str, Any]:
    assert result.is_error
    return json.loads(result.content[0].text)["error"]


def test_submit_passes_input_callback_and_idempotency_key_and_says_whether_it_replayed():
    api = FakeApi()

    async def body(client: Client) -> Any:
        first = await client.call_tool(
            "submit_job",
            {"agent": "protocol-processor", "input": {"file_uri": "gs://b/x"}, "callback_url": "https://h/cb"},
        )
        again = await client.call_tool(
            "submit_job", {"agent": "protocol-processor", "input": {"file_uri": "gs://b/x"}, "idempotency_key": "again"}
        )
        return first.structured_content, again.structured_content

    first, again = run(api, body)
    assert first == {"job_id": JOB, "status": "pending", "replayed": False, "resource": f"jobs://{JOB}"}
    assert again["replayed"] is True
    assert api.submitted[0] == ("protocol-processor", {"file_uri": "gs://b/x", "callback_url": "https://h/cb"}, None)


def test_api_refusals_become_tool_errors_with_the_api_code():
    api = FakeApi()
    api.refuse = ApiError(404, "job_not_found", "no such job", [])

    async def body(client: Client) -> list[Any]:
        return [
            await client.call_tool("get_job", {"job_id": JOB}, raise_on_error=False),
            await client.call_tool("cancel_job", {"job_id": JOB}, raise_on_error=False),
            await client.call_tool("list_jobs", {}, raise_on_error=False),
            await client.call_tool("wait_for_job", {"job_id": JOB, "timeout_s": 1}, raise_on_error=False),
        ]

    for result in run(api, body):
        assert error_of(result) == {"status": 404, "code": "job_not_found", "message": "no such job"}


def test_field_errors_keep_their_fields():
    api = FakeApi()
    api.refuse = ApiError(422, "invalid_input", "invalid fields", [{"field": "file_uri", "message": "required"}])

    async def body(client: Client) -> Any:
        return await client.call_tool("submit_job", {"agent": "protocol-processor", "input": {}}, raise_on_error=False)

    error = error_of(run(api, body))
    assert error["code"] == "invalid_input" and error["errors"] == [{"field": "file_uri", "message": "required"}]


def test_malformed_ids_and_arguments_are_refused_without_echoing_them():
    api = FakeApi()

    async def body(client: Client) -> list[Any]:
        return [
            await client.call_tool("get_job", {"job_id": "../" + SECRET[:20]}, raise_on_error=False),
            await client.call_tool("get_job", {"job_id": SECRET * 5}, raise_on_error=False),
            await client.call_tool("submit_job", {"agent": SECRET, "input": {}}, raise_on_error=False),
            await client.call_tool("list_jobs", {"status": SECRET}, raise_on_error=False),
            await client.call_tool("wait_for_job", {"job_id": JOB, "timeout_s": -1}, raise_on_error=False),
        ]

    results = run(api, body)
    codes = [error_of(r)["code"] for r in results]
    assert codes == [
        "invalid_job_id",
        "invalid_arguments",
        "invalid_agent_id",
        "invalid_arguments",
        "invalid_arguments",
    ]
    assert error_of(results[1])["errors"] == [
        {"field": "job_id", "message": "String should have at most 64 characters"}
    ]
    for result in results:
        assert "Jane" not in result.content[0].text and "Traceback" not in result.content[0].text
    assert api.polls == 0 and api.submitted == []


def test_an_unexpected_failure_is_masked():
    api = FakeApi()
    api.crash = RuntimeError(SECRET)

    async def body(client: Client) -> Any:
        return await client.call_tool("get_job", {"job_id": JOB}, raise_on_error=False)

    result = run(api, body)
    assert result.is_error and result.content[0].text == "Error calling tool 'get_job'"


def test_wait_for_job_reports_progress_on_each_status_change_and_returns_the_finished_job():
    api = FakeApi()
    notes: list[tuple[float, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        notes.append((progress, message))

    async def body(client: Client) -> Any:
        result = await client.call_tool("wait_for_job", {"job_id": JOB, "timeout_s": 10}, progress_handler=on_progress)
        return result.structured_content

    outcome = run(api, body)
    assert outcome["finished"] is True and outcome["job"]["status"] == "success"
    assert outcome["job"]["result"] == {"ok": True}
    assert notes == [(1, "pending (attempt 1)"), (2, "running (attempt 1)"), (3, "success (attempt 1)")]


def test_wait_for_job_returns_an_unfinished_job_at_the_timeout():
    api = FakeApi()
    api.jobs = [view("running")]

    async def body(client: Client) -> Any:
        return (await client.call_tool("wait_for_job", {"job_id": JOB, "timeout_s": 0.1})).structured_content

    outcome = run(api, body)
    assert outcome["finished"] is False and outcome["job"]["status"] == "running"


def test_upload_takes_exactly_one_pdf_and_reads_local_paths_only_when_allowed(tmp_path: Path):
    pdf = tmp_path / "protocol.pdf"
    pdf.write_bytes(b"%PDF-1.4\n" + SECRET.encode())
    notes = tmp_path / "notes.txt"
    notes.write_text(SECRET)
    api = FakeApi()

    async def body(client: Client) -> list[Any]:
        return [
            await client.call_tool("upload_file", {"path": str(pdf)}),
            await client.call_tool("upload_file", {"document_base64": base64.b64encode(pdf.read_bytes()).decode()}),
            await client.call_tool("upload_file", {}, raise_on_error=False),
            await client.call_tool("upload_file", {"path": str(notes)}, raise_on_error=False),
            await client.call_tool("upload_file", {"path": str(tmp_path / "missing.pdf")}, raise_on_error=False),
            await client.call_tool("upload_file", {"document_base64": "not base64!"}, raise_on_error=False),
        ]

    by_path, by_base64, neither, not_pdf, missing, bad = run(api, body)
    assert by_path.structured_content["file_uri"] == by_base64.structured_content["file_uri"]
    assert api.uploaded == [pdf.read_bytes(), pdf.read_bytes()]
    for result in (neither, not_pdf, missing, bad):
        assert error_of(result)["code"] == "invalid_request"
        assert SECRET not in result.content[0].text and str(tmp_path) not in result.content[0].text

    async def remote(client: Client) -> Any:
        return await client.call_tool("upload_file", {"path": str(pdf)}, raise_on_error=False)

    refused = run(FakeApi(), remote, local_files=False)
    assert error_of(refused)["message"] == "this server reads no local files: send document_base64"


def test_resources_serve_the_job_and_the_agents_input_schemas():
    api = FakeApi()
    api.jobs = [view("success", result={"ok": True})]

    async def body(client: Client) -> Any:
        job = await client.read_resource(f"jobs://{JOB}")
        agents = await client.read_resource("agents://")
        templates = await client.list_resource_templates()
        return json.loads(text_of(job)), json.loads(text_of(agents)), [t.uri_template for t in templates]

    job, agents, templates = run(api, body)
    assert job["status"] == "success" and job["result"] == {"ok": True}
    assert templates == ["jobs://{job_id}"]
    by_name = {a["name"]: a for a in agents["agents"]}
    assert {"protocol-processor", "criteria-evaluator"} <= set(by_name)
    schema = by_name["protocol-processor"]["input_schema"]
    text = json.dumps(schema)
    assert "#/components/" not in text and "#/$defs/" in text
    for ref in {part.split('"')[0] for part in text.split('"$ref": "#/$defs/')[1:]}:
        assert ref in schema["$defs"], ref


def test_a_refused_resource_read_carries_the_api_code():
    api = FakeApi()
    api.refuse = ApiError(404, "job_not_found", "no such job")

    async def body(client: Client) -> str:
        try:
            await client.read_resource(f"jobs://{JOB}")
        except Exception as e:
            return str(e)
        raise AssertionError("read succeeded")

    assert json.loads(run(api, body))["error"]["code"] == "job_not_found"
