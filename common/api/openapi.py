"""The OpenAPI 3.1 document of ``submit`` and ``status``, generated from the pydantic models.

Served at ``GET /v1/openapi.json`` by both HTTP functions; imported only on that request so
neither function pays for it at cold start.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from common.agents.registry import AGENT_NAMES, load_agent
from common.api import schemas
from common.api.markdown import clean_descriptions
from common.api.pagination import MAX_TOKEN_CHARS
from common.api.queries import MAX_LIST_LIMIT
from common.api.schemas import SUBMIT_ENVELOPE_FIELDS
from common.boundary.input_limits import MAX_JOB_INPUT_BYTES
from common.config import Settings
from common.jobs.ids import JOB_ID_PATTERN
from common.usage.query import DEFAULT_DAYS, MAX_DAYS

__all__ = ["openapi_document"]

_REF = "#/components/schemas/{model}"


_LIMIT: dict[str, Any] = {
    "name": "limit",
    "in": "query",
    "required": False,
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIST_LIMIT, "default": 20},
}
_PAGE_TOKEN: dict[str, Any] = {
    "name": "page_token",
    "in": "query",
    "required": False,
    "description": "The `next_page_token` of the previous page, unchanged, with the same filters.",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_TOKEN_CHARS},
}
# "%PDF-" in base64 is "JVBERi0"; the rest is standard base64 (RFC 4648 §4) in groups of four.
_PDF_BASE64 = r"^JVBERi0[A-Za-z0-9+/](?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"


def _ok(description: str, model: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": _REF.format(model=model)}}}}


def _body_schema(input_name: str, input_model: type[BaseModel]) -> dict[str, Any]:
    with_uri = {"allOf": [{"$ref": _REF.format(model=input_name)}, {"$ref": _REF.format(model="SubmitEnvelope")}]}
    if "file_uri" not in input_model.model_fields:
        return with_uri
    limit = Settings.from_env().max_inline_document_bytes
    inline = {
        "type": "object",
        "required": ["document_base64"],
        "properties": {
            "document_base64": {
                "type": "string",
                "maxLength": limit // 3 * 4,  # whatever decodes from this many characters fits the limit
                "pattern": _PDF_BASE64,
                "description": f"A PDF of at most {limit} bytes, base64-encoded, instead of `file_uri` (for "
                "clients that cannot upload first). It is stored in your prefix like an upload.",
            },
            "generation": {"type": "null"},
        },
        # No file_uri, and no field outside the envelope (the agent's own fields come from the document).
        "propertyNames": {"enum": ["document_base64", "generation", *SUBMIT_ENVELOPE_FIELDS]},
    }
    return {
        "anyOf": [
            {"allOf": [*with_uri["allOf"], {"not": {"required": ["document_base64"]}}]},
            {"allOf": [inline, {"$ref": _REF.format(model="SubmitEnvelope")}]},
        ]
    }


def _control_paths(bearer: list[dict[str, list[str]]], job_id_parameter: dict[str, Any]) -> dict[str, Any]:
    not_found = _error("No such job in your tenant")
    return {
        "/v1/jobs/{job_id}:cancel": {
            "post": {
                "operationId": "cancel_job",
                "summary": "Cancel a pending or running job",
                "description": "A pending job ends `cancelled` at once (200). A running job's attempt learns of the "
                "cancellation within one heartbeat and stops at its next checkpoint, between stages and between "
                "model calls (202: `cancel_requested_at` is set and the status is still `running`); the job then "
                "ends `cancelled`. An attempt that finishes before it sees the cancellation keeps its outcome. "
                "A `job.cancelled` callback event is sent. Cancelling a cancelled job answers 200 again.",
                "security": bearer,
                "parameters": [job_id_parameter],
                "responses": {
                    "200": _ok("Cancelled", "JobView"),
                    "202": _ok("Cancellation under way: the running attempt stops at its next checkpoint", "JobView"),
                    "401": _error("Missing or invalid API key"),
                    "404": not_found,
                    "409": _error("job_not_cancellable: the job already succeeded or failed"),
                    "410": _error("job_deleted: the job was erased"),
                    "503": _error("A backend is unavailable; retry"),
                },
            }
        },
        "/v1/jobs/{job_id}:retry": {
            "post": {
                "operationId": "retry_job",
                "summary": "Run a failed job again",
                "description": "The failed job goes back to `pending` and runs as a new attempt, within the "
                "deployment's attempt cap; its next outcome is a new callback event.",
                "security": bearer,
                "parameters": [job_id_parameter],
                "responses": {
                    "202": _ok("Queued again", "JobView"),
                    "401": _error("Missing or invalid API key"),
                    "404": not_found,
                    "409": _error("job_not_failed: only failed jobs are retried; attempt_cap_reached"),
                    "410": _error("job_deleted: the job was erased"),
                    "503": _error("A backend is unavailable; retry"),
                },
            }
        },
    }


def _upload_paths(bearer: list[dict[str, list[str]]]) -> dict[str, Any]:
    limit = Settings.from_env().max_document_bytes
    return {
        "/v1/uploads": {
            "post": {
                "operationId": "create_upload",
                "summary": "Get a signed URL to upload a document",
                "description": f"Answers a short-lived URL for one `PUT` of the document (at most {limit} bytes) "
                "into your prefix, bound to its content type and exact size. PUT the bytes there with exactly "
                "the `headers` given, then submit the `file_uri`. The file name is checked, never stored: the "
                "object is named by `upload_id`.",
                "security": bearer,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "allOf": [
                                    {"$ref": _REF.format(model="UploadRequest")},
                                    {"properties": {"size_bytes": {"maximum": limit}}},
                                ]
                            }
                        }
                    },
                },
                "responses": {
                    "201": _ok("Signed", "UploadTicket"),
                    "400": _error("Malformed JSON"),
                    "401": _error("Missing or invalid API key"),
                    "413": _error("document_too_large: over the document size limit"),
                    "422": _error("Invalid fields"),
                    "503": _error("The signing service is unavailable; retry"),
                },
            }
        },
        "/v1/uploads/{upload_id}": {
            "delete": {
                "operationId": "delete_upload",
                "summary": "Delete an upload",
                "description": "Removes an uploaded document, for example after a submission that failed. "
                "A document a job used is erased with the job.",
                "security": bearer,
                "parameters": [
                    {
                        "name": "upload_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "pattern": r"^upl_[a-z0-9]{26}$"},
                    }
                ],
                "responses": {
                    "200": {
                        "description": "Deleted",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["upload_id", "deleted"],
                                    "properties": {"upload_id": {"type": "string"}, "deleted": {"const": True}},
                                }
                            }
                        },
                    },
                    "401": _error("Missing or invalid API key"),
                    "404": _error("upload_not_found: no such upload in your prefix"),
                    "503": _error("Storage is unavailable; retry"),
                },
            }
        },
    }


_FEEDBACK_FIELD = r"^[a-z][a-z0-9_]*(\[[0-9]{1,4}\])?(\.[a-z][a-z0-9_]*(\[[0-9]{1,4}\])?)*$"
"""The JSON Schema pattern of a feedback ``field`` (:mod:`common.judges.feedback`)."""


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": _REF.format(model="ErrorBody")}}},
    }


def openapi_document(server_url: str | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document as a JSON-ready dict.

    Args:
        server_url: The base URL of the function serving it, listed in ``servers``.
    """
    document = dict(_document())
    if server_url:
        document["servers"] = [{"url": server_url}]
    return document


