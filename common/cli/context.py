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


def api_url(explicit: str | None, state_dir: Path | None = None) -> str:
    """The status API base URL: ``--api-url``, ``$AGENTJOBS_API_URL``, or the dev stack's."""
    if explicit or os.environ.get("AGENTJOBS_API_URL"):
        return (explicit or os.environ["AGENTJOBS_API_URL"]).rstrip("/")
    info = load_stack(state_dir)
    return require(
        info.endpoints.get("status") if info else None,
        "No API URL: pass --api-url, set AGENTJOBS_API_URL, or start the dev stack (agentjobs dev up).",
    )


def submit_url(explicit: str | None, state_dir: Path | None = None) -> str:
    """The submit API base URL: ``--submit-url``, ``$AGENTJOBS_SUBMIT_URL``, or the dev stack's."""
    if explicit or os.environ.get("AGENTJOBS_SUBMIT_URL"):
        return (explicit or os.environ["AGENTJOBS_SUBMIT_URL"]).rstrip("/")
    info = load_stack(state_dir)
    return require(
        info.endpoints.get("submit") if info else None,
        "No submit URL: pass --submit-url, set AGENTJOBS_SUBMIT_URL, or start the dev stack (agentjobs dev up).",
    )


def api_key(explicit: str | None) -> str:
    """The API key: ``--api-key`` or ``$AGENTJOBS_API_KEY``."""
    return require(
        explicit or os.environ.get("AGENTJOBS_API_KEY"),
        "No API key: pass --api-key or set AGENTJOBS_API_KEY.",
    )
