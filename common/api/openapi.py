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
from common.api.queries import MAX_LIST_LIMIT
from common.usage.query import DEFAULT_DAYS, MAX_DAYS

__all__ = ["openapi_document"]

_REF = "#/components/schemas/{model}"


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": _REF.format(model="ErrorBody")}}},
    }


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
def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document as a JSON-ready dict."""
    agents = {name: load_agent(name) for name in sorted(AGENT_NAMES)}
    models: list[type[BaseModel]] = [
        schemas.ErrorBody,
        schemas.SubmitAccepted,
        schemas.SubmitEnvelope,
        schemas.JobView,
        schemas.JobList,
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
                    "content": {
                        "application/json": {
                            "schema": {
                                "allOf": [
                                    {"$ref": _REF.format(model=input_name)},
                                    {"$ref": _REF.format(model="SubmitEnvelope")},
                                ]
                            }
                        }
                    },
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
                    "413": _error("Body over the size limit"),
                    "422": _error("Invalid fields, refused callback URL, or Idempotency-Key reused with another body"),
                    "503": _error("A backend is unavailable; retry"),
                },
            }
        }
    job_id_parameter = {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"}}
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
                    "schema": {"enum": ["pending", "running", "success", "failed", "deleted"]},
                },
                {
                    "name": "limit",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIST_LIMIT, "default": 20},
                },
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
    paths["/v1/usage"] = _usage_path(bearer)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "agentjobs",
            "version": "1",
            "description": "Run LLM agents as asynchronous, tenant-isolated jobs.",
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
