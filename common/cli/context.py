"""How CLI commands find the stack, the API and the key.

Commands that talk to Google services use the running dev stack's environment when there is one
(``agentjobs dev up``), otherwise the process environment (application-default credentials and
``GOOGLE_CLOUD_PROJECT`` in production).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Generator
from datetime import UTC, datetime
from pathlib import Path

import typer

from common.config import Settings
from common.devstack.stack import StackInfo, load_stack

__all__ = ["api_key", "api_url", "cloud_env", "now", "require", "submit_url"]


def now() -> datetime:
    """Current UTC time."""
    return datetime.now(UTC)


def require(value: str | None, message: str) -> str:
    """``value``, or exit with ``message`` (exit code 2)."""
    if not value:
        typer.secho(message, fg="red", err=True)
        raise typer.Exit(2)
    return value


@contextlib.contextmanager
def cloud_env(state_dir: Path | None = None) -> Generator[tuple[Settings, StackInfo | None]]:
    """Export the dev stack's environment (if one runs) and yield settings read from it."""
    info = load_stack(state_dir)
    if info is None:
        yield Settings.from_env(), None
        return
    with info.client_env():
        yield Settings.from_env(), info


def _endpoint(explicit: str | None, env_var: str, function: str, flag: str, state_dir: Path | None) -> str:
    if explicit or os.environ.get(env_var):
        return (explicit or os.environ[env_var]).rstrip("/")
    info = load_stack(state_dir)
    return require(
        info.endpoints.get(function) if info else None,
        f"No {function} URL: pass {flag}, set {env_var}, or start the dev stack (agentjobs dev up).",
    )


def api_url(explicit: str | None, state_dir: Path | None = None) -> str:
    """The status API base URL: ``--api-url``, ``$AGENTJOBS_API_URL``, or the dev stack's."""
    return _endpoint(explicit, "AGENTJOBS_API_URL", "status", "--api-url", state_dir)


def submit_url(explicit: str | None, state_dir: Path | None = None) -> str:
    """The submit API base URL: ``--submit-url``, ``$AGENTJOBS_SUBMIT_URL``, or the dev stack's."""
    return _endpoint(explicit, "AGENTJOBS_SUBMIT_URL", "submit", "--submit-url", state_dir)


def api_key(explicit: str | None) -> str:
    """The API key: ``--api-key`` or ``$AGENTJOBS_API_KEY``."""
    return require(
        explicit or os.environ.get("AGENTJOBS_API_KEY"),
        "No API key: pass --api-key or set AGENTJOBS_API_KEY.",
    )
