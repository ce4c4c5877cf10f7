"""The CLI's HTTP calls to the agentjobs API: one place that turns "nothing answers" into a hint.

httpx (and httpx-sse) are imported on the first call, not when the CLI starts.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from common.cli import exits

__all__ = [
    "TERMINAL_EVENTS",
    "TERMINAL_STATUSES",
    "ApiClient",
    "EventStreamError",
    "EventStreamTimeout",
    "EventStreamUnsupported",
    "JobEventMessage",
    "call",
    "error_line",
    "wait_for_job",
]

TERMINAL_STATUSES = frozenset({"success", "failed", "cancelled"})
"""Statuses a job never leaves (``deleted`` answers 410 instead)."""
_NOT_FOUND_GRACE_SECONDS = 5.0
TERMINAL_EVENTS = frozenset({"succeeded", "failed", "cancelled"})
"""Event types that end a job's stream (its outcome)."""
_MAX_FAILED_CONNECTS = 5


@dataclass(frozen=True, slots=True)
class JobEventMessage:
    """One job event as the stream delivered it (``GET /v1/jobs/{id}/events``).

    Attributes:
        seq: Its position in the job's log (the SSE ``id``), from 1.
        type: ``created``, ``running``, ``stage_started``, ``stage_finished``, ``model_call``,
            ``judged``, ``succeeded``, ``failed``, ``cancelled`` or ``callback_delivered``.
        data: The event's JSON: ``job_id``, ``seq``, ``type``, ``at`` (RFC 3339) and the type's
            fields (``attempt``; ``name``, ``duration_s`` in s; ``model``, ``input_tokens``,
            ``output_tokens``, ``cost_usd`` in USD; ``quality``, ``flagged``; ``code``).
    """

    seq: int
    type: str
    data: dict[str, Any] = field(default_factory=dict[str, Any])

    @property
    def terminal(self) -> bool:
        """Whether this is the job's outcome (``succeeded``, ``failed``, ``cancelled``)."""
        return self.type in TERMINAL_EVENTS


class EventStreamError(Exception):
    """The API refused the event stream (non-200 on connect), e.g. 404 for a foreign job id.

    Attributes:
        status: The HTTP status.
        body: The JSON error body.
    """

    def __init__(self, status: int, body: dict[str, Any]):
        super().__init__(error_line(status, body))
        self.status = status
        self.body = body


class EventStreamUnsupported(EventStreamError):
    """The deployment has no event stream (404 ``route_not_found`` or 405): poll instead."""


class EventStreamTimeout(TimeoutError):
    """``timeout_s`` passed before the job's outcome arrived."""


