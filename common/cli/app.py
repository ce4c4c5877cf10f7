"""The ``agentjobs`` command: ``dev``, ``tenants``, ``agents``, ``status``, ``jobs``, ``submit``, ``demo``."""

from __future__ import annotations

import typer

from common.cli import agents, control, dev, jobs, submit, tenants

app = typer.Typer(
    help="Run LLM agents as asynchronous, tenant-isolated jobs on Google Cloud serverless.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(dev.app, name="dev")
app.add_typer(tenants.app, name="tenants")
app.add_typer(agents.app, name="agents")
app.add_typer(jobs.app, name="jobs")
jobs.app.command("cancel")(control.cancel)
jobs.app.command("retry")(control.retry)
app.add_typer(control.rejections_app, name="rejections")
app.command()(jobs.status)
app.command()(submit.submit)


@app.command()
def demo(
    keep: bool = typer.Option(False, help="Leave the stack running afterwards."),
) -> None:
    """Start the stack, drop a real protocol into a tenant's inbox, wait for the job, print it, stop."""
    from common.cli.demo import run_demo

    raise typer.Exit(run_demo(keep=keep))


def main() -> None:
    """Console-script entry point."""
    app()
