"""The MCP server: agentjobs' job API as tools and resources, built on ``fastmcp``.

Tools: ``submit_job``, ``get_job``, ``list_jobs``, ``cancel_job``, ``wait_for_job`` (progress
notifications on each status change) and ``upload_file``. Resources: ``jobs://{job_id}`` (status
and result as JSON) and ``agents://`` (the agents and their input JSON Schemas, from the API's
OpenAPI document).

Every call goes to the agentjobs HTTP API with the caller's tenant key (:class:`JobsApi`). A
refusal becomes an MCP tool error (``isError``) whose text is ``{"error": {"status", "code",
"message"}}`` with the API's machine-readable code; anything unexpected is masked to "Error
calling tool ..." (``mask_error_details``): never a traceback, never content.

This module imports ``fastmcp`` (seconds): only ``agentjobs mcp serve`` and tests import it.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio.to_thread
from fastmcp import Context, FastMCP
from fastmcp.exceptions import ResourceError, ToolError, ValidationError
from fastmcp.server.auth import AuthProvider
from fastmcp.server.middleware import CallNext, Middleware, MiddlewareContext
from mcp_types import CallToolRequestParams
from pydantic import BaseModel, Field
from pydantic import ValidationError as PydanticValidationError

from common.api.schemas import JobList, JobView
from common.boundary.ids import IdKind
from common.mcp.api import ApiError, JobsApi, agents_from_openapi, check_id
from common.mcp.follow import TERMINAL_STATUSES, job_updates

__all__ = ["MAX_DOCUMENT_BYTES", "SubmitResult", "UploadResult", "WaitResult", "build_server"]

MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
"""Largest document ``upload_file`` reads or decodes (bytes); the deployment may allow less (413)."""
_MAX_WAIT_S = 3600.0

AgentName = Annotated[str, Field(min_length=1, max_length=64, description="Agent name, e.g. protocol-processor.")]
JobId = Annotated[str, Field(min_length=1, max_length=64, description="The job id (job_ + 26 characters).")]
Status = Literal["pending", "running", "success", "failed", "cancelled"]


class SubmitResult(BaseModel):
    """A submitted job: poll it with ``get_job`` / ``wait_for_job`` or read ``jobs://{job_id}``."""

    job_id: str
    status: str = Field(description="pending when created; the job's current status when replayed.")
    replayed: bool = Field(description="True when an earlier request with this idempotency key created it.")
    resource: str = Field(description="The job's MCP resource URI.")


class UploadResult(BaseModel):
    """An uploaded document in the tenant's prefix."""

    file_uri: str = Field(description='Submit it as the job\'s input, e.g. {"file_uri": ...}.')
    upload_id: str
    size_bytes: int


class WaitResult(BaseModel):
    """Where a job stands after ``wait_for_job``."""

    finished: bool = Field(description="The job ended (success, failed or cancelled) within the timeout.")
    waited_s: float = Field(description="Seconds waited.")
    job: JobView


def _error_text(error: ApiError) -> str:
    return json.dumps({"error": error.to_dict()})


def _tool_error(error: ApiError) -> ToolError:
    # An answer the client gets, not a fault of the server: logged at DEBUG, without a traceback.
    return ToolError(_error_text(error), log_level=logging.DEBUG)


def _checked(kind: IdKind, value: str, field: str) -> str:
    """``value`` if it is a valid id of ``kind``, checked here before any request is built.

    Raises:
        ToolError: ``invalid_{kind}_id``, naming ``field``, never the value.
    """
    try:
        return check_id(kind, value, field)
    except ApiError as e:
        raise _tool_error(e) from None


def _resource_error(error: ApiError) -> ResourceError:
    return ResourceError(_error_text(error), log_level=logging.DEBUG)


class _ArgumentErrors(Middleware):
    """Invalid tool arguments answer ``invalid_arguments`` with each field's location and rule, never its value.

    (pydantic's own message quotes the value it refused.)
    """

    async def on_call_tool(
        self, context: MiddlewareContext[CallToolRequestParams], call_next: CallNext[Any, Any]
    ) -> Any:
        try:
            return await call_next(context)
        except ValidationError as e:
            cause = e.__cause__
            items = (
                cause.errors(include_url=False, include_context=False, include_input=False)
                if isinstance(cause, PydanticValidationError)
                else []
            )
            errors = [{"field": ".".join(str(p) for p in item["loc"]), "message": item["msg"]} for item in items]
            raise _tool_error(
                ApiError(400, "invalid_arguments", "the arguments do not match the tool's schema", errors)
            ) from None