def _usage_path(bearer: list[dict[str, list[str]]]) -> dict[str, Any]:
    day = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
    return {
        "get": {
            "operationId": "get_usage",
            "summary": "Your usage: finished jobs, tokens and cost, by day, agent or model",
            "description": "Read from daily per-tenant counters, updated in the same write that finishes each "
            "job (counted once, whatever the redeliveries). Days are UTC; a job counts on the day it finished. "
            f"The range covers at most {MAX_DAYS} days.",
            "security": bearer,
            "parameters": [
                {
                    "name": "from",
                    "in": "query",
                    "required": False,
                    "schema": day,
                    "description": f"First day, included (default: {DEFAULT_DAYS} days ending `to`).",
                },
                {
                    "name": "to",
                    "in": "query",
                    "required": False,
                    "schema": day,
                    "description": "Last day, included (default: today, UTC).",
                },
                {
                    "name": "group_by",
                    "in": "query",
                    "required": False,
                    "schema": {"enum": ["day", "agent", "model"], "default": "day"},
                },
            ],
            "responses": {
                "200": {
                    "description": "Usage",
                    "content": {"application/json": {"schema": {"$ref": _REF.format(model="UsageReport")}}},
                },
                "400": _error("invalid_parameter: malformed date, from after to, range too long, unknown group_by"),
                "401": _error("Missing or invalid API key"),
                "503": _error("A backend is unavailable; retry"),
            },
        }
    }


