"""Rotation of webhook secrets and API keys: pure rules over timestamps.

Rotating issues a new secret (or key) at once and *retires* the old ones: each stays valid until
``now + grace``, then is refused. Rotating again during a grace period never extends an old
secret's life, and secrets or keys already past their expiry are dropped.

During a webhook secret's grace period every callback carries one signature per valid secret in
``webhook-signature``, space-separated, newest first; a receiver holding either secret verifies.
Source: Standard Webhooks specification, "Signature scheme" and "Secret rotation"
(https://www.standardwebhooks.com/): the header "is composed of a list of space delimited
signatures", so "the sender can sign with multiple secrets during rotation".

Per-instance caches (the API-key cache of ``submit`` and ``status``, the tenant cache of
``notify``) hold a key or a tenant record for ``AGENTJOBS_AUTH_CACHE_SECONDS``; a grace period
shorter than that may let a warm instance use a retired key or sign with only the old secret
for up to that long, so the default grace (24 h) is far above it. An API key's cache entry never
outlives the key's own expiry (:func:`key_cache_seconds`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from common.errors import UnprocessableEntity
from common.tenants.models import ApiKey, WebhookSecret

__all__ = [
    "DEFAULT_GRACE",
    "MAX_GRACE",
    "key_cache_seconds",
    "key_valid",
    "parse_grace",
    "retire_at",
    "rotate_keys",
    "rotate_secrets",
    "signing_secrets",
]

DEFAULT_GRACE = timedelta(hours=24)
MAX_GRACE = timedelta(days=30)
_DURATION = re.compile(r"(?P<amount>\d{1,7})(?P<unit>[smhd]?)")
_UNITS = {"s": 1, "": 1, "m": 60, "h": 3600, "d": 86400}


def parse_grace(text: str) -> timedelta:
    """A grace period such as ``24h``, ``90m``, ``2d``, ``3600s`` or ``0`` (seconds without a unit).

    Raises:
        UnprocessableEntity: ``invalid_grace`` for another form, or more than 30 days.
    """
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise UnprocessableEntity("grace must look like 24h, 90m, 2d, 3600s or 0", code="invalid_grace")
    grace = timedelta(seconds=int(match["amount"]) * _UNITS[match["unit"]])
    if grace > MAX_GRACE:
        raise UnprocessableEntity("grace may be at most 30 days", code="invalid_grace")
    return grace


def retire_at(expires_at: datetime | None, *, now: datetime, grace: timedelta) -> datetime:
    """When a secret or key that a rotation at ``now`` retires stops working.

    Returns:
        ``now + grace``, or the existing expiry when that is sooner (a second rotation never
        prolongs a retired secret).
    """
    end = now + grace
    return end if expires_at is None else min(expires_at, end)


def rotate_secrets(
    secrets: Sequence[WebhookSecret], new: WebhookSecret, *, now: datetime, grace: timedelta
) -> tuple[WebhookSecret, ...]:
    """The tenant's secrets after a rotation: ``new`` first, then the still-valid old ones, retired.

    Old secrets already expired at ``now`` (or with no grace left) are dropped.
    """
    kept = [
        WebhookSecret(s.ciphertext, s.created_at, retire_at(s.expires_at, now=now, grace=grace))
        for s in secrets
        if s.expires_at is None or s.expires_at > now
    ]
    return (new, *(s for s in kept if s.expires_at is not None and s.expires_at > now))


def signing_secrets(secrets: Sequence[WebhookSecret], *, now: datetime) -> tuple[WebhookSecret, ...]:
    """The secrets a callback sent at ``now`` is signed with: every one not yet expired, in stored order."""
    return tuple(s for s in secrets if s.expires_at is None or s.expires_at > now)


def rotate_keys(
    keys: Sequence[tuple[str, ApiKey]], *, now: datetime, grace: timedelta
) -> tuple[dict[str, ApiKey], list[str]]:
    """What a rotation does to a tenant's existing API keys.

    Args:
        keys: ``(hash, key)`` pairs of the tenant's keys before the new one is added.
        now: Rotation time (UTC).
        grace: How long the old keys keep working.

    Returns:
        ``(retire, delete)``: the keys to store again with their new expiry, and the hashes of
        keys to delete (already expired, or with no grace).
    """
    retire: dict[str, ApiKey] = {}
    delete: list[str] = []
    for key_hash, key in keys:
        end = retire_at(key.expires_at, now=now, grace=grace)
        if end <= now:
            delete.append(key_hash)
        elif end != key.expires_at:
            retire[key_hash] = ApiKey(key.tenant_id, key.created_at, end)
    return retire, delete


def key_valid(key: ApiKey, *, now: datetime) -> bool:
    """True while the key is current or inside its grace period."""
    return key.expires_at is None or key.expires_at > now


def key_cache_seconds(ttl_seconds: float, key: ApiKey, *, now: datetime) -> float:
    """How long an instance may reuse a successful lookup of ``key`` (s): the TTL, cut at the key's expiry."""
    if key.expires_at is None:
        return ttl_seconds
    return max(0.0, min(ttl_seconds, (key.expires_at - now).total_seconds()))
