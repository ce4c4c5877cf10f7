"""Erasure: what an erased job leaves behind, and which objects it owned.

``DELETE /v1/jobs/{id}`` erases a job at once: its stored objects are deleted and the job's
document is replaced, as a whole, by a *tombstone*: status ``deleted`` with the job's ids
(``job_id``, ``tenant_id``, ``agent``), how it arrived, its attempt count and its timestamps. The
input, the result, the metadata, the callback URL and log, the error and the usage are gone.
The tombstone stays at the job's id so that a redelivered message or an idempotent retry
finds a finished job instead of creating the job again; it expires with the job's retention.

A running job cannot be erased yet (:class:`JobRunning`, 409): its worker holds the content in
memory and may still write a result. :func:`check_erasable` is the single place where
cancellation, once it exists, will stop the run first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from common.errors import ClientError, Conflict
from common.jobs.models import Job, JobStatus

__all__ = ["JobDeleted", "JobRunning", "ObjectRef", "check_erasable", "owned_objects", "tombstone"]


class JobDeleted(ClientError):
    """The job was erased; only its tombstone remains (HTTP 410 Gone, RFC 9110 §15.5.11)."""

    code = "job_deleted"
    http_status = 410


class JobRunning(Conflict):
    """The job is running and cannot be erased until it finishes (HTTP 409)."""

    code = "job_running"


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """A stored object a job owns.

    Attributes:
        uri: ``gs://BUCKET/tenants/{tenant_id}/...``.
        generation: The object generation the job used, when its input pins one (a drop); a
            newer upload under the same name belongs to another job and is left alone.
    """

    uri: str
    generation: int | None = None


def check_erasable(job: Job) -> None:
    """Refuse to erase a running job.

    Raises:
        JobRunning: ``job_running`` while the job is ``running`` (whatever its lease says: a
            stalled worker may still write its result).
    """
    if job.status is JobStatus.RUNNING:
        raise JobRunning("the job is running; erase it once it has finished")


def tombstone(job: Job, *, now: datetime) -> Job:
    """The erased job: ids, how it arrived, attempts and timestamps only.

    Args:
        job: The job as stored.
        now: Erasure time (UTC): the tombstone's ``deleted_at`` and ``updated_at``.

    Returns:
        The tombstone; ``job`` itself when it already is one (erasure is idempotent).

    Raises:
        JobRunning: See :func:`check_erasable`.
    """
    if job.status is JobStatus.DELETED:
        return job
    check_erasable(job)
    return Job(
        job_id=job.job_id,
        tenant_id=job.tenant_id,
        agent=job.agent,
        status=JobStatus.DELETED,
        input={},
        source=job.source,
        created_at=job.created_at,
        updated_at=now,
        attempts=job.attempts,
        started_at=job.started_at,
        finished_at=job.finished_at,
        expires_at=job.expires_at,
        deleted_at=now,
        revision=job.revision,
    )


def owned_objects(job: Job, *, bucket: str) -> list[ObjectRef]:
    """The objects inside the job's tenant prefix that its input names, and its offloaded result.

    An input string is an object reference when it starts with ``gs://{bucket}/tenants/{tenant}/``
    (the only ``gs://`` URIs submission accepts); an integer ``generation`` beside it pins the
    generation. URIs outside the prefix are never returned, so erasure cannot reach another
    tenant's objects.

    Returns:
        Distinct references, input objects first.
    """
    prefix = f"gs://{bucket}/tenants/{job.tenant_id}/"
    found: list[ObjectRef] = []
    _collect(job.input, prefix, found)
    if job.result_ref is not None and job.result_ref.startswith(prefix):
        found.append(ObjectRef(job.result_ref))
    return list(dict.fromkeys(found))


def _collect(value: object, prefix: str, found: list[ObjectRef]) -> None:
    if isinstance(value, Mapping):
        fields = cast(Mapping[str, Any], value)
        raw_generation = fields.get("generation")
        generation = (
            raw_generation if isinstance(raw_generation, int) and not isinstance(raw_generation, bool) else None
        )
        for item in fields.values():
            if isinstance(item, str):
                if item.startswith(prefix) and len(item) > len(prefix):
                    found.append(ObjectRef(item, generation))
            else:
                _collect(item, prefix, found)
    elif isinstance(value, list):
        for item in cast(list[Any], value):
            if isinstance(item, str):
                if item.startswith(prefix) and len(item) > len(prefix):
                    found.append(ObjectRef(item))
            else:
                _collect(item, prefix, found)
