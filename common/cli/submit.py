"""``agentjobs submit``: upload if needed, submit over HTTPS, optionally wait for the result."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console

from common.cli.context import api_key, api_url, submit_url
from common.cli.jobs import get_json, print_job
from common.cli.uploads import Uploaded, delete_upload, upload_file

console = Console()


def _forget(uploaded: Uploaded | None, key: str, submit_url_: str | None) -> None:
    """A failed submission removes the document it uploaded (DELETE /v1/uploads/{id})."""
    if uploaded is not None and not delete_upload(submit_url(submit_url_), key, uploaded.upload_id):
        console.print("[yellow]the uploaded document could not be removed; it expires with your retention[/yellow]")


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
    callback_url: Annotated[str | None, typer.Option(help="Callback URL for this job.")] = None,
    idempotency_key: Annotated[str | None, typer.Option(help="Idempotency-Key header.")] = None,
    submit_url_: Annotated[str | None, typer.Option("--submit-url", help="Submit API base URL.")] = None,
    api_url_: Annotated[str | None, typer.Option("--api-url", help="Status API base URL.")] = None,
    api_key_: Annotated[str | None, typer.Option("--api-key", envvar="AGENTJOBS_API_KEY", help="API key.")] = None,
) -> None:
    """Submit a job: --file uploads a document into your prefix (API key only); --json sends a request body."""
    if (file is None) == (json_file is None):
        console.print("[red]give exactly one of --file or --json[/red]")
        raise typer.Exit(2)
    key = api_key(api_key_)
    body: dict[str, Any]
    uploaded: Uploaded | None = None
    if json_file is not None:
        try:
            body = json.loads(json_file.read_text())
        except ValueError as e:
            console.print(f"[red]{json_file} is not valid JSON[/red]")
            raise typer.Exit(2) from e
    else:
        assert file is not None
        # Upload over HTTPS with the API key alone (POST /v1/uploads, then PUT to the signed URL).
        uploaded = upload_file(submit_url(submit_url_), key, file)
        body = {"file_uri": uploaded.file_uri}
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
        _forget(uploaded, key, submit_url_)
        console.print(f"[red]could not reach the submit API: {type(e).__name__}[/red]")
        raise typer.Exit(1) from e
    answer: dict[str, Any] = (
        response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
    )
    if response.status_code not in (200, 202):
        _forget(uploaded, key, submit_url_)
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
                if job["status"] in ("success", "failed", "cancelled", "deleted"):
                    break
            time.sleep(0.5)
    print_job(job)
    if job["status"] != "success":
        raise typer.Exit(1)
