"""``agentjobs dev up|down|info|env|logs``: the local stack."""

import os
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from common.cli import exits

if TYPE_CHECKING:
    from common.devstack.stack import StackInfo

app = typer.Typer(
    rich_markup_mode=None,  # plain help: rich's renderer alone costs more than typer's import
    help="Run the local stack: emulators and the four functions, wired like production.",
    no_args_is_help=True,
)

StateDir = Annotated[Path | None, typer.Option(help="Where state.json and logs/ go (default: .agentjobs/dev).")]

PROVIDER_KEYS = {
    "openai": ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY",),
    "google": ("GOOGLE_API_KEY", "GEMINI_API_KEY"),
    "mistral": ("MISTRAL_API_KEY",),
    "groq": ("GROQ_API_KEY",),
    "ollama": (),
}
"""The variable each provider's SDK reads its key from (``AGENTJOBS_MODEL_API_KEY`` beats them)."""
_FUNCTIONS = ("submit", "status", "run_agent", "notify")


def client_exports(info: "StackInfo") -> list[tuple[str, str]]:
    """``(variable, value)`` pairs a shell needs to use the stack: API URLs, emulator hosts, project."""
    pairs = [
        ("AGENTJOBS_SUBMIT_URL", info.endpoints.get("submit", "")),
        ("AGENTJOBS_API_URL", info.endpoints.get("status", "")),
    ]
    for key in (
        "PUBSUB_EMULATOR_HOST",
        "FIRESTORE_EMULATOR_HOST",
        "STORAGE_EMULATOR_HOST",
        "CLOUD_TASKS_EMULATOR_HOST",
        "AGENTJOBS_PROJECT",
        "GOOGLE_CLOUD_PROJECT",
        "AGENTJOBS_BUCKET",
    ):
        pairs.append((key, info.env.get(key, "")))
    return [(k, v) for k, v in pairs if v]


def _export_lines(info: "StackInfo") -> list[str]:
    return [f"export {key}={shlex.quote(value)}" for key, value in client_exports(info)]


def print_stack(info: "StackInfo") -> None:
    """Print endpoints, log folder, model and the environment to reach the stack."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title="agentjobs local stack", show_header=True)
    table.add_column("part")
    table.add_column("endpoint")
    table.add_column("pid", justify="right")
    pids = {p.name: p.pid for p in info.processes}
    for name, endpoint in info.endpoints.items():
        table.add_row(name, endpoint, str(pids.get(name, "")))
    console.print(table)
    console.print(f"logs: {info.state_dir / 'logs'}  (agentjobs dev logs [FUNCTION] --follow)", highlight=False)
    if "traces" in info.endpoints:
        console.print(f"traces: {info.endpoints['traces']}  (Phoenix; every function exports its spans there)")
    console.print(f"model: {info.env.get('AGENTJOBS_MODEL') or 'none (agents that need one fail: dev up --model)'}")
    console.print('to use the stack from another shell, run: eval "$(agentjobs dev env)", or paste:', highlight=False)
    for line in _export_lines(info):
        console.print(f"  {line}", highlight=False, soft_wrap=True)


def model_env(model: str, environ: dict[str, str]) -> tuple[dict[str, str], str]:
    """The functions' model environment for ``model``, and one line saying where its key comes from.

    The key comes from ``AGENTJOBS_MODEL_API_KEY`` or the provider's own variable (``OPENAI_API_KEY``,
    ...), read from ``environ``; a base URL from ``AGENTJOBS_MODEL_BASE_URL``.
    """
    env = {"AGENTJOBS_MODEL": model}
    for name in ("AGENTJOBS_MODEL_API_KEY", "AGENTJOBS_MODEL_BASE_URL"):
        if environ.get(name):
            env[name] = environ[name]
    provider = model.split("/", 1)[0]
    if "AGENTJOBS_MODEL_API_KEY" in env:
        return env, f"model: {model} (key from AGENTJOBS_MODEL_API_KEY)"
    candidates = PROVIDER_KEYS.get(provider, (f"{provider.upper()}_API_KEY",))
    for name in candidates:
        if environ.get(name):
            env[name] = environ[name]
            return env, f"model: {model} (key from {name})"
    if not candidates or "AGENTJOBS_MODEL_BASE_URL" in env:
        return env, f"model: {model} (no key needed)"
    return env, (
        f"model: {model}, but no key: export {' or '.join(candidates)} (or AGENTJOBS_MODEL_API_KEY) "
        "before `agentjobs dev up`; jobs that call the model will fail"
    )


@app.command()
def up(
    state_dir: StateDir = None,
    functions: Annotated[bool, typer.Option(help="Also serve the four functions.")] = True,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="provider/model for the functions (AGENTJOBS_MODEL), e.g. openai/gpt-4o-mini; "
            "default: [dev] model in agentjobs.toml, else none (offline).",
        ),
    ] = None,
    traces: Annotated[
        bool, typer.Option(help="Also start a local trace UI (Arize Phoenix) and send the functions' traces to it.")
    ] = False,
) -> None:
    """Start the stack in the background, wait until every part is ready, print the endpoints and exports."""
    from common.cli.config_file import ConfigFileError, load_config
    from common.devstack.processes import StartupFailed
    from common.devstack.sdk import MissingEmulators
    from common.devstack.stack import StackSettings, default_state_dir, load_stack, start_stack

    directory = state_dir or default_state_dir()
    running = load_stack(directory)
    if running is not None:
        exits.note("already running")
        print_stack(running)
        return
    try:
        chosen = model if model is not None else load_config().dev_model
    except ConfigFileError as e:
        exits.fail(str(e), exits.USAGE)
    extra_env: dict[str, str] = {}
    if chosen:
        extra_env, line = model_env(chosen, dict(os.environ))
        exits.note(line)
    settings = StackSettings(
        functions=StackSettings().functions if functions else (), model=chosen, extra_env=extra_env, traces=traces
    )
    from rich.console import Console

    console = Console()
    try:
        status = "starting emulators, functions and Phoenix (first run: ~1-2 min)..." if traces else None
        with console.status(status or "starting emulators and functions..."):
            info = start_stack(settings, state_dir=directory)
    except (MissingEmulators, StartupFailed) as e:
        exits.fail(str(e))
    console.print(f"[green]up in {info.startup_seconds:.1f} s[/green]")
    print_stack(info)


@app.command()
def down(state_dir: StateDir = None) -> None:
    """Stop exactly the processes `dev up` started."""
    from common.devstack.stack import default_state_dir, stop_stack

    stopped = stop_stack(state_dir or default_state_dir())
    typer.echo(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")


def _running(state_dir: Path | None) -> "StackInfo":
    from common.devstack.stack import default_state_dir, load_stack

    directory = state_dir or default_state_dir()
    running = load_stack(directory)
    if running is None:
        exits.fail(f"no stack is running from {directory}: start one with `agentjobs dev up`")
    return running


@app.command()
def info(state_dir: StateDir = None) -> None:
    """Show the running stack."""
    print_stack(_running(state_dir))


@app.command()
def env(state_dir: StateDir = None) -> None:
    """Print `export` lines for the running stack: eval "$(agentjobs dev env)"."""
    for line in _export_lines(_running(state_dir)):
        typer.echo(line)


@app.command()
def logs(
    function: Annotated[
        str | None,
        typer.Argument(help="submit, status, run_agent, notify, or an emulator (pubsub, firestore, storage, tasks)."),
    ] = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new lines.")] = False,
    lines: Annotated[int, typer.Option("--lines", "-n", help="Show the last N lines first (0 = all).")] = 50,
    routine: Annotated[bool, typer.Option("--routine", help="Also show sweep ticks that found nothing to do.")] = False,
    state_dir: StateDir = None,
) -> None:
    """Pretty-print the functions' JSON logs: local time, severity, function, job id, event, fields."""
    from common.devstack.logs import follow as follow_logs
    from common.devstack.logs import read_logs
    from common.devstack.stack import default_state_dir

    log_dir = (state_dir or default_state_dir()) / "logs"
    if not log_dir.is_dir():
        exits.fail(f"no logs in {log_dir}: start the stack with `agentjobs dev up`")
    known = sorted(p.stem for p in log_dir.glob("*.log"))
    if function is not None and function not in known:
        exits.fail(f"no log for {function}; logs: {', '.join(known)}", exits.USAGE)
    sources = [function] if function else [f for f in _FUNCTIONS if f in known]
    shown = [line for line in read_logs(log_dir, sources) if routine or not line.routine]
    for line in shown[-lines:] if lines > 0 else shown:
        typer.echo(line.text)
    if follow:
        try:
            for line in follow_logs(log_dir, sources):
                if routine or not line.routine:
                    typer.echo(line.text)
        except KeyboardInterrupt:
            return


