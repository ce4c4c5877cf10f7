"""``agentjobs status`` and ``agentjobs jobs``: look jobs up, list them and erase them through the HTTP API."""

import json
from typing import Annotated, Any, cast

import typer

from common.cli import exits
from common.cli.context import ApiKeyOption, ApiUrlOption, JsonOption, api_key, api_url

__all__ = ["TimeoutOption", "app", "finish", "print_job", "print_json", "status", "trace", "watch"]

app = typer.Typer(rich_markup_mode=None, help="List, trace and erase jobs.", no_args_is_help=True)

TimeoutOption = Annotated[
    float, typer.Option("--timeout", help="With --wait: give up after this many seconds (exit 3); 0 = no limit.")
]


def print_job(job: dict[str, Any]) -> None:
    """A job's status, error, result and timings, for a terminal."""
    from rich.console import Console

    from common.cli.render import print_criteria_evaluation, print_protocol_summary, print_timings, print_usage

    console = Console()
    console.print(
        f"[bold]{job['job_id']}[/bold]  {job['agent']}  [bold]{job['status']}[/bold]  attempts={job['attempts']}",
        highlight=False,
    )
    if "error" in job:
        console.print(f"[red]{job['error']['code']}: {job['error']['message']}[/red]", highlight=False)
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


def print_json(data: Any) -> None:
    """``data`` as indented JSON on stdout."""
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def finish(job: dict[str, Any], as_json: bool) -> None:
    """Print a finished job; exit 0 on ``success``, 1 otherwise.

    Raises:
        typer.Exit: Code 1 when the job did not succeed.
    """
    if as_json:
        print_json(job)
    else:
        print_job(job)
    if job.get("status") != "success":
        raise typer.Exit(exits.FAILED)


def status(
    job_id: Annotated[str, typer.Argument(help="The job id.")],
    wait: Annotated[bool, typer.Option("--wait", help="Wait until the job ends; exit 0 on success, 1 if not.")] = False,
    timeout: TimeoutOption = 600.0,
    as_json: JsonOption = False,
    api_url_: ApiUrlOption = None,
    api_key_: ApiKeyOption = None,
) -> None:
    """Show a job's status and result (GET /v1/jobs/{job_id})."""
    from common.cli.api_client import call, error_line, wait_for_job

    base, key = api_url(api_url_), api_key(api_key_)
    if wait:
        finish(wait_for_job(base, key, job_id, timeout=timeout), as_json)
        return
    code, body = call("GET", f"{base}/v1/jobs/{job_id}", key)
    if as_json:
        print_json(body)
    elif code == 200:
        print_job(body)
    else:
        exits.fail(error_line(code, body))
    if code != 200:
        raise typer.Exit(exits.FAILED)


