"""``agentjobs usage``: the tenant's finished jobs, tokens and cost by day, agent or model (GET /v1/usage)."""

from __future__ import annotations

import json
from typing import Annotated, Any, cast

import typer
from rich.console import Console
from rich.table import Table

from common.cli.context import api_key, api_url
from common.cli.jobs import ApiKey, get_json

__all__ = ["usage", "usage_table"]

console = Console()

_COLUMNS = (
    ("jobs", "jobs"),
    ("failed", "failed"),
    ("calls", "calls"),
    ("input_tokens", "input"),
    ("cache_read_tokens", "cached"),
    ("output_tokens", "output"),
    ("cost_usd", "cost"),
    ("unpriced_calls", "unpriced"),
)


def usage_table(report: dict[str, Any]) -> Table:
    """The report as a table: one row per group, then the total."""
    group_by = str(report.get("group_by", "day"))
    table = Table(
        title=f"usage {report.get('from')} .. {report.get('to')} by {group_by} (UTC days)",
        title_justify="left",
        caption="tokens; cost in USD; unpriced: calls of models with no known price, not in cost "
        "(a lower bound then); --json has every counter",
        caption_justify="left",
    )
    table.add_column(group_by, no_wrap=True)
    for field, label in _COLUMNS:
        table.add_column(label, justify="right", no_wrap=field == "cost_usd")
    rows = cast(list[dict[str, Any]], report.get("rows") or [])
    for row in rows:
        table.add_row(str(row.get("key")), *(_cell(row, field) for field, _ in _COLUMNS))
    total = cast(dict[str, Any], report.get("total") or {})
    table.add_section()
    table.add_row("total", *(_cell(total, field) for field, _ in _COLUMNS), style="bold")
    return table


def _cell(values: dict[str, Any], field: str) -> str:
    value = values.get(field, 0)
    if field == "cost_usd":
        return f"${value}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def usage(
    from_: Annotated[
        str | None, typer.Option("--from", help="First UTC day, YYYY-MM-DD (default: 30 days ending --to).")
    ] = None,
    to: Annotated[str | None, typer.Option("--to", help="Last UTC day, YYYY-MM-DD (default: today).")] = None,
    group_by: Annotated[str, typer.Option("--group-by", help="day, agent or model.")] = "day",
    api_url_: Annotated[str | None, typer.Option("--api-url", help="Status API base URL.")] = None,
    api_key_: ApiKey = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the raw JSON.")] = False,
) -> None:
    """Show your tenant's usage: jobs, tokens and cost by day, agent or model (GET /v1/usage)."""
    params: dict[str, Any] = {"group_by": group_by}
    if from_:
        params["from"] = from_
    if to:
        params["to"] = to
    code, body = get_json(f"{api_url(api_url_)}/v1/usage", api_key(api_key_), params)
    if as_json:
        typer.echo(json.dumps(body, indent=2, ensure_ascii=False))
    elif code == 200:
        console.print(usage_table(body))
    else:
        error = body.get("error", {})
        console.print(f"[red]{code} {error.get('code')}: {error.get('message')}[/red]")
    if code != 200:
        raise typer.Exit(1)