@app.command()
def webhooks(
    secret: Annotated[
        str,
        typer.Option(
            "--secret", help="The tenant's whsec_ secret (default: $AGENTJOBS_WEBHOOK_SECRET).", show_default=False
        ),
    ] = "",
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1.")] = 8787,
    count: Annotated[int, typer.Option("--count", help="Exit after this many verified callbacks; 0 = never.")] = 0,
    timeout: Annotated[
        float, typer.Option("--timeout", help="With --count: give up after this many seconds (exit 3).")
    ] = 300.0,
) -> None:
    """Receive signed callbacks on http://127.0.0.1:PORT/ and print each one, verified with the tenant's secret.

    The local stack accepts loopback callback URLs; a deployment does not.
    """
    import time

    from common.webhooks.receiver import WebhookReceiver

    key = secret or os.environ.get("AGENTJOBS_WEBHOOK_SECRET", "")
    if not key.startswith("whsec_"):
        exits.fail("pass the tenant's webhook secret: --secret whsec_... (tenants create prints it)", exits.USAGE)
    try:
        receiver = WebhookReceiver(secret=key, port=port).__enter__()
    except OSError as e:
        exits.fail(f"cannot listen on 127.0.0.1:{port}: {e.strerror}", exits.FAILED)
    exits.note(f"listening on http://127.0.0.1:{port}/ (Ctrl-C to stop)")
    seen = verified = 0
    deadline = time.monotonic() + timeout
    try:
        while not count or verified < count:
            if count and time.monotonic() > deadline:
                exits.fail(f"timed out after {timeout:g} s with {verified} of {count} callbacks", exits.TIMEOUT)
            arrived = receiver.wait_for(seen + 1, timeout=0.5, accepted_only=False)
            for delivery in arrived[seen:]:
                p = delivery.payload or {}
                verified += delivery.verified
                verdict = "verified" if delivery.verified else "BAD SIGNATURE"
                stamp = time.strftime("%H:%M:%S")
                typer.echo(f"{stamp}  {verdict}  {p.get('type', '-')}  {p.get('job_id', '-')}  {p.get('status', '-')}")
            seen = len(arrived)
    except KeyboardInterrupt:
        pass
    finally:
        receiver.__exit__(None, None, None)
