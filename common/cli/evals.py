"""``agentjobs eval``: run a dataset and write its reports; compare two runs.

The evaluation framework (:mod:`common.evals`, ``pydantic-evals``) is in the dev dependency
group: it is imported only when these commands run, never by the functions.
"""

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

app = typer.Typer(help="Evaluate agents on labelled datasets (dev dependency group).", no_args_is_help=True)


def _console() -> "Console":
    # rich is imported when a command runs, so that `agentjobs --help` stays fast.
    from rich.console import Console

    return Console()


def _require_evals() -> None:
    try:
        import pydantic_evals  # noqa: F401  # pyright: ignore[reportUnusedImport]
    except ImportError as e:
        _console().print("[red]pydantic-evals is not installed: run `uv sync` (dev dependency group)[/red]")
        raise typer.Exit(2) from e


@app.command("run")
def run(
    dataset: Annotated[str, typer.Argument(help="protocols, criteria, or a .jsonl/.yaml/.json dataset file.")],
    target: Annotated[
        str, typer.Option(help="local (in process), stack (the local dev stack) or a stack's API base URL.")
    ] = "local",
    concurrency: Annotated[int, typer.Option(min=1, help="Cases run at once.")] = 4,
    model: Annotated[
        str,
        typer.Option(
            help="provider/model for the agents; 'replay' answers with the physicians' labels; '' = configured."
        ),
    ] = "",
    judge_model: Annotated[str, typer.Option(help="provider/model of the LLM judge scorer; '' = none.")] = "",
    out: Annotated[Path, typer.Option(help="Directory for <dataset>.json and <dataset>.html.")] = Path("eval-reports"),
    api_key: Annotated[str, typer.Option(envvar="AGENTJOBS_API_KEY", help="API key (stack targets).")] = "",
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Run DATASET's cases, score them, print a table and write the JSON and HTML reports."""
    _require_evals()
    from common.evals.datasets import load_dataset
    from common.evals.reports import build_results, render_terminal, write_reports
    from common.evals.runner import RunConfig, run_dataset
    from common.evals.shared_data import SharedDataMissing

    if dataset == "criteria" and not model and target == "local":
        from common.config import Settings

        if not Settings.from_env().model_for("criteria-evaluator"):
            _console().print(
                "no model configured for criteria-evaluator: replaying the physicians' labels (--model replay)"
            )
            model = "replay"
    status_url = ""
    if target == "stack":
        from common.cli.context import api_url, submit_url

        target, status_url = submit_url(None), api_url(None)
    try:
        loaded = load_dataset(dataset)
    except (SharedDataMissing, FileNotFoundError, ValueError) as e:
        _console().print(f"[red]{e}[/red]")
        raise typer.Exit(2) from e
    config = RunConfig(
        target=target,
        status_url=status_url,
        concurrency=concurrency,
        model=model,
        judge_model=judge_model,
        api_key=api_key,
        progress=progress,
    )
    report = run_dataset(loaded, config)
    settings: dict[str, Any] = {
        "target": "local" if target == "local" else "stack",
        "model": model or "configured",
        "judge_model": judge_model or None,
        "concurrency": concurrency,
    }
    results = build_results(report, settings=settings)
    _console().print(render_terminal(results), highlight=False)
    paths = write_reports(results, out)
    _console().print(f"reports: {paths['json']}  {paths['html']}", highlight=False)
    if results["summary"]["failed"]:
        raise typer.Exit(1)


@app.command("compare")
def compare_runs(
    before: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The earlier run's JSON report.")],
    after: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The later run's JSON report.")],
    fail_on_regression: Annotated[bool, typer.Option(help="Exit 1 when anything regressed.")] = False,
) -> None:
    """Show what changed per case between two runs: regressions first, then improvements."""
    _require_evals()
    from rich.table import Table

    from common.evals.reports import compare

    diff = compare(json.loads(before.read_text()), json.loads(after.read_text()))
    for title, rows in (("regressions", diff["regressions"]), ("improvements", diff["improvements"])):
        table = Table(title=f"{title} ({len(rows)})")
        for column in ("case", "what", "before", "after"):
            table.add_column(column)
        for row in rows:
            table.add_row(row["case"], row["what"], str(row["before"]), str(row["after"]))
        _console().print(table)
    if fail_on_regression and diff["regressions"]:
        raise typer.Exit(1)


@app.command("export-feedback")
def export_feedback(
    tenant: Annotated[str, typer.Argument(help="The tenant whose reviewed jobs to export.")],
    out: Annotated[Path, typer.Option(help="The JSONL dataset to write.")] = Path("feedback.jsonl"),
    limit: Annotated[int, typer.Option(min=1, max=100, help="Most recent successful jobs to scan.")] = 100,
) -> None:
    """Write the tenant's reviewed jobs as a JSONL dataset (admin: reads the job store directly)."""
    from common.adapters.clients import firestore_client
    from common.adapters.firestore_store import FirestoreTenantDirectory
    from common.cli.context import cloud_env
    from common.evals.feedback_export import feedback_cases
    from common.jobs.models import JobStatus

    with cloud_env() as (settings, _):
        directory = FirestoreTenantDirectory(firestore_client(settings.project))
        jobs = directory.jobs(tenant).list(status=JobStatus.SUCCESS, limit=limit)
    cases = feedback_cases(jobs)
    out.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases), encoding="utf-8")
    _console().print(f"{len(cases)} reviewed jobs -> {out}", highlight=False)
