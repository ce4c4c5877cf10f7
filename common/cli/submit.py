"""``agentjobs submit``: upload if needed, submit over HTTPS, optionally wait for the result."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console

from common.cli.context import api_key, api_url, cloud_env, require, submit_url
from common.cli.jobs import get_json, print_job

console = Console()


def _upload(path: Path, tenant_id: str) -> str:
    """Put ``path`` under ``tenants/{tenant}/uploads/`` (not the inbox, which would start a second job)."""
    from common.adapters.clients import storage_client
    from common.adapters.gcs_blobs import GcsBlobStore

    with cloud_env() as (settings, _):
        blobs = GcsBlobStore(storage_client(settings.project), settings.bucket, tenant_id)
        content_type = "application/pdf" if path.suffix.lower() == ".pdf" else "application/octet-stream"
        stored = blobs.write(f"uploads/{uuid.uuid4().hex}/{path.name}", path.read_bytes(), content_type=content_type)
    return stored.uri


def submit(
    agent: Annotated[str, typer.Argument(help="Agent name, e.g. protocol-processor.")],
    file: Annotated[
        Path | None, typer.Option("--file", exists=True, dir_okay=False, help="A document to upload and process.")
    ] = None,
    json_file: Annotated[
        Path | None,
        typer.Option("--json", exists=True, dir_okay=False, help="A JSON request body (agent input + envelope)."),
    ] = None,
    wait: Annotated[bool, typer.Option(help="Show progress until the job is done, then the result.")] = False,
    tenant: Annotated[
        str | None, typer.Option(envvar="AGENTJOBS_TENANT", help="Your tenant id (needed to upload --file).")
    ] = None,
    callback_url: Annotated[str | None, typer.Option(help="Callback URL for this job.")] = None,
    idempotency_key: Annotated[str | None, typer.Option(help="Idempotency-Key header.")] = None,
    submit_url_: Annotated[str | None, typer.Option("--submit-url", help="Submit API base URL.")] = None,
    api_url_: Annotated[str | None, typer.Option("--api-url", help="Status API base URL.")] = None,
    api_key_: Annotated[str | None, typer.Option("--api-key", envvar="AGENTJOBS_API_KEY", help="API key.")] = None,
) -> None:
    """Submit a job: --file uploads a document into your prefix; --json sends a request body."""
    if (file is None) == (json_file is None):
        console.print("[red]give exactly one of --file or --json[/red]")
        raise typer.Exit(2)
    key = api_key(api_key_)
    body: dict[str, Any]
    if json_file is not None:
        try:
            body = json.loads(json_file.read_text())
        except ValueError as e:
            console.print(f"[red]{json_file} is not valid JSON[/red]")
            raise typer.Exit(2) from e
    else:
        assert file is not None
        tenant_id = require(tenant, "--file needs your tenant id: pass --tenant or set AGENTJOBS_TENANT.")
        body = {"file_uri": _upload(file, tenant_id)}
    if callback_url:
        body["callback_url"] = callback_url
    headers = {"Authorization": f"Bearer {key}"}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    try:
        response = httpx.post(
            f"{submit_url(submit_url_)}/v1/agents/{agent}/jobs", json=body, headers=headers, timeout=30
        )
    except httpx.HTTPError as e:
        console.print(f"[red]could not reach the submit API: {type(e).__name__}[/red]")
        raise typer.Exit(1) from e
    answer: dict[str, Any] = (
        response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
    )
    if response.status_code not in (200, 202):
        error = answer.get("error", {})
        console.print(f"[red]{response.status_code} {error.get('code')}: {error.get('message')}[/red]")
        for item in error.get("errors", []):
            console.print(f"  {item.get('field')}: {item.get('message')}")
        raise typer.Exit(1)
    job_id = answer["job_id"]
    console.print(f"job {job_id} {answer['status']}  {answer['links']['self']}", highlight=False)
    if not wait:
        return
    status_base = api_url(api_url_)
    started = time.monotonic()
    job: dict[str, Any] = {}
    with console.status("pending") as progress:
        while True:
            code, job = get_json(f"{status_base}/v1/jobs/{job_id}", key)
            if code == 200:
                progress.update(f"{job['status']} · attempt {job['attempts']} · {time.monotonic() - started:.1f} s")
                if job["status"] in ("success", "failed"):
                    break
            time.sleep(0.5)
    print_job(job)
    if job["status"] != "success":
        raise typer.Exit(1)
