"""``agentjobs agents ...``: run an agent in-process on a local file, with no stack."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console

from common.agents.input_errors import invalid_input
from common.agents.registry import AGENT_NAMES, load_agent
from common.cli.render import print_criteria_evaluation, print_protocol_summary, print_timings
from common.config import Settings
from common.errors import AgentJobsError, PermanentError

app = typer.Typer(help="Run agents locally.", no_args_is_help=True)
console = Console()

_LOCAL_URI = "gs://local-file/input"


@dataclass
class LocalContext:
    """An :class:`~common.agents.base.AgentContext` over one local file, for offline runs."""

    path: Path
    model: str = ""
    tenant_id: str = "local"
    job_id: str = "local"
    timings: dict[str, float] = field(default_factory=dict[str, float])

    def read_document(self, uri: str, *, generation: int | None = None) -> bytes:
        """The local file's bytes, whatever ``uri`` says (the CLI maps its one input to it)."""
        started = time.perf_counter()
        data = self.path.read_bytes()
        self.record_stage("read_file", time.perf_counter() - started)
        return data

    def record_stage(self, name: str, seconds: float) -> None:
        """Add ``seconds`` to stage ``name``."""
        self.timings[name] = self.timings.get(name, 0.0) + seconds


@app.command("list")
def list_agents() -> None:
    """List the agents."""
    for name in sorted(AGENT_NAMES):
        console.print(name)


@app.command()
def run(
    agent: Annotated[str, typer.Argument(help="Agent name, e.g. protocol-processor.")],
    file: Annotated[
        Path, typer.Option("--file", exists=True, dir_okay=False, help="Input: a PDF, or a JSON input file.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    model: Annotated[
        str | None, typer.Option(help="provider/model; default: AGENTJOBS_MODEL (none = offline).")
    ] = None,
) -> None:
    """Run AGENT on a local file and print the result."""
    try:
        implementation = load_agent(agent)
        ctx = LocalContext(path=file, model=model if model is not None else Settings.from_env().model_for(agent))
        payload_json: dict[str, Any] | None = implementation.input_from_file(_LOCAL_URI, "1")
        if payload_json is None:
            try:
                payload_json = json.loads(file.read_text())
            except (ValueError, UnicodeDecodeError) as e:
                raise PermanentError("the input file is not valid JSON", code="invalid_input") from e
        try:
            payload = implementation.input_model.model_validate(payload_json)
        except ValidationError as e:
            raise invalid_input(e) from e
        started = time.perf_counter()
        result = implementation.run(payload, ctx)
        ctx.record_stage("total", time.perf_counter() - started)
    except AgentJobsError as e:
        if as_json:
            typer.echo(json.dumps({"error": e.to_dict()}))
        else:
            console.print(f"[red]{e.error_code}: {e.message}[/red]")
        raise typer.Exit(1) from e
    output = result.output.model_dump(mode="json")
    if as_json:
        typer.echo(json.dumps(output, indent=2, ensure_ascii=False))
        return
    if agent == "protocol-processor":
        print_protocol_summary(console, output)
    elif agent == "criteria-evaluator":
        print_criteria_evaluation(console, output)
    else:
        console.print_json(data=output)
    print_timings(console, ctx.timings)
