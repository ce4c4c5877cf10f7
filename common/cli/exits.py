"""The CLI's exit codes, and how a command stops with a message instead of a traceback.

| code | meaning |
|---|---|
| 0 | done (``--wait``: the job succeeded) |
| 1 | refused or failed: the API answered an error, an admin action failed, the job ended ``failed`` |
| 2 | usage: a bad or missing option, no API key, no target named |
| 3 | ``--wait`` timed out: the job is still ``pending`` or ``running`` |
| 4 | unreachable: nothing answered at the endpoint, or no usable Google credentials |
"""

from __future__ import annotations

from typing import NoReturn

import typer

__all__ = ["FAILED", "OK", "TIMEOUT", "UNREACHABLE", "USAGE", "fail", "note"]

OK = 0
FAILED = 1
USAGE = 2
TIMEOUT = 3
UNREACHABLE = 4


def fail(message: str, code: int = FAILED) -> NoReturn:
    """Print ``message`` to stderr (red) and exit with ``code``.

    Raises:
        typer.Exit: Always.
    """
    typer.secho(message, fg="red", err=True)
    raise typer.Exit(code)


def note(message: str) -> None:
    """Print an informational line to stderr, so that stdout stays parseable (``--json``)."""
    typer.secho(message, err=True, dim=True)
