"""The agentjobs HTTP API as the MCP server calls it: one typed error for every refusal.

Requests go through the CLI's client (:func:`common.cli.api_client.call`) and uploads through
:func:`common.cli.uploads.upload_bytes`; this module only turns their answers into values or an
:class:`ApiError` carrying the API's machine-readable ``code``. It imports no MCP library.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from common.boundary.ids import IdKind, is_valid_id

if TYPE_CHECKING:
    from common.cli.api_client import JobEventMessage

__all__ = ["ApiError", "JobsApi", "agents_from_openapi", "check_id"]


class ApiError(Exception):
    """The API refused a request, or did not answer.

    Attributes:
        status: The HTTP status (``0`` when nothing answered or the request never left).
        code: Machine-readable, e.g. ``job_not_found``, ``invalid_api_key``, ``unreachable``.
        message: The API's message (the API's messages never quote client content).
        errors: Field errors as the API lists them: ``{"field": ..., "message": ...}``.
    """

    def __init__(self, status: int, code: str, message: str, errors: list[dict[str, str]] | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors or []

    def to_dict(self) -> dict[str, Any]:
        """``{"status", "code", "message"}`` plus ``errors`` when there are field errors."""
        body: dict[str, Any] = {"status": self.status, "code": self.code, "message": self.message}
        if self.errors:
            body["errors"] = self.errors
        return body

    @classmethod
    def from_answer(cls, status: int, body: Mapping[str, Any]) -> ApiError:
        """The error in an API answer ``{"error": {"code", "message", "errors"?}}``."""
        error = cast(dict[str, Any], body.get("error") or {})
        items = cast(list[dict[str, Any]], error.get("errors") or [])
        errors = [{"field": str(i.get("field")), "message": str(i.get("message"))} for i in items]
        return cls(status, str(error.get("code") or f"http_{status}"), str(error.get("message") or ""), errors)


def check_id(kind: IdKind, value: str, field: str) -> str:
    """``value`` when it is a valid id of ``kind`` (:mod:`common.boundary.ids`), before it touches a URL.

    Raises:
        ApiError: ``invalid_{kind}_id`` (status 400); the message names ``field``, never the value.
    """
    if not is_valid_id(kind, value):
        raise ApiError(400, f"invalid_{kind.value}_id", f"malformed {kind.value} id in {field}")
    return value


@dataclass(frozen=True, slots=True)
class JobsApi:
    """The submit and status APIs of one deployment, called with one tenant's key.

    Attributes:
        submit_url: Base URL of the submit API (job creation, uploads).
        status_url: Base URL of the status API (job resources).
        key: The tenant's API key.
        timeout_s: Per-request timeout (seconds).
    """

    submit_url: str
    status_url: str
    key: str
    timeout_s: float = 30.0

    def _call(self, method: str, url: str, ok: tuple[int, ...], **kwargs: Any) -> tuple[int, dict[str, Any]]:
        import typer

        from common.cli.api_client import call

        try:
            status, body = call(method, url, self.key, timeout=self.timeout_s, **kwargs)
        except typer.Exit as e:  # nothing answered (the CLI's client printed where, on stderr)
            raise ApiError(0, "unreachable", "the agentjobs API did not answer") from e
        if status not in ok:
            raise ApiError.from_answer(status, body)
        return status, body

    def submit_job(
        self, agent: str, body: Mapping[str, Any], idempotency_key: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        """``POST /v1/agents/{agent}/jobs``; returns ``(202 created | 200 replayed, SubmitAccepted)``.

        Raises:
            ApiError: A malformed agent name (400 ``invalid_agent_id``), or the API's refusal.
        """
        check_id(IdKind.AGENT, agent, "agent")
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        url = f"{self.submit_url}/v1/agents/{agent}/jobs"
        return self._call("POST", url, (200, 202), json=dict(body), headers=headers)

    def job_events(self, job_id: str, *, timeout_s: float) -> Iterator[JobEventMessage]:
        """The job's events, live (``GET /v1/jobs/{job_id}/events``), until its outcome.

        See :meth:`common.cli.api_client.ApiClient.stream_job_events` (resumes with
        ``Last-Event-ID`` when the stream drops).

        Raises:
            EventStreamUnsupported: The deployment has no event stream (poll instead).
            ApiError: The API refused the stream (404 ``job_not_found``, 401, 410), or did not answer.
            EventStreamTimeout: ``timeout_s`` passed first.
        """
        import httpx

        from common.cli.api_client import ApiClient, EventStreamError, EventStreamUnsupported

        check_id(IdKind.JOB, job_id, "job_id")
        stream = ApiClient(self.status_url, self.key).stream_job_events(job_id, timeout_s=timeout_s)
        try:
            yield from stream
        except EventStreamUnsupported:
            raise
        except EventStreamError as e:
            raise ApiError.from_answer(e.status, e.body) from e
        except httpx.HTTPError as e:
            raise ApiError(0, "unreachable", "the agentjobs API did not answer") from e

    def get_job(self, job_id: str) -> dict[str, Any]:
        """``GET /v1/jobs/{job_id}``: the job (a JobView).

        Raises:
            ApiError: ``invalid_job_id`` (400), or the API's refusal (404 ``job_not_found``, 410 ...).
        """
        check_id(IdKind.JOB, job_id, "job_id")
        return self._call("GET", f"{self.status_url}/v1/jobs/{job_id}", (200,))[1]

    def list_jobs(self, *, status: str | None = None, agent: str | None = None, limit: int = 20) -> dict[str, Any]:
        """``GET /v1/jobs``: newest first (a JobList).

        Raises:
            ApiError: ``invalid_agent_id`` (400), or the API's refusal.
        """
        params: dict[str, Any] = {"limit": limit}
        if status:
            params["status"] = status
        if agent:
            params["agent"] = check_id(IdKind.AGENT, agent, "agent")
        return self._call("GET", f"{self.status_url}/v1/jobs", (200,), params=params)[1]

    def cancel_job(self, job_id: str) -> dict[str, Any]:
        """``POST /v1/jobs/{job_id}:cancel``: the job, ``cancelled`` or with ``cancel_requested_at`` set.

        Raises:
            ApiError: ``invalid_job_id`` (400), or the API's refusal (409 ``job_not_cancellable`` ...).
        """
        check_id(IdKind.JOB, job_id, "job_id")
        return self._call("POST", f"{self.status_url}/v1/jobs/{job_id}:cancel", (200, 202))[1]

    def upload(self, data: bytes, filename: str = "document.pdf") -> dict[str, str]:
        """Upload a PDF into the tenant's prefix (``POST /v1/uploads``, then ``PUT`` to the signed URL).

        Returns:
            ``{"file_uri", "upload_id"}``: submit ``file_uri`` as the job's input.

        Raises:
            ApiError: The API's refusal (e.g. 413 ``file_too_large``), ``storage_refused`` or
                ``storage_unreachable`` for the PUT, ``unreachable``.
        """
        import typer

        from common.cli.uploads import UploadFailed, upload_bytes

        try:
            uploaded = upload_bytes(self.submit_url, self.key, data, filename)
        except UploadFailed as e:
            message = "the upload was refused" if e.status else "the storage service did not take the document"
            raise ApiError(e.status, e.code, message) from e
        except typer.Exit as e:
            raise ApiError(0, "unreachable", "the agentjobs API did not answer") from e
        return {"file_uri": uploaded.file_uri, "upload_id": uploaded.upload_id}

    def openapi(self) -> dict[str, Any]:
        """``GET /v1/openapi.json`` of the submit API (it describes both APIs).

        Raises:
            ApiError: The API's refusal, ``unreachable``.
        """
        return self._call("GET", f"{self.submit_url}/v1/openapi.json", (200,))[1]


def agents_from_openapi(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each agent the OpenAPI document offers, with its request body as a self-contained JSON Schema.

    Returns:
        ``[{"name", "description", "input_schema"}]`` sorted by name; ``input_schema`` has the
        document's component schemas under ``$defs`` and its ``$ref`` s pointing there.
    """
    components = cast(dict[str, Any], cast(dict[str, Any], document.get("components") or {}).get("schemas") or {})
    agents: list[dict[str, Any]] = []
    for path, item in sorted(cast(dict[str, Any], document.get("paths") or {}).items()):
        prefix, suffix = "/v1/agents/", "/jobs"
        if not (path.startswith(prefix) and path.endswith(suffix)) or "post" not in item:
            continue
        post = cast(dict[str, Any], item["post"])
        body = cast(dict[str, Any], post.get("requestBody") or {})
        content = cast(dict[str, Any], body.get("content") or {})
        schema = cast(dict[str, Any], cast(dict[str, Any], content.get("application/json") or {}).get("schema") or {})
        agents.append(
            {
                "name": path[len(prefix) : -len(suffix)],
                "description": str(post.get("description") or post.get("summary") or ""),
                "input_schema": {**_rebase(schema), "$defs": _rebase(components)},
            }
        )
    return agents


def _rebase(node: Any) -> Any:
    """``node`` with ``#/components/schemas/X`` references rewritten to ``#/$defs/X``."""
    if isinstance(node, dict):
        items = cast(dict[str, Any], node)
        return {
            k: (v.replace("#/components/schemas/", "#/$defs/", 1) if k == "$ref" and isinstance(v, str) else _rebase(v))
            for k, v in items.items()
        }
    if isinstance(node, list):
        return [_rebase(v) for v in cast(list[Any], node)]
    return node
