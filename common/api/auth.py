"""API-key authentication: ``Authorization: Bearer <api key>`` -> tenant id."""

from __future__ import annotations

import time
from collections.abc import Callable

from common.errors import Unauthenticated
from common.ports import TenantDirectory
from common.tenants.models import hash_api_key

__all__ = ["Authenticator", "bearer_token"]


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
    """Maps API keys to tenant ids, caching hits briefly to spare a read per request.

    Args:
        tenants: The tenant directory.
        ttl_seconds: How long a key→tenant hit is reused (s). A revoked key keeps working
            at most this long on a warm instance.
        monotonic: Clock for the cache (s).
    """

    def __init__(
        self,
        tenants: TenantDirectory,
        *,
        ttl_seconds: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self._tenants = tenants
        self._ttl = ttl_seconds
        self._now = monotonic
        self._cache: dict[str, tuple[str, float]] = {}

    def authenticate(self, authorization: str | None) -> str:
        """The tenant id owning the request's API key.

        Raises:
            Unauthenticated: ``missing_api_key`` or ``invalid_api_key``.
            TransientError: The tenant directory is unavailable.
        """
        key_hash = hash_api_key(bearer_token(authorization))
        cached = self._cache.get(key_hash)
        now = self._now()
        if cached is not None and cached[1] > now:
            return cached[0]
        tenant_id = self._tenants.tenant_id_for_key(key_hash)
        if tenant_id is None:
            raise Unauthenticated("the API key is not valid", code="invalid_api_key")
        if len(self._cache) > 1024:
            self._cache.clear()
        self._cache[key_hash] = (tenant_id, now + self._ttl)
        return tenant_id
