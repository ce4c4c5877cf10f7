"""API-key authentication: ``Authorization: Bearer <api key>`` -> the tenant, if it exists and is active."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from common.errors import Unauthenticated
from common.ports import Clock, TenantDirectory
from common.tenants import rotation
from common.tenants.models import API_KEY_PREFIX, Tenant, hash_api_key

__all__ = ["Authenticator", "bearer_token"]

_MAX_KEY_CHARS = 256
_MAX_ENTRIES = 1024


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header (RFC 6750 §2.1).

    Raises:
        Unauthenticated: ``missing_api_key`` when absent or not a Bearer credential.
    """
    if not authorization:
        raise Unauthenticated("send your API key as 'Authorization: Bearer <api key>'", code="missing_api_key")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("send your API key as 'Authorization: Bearer <api key>'", code="missing_api_key")
    return token


class Authenticator:
    """Maps API keys to active tenants, caching hits so a warm instance reads nothing per request.

    A key is accepted only while its tenant exists and is active, and, once a rotation retired
    it (``agentjobs tenants rotate-key``), until its grace period ends. The key and its tenant
    are cached together for ``ttl_seconds``: deleting or deactivating a tenant revokes its keys
    on a warm instance within that time (``AGENTJOBS_AUTH_CACHE_SECONDS``), and at once on a new
    one. A retired key's cache entry never outlives the key's expiry, so a retired key is refused
    (401) from its expiry on; only an entry cached before the rotation lives its full TTL, which
    matters only for a grace period shorter than the TTL (the default grace is 24 h).

    Args:
        tenants: The tenant directory.
        ttl_seconds: How long a key→tenant hit is reused (s).
        monotonic: Clock for the cache (s).
        clock: Wall clock (aware UTC), to compare with key expiries.
    """

    def __init__(
        self,
        tenants: TenantDirectory,
        *,
        ttl_seconds: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
        clock: Clock = lambda: datetime.now(UTC),
    ):
        self._tenants = tenants
        self._ttl = ttl_seconds
        self._now = monotonic
        self._clock = clock
        self._cache: dict[str, tuple[Tenant, float]] = {}

    def authenticate(self, authorization: str | None) -> Tenant:
        """The active tenant owning the request's API key.

        Raises:
            Unauthenticated: ``missing_api_key``, or ``invalid_api_key`` (unknown or retired key,
                or its tenant no longer exists or is inactive; the answer does not say which).
            TransientError: The tenant directory is unavailable.
        """
        token = bearer_token(authorization)
        if len(token) > _MAX_KEY_CHARS or not token.startswith(API_KEY_PREFIX) or not token.isascii():
            raise Unauthenticated("the API key is not valid", code="invalid_api_key")
        key_hash = hash_api_key(token)
        now = self._now()
        cached = self._cache.get(key_hash)
        if cached is not None and cached[1] > now:
            return cached[0]
        wall = self._clock()
        key = self._tenants.api_key(key_hash)
        valid = key is not None and rotation.key_valid(key, now=wall)
        tenant = self._tenants.get(key.tenant_id) if key is not None and valid else None
        if key is None or tenant is None or not tenant.active:
            self._cache.pop(key_hash, None)
            raise Unauthenticated("the API key is not valid", code="invalid_api_key")
        if len(self._cache) >= _MAX_ENTRIES:
            self._cache.clear()
        self._cache[key_hash] = (tenant, now + rotation.key_cache_seconds(self._ttl, key, now=wall))
        return tenant
