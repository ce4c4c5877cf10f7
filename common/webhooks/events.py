"""The thin callback event: enough to know what happened and where to read the result.

The event carries no result and no input (results may hold patient data); the receiver fetches
the job through ``links.self`` with its API key.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from common.api.views import job_links
from common.jobs.models import Job

__all__ = ["callback_body", "webhook_message_id"]


def webhook_message_id(tenant_id: str, job_id: str, event: str, *, retries: int = 0) -> str:
    """The ``webhook-id`` of a job event: stable across delivery retries, so receivers can dedupe.

    Args:
        tenant_id: The job's tenant.
        job_id: The job.
        event: ``job.completed``, ``job.failed`` or ``job.cancelled``.
        retries: How often the client re-ran the failed job (``Job.retries``): each run's outcome
            is a new event with its own id.
    """
    seed = f"{tenant_id}\x1f{job_id}\x1f{event}" + (f"\x1f{retries}" if retries else "")
    return "msg_" + hashlib.sha256(seed.encode()).hexdigest()[:32]


def callback_body(job: Job, event: str, *, base_url: str) -> str:
    """The exact JSON text POSTed: ``{type, job_id, agent, status, links}``, ``quality`` once judged.

    ``type`` is ``job.completed``, ``job.flagged`` (a successful job whose output a judge
    flagged; ``status`` is ``success``, ``quality`` is ``flagged``) or ``job.failed`` (with
    ``error.code``).
    """
    body: dict[str, Any] = {
        "type": event,
        "job_id": job.job_id,
        "agent": job.agent,
        "status": job.status.value,
        "links": job_links(base_url, job.job_id),
    }
    if job.quality is not None:
        body["quality"] = job.quality.value
    if job.error is not None:
        body["error"] = {"code": job.error.code}
    return json.dumps(body, separators=(",", ":"))
