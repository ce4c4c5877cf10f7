"""Readable renderings of results for the terminal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from rich.console import Console
from rich.table import Table

__all__ = [
    "cost_line",
    "print_criteria_evaluation",
    "print_protocol_summary",
    "print_schedule_grid",
    "print_timings",
    "print_usage",
    "shorten",
]


def shorten(text: str, width: int = 110) -> str:
    """``text`` on one line, cut to ``width`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def print_protocol_summary(console: Console, summary: Mapping[str, Any], *, first: int = 3) -> None:
    """Title, phase, counts, arms, endpoints, the first criteria with pages, the schedule grid, the sections."""
    inclusion = cast(Sequence[Mapping[str, Any]], summary.get("inclusion_criteria") or [])
    exclusion = cast(Sequence[Mapping[str, Any]], summary.get("exclusion_criteria") or [])
    endpoints = cast(Mapping[str, Sequence[str]], summary.get("endpoints") or {})
    console.print(f"[bold]title[/bold]   {summary.get('title') or '(not found)'}", highlight=False)
    written = summary.get("phase_as_written")
    phase = summary.get("phase") or "(not found)"
    as_written = f"  (as written: {written})" if written and written != summary.get("phase") else ""
    console.print(f"[bold]phase[/bold]   {phase}{as_written}", highlight=False)
    enrolment = summary.get("planned_enrollment")
    console.print(f"[bold]planned enrolment[/bold] {enrolment if enrolment else '(not stated)'}", highlight=False)
    console.print(f"[bold]method[/bold]  {summary.get('method')}   pages: {summary.get('page_count')}", highlight=False)
    console.print(
        f"[bold]counts[/bold]  inclusion {len(inclusion)} · exclusion {len(exclusion)} · "
        f"arms {len(summary.get('arms') or [])} · objectives {len(summary.get('objectives') or [])} · "
        f"endpoints {len(endpoints.get('primary') or [])}+{len(endpoints.get('secondary') or [])}"
        f"+{len(endpoints.get('exploratory') or [])}",
        highlight=False,
    )
    _print_arms(console, cast(Sequence[Mapping[str, Any]], summary.get("arms") or []))
    _print_endpoints(console, endpoints)
    for label, items in (("inclusion", inclusion), ("exclusion", exclusion)):
        table = Table(title=f"first {min(first, len(items))} {label} criteria", title_justify="left")
        table.add_column("id", justify="right")
        table.add_column("page", justify="right")
        table.add_column("text")
        for item in items[:first]:
            table.add_row(str(item.get("id")), str(item.get("page")), shorten(str(item.get("text", ""))))
        console.print(table)
    schedule = cast(Mapping[str, Any] | None, summary.get("schedule_of_activities"))
    if schedule:
        print_schedule_grid(console, schedule)
    sections = cast(Sequence[Mapping[str, Any]], summary.get("sections") or [])
    if sections:
        console.print(
            "[bold]sections[/bold] "
            + " · ".join(f"{s.get('kind')} p{s.get('start_page')}-{s.get('end_page')}" for s in sections),
            highlight=False,
        )


def _print_arms(console: Console, arms: Sequence[Mapping[str, Any]]) -> None:
    if not arms:
        console.print("[bold]arms[/bold]    (not found)")
        return
    table = Table(title="arms", title_justify="left")
    table.add_column("arm")
    table.add_column("description")
    for arm in arms:
        table.add_row(shorten(str(arm.get("name", "")), 40), shorten(str(arm.get("description") or ""), 80))
    console.print(table)


def _print_endpoints(console: Console, endpoints: Mapping[str, Sequence[str]], *, first: int = 4) -> None:
    table = Table(title="endpoints", title_justify="left")
    table.add_column("level")
    table.add_column("endpoint")
    for level in ("primary", "secondary", "exploratory"):
        items = list(endpoints.get(level) or [])
        for item in items[:first]:
            table.add_row(level, shorten(str(item), 100))
        if len(items) > first:
            table.add_row(level, f"… and {len(items) - first} more")
    if table.row_count:
        console.print(table)
    else:
        console.print("[bold]endpoints[/bold] (none listed)")


def print_schedule_grid(console: Console, schedule: Mapping[str, Any], *, rows: int = 40, name_width: int = 34) -> None:
    """A compact schedule-of-activities grid: activities down, encounters across, ``X`` where performed.

    Encounters are numbered across the top and listed with their timing under the grid, so the
    grid stays narrow whatever the visit names.
    """
    encounters = cast(Sequence[Mapping[str, Any]], schedule.get("encounters") or [])
    activities = cast(Sequence[Mapping[str, Any]], schedule.get("activities") or [])
    pages = cast(Sequence[int], schedule.get("pages") or [])
    names = [str(e.get("name", "")) for e in encounters]
    table = Table(
        title=f"schedule of activities ({len(activities)} activities x {len(encounters)} encounters, pages "
        f"{', '.join(str(p) for p in pages)})",
        title_justify="left",
        show_lines=False,
        pad_edge=False,
    )
    table.add_column("activity", no_wrap=True, max_width=name_width)
    for k in range(len(names)):
        table.add_column(str(k + 1), justify="center", no_wrap=True)
    for activity in activities[:rows]:
        done = set(cast(Sequence[str], activity.get("encounters") or []))
        table.add_row(shorten(str(activity.get("name", "")), name_width), *("X" if n in done else "·" for n in names))
    console.print(table)
    if len(activities) > rows:
        console.print(f"  … and {len(activities) - rows} more activities")
    legend = "  ".join(
        f"{k + 1}={name}" + (f" ({timing})" if (timing := str(e.get("timing") or "")) and timing not in name else "")
        for k, (name, e) in enumerate(zip(names, encounters, strict=True))
    )
    console.print(f"[dim]encounters:[/dim] {legend}", highlight=False)


def print_criteria_evaluation(console: Console, evaluation: Mapping[str, Any]) -> None:
    """Overall verdict and per-criterion statuses."""
    console.print(f"[bold]verdict[/bold] {evaluation.get('verdict')}", highlight=False)
    table = Table(show_header=True)
    table.add_column("type")
    table.add_column("status")
    table.add_column("criterion")
    for item in cast(Sequence[Mapping[str, Any]], evaluation.get("criteria") or []):
        table.add_row(str(item.get("type")), str(item.get("status")), shorten(str(item.get("criterion", "")), 90))
    console.print(table)


def print_timings(console: Console, timings: Mapping[str, float], *, title: str = "stage timings") -> None:
    """A two-column table of stage durations in seconds."""
    table = Table(title=title, title_justify="left")
    table.add_column("stage")
    table.add_column("seconds", justify="right")
    for name, seconds in timings.items():
        table.add_row(name, f"{seconds:.3f}")
    console.print(table)


def cost_line(job: Mapping[str, Any]) -> str:
    """One line with the job's model cost and its provenance, as the API reports it.

    ``cost: $0.000450 (1 priced call; genai-prices==0.2.3, priced 2026-12-02T14:00:00Z)``; a
    job with unpriced calls says so (the amount is then a lower bound, or absent: never $0).
    """
    cost = cast(Mapping[str, Any] | None, job.get("cost"))
    if cost is None:
        if job.get("usage"):
            return "cost: not priced"
        return "cost: none (no model calls)"
    priced, unpriced = int(cost.get("priced_calls", 0)), int(cost.get("unpriced_calls", 0))
    total = cost.get("total_usd")
    amount = f"${total}" if total is not None else "unknown"
    calls = f"{priced} priced call{'s' if priced != 1 else ''}"
    if unpriced:
        calls += f", {unpriced} unpriced (no known price{', amount is a lower bound' if total is not None else ''})"
    source = f"; {cost.get('price_source')}" if cost.get("price_source") else ""
    return f"cost: {amount} ({calls}{source}, priced {cost.get('priced_at')})"


def print_usage(console: Console, job: Mapping[str, Any]) -> None:
    """The job's model, tokens, per-call usage and cost line (nothing for a job without model calls)."""
    usage = cast(Mapping[str, Any] | None, job.get("usage"))
    if usage:
        console.print(
            f"[bold]usage[/bold]   model {job.get('model')} · {usage.get('calls')} call(s) · "
            f"input {usage.get('input_tokens')} (cached {usage.get('cache_read_tokens', 0)}, "
            f"cache write {usage.get('cache_write_tokens', 0)}) · output {usage.get('output_tokens')} "
            f"(reasoning {usage.get('reasoning_tokens', 0)})",
            highlight=False,
        )
        calls = cast(Sequence[Mapping[str, Any]], usage.get("model_calls") or [])
        for n, c in enumerate(calls, 1):
            answered = c.get("response_model")
            console.print(
                f"  call {n}  {c.get('requested_at')}  {c.get('provider')}/{c.get('request_model')}"
                f"{f' → {answered}' if answered and answered != c.get('request_model') else ''}  "
                f"in {c.get('input_tokens')} (cached {c.get('cache_read_tokens')}) · out {c.get('output_tokens')} "
                f"(reasoning {c.get('reasoning_tokens')}) · {float(c.get('seconds') or 0):.3f} s",
                highlight=False,
            )
    console.print(cost_line(job), highlight=False)
