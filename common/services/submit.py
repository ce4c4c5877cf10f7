"""The ``submit`` service: validate a job request, store it ``pending``, publish it.

``POST /v1/agents/{agent}/jobs`` with the agent's input fields plus optional ``callback_url``,
``metadata`` and ``model``. With an ``Idempotency-Key`` header:

* same key, same body: the same job again (``200``);
* same key, different body: ``422 idempotency_key_reused``;
* same key while the original is still being created: ``409 request_in_progress``.

The key is reserved before anything else happens; a reservation older than
:data:`STALE_RESERVATION_SECONDS` whose request died half-way is taken over (the job id is
derived from the key, so taking over cannot create a second job).

Publishing happens after the job is stored. If publishing fails, the job and the key are
removed again and the caller gets ``503`` to retry, so no job is left ``pending`` with no
message on its way.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from common.agents.registry import load_agent
from common.api.envelope import SUBMIT_ENVELOPE_FIELDS
from common.boundary.input_limits import (
    MAX_CALLBACK_URL_CHARS,
    MAX_JOB_INPUT_BYTES,
    MAX_LABEL_VALUE_CHARS,
    MAX_LABELS,
    MAX_MODEL_CHARS,
)
from common.boundary.json_input import loads_bounded
from common.boundary.text import printable_ascii, valid_label_key, valid_text
from common.config import Settings
from common.errors import AgentJobsError, Conflict, Forbidden, InvalidRequest, PayloadTooLarge, UnprocessableEntity
from common.jobs import lifecycle
from common.jobs.ids import new_job_id, request_job_id
from common.jobs.inbox import tenant_prefix
from common.jobs.models import Job, Source
from common.plans.admission import Admission
from common.plans.errors import REFUSALS
from common.ports import BlobStore, Clock, IdempotencyStore, JobPublisher, JobStore, TenantDirectory
from common.retention import policy
from common.services.model_policy import ModelPolicy
from common.telemetry.log import log
from common.tenants.models import Tenant
from common.uploads.requests import new_upload_id, upload_object_name
from common.webhooks.url_policy import check_callback_url

__all__ = [
    "STALE_RESERVATION_SECONDS",
    "SubmitResult",
    "SubmitService",
    "parse_json_body",
]

STALE_RESERVATION_SECONDS = 60.0
_ENVELOPE = (*SUBMIT_ENVELOPE_FIELDS, "document_base64")
_PDF_MAGIC = b"%PDF-"
_MAX_IDEMPOTENCY_KEY = 255
_MAX_OBJECT_NAME_BYTES = 1024


@dataclass(frozen=True, slots=True)
class SubmitResult:
    """The accepted job and whether this call created it (``202``) or found it (``200``)."""

    job: Job
    created: bool


def parse_json_body(body: bytes, *, max_bytes: int) -> dict[str, Any]:
    """Parse a request body that must be a storable JSON object.

    Raises:
        PayloadTooLarge: Over ``max_bytes``.
        InvalidRequest: ``invalid_json`` when not a JSON object; ``json_too_deep``,
            ``invalid_unicode``, ``number_out_of_range``, ``invalid_field_name`` (see
            :func:`common.boundary.json_input.loads_bounded`).
    """
    payload: object = loads_bounded(body, max_bytes=max_bytes)
    if not isinstance(payload, dict):
        raise InvalidRequest("request body must be a JSON object", code="invalid_json")
    return cast(dict[str, Any], payload)


class SubmitService:
    """Accepts job requests for authenticated tenants.

    Args:
        settings: Runtime settings (bucket, limits, models, loopback dev flag).
        tenants: Tenant directory (job stores come from it).
        idempotency_for: Builds a tenant's idempotency store.
        publisher: Publishes job messages.
        clock: Current UTC time.
        blobs_for: Builds a tenant's blob store, to store an inline ``document_base64``; called
            only for such requests (``None``: inline documents are refused).
        admission: Admits new jobs against their tenant's usage plan (:mod:`common.plans`);
            ``None`` admits every job.
    """

    def __init__(
        self,
        *,
        settings: Settings,
        tenants: TenantDirectory,
        idempotency_for: Callable[[str], IdempotencyStore],
        publisher: JobPublisher,
        clock: Clock,
        blobs_for: Callable[[str], BlobStore] | None = None,
        admission: Admission | None = None,
    ):
        self._blobs_for = blobs_for
        self._admission = admission
        self._settings = settings
        self._tenants = tenants
        self._idempotency_for = idempotency_for
        self._publisher = publisher
        self._clock = clock
        self._models = ModelPolicy(settings)

    def submit(
        self, tenant: Tenant, agent_name: str, body: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> SubmitResult:
        """Validate, store and publish a job.

        Args:
            tenant: The authenticated tenant (from the API-key cache: no read here).
            agent_name: Agent from the path.
            body: The parsed JSON body.
            idempotency_key: The ``Idempotency-Key`` header, if any.

        Raises:
            UnknownAgent: 404 ``unknown_agent``.
            UnprocessableEntity: 422 ``validation_error`` (with ``errors``), ``invalid_model``,
                ``callback_url_refused``, ``idempotency_key_reused``, ``invalid_idempotency_key``.
            Forbidden: 403 ``outside_tenant_prefix``, ``model_not_allowed``.
            Conflict: 409 ``request_in_progress``.
            PlanInactive: 403 ``plan_inactive``; ModelUnpriced: 403 ``model_unpriced``.
            BudgetExceeded: 402 ``budget_exceeded`` (with ``Retry-After``: the period's end).
            ConcurrencyLimited: 429 ``concurrency_limited`` (with ``Retry-After``).
            PayloadTooLarge: 413 ``input_too_large`` when the body without ``document_base64`` is
                over :data:`common.boundary.input_limits.MAX_JOB_INPUT_BYTES`; ``document_too_large``.
            PermanentError: 422 ``backend_rejected`` when storage refuses the job (never retried).
            TransientError: 503 when a backend is unavailable (nothing was left behind).
        """
        agent = load_agent(agent_name)
        tenant_id = tenant.tenant_id
        if idempotency_key is not None and not printable_ascii(idempotency_key, max_chars=_MAX_IDEMPOTENCY_KEY):
            raise UnprocessableEntity(
                "Idempotency-Key must be 1-255 printable ASCII characters", code="invalid_idempotency_key"
            )
        payload = {k: v for k, v in body.items() if k not in _ENVELOPE}
        _check_input_size(body)
        document = self._inline_document(body)
        inline_name: str | None = None
        if document is not None:
            if "file_uri" not in agent.input_model.model_fields or self._blobs_for is None:
                raise UnprocessableEntity(
                    "this agent takes no document; leave out document_base64", code="document_not_accepted"
                )
            if "file_uri" in payload:
                raise UnprocessableEntity(
                    "give either file_uri or document_base64, not both",
                    details={"errors": [{"field": "document_base64", "message": "not allowed with file_uri"}]},
                )
            inline_name = upload_object_name(new_upload_id(), "application/pdf")
            payload["file_uri"] = f"gs://{self._settings.bucket}/{tenant_prefix(tenant_id)}{inline_name}"
        from pydantic import ValidationError  # loads with the first agent's input model, not at cold start

        from common.agents.input_errors import field_errors

        try:
            validated = agent.input_model.model_validate(payload)
        except ValidationError as e:
            raise UnprocessableEntity(
                "the request does not match the agent's input schema",
                details={"errors": field_errors(e)},
            ) from e
        job_input = validated.model_dump(mode="json", exclude_none=True)
        self._check_uris(tenant_id, job_input)
        callback_url, metadata, model = self._envelope(body)
        if callback_url is not None:
            check_callback_url(callback_url, allow_loopback=self._settings.allow_loopback_callbacks)
        model = self._models.select(agent_name, model, tenant)
        callback_url = callback_url or tenant.webhook_url

        store = self._tenants.jobs(tenant_id)
        now = self._clock()
        expires_at = policy.expiry(now, policy.effective_days(tenant.retention_days, self._settings.retention_days))
        job_id = new_job_id()
        keys = self._idempotency_for(tenant_id) if idempotency_key is not None else None
        if idempotency_key is not None and keys is not None:
            job_id = request_job_id(tenant_id, agent_name, idempotency_key)
            request_hash = _request_hash(agent_name, body)
            existing = keys.put_if_absent(
                idempotency_key, job_id=job_id, request_hash=request_hash, now=now, expires_at=expires_at
            )
            if existing is not None:
                if existing.request_hash != request_hash:
                    raise UnprocessableEntity(
                        "this Idempotency-Key was used with a different request body",
                        code="idempotency_key_reused",
                    )
                if existing.completed:
                    found = store.get(existing.job_id)
                    if found is not None:
                        return SubmitResult(found, created=False)
                elif now - existing.created_at < timedelta(seconds=STALE_RESERVATION_SECONDS):
                    raise Conflict(
                        "the original request with this Idempotency-Key is still being created",
                        code="request_in_progress",
                    )

        written: tuple[BlobStore, str] | None = None
        try:
            if document is not None and inline_name is not None and self._blobs_for is not None:
                blobs = self._blobs_for(tenant_id)
                try:
                    stored = blobs.write(inline_name, document, content_type="application/pdf", expires_at=expires_at)
                except AgentJobsError:
                    if keys is not None and idempotency_key is not None:
                        keys.delete(idempotency_key)  # nothing was created: the caller may retry at once
                    raise
                written = (blobs, stored.uri)
                if "generation" in agent.input_model.model_fields:
                    job_input["generation"] = stored.generation
            job, created = self._create_and_publish(
                tenant=tenant,
                store=store,
                keys=keys,
                idempotency_key=idempotency_key,
                new=lifecycle.new_job(
                    job_id=job_id,
                    tenant_id=tenant_id,
                    agent=agent_name,
                    input=job_input,
                    source=Source.HTTPS,
                    now=now,
                    callback_url=callback_url,
                    metadata=metadata,
                    model=model or None,
                    expires_at=expires_at,
                ),
            )
        except Exception:
            if written is not None:
                _remove(*written)
            raise
        if written is not None and not created:
            _remove(*written)  # an earlier request's job owns this id; this copy is not needed
        log("job.submitted", tenant_id=tenant_id, job_id=job_id, agent=agent_name, created=created)
        return SubmitResult(job, created=created)

    def _create_and_publish(
        self,
        *,
        tenant: Tenant,
        store: JobStore,
        keys: IdempotencyStore | None,
        idempotency_key: str | None,
        new: Job,
    ) -> tuple[Job, bool]:
        tenant_id, job_id = new.tenant_id, new.job_id
        reservation = None
        try:
            if self._admission is None:
                job, created = store.create(new)
            else:
                # The job and its reservation are stored together; a refused job is deleted unpublished.
                reservation, job, created = self._admission.admit_creating(tenant, new, store)
        except REFUSALS:
            if keys is not None and idempotency_key is not None:
                keys.delete(idempotency_key)
            raise
        try:
            if created or job.status.value == "pending":
                self._publisher.publish_job(tenant_id, job_id)
        except AgentJobsError:
            # Nothing may stay pending without a message on its way: undo, and let the caller retry.
            if created:
                store.delete(job_id)
                if self._admission is not None:
                    self._admission.release(reservation)
            if keys is not None and idempotency_key is not None:
                keys.delete(idempotency_key)
            raise
        if keys is not None and idempotency_key is not None:
            keys.mark_completed(idempotency_key)
        return job, created

    def _inline_document(self, body: Mapping[str, Any]) -> bytes | None:
        """The decoded ``document_base64``, if any.

        Raises:
            UnprocessableEntity: ``validation_error`` when it is not base64 of a PDF.
            PayloadTooLarge: ``document_too_large`` over ``AGENTJOBS_MAX_INLINE_DOCUMENT_BYTES``.
        """
        encoded = body.get("document_base64")
        if encoded is None:
            return None
        limit = self._settings.max_inline_document_bytes
        problem = {"field": "document_base64", "message": "must be the standard base64 encoding of a PDF"}
        if not isinstance(encoded, str) or not encoded.isascii():
            raise UnprocessableEntity("document_base64 is invalid", details={"errors": [problem]})
        too_large = PayloadTooLarge(
            f"inline documents may be at most {limit} bytes; use POST /v1/uploads for larger ones",
            code="document_too_large",
            details={"limit_bytes": limit},
        )
        if len(encoded) > (limit + 2) // 3 * 4:
            raise too_large
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise UnprocessableEntity("document_base64 is invalid", details={"errors": [problem]}) from None
        if len(data) > limit:
            raise too_large
        if not data.startswith(_PDF_MAGIC):
            raise UnprocessableEntity("document_base64 is invalid", details={"errors": [problem]})
        return data

    def _check_uris(self, tenant_id: str, job_input: Mapping[str, Any]) -> None:
        prefix = f"gs://{self._settings.bucket}/{tenant_prefix(tenant_id)}"
        for value in _strings(job_input):
            if value.startswith("gs://") and not _own_object_uri(value, prefix):
                raise Forbidden(f"gs:// URIs must name an object inside {prefix}", code="outside_tenant_prefix")

    @staticmethod
    def _envelope(body: Mapping[str, Any]) -> tuple[str | None, dict[str, str], str | None]:
        callback_url, metadata, model = body.get("callback_url"), body.get("metadata"), body.get("model")
        errors: list[dict[str, str]] = []
        if callback_url is not None and not valid_text(callback_url, max_chars=MAX_CALLBACK_URL_CHARS):
            errors.append(
                {"field": "callback_url", "message": f"must be a URL of at most {MAX_CALLBACK_URL_CHARS} characters"}
            )
        if model is not None and not valid_text(model, max_chars=MAX_MODEL_CHARS):
            errors.append({"field": "model", "message": "must be a string of the form provider/model"})
        if metadata is None:
            metadata = {}
        if (
            not isinstance(metadata, dict)
            or len(cast(dict[Any, Any], metadata)) > MAX_LABELS
            or not all(
                valid_label_key(k) and valid_text(v, max_chars=MAX_LABEL_VALUE_CHARS)
                for k, v in cast(dict[Any, Any], metadata).items()
            )
        ):
            errors.append(
                {
                    "field": "metadata",
                    "message": f"up to {MAX_LABELS} keys of [A-Za-z0-9_.-] (≤64 characters) mapping to strings"
                    f" (≤{MAX_LABEL_VALUE_CHARS})",
                }
            )
        if errors:
            raise UnprocessableEntity("the request envelope is invalid", details={"errors": errors})
        return cast(str | None, callback_url), cast(dict[str, str], metadata), cast(str | None, model)


def _remove(blobs: BlobStore, uri: str) -> None:
    try:
        blobs.delete(uri)
    except AgentJobsError:  # the bucket's retention rule removes it in the end
        log("upload.cleanup_failed", severity="WARNING", tenant_id=blobs.tenant_id)


def _check_input_size(body: Mapping[str, Any]) -> None:
    """The body without its inline document must fit a job (the request limit leaves room for the document)."""
    rest = {k: v for k, v in body.items() if k != "document_base64"}
    encoded = json.dumps(rest, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
    if len(encoded) > MAX_JOB_INPUT_BYTES:  # (a lone surrogate is refused later, with its field)
        raise PayloadTooLarge(
            f"the request without document_base64 may be at most {MAX_JOB_INPUT_BYTES} bytes",
            code="input_too_large",
            details={"limit_bytes": MAX_JOB_INPUT_BYTES},
        )


def _own_object_uri(uri: str, prefix: str) -> bool:
    """True for ``{prefix}{name}`` where ``name`` is a plain object path.

    A plain path has no empty, ``.`` or ``..`` segment, no control character, and at most 1,024
    bytes (GCS's limit on object names).
    """
    if not uri.startswith(prefix) or not valid_text(uri, max_chars=_MAX_OBJECT_NAME_BYTES + len(prefix)):
        return False
    name = uri[len("gs://") :].partition("/")[2]
    if "\n" in name or "\r" in name or "\t" in name or len(name.encode("utf-8")) > _MAX_OBJECT_NAME_BYTES:
        return False
    return all(segment not in ("", ".", "..") for segment in name.split("/"))


def _request_hash(agent: str, body: Mapping[str, Any]) -> str:
    canonical = json.dumps({"agent": agent, "body": body}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in cast(dict[Any, Any], value).values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in cast(list[Any], value) for s in _strings(v)]
    return []
