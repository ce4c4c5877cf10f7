"""The ``agentjobs`` command: dev, tenants, agents, status, jobs, submit, usage, demo, eval, mcp."""

import typer

from common.cli import agents, control, dev, evals, jobs, mcp, prices, submit, tenants, usage

app = typer.Typer(
    rich_markup_mode=None,  # plain help: rich's renderer alone costs more than typer's import
    help="Run LLM agents as asynchronous, tenant-isolated jobs on Google Cloud serverless.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(dev.app, name="dev")
app.add_typer(tenants.app, name="tenants")
tenants.app.add_typer(prices.app, name="prices")
app.add_typer(agents.app, name="agents")
app.add_typer(jobs.app, name="jobs")
jobs.app.command("cancel")(control.cancel)
jobs.app.command("retry")(control.retry)
app.add_typer(control.rejections_app, name="rejections")
app.add_typer(evals.app, name="eval")
app.add_typer(mcp.app, name="mcp")
app.command()(jobs.status)
app.command()(submit.submit)
app.command()(usage.usage)


@app.command()
def demo(
    keep: bool = typer.Option(False, help="Leave the stack running afterwards."),
    traces: bool = typer.Option(False, help="Also start a local trace UI (Phoenix) and print the job's trace URL."),
) -> None:
    """Start the stack, drop a real protocol into a tenant's inbox, wait for the job, print it, stop."""
    from common.cli.demo import run_demo

    raise typer.Exit(run_demo(keep=keep, traces=traces))


def main() -> None:
    """Console-script entry point."""
    app()
