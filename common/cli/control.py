"""``agentjobs jobs cancel | retry`` and ``agentjobs rejections list``: job control through the status API."""

from __future__ import annotations

import json
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console

from common.cli.context import api_key, api_url
from common.cli.jobs import ApiKey, get_json

__all__ = ["cancel", "rejections_app", "retry"]

console = Console()
rejections_app = typer.Typer(help="Deliveries of yours that could never form a job.", no_args_is_help=True)

ApiUrl = Annotated[str | None, typer.Option("--api-url", help="Status API base URL (default: $AGENTJOBS_API_URL).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the raw JSON.")]


def _post(url: str, key: str) -> tuple[int, dict[str, Any]]:
    try:
        response = httpx.post(url, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    except httpx.HTTPError as e:
        console.print(f"[red]could not reach {url}: {type(e).__name__}[/red]", highlight=False)
        raise typer.Exit(1) from e
    try:
        body: dict[str, Any] = response.json()
    except ValueError:
        body = {"error": {"code": "not_json", "message": response.text[:200]}}
    return response.status_code, body


def _control(action: str, job_id: str, api_url_: str | None, api_key_: str | None, as_json: bool) -> None:
    code, body = _post(f"{api_url(api_url_)}/v1/jobs/{job_id}:{action}", api_key(api_key_))
    if as_json:
        typer.echo(json.dumps(body, indent=2, ensure_ascii=False))
    elif code < 300:
        note = (
            " (cancellation under way: it stops at its next checkpoint)" if code == 202 and action == "cancel" else ""
        )
        console.print(f"{body['job_id']} {body['status']}{note}", highlight=False)
    else:
        error = body.get("error", {})
        console.print(f"[red]{code} {error.get('code')}: {error.get('message')}[/red]", highlight=False)
    if code >= 300:
        raise typer.Exit(1)


def cancel(
    job_id: Annotated[str, typer.Argument(help="The job id.")],
    api_url_: ApiUrl = None,
    api_key_: ApiKey = None,
    as_json: AsJson = False,
) -> None:
    """Cancel a pending or running job (POST /v1/jobs/{job_id}:cancel)."""
    _control("cancel", job_id, api_url_, api_key_, as_json)


def retry(
    job_id: Annotated[str, typer.Argument(help="The job id.")],
    api_url_: ApiUrl = None,
    api_key_: ApiKey = None,
    as_json: AsJson = False,
) -> None:
    """Run a failed job again as a new attempt (POST /v1/jobs/{job_id}:retry)."""
    _control("retry", job_id, api_url_, api_key_, as_json)


@rejections_app.command("list")
def list_rejections(
    limit: Annotated[int, typer.Option(help="At most this many (1-100).")] = 20,
    page_token: Annotated[str | None, typer.Option(help="next_page_token of the previous page.")] = None,
    api_url_: ApiUrl = None,
    api_key_: ApiKey = None,
    as_json: AsJson = False,
) -> None:
    """List your rejected deliveries with their reason codes, newest first (GET /v1/rejections)."""
    params: dict[str, Any] = {"limit": limit} | ({"page_token": page_token} if page_token else {})
    code, body = get_json(f"{api_url(api_url_)}/v1/rejections", api_key(api_key_), params)
    if as_json:
        typer.echo(json.dumps(body, indent=2, ensure_ascii=False))
    elif code == 200:
        if not body["rejections"]:
            console.print("no rejected deliveries")
        for item in body["rejections"]:
            console.print(f"{item['received_at']}  {item['code']:<24} {item['reason']}", highlight=False)
        if body.get("next_page_token"):
            console.print(f"more: --page-token {body['next_page_token']}", highlight=False)
    else:
        error = body.get("error", {})
        console.print(f"[red]{code} {error.get('code')}: {error.get('message')}[/red]", highlight=False)
    if code != 200:
        raise typer.Exit(1)
