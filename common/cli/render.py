"""Readable renderings of results for the terminal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from rich.console import Console
from rich.table import Table

__all__ = ["print_criteria_evaluation", "print_protocol_summary", "print_timings", "shorten"]


def shorten(text: str, width: int = 110) -> str:
    """``text`` on one line, cut to ``width`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def print_protocol_summary(console: Console, summary: Mapping[str, Any], *, first: int = 3) -> None:
    """Title, phase, counts, the first criteria with pages, and the sections found."""
    inclusion = cast(Sequence[Mapping[str, Any]], summary.get("inclusion_criteria") or [])
    exclusion = cast(Sequence[Mapping[str, Any]], summary.get("exclusion_criteria") or [])
    endpoints = cast(Mapping[str, Sequence[str]], summary.get("endpoints") or {})
    console.print(f"[bold]title[/bold]   {summary.get('title') or '(not found)'}", highlight=False)
    console.print(f"[bold]phase[/bold]   {summary.get('phase') or '(not found)'}", highlight=False)
    console.print(f"[bold]method[/bold]  {summary.get('method')}   pages: {summary.get('page_count')}", highlight=False)
    console.print(
        f"[bold]counts[/bold]  inclusion {len(inclusion)} · exclusion {len(exclusion)} · "
        f"arms {len(summary.get('arms') or [])} · objectives {len(summary.get('objectives') or [])} · "
        f"endpoints {len(endpoints.get('primary') or [])}+{len(endpoints.get('secondary') or [])}",
        highlight=False,
    )
    for label, items in (("inclusion", inclusion), ("exclusion", exclusion)):
        table = Table(title=f"first {min(first, len(items))} {label} criteria", title_justify="left")
        table.add_column("id", justify="right")
        table.add_column("page", justify="right")
        table.add_column("text")
        for item in items[:first]:
            table.add_row(str(item.get("id")), str(item.get("page")), shorten(str(item.get("text", ""))))
        console.print(table)
    sections = cast(Sequence[Mapping[str, Any]], summary.get("sections") or [])
    if sections:
        console.print(
            "[bold]sections[/bold] "
            + " · ".join(f"{s.get('kind')} p{s.get('start_page')}-{s.get('end_page')}" for s in sections),
            highlight=False,
        )


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