@app.command("list")
def list_jobs(
    status_: Annotated[
        str | None, typer.Option("--status", help="pending, running, success, failed or cancelled.")
    ] = None,
    agent: Annotated[str | None, typer.Option("--agent", help="Only this agent's jobs.")] = None,
    quality: Annotated[
        str | None,
        typer.Option("--quality", help="Only successful jobs judged passed, flagged or not_judged."),
    ] = None,
    created_after: Annotated[
        str | None, typer.Option("--created-after", help="Only jobs created after this time (RFC 3339).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="Jobs per page, 1-100.")] = 20,
    page_token: Annotated[
        str | None, typer.Option("--page-token", help="Continue a listing: the next_page_token it printed.")
    ] = None,
    as_json: JsonOption = False,
    api_url_: ApiUrlOption = None,
    api_key_: ApiKeyOption = None,
) -> None:
    """List your jobs, newest first (GET /v1/jobs)."""
    from common.cli.api_client import call, error_line

    params: dict[str, Any] = {"limit": limit}
    for name, value in (
        ("status", status_),
        ("agent", agent),
        ("quality", quality),
        ("created_after", created_after),
        ("page_token", page_token),
    ):
        if value:
            params[name] = value
    code, body = call("GET", f"{api_url(api_url_)}/v1/jobs", api_key(api_key_), params=params)
    if code != 200:
        exits.fail(error_line(code, body))
    if as_json:
        print_json(body)
        return
    jobs = cast(list[dict[str, Any]], body.get("jobs") or [])
    if not jobs:
        filters = ", ".join(f"{k}={v}" for k, v in params.items() if k != "limit")
        typer.echo(f"no jobs{f' matching {filters}' if filters else ''}")
    for job in jobs:
        typer.echo(f"{job['created_at']}  {job['job_id']}  {job['agent']:<20} {job['status']}")
    if body.get("next_page_token"):
        exits.note(f"more: agentjobs jobs list --page-token {body['next_page_token']}")


@app.command("trace")
def trace(
    job_id: Annotated[str, typer.Argument(help="The job id.")],
    as_json: JsonOption = False,
    api_url_: ApiUrlOption = None,
    api_key_: ApiKeyOption = None,
) -> None:
    """Show a job's stage timeline as a waterfall: stages, model calls, tokens and cost (from GET /v1/jobs/{job_id})."""
    from common.cli.api_client import call, error_line

    code, body = call("GET", f"{api_url(api_url_)}/v1/jobs/{job_id}", api_key(api_key_))
    if code != 200:
        exits.fail(error_line(code, body))
    if as_json:
        print_json(body.get("trace"))
        return
    from rich.console import Console

    from common.cli.trace import render_trace
    from common.devstack.stack import load_stack

    stack = load_stack()
    try:
        render_trace(Console(), body, trace_ui=stack.endpoints.get("traces") if stack else None)
    except ValueError as e:
        exits.fail(str(e))


def _event_line(data: dict[str, Any]) -> str:
    """One event for a terminal: time, seq, type and the type's fields."""
    kind = str(data.get("type"))
    at = str(data.get("at", ""))[11:23]
    detail = ""
    if kind == "running":
        detail = f"attempt {data.get('attempt')}"
    elif kind == "stage_started":
        detail = str(data.get("name"))
    elif kind == "stage_finished":
        detail = f"{data.get('name')}  {float(data.get('duration_s') or 0):.3f} s"
    elif kind == "model_call":
        cost = data.get("cost_usd")
        usd = f"  ${cost:.6f}" if isinstance(cost, (int, float)) else "  unpriced"
        detail = f"{data.get('model')}  in {data.get('input_tokens')} / out {data.get('output_tokens')} tokens{usd}"
    elif kind == "judged":
        detail = f"{data.get('quality')}  flagged by {data.get('flagged')}"
    elif kind == "failed":
        detail = str(data.get("code"))
    return f"{at}  #{data.get('seq'):<3} {kind:<18} {detail}".rstrip()


@app.command("watch")
def watch(
    job_id: Annotated[str, typer.Argument(help="The job id.")],
    timeout: Annotated[
        float, typer.Option("--timeout", help="Give up after this many seconds (exit 3); 0 = no limit.")
    ] = 0.0,
    last_event_id: Annotated[
        int | None, typer.Option("--after", help="Start after this event seq (resume a watch).", min=0)
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON on stdout instead of a table: one event per line (JSON lines).")
    ] = False,
    api_url_: ApiUrlOption = None,
    api_key_: ApiKeyOption = None,
) -> None:
    """Follow a job's events live until it ends (GET /v1/jobs/{job_id}/events, Server-Sent Events).

    Exit codes: 0 the job succeeded, 1 it failed or was cancelled (or the API refused), 3 --timeout
    passed, 4 the API did not answer.
    """
    import time

    import httpx

    from common.cli.api_client import ApiClient, EventStreamError, EventStreamTimeout

    client = ApiClient(api_url(api_url_), api_key(api_key_))
    outcome = ""
    spinner: Any = None
    started = time.monotonic()
    if not as_json:
        from rich.console import Console

        console = Console(highlight=False)
        spinner = console.status(f"{job_id}  waiting for events")
        spinner.start()
    try:
        for event in client.stream_job_events(job_id, last_event_id=last_event_id, timeout_s=timeout or None):
            if as_json:
                typer.echo(json.dumps(event.data, ensure_ascii=False, separators=(",", ":")))
            else:
                typer.echo(_event_line(event.data))
                elapsed = time.monotonic() - started
                stage = event.data.get("name") if event.type.startswith("stage_") else event.type
                spinner.update(f"{job_id}  {stage}  #{event.seq}  {elapsed:.1f} s")
            if event.terminal:
                outcome = event.type
    except EventStreamTimeout:
        exits.fail(f"timed out after {timeout:g} s; resume with --after", exits.TIMEOUT)
    except EventStreamError as e:
        exits.fail(str(e), exits.FAILED)
    except httpx.HTTPError as e:
        exits.fail(f"Could not follow the events of job {job_id}: {type(e).__name__}.", exits.UNREACHABLE)
    finally:
        if spinner is not None:
            spinner.stop()
    if not outcome:  # resumed after the outcome: the job tells how it ended
        code, body = client.get_job(job_id)
        outcome = {"success": "succeeded"}.get(str(body.get("status")), str(body.get("status"))) if code == 200 else ""
    if outcome != "succeeded":
        raise typer.Exit(exits.FAILED)


@app.command("delete")
def delete_job(
    job_id: Annotated[str, typer.Argument(help="The job id.")],
    as_json: JsonOption = False,
    api_url_: ApiUrlOption = None,
    api_key_: ApiKeyOption = None,
) -> None:
    """Erase a job now: its input, result, stored files and callback log (DELETE /v1/jobs/{job_id})."""
    from common.cli.api_client import call, error_line

    code, body = call("DELETE", f"{api_url(api_url_)}/v1/jobs/{job_id}", api_key(api_key_), timeout=60)
    if code != 200:
        exits.fail(error_line(code, body))
    if as_json:
        print_json(body)
        return
    typer.echo(f"{body['job_id']} deleted at {body.get('deleted_at')}; only its ids and timestamps remain")
