"""The MCP server against the local stack: in-process (fastmcp's in-memory transport), over stdio as a
subprocess (`agentjobs mcp serve`), and over streamable HTTP with the API key as bearer token."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastmcp import Client
from fastmcp.client.transports import StdioTransport
from mcp_types import TextResourceContents

from common.devstack.stack import PROJECT_ROOT
from common.mcp.api import JobsApi
from common.mcp.server import build_server
from tests.support.hostile_pdfs import tiny_protocol_pdf

AGENTJOBS = Path(sys.executable).parent / "agentjobs"


def text_of(contents: list[Any]) -> str:
    [content] = contents
    assert isinstance(content, TextResourceContents)
    return content.text


def api_env(stack, key: str | None) -> dict[str, str]:
    # No Google credentials and no emulator hosts: the server talks to the API only.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home())}
    env |= {"AGENTJOBS_SUBMIT_URL": stack.url("submit", ""), "AGENTJOBS_API_URL": stack.url("status", "")}
    return env | ({"AGENTJOBS_API_KEY": key} if key else {})


async def protocol_job_round_trip(client: Client, pdf: Path) -> dict[str, Any]:
    """upload_file -> submit_job -> wait_for_job (collecting progress) -> jobs://{id}."""
    notes: list[tuple[float, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        notes.append((progress, message))

    uploaded = (await client.call_tool("upload_file", {"path": str(pdf)})).structured_content
    submitted = (
        await client.call_tool(
            "submit_job", {"agent": "protocol-processor", "input": {"file_uri": uploaded["file_uri"]}}
        )
    ).structured_content
    job_id = submitted["job_id"]
    waited = (
        await client.call_tool("wait_for_job", {"job_id": job_id, "timeout_s": 60}, progress_handler=on_progress)
    ).structured_content
    resource = json.loads(text_of(await client.read_resource(f"jobs://{job_id}")))
    return {"submitted": submitted, "waited": waited, "progress": notes, "resource": resource}


def check_round_trip(outcome: dict[str, Any]) -> None:
    submitted, waited, progress, resource = (outcome[k] for k in ("submitted", "waited", "progress", "resource"))
    assert submitted["status"] == "pending" and submitted["resource"] == f"jobs://{submitted['job_id']}"
    assert waited["finished"] is True and waited["job"]["status"] == "success", waited["job"].get("error")
    assert progress, "no progress notification arrived"
    assert [value for value, _ in progress] == list(range(1, len(progress) + 1))
    assert progress[-1][1] == "success (attempt 1)"
    assert resource["job_id"] == submitted["job_id"] and resource["status"] == "success"
    assert resource["result"]["inclusion_criteria"], resource["result"]


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    path = tmp_path / "protocol.pdf"
    path.write_bytes(tiny_protocol_pdf())
    return path


def test_in_process_submit_wait_and_read_the_job(stack, pdf: Path):
    tenant = stack.tenant("mcp-mem")
    api = JobsApi(stack.url("submit", ""), stack.url("status", ""), tenant.api_key)
    server = build_server(lambda: api, local_files=True, poll_interval_s=0.1)

    async def go() -> tuple[dict[str, Any], Any, Any]:
        async with Client(server) as client:
            outcome = await protocol_job_round_trip(client, pdf)
            listed = (await client.call_tool("list_jobs", {"agent": "protocol-processor"})).structured_content
            foreign = await client.call_tool("get_job", {"job_id": "job_" + "a" * 26}, raise_on_error=False)
            return outcome, listed, foreign

    outcome, listed, foreign = asyncio.run(go())
    check_round_trip(outcome)
    assert [j["job_id"] for j in listed["jobs"]] == [outcome["submitted"]["job_id"]]
    assert foreign.is_error and json.loads(foreign.content[0].text)["error"]["code"] == "job_not_found"


def test_over_stdio_as_a_subprocess(stack, pdf: Path):
    tenant = stack.tenant("mcp-stdio")
    transport = StdioTransport(
        command=str(AGENTJOBS), args=["mcp", "serve"], env=api_env(stack, tenant.api_key), cwd=str(PROJECT_ROOT)
    )

    async def go() -> tuple[dict[str, Any], list[str]]:
        async with Client(transport) as client:
            outcome = await protocol_job_round_trip(client, pdf)
            agents = json.loads(text_of(await client.read_resource("agents://")))
            return outcome, [a["name"] for a in agents["agents"]]

    outcome, agents = asyncio.run(go())
    check_round_trip(outcome)
    assert "protocol-processor" in agents


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def http_server(stack) -> Iterator[str]:
    port = _free_port()
    env = api_env(stack, None) | {"COLUMNS": "200"}
    process = subprocess.Popen(
        [str(AGENTJOBS), "mcp", "serve", "--http", "--port", str(port)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        f"mcp serve --http did not start: {process.stderr.read() if process.stderr else ''}"
                    ) from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_over_http_the_bearer_key_is_the_tenants_and_a_wrong_key_is_refused(stack, http_server: str):
    mine, other = stack.tenant("mcp-http"), stack.tenant("mcp-http-other")
    document = base64.b64encode(tiny_protocol_pdf()).decode()

    async def as_tenant(key: str) -> tuple[str, Any, Any]:
        async with Client(http_server, auth=key) as client:
            uploaded = (await client.call_tool("upload_file", {"document_base64": document})).structured_content
            submitted = await client.call_tool(
                "submit_job", {"agent": "protocol-processor", "input": {"file_uri": uploaded["file_uri"]}}
            )
            job_id = submitted.structured_content["job_id"]
            listed = (await client.call_tool("list_jobs", {})).structured_content
            return (
                job_id,
                listed,
                await client.call_tool("upload_file", {"path": "/etc/hostname"}, raise_on_error=False),
            )

    async def foreign(key: str, job_id: str) -> Any:
        async with Client(http_server, auth=key) as client:
            return await client.call_tool("get_job", {"job_id": job_id}, raise_on_error=False)

    async def wrong_key() -> str:
        try:
            async with Client(http_server, auth="aj_" + "0" * 43) as client:
                await client.call_tool("list_jobs", {})
        except Exception as e:
            return f"{type(e).__name__}: {e}"
        raise AssertionError("a wrong key was let in")

    job_id, listed, local_path = asyncio.run(as_tenant(mine.api_key))
    assert [j["job_id"] for j in listed["jobs"]] == [job_id]
    assert json.loads(local_path.content[0].text)["error"]["code"] == "invalid_request"
    refused = asyncio.run(foreign(other.api_key, job_id))
    assert json.loads(refused.content[0].text)["error"]["code"] == "job_not_found"
    assert asyncio.run(wrong_key())  # the client cannot connect: the server answers 401 before MCP starts
    for authorization in ("Bearer aj_" + "0" * 43, "Bearer not-a-key", None):
        raw = httpx.post(http_server, json={}, headers={"Authorization": authorization} if authorization else {})
        assert raw.status_code == 401 and raw.headers["www-authenticate"].startswith("Bearer"), raw.text
