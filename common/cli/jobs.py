"""``agentjobs status`` and ``agentjobs jobs``: look jobs up, and erase them, through the HTTP API."""

from __future__ import annotations

import json
from typing import Annotated, Any, cast

import httpx
import typer
from rich.console import Console

from common.cli.context import api_key, api_url
from common.cli.render import print_criteria_evaluation, print_protocol_summary, print_timings, print_usage
from common.cli.trace import trace

console = Console()
app = typer.Typer(help="List, trace and erase jobs.", no_args_is_help=True)

ApiKey = Annotated[
    str | None, typer.Option("--api-key", help="API key (default: $AGENTJOBS_API_KEY).", envvar="AGENTJOBS_API_KEY")
]


def get_json(url: str, key: str, params: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    """GET ``url`` with the API key; returns ``(status, JSON body)``.

    Raises:
        typer.Exit: The API could not be reached.
    """
    try:
        response = httpx.get(url, params=params, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    except httpx.HTTPError as e:
        console.print(f"[red]could not reach {url}: {type(e).__name__}[/red]")
        raise typer.Exit(1) from e
    try:
        body: dict[str, Any] = response.json()
    except ValueError:
        body = {"error": {"code": "not_json", "message": response.text[:200]}}
    return response.status_code, body


def print_job(job: dict[str, Any]) -> None:
    """A job's status, error, result and timings."""
    console.print(
        f"[bold]{job['job_id']}[/bold]  {job['agent']}  [bold]{job['status']}[/bold]  attempts={job['attempts']}"
    )
    if "error" in job:
        console.print(f"[red]{job['error']['code']}: {job['error']['message']}[/red]")
    result: Any = job.get("result")
    if isinstance(result, dict):
        result = cast(dict[str, Any], result)
        if job["agent"] == "protocol-processor":
            print_protocol_summary(console, result)
        elif job["agent"] == "criteria-evaluator":
            print_criteria_evaluation(console, result)
    if job.get("timings"):
        print_timings(console, job["timings"])
    print_usage(console, job)


def status(
    job_id: Annotated[str, typer.Argument(help="The job id.")],
    api_url_: Annotated[str | None, typer.Option("--api-url", help="Status API base URL.")] = None,
    api_key_: ApiKey = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the raw JSON.")] = False,
) -> None:
    """Show a job's status and result (GET /v1/jobs/{job_id})."""
    code, body = get_json(f"{api_url(api_url_)}/v1/jobs/{job_id}", api_key(api_key_))
    if as_json:
        typer.echo(json.dumps(body, indent=2, ensure_ascii=False))
    elif code == 200:
        print_job(body)
    else:
        console.print(f"[red]{code} {body.get('error', {}).get('code')}: {body.get('error', {}).get('message')}[/red]")
    if code != 200:
        raise typer.Exit(1)


@app.command("list")
def list_jobs(
    status_: Annotated[str | None, typer.Option("--status", help="pending, running, success or failed.")] = None,
    limit: int = 20,
    api_url_: Annotated[str | None, typer.Option("--api-url", help="Status API base URL.")] = None,
    api_key_: ApiKey = None,
) -> None:
    """List your recent jobs (GET /v1/jobs)."""
    params: dict[str, Any] = {"limit": limit}
    if status_:
        params["status"] = status_
    code, body = get_json(f"{api_url(api_url_)}/v1/jobs", api_key(api_key_), params)
    if code != 200:
        console.print(f"[red]{code} {body.get('error', {}).get('code')}: {body.get('error', {}).get('message')}[/red]")
        raise typer.Exit(1)
    for job in body["jobs"]:
        console.print(f"{job['created_at']}  {job['job_id']}  {job['agent']:<20} {job['status']}")


@app.command("delete")
def delete_job(
    job_id: Annotated[str, typer.Argument(help="The job id.")],
    api_url_: Annotated[str | None, typer.Option("--api-url", help="Status API base URL.")] = None,
    api_key_: ApiKey = None,
) -> None:
    """Erase a job now: its input, result, stored files and callback log (DELETE /v1/jobs/{job_id})."""
    url = f"{api_url(api_url_)}/v1/jobs/{job_id}"
    try:
        response = httpx.delete(url, headers={"Authorization": f"Bearer {api_key(api_key_)}"}, timeout=60)
    except httpx.HTTPError as e:
        console.print(f"[red]could not reach {url}: {type(e).__name__}[/red]")
        raise typer.Exit(1) from e
    try:
        body: dict[str, Any] = response.json()
    except ValueError:
        body = {"error": {"code": "not_json", "message": response.text[:200]}}
    if response.status_code != 200:
        error = body.get("error", {})
        console.print(f"[red]{response.status_code} {error.get('code')}: {error.get('message')}[/red]")
        raise typer.Exit(1)
    console.print(f"{body['job_id']} deleted at {body.get('deleted_at')}; only its ids and timestamps remain")


app.command("trace")(trace)
