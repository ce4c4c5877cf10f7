"""``agentjobs submit``: upload if needed, submit over HTTPS, optionally wait for the result."""

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from common.cli import exits
from common.cli.context import (
    ApiKeyOption,
    ApiUrlOption,
    JsonOption,
    SubmitUrlOption,
    api_key,
    api_url,
    submit_url,
)
from common.cli.jobs import TimeoutOption, finish, print_json

if TYPE_CHECKING:
    from common.cli.uploads import Uploaded

InputOption = Annotated[
    Path | None,
    typer.Option(
        "--input",
        "-i",
        exists=True,
        dir_okay=False,
        help="A JSON request: the agent's input, plus optional callback_url, metadata and model.",
    ),
]


def _forget(uploaded: "Uploaded | None", base: str, key: str) -> None:
    """A failed submission removes the document it uploaded (DELETE /v1/uploads/{id})."""
    from common.cli.uploads import delete_upload

    if uploaded is not None and not delete_upload(base, key, uploaded.upload_id):
        exits.note("the uploaded document could not be removed; it expires with your retention")


def read_request(path: Path) -> dict[str, Any]:
    """The JSON object in ``path`` (a request body: agent input + envelope).

    Raises:
        typer.Exit: Code 2 when it is not a JSON object.
    """
    try:
        body: Any = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as e:
        exits.fail(f"{path} is not valid JSON ({type(e).__name__})", exits.USAGE)
    if not isinstance(body, dict):
        exits.fail(f"{path} must hold a JSON object", exits.USAGE)
    return body  # pyright: ignore[reportUnknownVariableType]


def submit(
    agent: Annotated[str, typer.Argument(help="Agent name, e.g. protocol-processor.")],
    file: Annotated[
        Path | None,
        typer.Option(
            "--file", exists=True, dir_okay=False, help="A PDF to upload into your prefix (API key only) and process."
        ),
    ] = None,
    input_file: InputOption = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Wait until the job ends, then print it; exit 0 on success, 1 if not.")
    ] = False,
    timeout: TimeoutOption = 600.0,
    as_json: JsonOption = False,
    callback_url: Annotated[str | None, typer.Option(help="Callback URL for this job.")] = None,
    idempotency_key: Annotated[str | None, typer.Option(help="Idempotency-Key header.")] = None,
    submit_url_: SubmitUrlOption = None,
    api_url_: ApiUrlOption = None,
    api_key_: ApiKeyOption = None,
) -> None:
    """Submit a job: --file uploads a document into your prefix (API key only); --input sends a JSON request.

    A submission that fails after its --file upload removes the upload (DELETE /v1/uploads/{id}).

    Exit codes: 0 accepted (with --wait: succeeded), 1 refused or the job failed, 2 usage,
    3 --wait timed out, 4 the API did not answer.
    """
    from common.cli.api_client import call, error_line, wait_for_job
    from common.cli.uploads import upload_file

    if (file is None) == (input_file is None):
        exits.fail("give exactly one of --file or --input", exits.USAGE)
    key = api_key(api_key_)
    base = submit_url(submit_url_)
    body: dict[str, Any]
    uploaded: Uploaded | None = None
    if input_file is not None:
        body = read_request(input_file)
    else:
        assert file is not None
        uploaded = upload_file(base, key, file)
        body = {"file_uri": uploaded.file_uri}
    if callback_url:
        body["callback_url"] = callback_url
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    try:
        code, answer = call("POST", f"{base}/v1/agents/{agent}/jobs", key, json=body, headers=headers)
    except typer.Exit:
        _forget(uploaded, base, key)
        raise
    if code not in (200, 202):
        _forget(uploaded, base, key)
        if as_json:
            print_json(answer)
            raise typer.Exit(exits.FAILED)
        exits.fail(error_line(code, answer))
    job_id = answer["job_id"]
    if not wait:
        if as_json:
            print_json(answer)
        else:
            typer.echo(f"job {job_id} {answer['status']}  {answer['links']['self']}")
        return
    exits.note(f"job {job_id} {answer['status']}  {answer['links']['self']}")
    finish(wait_for_job(api_url(api_url_), key, job_id, timeout=timeout), as_json)
