"""``agentjobs jobs cancel | retry`` and ``agentjobs rejections list``: job control through the status API."""

from typing import Annotated, Any, cast

import typer

from common.cli import exits
from common.cli.context import ApiKeyOption, ApiUrlOption, JsonOption, api_key, api_url

__all__ = ["cancel", "rejections_app", "retry"]

rejections_app = typer.Typer(
    rich_markup_mode=None, help="Deliveries of yours that could never form a job.", no_args_is_help=True
)


def _control(action: str, job_id: str, api_url_: str | None, api_key_: str | None, as_json: bool) -> None:
    from common.cli.api_client import call, error_line
    from common.cli.jobs import print_json

    code, body = call("POST", f"{api_url(api_url_)}/v1/jobs/{job_id}:{action}", api_key(api_key_))
    if code >= 300:
        exits.fail(error_line(code, body))
    if as_json:
        print_json(body)
        return
    under_way = code == 202 and action == "cancel"
    note = " (cancellation under way: it stops at its next checkpoint)" if under_way else ""
    typer.echo(f"{body.get('job_id')} {body.get('status')}{note}")


def cancel(
    job_id: Annotated[str, typer.Argument(help="The job id.")],
    as_json: JsonOption = False,
    api_url_: ApiUrlOption = None,
    api_key_: ApiKeyOption = None,
) -> None:
    """Cancel a pending or running job (POST /v1/jobs/{job_id}:cancel)."""
    _control("cancel", job_id, api_url_, api_key_, as_json)


def retry(
    job_id: Annotated[str, typer.Argument(help="The job id.")],
    as_json: JsonOption = False,
    api_url_: ApiUrlOption = None,
    api_key_: ApiKeyOption = None,
) -> None:
    """Run a failed job again as a new attempt (POST /v1/jobs/{job_id}:retry)."""
    _control("retry", job_id, api_url_, api_key_, as_json)


@rejections_app.command("list")
def list_rejections(
    limit: Annotated[int, typer.Option("--limit", help="At most this many (1-100).")] = 20,
    page_token: Annotated[
        str | None, typer.Option("--page-token", help="Continue a listing: the next_page_token it printed.")
    ] = None,
    as_json: JsonOption = False,
    api_url_: ApiUrlOption = None,
    api_key_: ApiKeyOption = None,
) -> None:
    """List your rejected deliveries with their reason codes, newest first (GET /v1/rejections)."""
    from common.cli.api_client import call, error_line
    from common.cli.jobs import print_json

    params: dict[str, Any] = {"limit": limit} | ({"page_token": page_token} if page_token else {})
    code, body = call("GET", f"{api_url(api_url_)}/v1/rejections", api_key(api_key_), params=params)
    if code != 200:
        exits.fail(error_line(code, body))
    if as_json:
        print_json(body)
        return
    items = cast(list[dict[str, Any]], body.get("rejections") or [])
    if not items:
        typer.echo("no rejected deliveries")
    for item in items:
        typer.echo(f"{item.get('received_at')}  {item.get('code')!s:<24} {item.get('reason')}")
    if body.get("next_page_token"):
        exits.note(f"more: agentjobs rejections list --page-token {body['next_page_token']}")
