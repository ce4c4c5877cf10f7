"""Job id derivation.

Ids are deterministic wherever the same work can arrive twice, so that a redelivered message
finds the job it already created instead of creating a second one:

* a GCS drop is keyed on ``(bucket, object name, generation)``: a re-upload of the same name is
  a new generation and therefore, deliberately, a new job;
* an idempotent request is keyed on ``(tenant, agent, idempotency key)``, and an upstream
  Pub/Sub request without a key on its message id.

Ids are 26 lowercase base32 characters behind a prefix, valid as Firestore document ids and in
URLs.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets

from common.boundary.ids import IdKind, is_valid_id

__all__ = ["JOB_ID_PATTERN", "gcs_job_id", "is_job_id", "new_job_id", "request_job_id"]

JOB_ID_PATTERN = re.compile(r"^job_[a-z2-7]{26}$")


def _encode(digest: bytes) -> str:
    return "job_" + base64.b32encode(digest[:16]).decode("ascii").rstrip("=").lower()


def _derive(*parts: str) -> str:
    # A unit separator cannot occur in the parts, so ("a", "bc") and ("ab", "c") differ.
    return _encode(hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest())


def gcs_job_id(bucket: str, name: str, generation: str | int) -> str:
    """Id of the job started by the object ``gs://bucket/name`` at ``generation``."""
    return _derive("gcs", bucket, name, str(generation))


def request_job_id(tenant_id: str, agent: str, key: str) -> str:
    """Id of the job requested under an idempotency key (or an upstream message id)."""
    return _derive("request", tenant_id, agent, key)


def new_job_id() -> str:
    """A random job id, for requests without an idempotency key."""
    return _encode(secrets.token_bytes(16))


def is_job_id(value: object) -> bool:
    """True when ``value`` has the shape of a job id (cheap check before any lookup)."""
    return is_valid_id(IdKind.JOB, value)