@cache
def _document() -> dict[str, Any]:
    agents = {name: load_agent(name) for name in sorted(AGENT_NAMES)}
    models: list[type[BaseModel]] = [
        schemas.ErrorBody,
        schemas.SubmitAccepted,
        schemas.SubmitEnvelope,
        schemas.JobView,
        schemas.JobList,
        schemas.RejectionList,
        schemas.UploadRequest,
        schemas.UploadTicket,
        schemas.UsageReport,
    ]
    for agent in agents.values():
        models += [agent.input_model, agent.output_model]
    _, defs = models_json_schema([(m, "validation") for m in models], ref_template=_REF)
    components: dict[str, Any] = defs.get("$defs", {})

    paths: dict[str, Any] = {}
    bearer: list[dict[str, list[str]]] = [{"apiKey": []}]
    for name, agent in agents.items():
        input_name = agent.input_model.__name__
        paths[f"/v1/agents/{name}/jobs"] = {
            "post": {
                "operationId": f"submit_{name.replace('-', '_')}",
                "summary": f"Submit a {name} job",
                "description": f"Body: {input_name} fields plus the optional envelope fields. "
                f"On success the job's result is a {agent.output_model.__name__}.",
                "security": bearer,
                "parameters": [
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"},
                        "description": "1-255 printable ASCII characters without spaces. "
                        "Same key + same body replays the job (200); a different body answers 422; "
                        "a request whose original is still being created answers 409.",
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _body_schema(input_name, agent.input_model)}},
                },
                "responses": {
                    "202": {
                        "description": "Accepted",
                        "content": {"application/json": {"schema": {"$ref": _REF.format(model="SubmitAccepted")}}},
                    },
                    "200": {
                        "description": "Replayed by Idempotency-Key",
                        "content": {"application/json": {"schema": {"$ref": _REF.format(model="SubmitAccepted")}}},
                    },
                    "400": _error("Malformed JSON"),
                    "401": _error("Missing or invalid API key"),
                    "403": _error("file_uri outside the tenant prefix, or model not allowed"),
                    "404": _error("Unknown agent"),
                    "409": _error("The original request with this Idempotency-Key is still being created"),
                    "413": _error(
                        f"`input_too_large`: the body without `document_base64` is over {MAX_JOB_INPUT_BYTES} bytes "
                        "of UTF-8 JSON (the field limits fit within it for ASCII text; text outside ASCII takes "
                        "2-4 bytes per character); `document_too_large`: an inline document over its limit; "
                        "or the whole body over the request limit"
                    ),
                    "422": _error(
                        "Invalid fields (`errors` lists each as `{field, message}`, with the field's path in the "
                        "JSON sent, e.g. `criteria[0].type`), refused callback URL, Idempotency-Key reused "
                        "with another body, or `model_not_configured`: the agent needs a model and the "
                        "deployment configures none"
                    ),
                    "503": _error("A backend is unavailable; retry"),
                },
            }
        }
    job_id_parameter = {
        "name": "job_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": JOB_ID_PATTERN.pattern},
    }
    paths["/v1/jobs/{job_id}"] = {
        "get": {
            "operationId": "get_job",
            "summary": "A job's status and result",
            "security": bearer,
            "parameters": [job_id_parameter],
            "responses": {
                "200": {
                    "description": "The job",
                    "content": {"application/json": {"schema": {"$ref": _REF.format(model="JobView")}}},
                },
                "401": _error("Missing or invalid API key"),
                "404": _error("No such job in your tenant"),
                "410": _error("job_deleted: the job was erased (the error carries deleted_at)"),
                "503": _error("A backend is unavailable; retry"),
            },
        },
        "delete": {
            "operationId": "delete_job",
            "summary": "Erase a job now",
            "description": "Deletes the job's input, result (inline and offloaded), the stored file its input "
            "names inside your prefix, its idempotency key and its callback log. A tombstone with the job's ids and "
            "timestamps remains (status deleted) until the job's retention ends; GET then answers 410. Deleting "
            "a deleted job answers 200 again.",
            "security": bearer,
            "parameters": [job_id_parameter],
            "responses": {
                "200": {
                    "description": "Erased: the tombstone",
                    "content": {"application/json": {"schema": {"$ref": _REF.format(model="JobView")}}},
                },
                "401": _error("Missing or invalid API key"),
                "404": _error("No such job in your tenant"),
                "409": _error("job_running: the job is running; erase it once it has finished"),
                "503": _error("A backend is unavailable; retry (what was erased stays erased)"),
            },
        },
    }
    paths["/v1/jobs/{job_id}/events"] = {
        "get": {
            "operationId": "stream_job_events",
            "summary": "A job's events, live, as Server-Sent Events",
            "description": "A text/event-stream of the job's events in seq order: each is `id: <seq>`, "
            "`event: <type>` and `data: <JSON>` (job_id, seq, type, at, and the type's fields: attempt; name, "
            "duration_s; model, input_tokens, output_tokens, cost_usd; quality, flagged; code). Types: created, "
            "running, stage_started, stage_finished, model_call, judged, succeeded, failed, cancelled, "
            "callback_delivered. Reconnect with the `Last-Event-ID` header (or `last_event_id`) set to the last "
            "id you saw to get exactly the events after it. Comments (`: keep-alive`) come after ~15 s of "
            "quiet. The stream ends after the outcome (succeeded, failed, cancelled), or after a maximum duration "
            "(AGENTJOBS_SSE_MAX_SECONDS, 300 s by default) with a `retry:` hint: reconnect with Last-Event-ID.",
            "security": bearer,
            "parameters": [
                job_id_parameter,
                {
                    "name": "Last-Event-ID",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string", "pattern": "^[0-9]{1,9}$"},
                    "description": "Resume after this event seq.",
                },
                {
                    "name": "last_event_id",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "pattern": "^[0-9]{1,9}$"},
                    "description": "Like Last-Event-ID, for clients that cannot set headers (the header wins).",
                },
            ],
            "responses": {
                "200": {
                    "description": "The event stream",
                    "content": {"text/event-stream": {"schema": {"type": "string"}}},
                },
                "400": _error("invalid_last_event_id: Last-Event-ID is not an event seq"),
                "401": _error("Missing or invalid API key"),
                "404": _error("No such job in your tenant"),
                "410": _error("job_deleted: the job was erased"),
                "503": _error("A backend is unavailable; retry"),
            },
        }
    }
    paths["/v1/jobs/{job_id}/feedback"] = {
        "post": {
            "operationId": "post_feedback",
            "summary": "Your verdict on a successful job's output",
            "description": "Stored with the job beside its judgements, codes only (no free text), so the judges' "
            "agreement with reviewers can be measured.",
            "security": bearer,
            "parameters": [job_id_parameter],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["verdict"],
                            "properties": {
                                "verdict": {"enum": ["correct", "incorrect", "partial"]},
                                "field": {
                                    "type": "string",
                                    "maxLength": 64,
                                    "pattern": _FEEDBACK_FIELD,
                                    "examples": ["criteria[3].status"],
                                },
                                "comment_code": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,47}$"},
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": {
                    "description": "Stored: the job's summary with its feedback",
                    "content": {"application/json": {"schema": {"$ref": _REF.format(model="JobView")}}},
                },
                "400": _error("invalid_feedback or malformed JSON"),
                "401": _error("Missing or invalid API key"),
                "404": _error("No such job in your tenant"),
                "409": _error("feedback_refused: the job has no successful output, or too much feedback"),
                "413": _error("Body over 1 KiB"),
                "503": _error("A backend is unavailable; retry"),
            },
        }
    }
    paths["/v1/jobs"] = {
        "get": {
            "operationId": "list_jobs",
            "summary": "Your recent jobs, newest first",
            "security": bearer,
            "parameters": [
                {
                    "name": "status",
                    "in": "query",
                    "required": False,
                    "schema": {"enum": ["pending", "running", "success", "failed", "cancelled", "deleted"]},
                },
                {
                    "name": "agent",
                    "in": "query",
                    "required": False,
                    "schema": {"enum": sorted(AGENT_NAMES)},
                },
                {
                    "name": "quality",
                    "in": "query",
                    "required": False,
                    "description": "What the judges made of a successful job; alone or with status=success.",
                    "schema": {"enum": ["passed", "flagged", "not_judged"]},
                },
                {
                    "name": "created_after",
                    "in": "query",
                    "required": False,
                    "description": "Only jobs created after this RFC 3339 time, with a zone "
                    "(e.g. `2026-03-01T00:00:00Z`).",
                    "schema": {"type": "string", "format": "date-time"},
                },
                _LIMIT,
                _PAGE_TOKEN,
            ],
            "responses": {
                "200": {
                    "description": "Jobs",
                    "content": {"application/json": {"schema": {"$ref": _REF.format(model="JobList")}}},
                },
                "400": _error("Malformed query parameters"),
                "401": _error("Missing or invalid API key"),
                "503": _error("A backend is unavailable; retry"),
            },
        }
    }
    paths |= _control_paths(bearer, job_id_parameter) | _upload_paths(bearer)
    paths["/v1/rejections"] = {
        "get": {
            "operationId": "list_rejections",
            "summary": "Your rejected deliveries, newest first",
            "description": "Deliveries of yours that could never form a job (for example a file dropped in the "
            "inbox of an unknown agent, or a malformed job message), with the reason code. Never their content.",
            "security": bearer,
            "parameters": [_LIMIT, _PAGE_TOKEN],
            "responses": {
                "200": _ok("Rejections", "RejectionList"),
                "400": _error("Malformed query parameters or page token"),
                "401": _error("Missing or invalid API key"),
                "503": _error("A backend is unavailable; retry"),
            },
        }
    }
    paths["/v1/usage"] = _usage_path(bearer)
    return clean_descriptions(
        {
            "openapi": "3.1.0",
            "info": {
                "title": "agentjobs",
                "version": "1",
                "description": "Run LLM agents as asynchronous, tenant-isolated jobs.\n\n"
                "Job creation and uploads (`/v1/agents/...`, `/v1/uploads`) are served by the `submit` function; "
                "job resources (`/v1/jobs...`, `/v1/rejections`, `/v1/usage`) by the `status` function, whose URL is "
                "each job's `links.self`. Each function serves this document with its own URL in `servers`.",
            },
            "paths": paths,
            "components": {
                "schemas": components,
                "securitySchemes": {
                    "apiKey": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "Authorization: Bearer <api key>",
                    }
                },
            },
        }
    )
