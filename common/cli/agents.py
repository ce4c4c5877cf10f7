"""``agentjobs agents ...``: run an agent in-process on local input, with no stack.

``agents run`` takes the same inputs as ``agentjobs submit``: ``--file`` a document, ``--input`` a
JSON request (the agent's input plus the envelope fields ``callback_url``, ``metadata`` and
``model``; the first two mean nothing locally and are ignored, ``model`` is used when ``--model``
is not given).
"""

import contextlib
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer

from common.cli import exits
from common.cli.context import JsonOption

app = typer.Typer(rich_markup_mode=None, help="Run agents locally.", no_args_is_help=True)

_LOCAL_URI = "gs://local-file/input"


@dataclass
class LocalContext:
    """An :class:`~common.agents.base.AgentContext` over one local file, for offline runs."""

    path: Path | None
    model: str = ""
    tenant_id: str = "local"
    job_id: str = "local"
    timings: dict[str, float] = field(default_factory=dict[str, float])

    def read_document(self, uri: str, *, generation: int | None = None) -> bytes:
        """The local file's bytes, whatever ``uri`` says (the CLI maps its one document to it).

        Raises:
            PermanentError: ``invalid_input`` when no ``--file`` was given.
        """
        from common.errors import PermanentError

        if self.path is None:
            raise PermanentError("the input names a document: pass it with --file", code="invalid_input")
        started = time.perf_counter()
        data = self.path.read_bytes()
        self.record_stage("read_file", time.perf_counter() - started)
        return data

    def record_stage(self, name: str, seconds: float) -> None:
        """Add ``seconds`` to stage ``name``."""
        self.timings[name] = self.timings.get(name, 0.0) + seconds


@app.command("list")
def list_agents(as_json: JsonOption = False) -> None:
    """List the agents."""
    from common.agents.registry import AGENT_NAMES

    names = sorted(AGENT_NAMES)
    if as_json:
        typer.echo(json.dumps({"agents": names}))
        return
    for name in names:
        typer.echo(name)


def _payload(agent: str, file: Path | None, input_file: Path | None) -> tuple[dict[str, Any], str | None]:
    """The agent's input and the request's ``model``, from ``--file`` and/or ``--input``."""
    from common.agents.registry import load_agent
    from common.api.schemas import SubmitEnvelope
    from common.cli.submit import read_request
    from common.errors import PermanentError

    implementation = load_agent(agent)
    if input_file is not None:
        body = read_request(input_file)
        model = body.get("model")
        envelope = set(SubmitEnvelope.model_fields)
        return {k: v for k, v in body.items() if k not in envelope}, model if isinstance(model, str) else None
    from_file = implementation.input_from_file(_LOCAL_URI, "1")
    if from_file is None:
        raise PermanentError(f"{agent} takes no document: pass its JSON request with --input", code="invalid_input")
    return from_file, None


@app.command()
def run(
    agent: Annotated[str, typer.Argument(help="Agent name, e.g. protocol-processor.")],
    file: Annotated[
        Path | None, typer.Option("--file", exists=True, dir_okay=False, help="A document to process (PDF).")
    ] = None,
    input_file: Annotated[
        Path | None,
        typer.Option(
            "--input",
            "-i",
            exists=True,
            dir_okay=False,
            help="A JSON request, as `agentjobs submit --input` takes it.",
        ),
    ] = None,
    as_json: JsonOption = False,
    model: Annotated[
        str | None,
        typer.Option(help="provider/model; default: the request's model, then AGENTJOBS_MODEL (none = offline)."),
    ] = None,
) -> None:
    """Run AGENT on a local document (--file) or JSON request (--input) and print the result."""
    from pydantic import ValidationError

    from common.agents.input_errors import invalid_input
    from common.agents.registry import load_agent
    from common.config import Settings
    from common.errors import AgentJobsError

    if file is None and input_file is None:
        exits.fail("give --file, --input, or both", exits.USAGE)
    try:
        implementation = load_agent(agent)
        payload_json, requested_model = _payload(agent, file, input_file)
        chosen = model if model is not None else requested_model or Settings.from_env().model_for(agent)
        ctx = LocalContext(path=file, model=chosen)
        try:
            payload = implementation.input_model.model_validate(payload_json)
        except ValidationError as e:
            raise invalid_input(e) from e
        started = time.perf_counter()
        # The agent's structured log lines go to stderr: stdout carries only the result (--json).
        with contextlib.redirect_stdout(sys.stderr):
            result = implementation.run(payload, ctx)
        ctx.record_stage("total", time.perf_counter() - started)
    except AgentJobsError as e:
        if as_json:
            typer.echo(json.dumps({"error": e.to_dict()}))
            raise typer.Exit(exits.FAILED) from e
        exits.fail(f"{e.error_code}: {e.message}")
    output = result.output.model_dump(mode="json")
    if as_json:
        typer.echo(json.dumps(output, indent=2, ensure_ascii=False))
        return
    from rich.console import Console

    from common.cli.render import print_criteria_evaluation, print_protocol_summary, print_timings

    console = Console()
    if agent == "protocol-processor":
        print_protocol_summary(console, output)
    elif agent == "criteria-evaluator":
        print_criteria_evaluation(console, output)
    else:
        console.print_json(data=output)
    print_timings(console, ctx.timings)
