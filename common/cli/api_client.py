"""The CLI's HTTP calls to the agentjobs API: one place that turns "nothing answers" into a hint.

httpx is imported on the first call, not when the CLI starts.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from typing import Any, cast

from common.cli import exits

__all__ = ["TERMINAL_STATUSES", "call", "error_line", "wait_for_job"]

TERMINAL_STATUSES = frozenset({"success", "failed", "cancelled"})
"""Statuses a job never leaves (``deleted`` answers 410 instead)."""
_NOT_FOUND_GRACE_SECONDS = 5.0


def call(
    method: str,
    url: str,
    key: str,
    *,
    params: Mapping[str, Any] | None = None,
    json: Any = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30.0,
) -> tuple[int, dict[str, Any]]:
    """Send one request with the API key; returns ``(HTTP status, JSON body)``.

    A body that is not JSON becomes ``{"error": {"code": "not_json", "message": <first 200 chars>}}``.

    Raises:
        typer.Exit: Code 4 when nothing answers at ``url`` (the message names it and says what to run).
    """
    import httpx

    try:
        response = httpx.request(
            method,
            url,
            params=params,
            json=json,
            headers={"Authorization": f"Bearer {key}", **(headers or {})},
            timeout=timeout,
        )
    except (httpx.ConnectError, httpx.ConnectTimeout) as e:
        base = httpx.URL(url).copy_with(path="/", query=None)
        exits.fail(
            f"Nothing answers at {base} ({type(e).__name__}). Start the local stack with `agentjobs dev up`, "
            "or check --api-url / --submit-url.",
            exits.UNREACHABLE,
        )
    except httpx.HTTPError as e:
        exits.fail(f"Could not complete {method} {url}: {type(e).__name__}.", exits.UNREACHABLE)
    try:
        body: Any = response.json()
    except ValueError:
        body = {"error": {"code": "not_json", "message": response.text[:200]}}
    if not isinstance(body, dict):
        body = {"error": {"code": "not_an_object", "message": "the answer is not a JSON object"}}
    return response.status_code, body  # pyright: ignore[reportUnknownVariableType]


def error_line(status: int, body: Mapping[str, Any]) -> str:
    """``"404 job_not_found: ..."`` plus one indented line per field error."""
    error = cast(dict[str, Any], body.get("error") or {})
    lines = [f"{status} {error.get('code')}: {error.get('message')}"]
    items = cast(list[dict[str, Any]], error.get("errors") or [])
    lines += [f"  {item.get('field')}: {item.get('message')}" for item in items]
    return "\n".join(lines)


def _progress(job: Mapping[str, Any], elapsed: float) -> str:
    clock = time.strftime("%H:%M:%S")
    return f"{clock}  {job.get('job_id')}  {job.get('status')}  attempt {job.get('attempts')}  {elapsed:.1f} s"


def wait_for_job(base_url: str, key: str, job_id: str, *, timeout: float, interval: float = 0.5) -> dict[str, Any]:
    """Poll ``GET /v1/jobs/{job_id}`` until the job ends; one progress line per status change.

    On a terminal, progress is a spinner; otherwise each status change prints one line on stderr.

    Args:
        base_url: The status API base URL.
        key: The API key.
        job_id: The job.
        timeout: Give up after this many seconds; ``0`` waits without limit.
        interval: Seconds between polls.

    Returns:
        The finished job (``success``, ``failed`` or ``cancelled``).

    Raises:
        typer.Exit: 3 on timeout; 1 when the job stays unknown (404) past a short grace, was
            erased (410), or the API refuses the key; 4 when the API stops answering.
    """
    url = f"{base_url}/v1/jobs/{job_id}"
    started = time.monotonic()
    last = ""
    job: dict[str, Any] = {}
    spinner: Any = None
    if sys.stderr.isatty():
        from rich.console import Console

        spinner = Console(stderr=True).status("waiting")
        spinner.start()
    try:
        while True:
            elapsed = time.monotonic() - started
            code, body = call("GET", url, key)
            if code == 200:
                job = body
                status = str(job.get("status"))
                if spinner is not None:
                    spinner.update(_progress(job, elapsed))
                elif status != last:
                    exits.note(_progress(job, elapsed))
                last = status
                if status in TERMINAL_STATUSES:
                    return job
            elif code == 404 and elapsed > _NOT_FOUND_GRACE_SECONDS:
                exits.fail(
                    f"job {job_id} not found at {url} after {elapsed:.0f} s: --api-url must be the status API of "
                    "the deployment that accepted it, and the key must be its tenant's.",
                    exits.FAILED,
                )
            elif code not in (404, 429) and code < 500:
                exits.fail(error_line(code, body), exits.FAILED)
            if timeout and elapsed >= timeout:
                exits.fail(
                    f"timed out after {timeout:g} s: job {job_id} is still {last or 'not visible'}; "
                    f"keep waiting with `agentjobs status {job_id} --wait`",
                    exits.TIMEOUT,
                )
            pause = interval if not timeout else min(interval, max(0.0, timeout - elapsed))
            time.sleep(pause)
    finally:
        if spinner is not None:
            spinner.stop()
