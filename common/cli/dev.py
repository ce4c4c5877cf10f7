"""``agentjobs dev up|down|info``: the local stack."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from common.devstack.processes import StartupFailed
from common.devstack.sdk import MissingEmulators
from common.devstack.stack import (
    StackInfo,
    StackSettings,
    default_state_dir,
    load_stack,
    start_stack,
    stop_stack,
)

app = typer.Typer(
    help="Run the local stack: emulators and the four functions, wired like production.", no_args_is_help=True
)
console = Console()

StateDir = Annotated[Path | None, typer.Option(help="Where state.json and logs/ go (default: .agentjobs/dev).")]


def print_stack(info: StackInfo) -> None:
    """Print endpoints, log folder and the environment to reach the stack."""
    table = Table(title="agentjobs local stack", show_header=True)
    table.add_column("part")
    table.add_column("endpoint")
    table.add_column("pid", justify="right")
    pids = {p.name: p.pid for p in info.processes}
    for name, endpoint in info.endpoints.items():
        table.add_row(name, endpoint, str(pids.get(name, "")))
    console.print(table)
    console.print(f"logs: {info.state_dir / 'logs'}")
    if "traces" in info.endpoints:
        console.print(f"traces: {info.endpoints['traces']}  (Phoenix; every function exports its spans there)")
    console.print("to use the stack from another shell:")
    for key in (
        "PUBSUB_EMULATOR_HOST",
        "FIRESTORE_EMULATOR_HOST",
        "STORAGE_EMULATOR_HOST",
        "AGENTJOBS_PROJECT",
    ):
        if key in info.env:
            console.print(f"  export {key}={info.env[key]}", highlight=False)


@app.command()
def up(
    state_dir: StateDir = None,
    functions: Annotated[bool, typer.Option(help="Also serve the four functions.")] = True,
    traces: Annotated[
        bool, typer.Option(help="Also start a local trace UI (Arize Phoenix) and send the functions' traces to it.")
    ] = False,
) -> None:
    """Start the stack in the background, wait until every part is ready, print the endpoints."""
    directory = state_dir or default_state_dir()
    running = load_stack(directory)
    if running is not None:
        console.print("[yellow]already running[/yellow]")
        print_stack(running)
        return
    settings = StackSettings(traces=traces) if functions else StackSettings(functions=(), traces=traces)
    try:
        status = "starting emulators, functions and Phoenix (first run: ~1-2 min)..." if traces else None
        with console.status(status or "starting emulators and functions..."):
            info = start_stack(settings, state_dir=directory)
    except (MissingEmulators, StartupFailed) as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(1) from e
    console.print(f"[green]up in {info.startup_seconds:.1f} s[/green]")
    print_stack(info)


@app.command()
def down(state_dir: StateDir = None) -> None:
    """Stop exactly the processes `dev up` started."""
    stopped = stop_stack(state_dir or default_state_dir())
    console.print(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")


@app.command()
def info(state_dir: StateDir = None) -> None:
    """Show the running stack."""
    running = load_stack(state_dir or default_state_dir())
    if running is None:
        console.print("no stack is running (agentjobs dev up)")
        raise typer.Exit(1)
    print_stack(running)
