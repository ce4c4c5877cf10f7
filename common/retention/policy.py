"""Retention: every job expires a tenant's retention after it was created.

A job's ``expires_at`` is its creation time plus the tenant's retention in days. The deployment's
``AGENTJOBS_RETENTION_DAYS`` (Terraform's ``retention_days``) is both the default and the ceiling:
the bucket's lifecycle rule deletes every blob that many days after it was written, so a tenant
may keep its jobs for less time, never for more (a job outliving its blobs would point at a
deleted result). In production Firestore's TTL policy deletes jobs at ``expires_at`` (typically
within a day after it); on the local stack, which has no TTL, the sweeper deletes them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from common.errors import UnprocessableEntity

__all__ = ["MAX_RETENTION_DAYS", "MIN_RETENTION_DAYS", "effective_days", "expired", "expiry", "validate_days"]

MIN_RETENTION_DAYS = 1
MAX_RETENTION_DAYS = 3650
"""Ten years; the bound Terraform's ``retention_days`` validation uses too."""


def validate_days(days: int) -> int:
    """A retention in whole days, 1-3650.

    Raises:
        UnprocessableEntity: ``invalid_retention`` outside that range.
    """
    if isinstance(days, bool) or not MIN_RETENTION_DAYS <= days <= MAX_RETENTION_DAYS:
        raise UnprocessableEntity(
            f"retention must be {MIN_RETENTION_DAYS}-{MAX_RETENTION_DAYS} whole days", code="invalid_retention"
        )
    return days


def effective_days(tenant_days: int | None, deployment_days: int) -> int:
    """The retention a new job of the tenant gets (days).

    Args:
        tenant_days: The tenant's own setting, ``None`` for the deployment's.
        deployment_days: ``AGENTJOBS_RETENTION_DAYS``: the default, and the ceiling.

    Returns:
        ``min(tenant_days, deployment_days)``, or ``deployment_days`` when the tenant sets none.
    """
    return deployment_days if tenant_days is None else min(tenant_days, deployment_days)


def expiry(created_at: datetime, days: int) -> datetime:
    """``created_at + days`` (the job's ``expires_at``)."""
    return created_at + timedelta(days=days)


def expired(expires_at: datetime | None, now: datetime) -> bool:
    """True when ``expires_at`` is set and not after ``now``."""
    return expires_at is not None and expires_at <= now
