"""The waterfall of ``agentjobs jobs trace JOB_ID``: a job's stage timeline in the terminal.

Data source: the job itself, through ``GET /v1/jobs/{job_id}``, so it works with no trace
backend. ``run_agent`` records the stage timeline of the attempt that finished the job
(``trace.stages``: name, start after ``started_at``, seconds) in the job's completion write, the
write it makes anyway (no extra Firestore write), and every model call's request time, duration
and tokens are in ``usage.model_calls``; the API returns both as ``trace.spans``. Queue time comes
from ``created_at``/``started_at``; what follows the last stage (storing the result, enqueueing
the callback) runs up to ``finished_at``. Model calls are priced here at genai-prices list
prices; the job's own ``cost`` (tenant overrides included) is printed when the API returns one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from rich.console import Console
from rich.table import Table

__all__ = ["Row", "render_trace", "waterfall_rows"]

_BAR = 40


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the waterfall.

    Attributes:
        name: Stage or model name.
        kind: ``queue``, ``stage``, ``model_call`` or ``finish``.
        start_s: Start, in seconds after ``created_at``.
        seconds: Duration (s).
        tokens: ``input/output (cached)`` for model calls.
        cost_usd: List-price cost of a model call, if priced.
    """

    name: str
    kind: str
    start_s: float
    seconds: float
    tokens: str = ""
    cost_usd: Decimal | None = None


def _time(value: object) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else None


def _price(job: Mapping[str, Any], span: Mapping[str, Any], started: datetime) -> Decimal | None:
    """A model call's cost at list prices (genai-prices, bundled), or ``None`` when unknown."""
    from common.costs.model_ids import split_model_id
    from common.costs.pricing import price_call
    from common.jobs.models import ModelCall

    provider, request_model = split_model_id(str(job.get("model") or "unknown/unknown"))
    call = ModelCall(
        provider=provider,
        request_model=request_model,
        response_model=str(span.get("name") or "") or None,
        requested_at=started + timedelta(seconds=float(span.get("start_s", 0.0))),
        input_tokens=int(span.get("input_tokens") or 0),
        output_tokens=int(span.get("output_tokens") or 0),
        cache_read_tokens=int(span.get("cache_read_tokens") or 0),
    )
    return price_call(call).total_usd


def waterfall_rows(job: Mapping[str, Any]) -> list[Row]:
    """The rows of a job's waterfall, in seconds after its creation.

    Raises:
        ValueError: The job has no recorded timeline (it never ran, or ran before timelines).
    """
    trace = cast(Mapping[str, Any] | None, job.get("trace"))
    created, started, finished = (
        _time(job.get("created_at")),
        _time(job.get("started_at")),
        _time(job.get("finished_at")),
    )
    if trace is None or created is None or started is None:
        raise ValueError("this job has no recorded timeline (it has not run yet)")
    offset = max(0.0, (started - created).total_seconds())
    rows = [Row("queued", "queue", 0.0, offset)]
    end = offset
    for span in cast(Sequence[Mapping[str, Any]], trace.get("spans") or []):
        start, seconds = offset + float(span.get("start_s", 0.0)), float(span.get("seconds", 0.0))
        end = max(end, start + seconds)
        if span.get("kind") == "model_call":
            tokens = f"{span.get('input_tokens', 0)}/{span.get('output_tokens', 0)}"
            if span.get("cache_read_tokens"):
                tokens += f" ({span['cache_read_tokens']} cached)"
            rows.append(Row(str(span.get("name")), "model_call", start, seconds, tokens, _price(job, span, started)))
        else:
            rows.append(Row(str(span.get("name")), "stage", start, seconds))
    if finished is not None:
        done = (finished - created).total_seconds()
        if done > end:
            rows.append(Row("store, callback", "finish", end, done - end))
    return rows


def _bar(row: Row, total: float) -> str:
    scale = _BAR / total if total > 0 else 0.0
    left = min(_BAR - 1, int(row.start_s * scale))
    width = max(1, round(row.seconds * scale))
    style = {"queue": "dim", "model_call": "magenta", "finish": "cyan"}.get(row.kind, "green")
    return " " * left + f"[{style}]" + "█" * min(width, _BAR - left) + f"[/{style}]"


def render_trace(out: Console, job: Mapping[str, Any], *, trace_ui: str | None = None) -> None:
    """Print the waterfall of ``job`` (a ``GET /v1/jobs/{id}`` body).

    Raises:
        ValueError: See :func:`waterfall_rows`.
    """
    rows = waterfall_rows(job)
    total = max((r.start_s + r.seconds for r in rows), default=0.0)
    table = Table(title=f"{job['job_id']}  {job['agent']}  {job['status']}", title_justify="left")
    table.add_column("span")
    table.add_column("start", justify="right")
    table.add_column("duration", justify="right")
    table.add_column("timeline", no_wrap=True)
    table.add_column("tokens in/out", justify="right")
    table.add_column("cost (USD)", justify="right")
    for row in rows:
        name = f"  model {row.name}" if row.kind == "model_call" else row.name
        cost = f"{row.cost_usd:.6f}" if row.cost_usd is not None else ("unpriced" if row.kind == "model_call" else "")
        table.add_row(name, f"{row.start_s:.3f}s", f"{row.seconds:.3f}s", _bar(row, total), row.tokens, cost)
    out.print(table)
    calls = [r for r in rows if r.kind == "model_call"]
    priced = [r.cost_usd for r in calls if r.cost_usd is not None]
    summary = f"total {total:.3f}s · {len(calls)} model call(s)"
    if calls:
        summary += f" · list price {sum(priced, Decimal(0)):.6f} USD" + (
            f" ({len(calls) - len(priced)} unpriced)" if len(priced) < len(calls) else ""
        )
    cost = cast(Mapping[str, Any] | None, job.get("cost"))
    if cost and cost.get("total_usd") is not None:
        summary += f" · job cost {cost['total_usd']} USD"
    out.print(summary, highlight=False)
    trace_id = cast(Mapping[str, Any], job["trace"]).get("trace_id")
    if trace_id:
        link = f"  {trace_ui}/redirects/traces/{trace_id}" if trace_ui else ""
        out.print(f"trace id {trace_id}{link}", highlight=False)
