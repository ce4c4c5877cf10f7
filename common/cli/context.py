"""How CLI commands find the API and the key.

Each value comes from the first of: the command-line flag, the environment variable, the
configuration file (:mod:`common.cli.config_file`), the running local stack (``agentjobs dev up``).

| flag | environment | configuration file |
|---|---|---|
| ``--api-url`` | ``AGENTJOBS_API_URL`` (the status API: job resources) | ``api_url`` |
| ``--submit-url`` | ``AGENTJOBS_SUBMIT_URL`` (the submit API) | ``submit_url`` |
| ``--api-key`` | ``AGENTJOBS_API_KEY`` | (never stored in a file) |

Commands that talk to Google services directly (admin commands) pick their target with
:mod:`common.cli.target`. Module-level imports stay light: ``agentjobs --help`` loads no SDK.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Generator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from common.cli import exits

if TYPE_CHECKING:
    from common.config import Settings
    from common.devstack.stack import StackInfo

__all__ = [
    "API_ENV",
    "ApiKeyOption",
    "ApiUrlOption",
    "JsonOption",
    "SubmitUrlOption",
    "api_key",
    "api_url",
    "cloud_env",
    "now",
    "require",
    "submit_url",
]

API_ENV = {
    "AGENTJOBS_API_URL": "Base URL of the status API (job resources), for the CLI.",
    "AGENTJOBS_SUBMIT_URL": "Base URL of the submit API, for the CLI.",
    "AGENTJOBS_API_KEY": "The tenant's API key, for the CLI.",
    "AGENTJOBS_CONFIG": "Path of the CLI's configuration file (default ./agentjobs.toml, then XDG).",
    "AGENTJOBS_DEV_DIR": "Where `agentjobs dev up` keeps state.json and logs/ (default .agentjobs/dev).",
    "AGENTJOBS_SHARED_DATA": "Folder of the shared sample documents, for `agentjobs demo`.",
    "AGENTJOBS_WEBHOOK_SECRET": "The tenant's whsec_ secret, for `agentjobs dev webhooks`.",
}
"""Variables only the CLI reads (the functions' settings live in :mod:`common.config`)."""

ApiUrlOption = Annotated[
    str | None,
    typer.Option("--api-url", help="Status API base URL (default: $AGENTJOBS_API_URL, config file, local stack)."),
]
SubmitUrlOption = Annotated[
    str | None,
    typer.Option(
        "--submit-url", help="Submit API base URL (default: $AGENTJOBS_SUBMIT_URL, config file, local stack)."
    ),
]
ApiKeyOption = Annotated[
    str | None,
    typer.Option("--api-key", help="API key (default: $AGENTJOBS_API_KEY).", show_default=False),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON on stdout instead of a table.")]


def now() -> datetime:
    """Current UTC time."""
    return datetime.now(UTC)


def require(value: str | None, message: str) -> str:
    """``value``, or exit with ``message`` (exit code 2)."""
    if not value:
        exits.fail(message, exits.USAGE)
    return value


@contextlib.contextmanager
def cloud_env(state_dir: Path | None = None) -> Generator[tuple[Settings, StackInfo | None]]:
    """Export the dev stack's environment (if one runs) and yield settings read from it."""
    from common.config import Settings
    from common.devstack.stack import load_stack

    info = load_stack(state_dir)
    if info is None:
        yield Settings.from_env(), None
        return
    with info.client_env():
        yield Settings.from_env(), info


def _endpoint(explicit: str | None, env_var: str, key: str, function: str, flag: str, state_dir: Path | None) -> str:
    if explicit:
        return explicit.rstrip("/")
    if os.environ.get(env_var):
        return os.environ[env_var].rstrip("/")
    from common.cli.config_file import ConfigFileError, load_config

    try:
        configured = getattr(load_config(), key)
    except ConfigFileError as e:
        exits.fail(str(e), exits.USAGE)
    if configured:
        return configured
    from common.devstack.stack import default_state_dir, load_stack

    directory = state_dir or default_state_dir()
    info = load_stack(directory)
    return require(
        info.endpoints.get(function) if info else None,
        f"No {function} API URL: pass {flag}, set {env_var}, set {key} in agentjobs.toml, "
        f"or start the local stack with `agentjobs dev up` (no stack is running from {directory}).",
    )


def api_url(explicit: str | None, state_dir: Path | None = None) -> str:
    """The status API base URL: ``--api-url``, ``$AGENTJOBS_API_URL``, config ``api_url``, or the stack's."""
    return _endpoint(explicit, "AGENTJOBS_API_URL", "api_url", "status", "--api-url", state_dir)


def submit_url(explicit: str | None, state_dir: Path | None = None) -> str:
    """The submit API base URL: ``--submit-url``, ``$AGENTJOBS_SUBMIT_URL``, config ``submit_url``, or the stack's."""
    return _endpoint(explicit, "AGENTJOBS_SUBMIT_URL", "submit_url", "submit", "--submit-url", state_dir)


def api_key(explicit: str | None) -> str:
    """The API key: ``--api-key`` or ``$AGENTJOBS_API_KEY``."""
    return require(
        explicit or os.environ.get("AGENTJOBS_API_KEY"),
        "No API key: pass --api-key or set AGENTJOBS_API_KEY (`agentjobs tenants create` prints one).",
    )