class ApiClient:
    """The agentjobs HTTP API of one tenant (its status API base URL and API key).

    Args:
        base_url: The status API base URL, e.g. ``http://127.0.0.1:8082``.
        api_key: The tenant's API key (sent as ``Authorization: Bearer``).
        connect_timeout: Seconds to wait for a connection (s).
    """

    def __init__(self, base_url: str, api_key: str, *, connect_timeout: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self._key = api_key
        self._connect_timeout = connect_timeout

    def get_job(self, job_id: str) -> tuple[int, dict[str, Any]]:
        """``GET /v1/jobs/{job_id}``: ``(HTTP status, JSON body)``."""
        return call("GET", f"{self.base_url}/v1/jobs/{job_id}", self._key)

    def stream_job_events(
        self, job_id: str, *, last_event_id: int | None = None, timeout_s: float | None = None
    ) -> Iterator[JobEventMessage]:
        """The job's events, live, from ``GET /v1/jobs/{job_id}/events``, until its outcome.

        Each event comes once, in ``seq`` order. When the stream drops, or the server ends it
        (after its maximum duration), the client reconnects with ``Last-Event-ID`` set to the
        last ``seq`` it yielded, so nothing is lost or repeated. The iterator ends after the
        outcome event (``succeeded``, ``failed``, ``cancelled``), or when the server ends a
        stream of a job that has already finished and has nothing newer (a resume after the
        outcome).

        Args:
            job_id: The job.
            last_event_id: Resume after this ``seq`` (``None``: from the first event).
            timeout_s: Give up after this many seconds (s); ``None`` or ``0``: no limit.

        Yields:
            :class:`JobEventMessage`, oldest first.

        Raises:
            EventStreamUnsupported: The deployment has no event stream (404 ``route_not_found``, 405).
            EventStreamError: Another refusal, e.g. 404 ``job_not_found``, 401, 410 ``job_deleted``.
            EventStreamTimeout: ``timeout_s`` passed first.
            httpx.HTTPError: The API could not be reached five times in a row.
        """
        import httpx
        from httpx_sse import SSEError, connect_sse

        deadline = time.monotonic() + timeout_s if timeout_s else None
        after = last_event_id
        failures = 0
        url = f"{self.base_url}/v1/jobs/{job_id}/events"
        while True:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise EventStreamTimeout(f"no outcome of job {job_id} within {timeout_s:g} s")
            # The server sends a keep-alive at least every ~15 s: a longer silence is a dead stream.
            read = 45.0 if remaining is None else min(45.0, max(0.1, remaining))
            headers = {"Authorization": f"Bearer {self._key}", "Accept": "text/event-stream"}
            if after is not None:
                headers["Last-Event-ID"] = str(after)
            got = 0
            try:
                with (
                    httpx.Client(timeout=httpx.Timeout(read, connect=self._connect_timeout)) as client,
                    connect_sse(client, "GET", url, headers=headers) as source,
                ):
                    response = source.response
                    if response.status_code != 200:
                        response.read()
                        raise _refusal(response.status_code, _json_body(response.text))
                    if not response.headers.get("content-type", "").startswith("text/event-stream"):
                        response.read()  # a 200 that is no stream: not an agentjobs event stream
                        raise EventStreamUnsupported(response.status_code, _json_body(response.text))
                    for sse in source.iter_sse():
                        if not sse.event or sse.event == "message" or not sse.data:
                            continue  # a retry: hint or a frame without an event
                        message = JobEventMessage(int(sse.id), sse.event, cast(dict[str, Any], json.loads(sse.data)))
                        if after is not None and message.seq <= after:
                            continue  # never yield an event twice, whatever the server sends
                        after = message.seq
                        got += 1
                        failures = 0
                        yield message
                        if message.terminal:
                            return
            except (httpx.TransportError, SSEError) as e:
                failures = 0 if got else failures + 1
                if failures >= _MAX_FAILED_CONNECTS:
                    raise
                if deadline is not None and time.monotonic() >= deadline and isinstance(e, httpx.ReadTimeout):
                    raise EventStreamTimeout(f"no outcome of job {job_id} within {timeout_s:g} s") from e
                time.sleep(min(1.0, 0.2 * (failures + 1)))
                continue
            # The server ended the stream without an outcome: its maximum duration, or a resume
            # of a job that finished and has nothing newer. Only the job itself tells which.
            if not got:
                status, job = self.get_job(job_id)
                if status == 200 and job.get("status") in TERMINAL_STATUSES:
                    return
            time.sleep(0.2)


def _json_body(text: str) -> dict[str, Any]:
    try:
        body: Any = json.loads(text)
    except ValueError:
        return {"error": {"code": "not_json", "message": text[:200]}}
    return cast(dict[str, Any], body) if isinstance(body, dict) else {"error": {"code": "not_an_object"}}


def _refusal(status: int, body: dict[str, Any]) -> EventStreamError:
    code = cast(dict[str, Any], body.get("error") or {}).get("code")
    if status == 405 or (status == 404 and code == "route_not_found"):
        return EventStreamUnsupported(status, body)
    return EventStreamError(status, body)


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


def _event_progress(job_id: str, event: JobEventMessage, elapsed: float, state: dict[str, Any]) -> str:
    data = event.data
    if event.type == "running":
        state["attempt"] = data.get("attempt")
    if event.type in ("stage_started", "stage_finished"):
        state["stage"] = data.get("name")
    status = {"created": "pending", "succeeded": "success", "failed": "failed", "cancelled": "cancelled"}.get(
        event.type, "running"
    )
    stage = f"  {state['stage']}" if state.get("stage") and status == "running" else ""
    clock = time.strftime("%H:%M:%S")
    return f"{clock}  {job_id}  {status}  attempt {state.get('attempt') or 0}{stage}  {elapsed:.1f} s"


def wait_for_job(base_url: str, key: str, job_id: str, *, timeout: float, interval: float = 0.5) -> dict[str, Any]:
    """Wait until the job ends, following its event stream; poll where the API has none.

    Progress is a spinner on a terminal, else one line per status change on stderr. A
    deployment without ``GET /v1/jobs/{id}/events`` (404 ``route_not_found`` or 405), or one that
    does not know the job yet (404), is polled instead (``GET /v1/jobs/{id}``).

    Args:
        base_url: The status API base URL.
        key: The API key.
        job_id: The job.
        timeout: Give up after this many seconds; ``0`` waits without limit.
        interval: Seconds between polls, when polling.

    Returns:
        The finished job (``success``, ``failed`` or ``cancelled``).

    Raises:
        typer.Exit: 3 on timeout; 1 when the job stays unknown (404) past a short grace, was
            erased (410), or the API refuses the key; 4 when the API stops answering.
    """
    import httpx

    started = time.monotonic()
    spinner: Any = None
    if sys.stderr.isatty():
        from rich.console import Console

        spinner = Console(stderr=True).status("waiting")
        spinner.start()
    try:
        state: dict[str, Any] = {}
        last_line = ""
        try:
            for event in ApiClient(base_url, key).stream_job_events(job_id, timeout_s=timeout or None):
                line = _event_progress(job_id, event, time.monotonic() - started, state)
                if spinner is not None:
                    spinner.update(line)
                elif line.split("  ")[2] != last_line:
                    exits.note(line)
                    last_line = line.split("  ")[2]
        except EventStreamTimeout:
            exits.fail(
                f"timed out after {timeout:g} s: job {job_id} is still running; "
                f"keep waiting with `agentjobs status {job_id} --wait`",
                exits.TIMEOUT,
            )
        except EventStreamUnsupported:
            return _poll_for_job(base_url, key, job_id, timeout=timeout, interval=interval, started=started)
        except EventStreamError as e:
            if e.status == 404:  # not visible here (yet): the poll's grace and hint apply
                return _poll_for_job(base_url, key, job_id, timeout=timeout, interval=interval, started=started)
            exits.fail(str(e), exits.FAILED)
        except httpx.HTTPError as e:
            exits.fail(f"Could not follow the events of job {job_id}: {type(e).__name__}.", exits.UNREACHABLE)
        code, body = call("GET", f"{base_url}/v1/jobs/{job_id}", key)
        if code != 200:
            exits.fail(error_line(code, body), exits.FAILED)
        return body
    finally:
        if spinner is not None:
            spinner.stop()


def _poll_for_job(
    base_url: str, key: str, job_id: str, *, timeout: float, interval: float, started: float
) -> dict[str, Any]:
    """Poll ``GET /v1/jobs/{job_id}`` until the job ends; one progress line per status change."""
    url = f"{base_url}/v1/jobs/{job_id}"
    last = ""
    job: dict[str, Any] = {}
    while True:
        elapsed = time.monotonic() - started
        code, body = call("GET", url, key)
        if code == 200:
            job = body
            status = str(job.get("status"))
            if status != last:
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