def build_server(
    api_for_request: Callable[[], JobsApi],
    *,
    local_files: bool,
    auth: AuthProvider | None = None,
    poll_interval_s: float = 0.5,
) -> FastMCP:
    """The agentjobs MCP server.

    Args:
        api_for_request: The API with the calling tenant's key; called once per request, inside it
            (over HTTP the key is the request's bearer token).
        local_files: ``upload_file`` may read a ``path`` on this machine (stdio: the client's
            own machine). Over HTTP it is ``False``: a remote caller sends ``document_base64``.
        auth: Bearer authentication for the HTTP transport (:class:`common.mcp.auth.ApiKeyVerifier`).
        poll_interval_s: Seconds between polls while ``wait_for_job`` follows a job.
    """
    mcp: FastMCP = FastMCP(
        "agentjobs",
        instructions=(
            "Run LLM agents as asynchronous jobs. Read agents:// for the agents and their input schemas; "
            "upload_file a PDF, submit_job with its file_uri, then wait_for_job (or get_job) and read "
            "jobs://{job_id} for the result."
        ),
        auth=auth,
        mask_error_details=True,
        middleware=[_ArgumentErrors()],
    )

    async def blocking[T](action: Callable[[], T]) -> T:
        try:
            return await anyio.to_thread.run_sync(action)
        except ApiError as e:
            raise _tool_error(e) from None

    @mcp.tool(annotations={"readOnlyHint": False, "idempotentHint": False, "openWorldHint": True})
    async def submit_job(
        agent: AgentName,
        input: Annotated[  # the issue names it so, shadowing the builtin inside this function only
            dict[str, Any],
            Field(description='The agent\'s input (schema in agents://), e.g. {"file_uri": "gs://..."}.'),
        ],
        callback_url: Annotated[
            str | None, Field(max_length=2048, description="https URL that receives a signed webhook when it ends.")
        ] = None,
        idempotency_key: Annotated[
            str | None,
            Field(
                min_length=1,
                max_length=255,
                pattern=r"^[\x21-\x7e]+$",
                description="Same key and same input return the same job instead of a new one.",
            ),
        ] = None,
    ) -> SubmitResult:
        """Submit a job to an agent; returns at once with the job id (status pending)."""
        _checked(IdKind.AGENT, agent, "agent")
        api = api_for_request()
        body = dict(input) | ({"callback_url": callback_url} if callback_url else {})
        status, answer = await blocking(partial(api.submit_job, agent, body, idempotency_key))
        job_id = str(answer["job_id"])
        return SubmitResult(
            job_id=job_id, status=str(answer["status"]), replayed=status == 200, resource=f"jobs://{job_id}"
        )

    @mcp.tool(annotations={"readOnlyHint": True, "openWorldHint": True})
    async def get_job(job_id: JobId) -> JobView:
        """A job's status, and its result once it succeeded (or its error once it failed)."""
        _checked(IdKind.JOB, job_id, "job_id")
        api = api_for_request()
        return JobView.model_validate(await blocking(partial(api.get_job, job_id)))

    @mcp.tool(annotations={"readOnlyHint": True, "openWorldHint": True})
    async def list_jobs(
        status: Status | None = None,
        agent: AgentName | None = None,
        limit: Annotated[int, Field(ge=1, le=100)] = 20,
    ) -> JobList:
        """The tenant's jobs, newest first, optionally only those with a status or of an agent."""
        if agent is not None:
            _checked(IdKind.AGENT, agent, "agent")
        api = api_for_request()
        return JobList.model_validate(await blocking(partial(api.list_jobs, status=status, agent=agent, limit=limit)))

    @mcp.tool(annotations={"readOnlyHint": False, "destructiveHint": True, "idempotentHint": True})
    async def cancel_job(job_id: JobId) -> JobView:
        """Cancel a pending or running job; a running one stops at its next checkpoint."""
        _checked(IdKind.JOB, job_id, "job_id")
        api = api_for_request()
        return JobView.model_validate(await blocking(partial(api.cancel_job, job_id)))

    @mcp.tool(annotations={"readOnlyHint": True, "openWorldHint": True})
    async def wait_for_job(
        job_id: JobId,
        ctx: Context,
        timeout_s: Annotated[float, Field(gt=0, le=_MAX_WAIT_S, description="Give up after this many seconds.")] = 300,
    ) -> WaitResult:
        """Block until the job ends or the timeout passes, with a progress notification on each status change."""
        _checked(IdKind.JOB, job_id, "job_id")
        api = api_for_request()
        started = time.monotonic()
        updates = job_updates(
            api,
            job_id,
            timeout_s=timeout_s,
            interval_s=poll_interval_s,
            events=lambda job, timeout: api.job_events(job, timeout_s=timeout),
        )
        job: dict[str, Any] | None = None
        changes = 0
        while (snapshot := await blocking(partial(next, updates, None))) is not None:
            job, changes = snapshot, changes + 1
            await ctx.report_progress(changes, message=f"{snapshot.get('status')} (attempt {snapshot.get('attempts')})")
        if job is None:  # the follower stops without a snapshot only when the API never answered in time
            job = await blocking(partial(api.get_job, job_id))
        return WaitResult(
            finished=job.get("status") in TERMINAL_STATUSES,
            waited_s=round(time.monotonic() - started, 3),
            job=JobView.model_validate(job),
        )

    @mcp.tool(annotations={"readOnlyHint": False, "idempotentHint": False, "openWorldHint": True})
    async def upload_file(
        path: Annotated[
            str | None, Field(max_length=4096, description="A PDF on the server's machine (stdio server only).")
        ] = None,
        document_base64: Annotated[
            str | None, Field(max_length=MAX_DOCUMENT_BYTES // 3 * 4 + 4, description="A PDF, base64-encoded.")
        ] = None,
    ) -> UploadResult:
        """Upload a PDF into the tenant's prefix; submit the returned file_uri as the job's input."""
        api = api_for_request()
        data, filename = _document(path, document_base64, local_files=local_files)
        uploaded = await blocking(partial(api.upload, data, filename))
        return UploadResult(file_uri=uploaded["file_uri"], upload_id=uploaded["upload_id"], size_bytes=len(data))

    @mcp.resource("jobs://{job_id}", mime_type="application/json", description="A job: status, and result or error.")
    async def job_resource(job_id: str) -> str:
        api = api_for_request()
        try:
            check_id(IdKind.JOB, job_id, "jobs://{job_id}")
            return json.dumps(await anyio.to_thread.run_sync(partial(api.get_job, job_id)))
        except ApiError as e:
            raise _resource_error(e) from None

    @mcp.resource("agents://", mime_type="application/json", description="The agents and their input JSON Schemas.")
    async def agents_resource() -> str:
        api = api_for_request()
        try:
            document = await anyio.to_thread.run_sync(api.openapi)
        except ApiError as e:
            raise _resource_error(e) from None
        return json.dumps({"agents": agents_from_openapi(document)})

    return mcp


def _document(path: str | None, document_base64: str | None, *, local_files: bool) -> tuple[bytes, str]:
    """The document's bytes and a file name for the API to check (never stored).

    Raises:
        ToolError: ``invalid_request`` when not exactly one of the two is given, a path is given to a
            server that reads no local files, the path is not a readable file, the base64 does not
            decode, or the document is not a PDF; ``file_too_large`` over :data:`MAX_DOCUMENT_BYTES`.
    """

    def refuse(code: str, message: str) -> ToolError:
        return _tool_error(ApiError(400 if code == "invalid_request" else 413, code, message))

    if (path is None) == (document_base64 is None):
        raise refuse("invalid_request", "give exactly one of path or document_base64")
    if path is not None:
        if not local_files:
            raise refuse("invalid_request", "this server reads no local files: send document_base64")
        file = Path(path).expanduser()
        try:
            if file.stat().st_size > MAX_DOCUMENT_BYTES:
                raise refuse("file_too_large", f"the document is over {MAX_DOCUMENT_BYTES} bytes")
            data, filename = file.read_bytes(), file.name
        except OSError:
            raise refuse("invalid_request", "path is not a readable file") from None
    else:
        assert document_base64 is not None
        try:
            data, filename = base64.b64decode(document_base64, validate=True), "document.pdf"
        except (binascii.Error, ValueError):
            raise refuse("invalid_request", "document_base64 is not valid base64") from None
    if not data.startswith(b"%PDF-"):
        raise refuse("invalid_request", "the document is not a PDF")
    return data, filename
