"""A per-instance cache of tenant records, so hot paths read a tenant at most once per TTL.

Warm instances serve many requests; re-reading the tenant on each would cost a Firestore read per
request. The price is staleness: a deleted or deactivated tenant is seen at most ``ttl_seconds``
late (``AGENTJOBS_AUTH_CACHE_SECONDS``, 60 s by default), which is the documented revocation delay.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from common.ports import TenantDirectory
from common.tenants.models import Tenant

__all__ = ["TenantCache"]

_MAX_ENTRIES = 1024


class TenantCache:
    """Tenants by id, each cached for ``ttl_seconds``; misses (no such tenant) are not cached.

    Args:
        tenants: The tenant directory.
        ttl_seconds: How long a read tenant is reused (s).
        monotonic: Clock for expiry (s).
    """

    def __init__(
        self, tenants: TenantDirectory, *, ttl_seconds: float = 60.0, monotonic: Callable[[], float] = time.monotonic
    ):
        self._tenants = tenants
        self._ttl = ttl_seconds
        self._now = monotonic
        self._cache: dict[str, tuple[Tenant, float]] = {}

    def get(self, tenant_id: str) -> Tenant | None:
        """The tenant, from the cache when fresh, else from the directory.

        Raises:
            TransientError: The directory is unavailable.
        """
        now = self._now()
        cached = self._cache.get(tenant_id)
        if cached is not None and cached[1] > now:
            return cached[0]
        tenant = self._tenants.get(tenant_id)
        if tenant is None:
            self._cache.pop(tenant_id, None)
            return None
        if len(self._cache) >= _MAX_ENTRIES:
            self._cache.clear()
        self._cache[tenant_id] = (tenant, now + self._ttl)
        return tenant
