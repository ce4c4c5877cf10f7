"""``agentjobs usage``: the tenant's finished jobs, tokens and cost by day, agent or model (GET /v1/usage)."""

import json
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from common.cli import exits
from common.cli.context import ApiKeyOption, ApiUrlOption, JsonOption, api_key, api_url

if TYPE_CHECKING:
    from rich.table import Table

__all__ = ["usage", "usage_table"]

_COLUMNS = (
    ("jobs", "jobs"),
    ("input_tokens", "input"),
    ("cache_read_tokens", "cached"),
    ("output_tokens", "output"),
    ("cost_usd", "cost"),
    ("unpriced_calls", "unpriced"),
)


def usage_table(report: dict[str, Any]) -> "Table":
    """The report as a table: one row per group, then the total."""
    from rich import box
    from rich.table import Table

    group_by = str(report.get("group_by", "day"))
    table = Table(
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        title=f"usage {report.get('from')} .. {report.get('to')} by {group_by} (UTC days)",
        title_justify="left",
        caption="tokens; cost in USD; unpriced: model calls with no known price, not in cost (a lower "
        "bound then); --json has every counter (failed jobs, calls, cache writes, reasoning)",
        caption_justify="left",
    )
    rows = cast(list[dict[str, Any]], report.get("rows") or [])
    total = cast(dict[str, Any], report.get("total") or {})
    lines = [[str(r.get("key")), *(_cell(r, f) for f, _ in _COLUMNS)] for r in rows]
    lines.append(["total", *(_cell(total, f) for f, _ in _COLUMNS)])
    # Values keep their full width (headers fold instead): a cut number would read as another one.
    widths = [max(len(line[i]) for line in lines) for i in range(len(_COLUMNS) + 1)]
    table.add_column(group_by, min_width=widths[0], overflow="fold")
    for (_, label), width in zip(_COLUMNS, widths[1:], strict=True):
        table.add_column(label, justify="right", min_width=width, overflow="fold")
    for line in lines[:-1]:
        table.add_row(*line)
    table.add_section()
    table.add_row(*lines[-1], style="bold")
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
    as_json: JsonOption = False,
    api_url_: ApiUrlOption = None,
    api_key_: ApiKeyOption = None,
) -> None:
    """Show your tenant's usage: jobs, tokens and cost by day, agent or model (GET /v1/usage)."""
    params: dict[str, Any] = {"group_by": group_by}
    if from_:
        params["from"] = from_
    if to:
        params["to"] = to
    from common.cli.api_client import call, error_line

    code, body = call("GET", f"{api_url(api_url_)}/v1/usage", api_key(api_key_), params=params)
    if code != 200:
        if as_json:
            typer.echo(json.dumps(body, indent=2, ensure_ascii=False))
            raise typer.Exit(exits.FAILED)
        exits.fail(error_line(code, body))
    if as_json:
        typer.echo(json.dumps(body, indent=2, ensure_ascii=False))
        return
    from rich.console import Console

    console = Console()
    console.print(usage_table(body))
    plan = cast(dict[str, Any], body.get("plan") or {})
    budget = cast(dict[str, Any], plan.get("budget") or {})
    if budget:
        console.print(
            f"budget {budget.get('period')}: limit ${budget.get('limit_usd')}, spent ${budget.get('spent_usd')}, "
            f"reserved ${budget.get('reserved_usd')}, remaining ${budget.get('remaining_usd')} "
            f"(resets {budget.get('resets_at')})",
            highlight=False,
        )
