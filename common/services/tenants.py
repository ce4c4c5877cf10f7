"""Tenant administration: create tenants, set their webhook and model allow-list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from common.errors import NotFound, UnprocessableEntity
from common.ports import Clock, TenantDirectory
from common.services.model_policy import MODEL_ID_PATTERN
from common.tenants.models import Tenant, hash_api_key, new_api_key, new_webhook_secret, validate_tenant_id
from common.webhooks.url_policy import check_callback_url

__all__ = ["CreatedTenant", "TenantAdmin"]


@dataclass(frozen=True, slots=True)
class CreatedTenant:
    """A new tenant and its API key. The key is shown once and never stored."""

    tenant: Tenant
    api_key: str


class TenantAdmin:
    """Administrative operations on tenants.

    Args:
        tenants: The tenant directory.
        clock: Current UTC time.
        allow_loopback_callbacks: Dev-only: accept loopback webhook URLs.
    """

    def __init__(self, tenants: TenantDirectory, *, clock: Clock, allow_loopback_callbacks: bool = False):
        self._tenants = tenants
        self._clock = clock
        self._allow_loopback = allow_loopback_callbacks

    def create(self, tenant_id: str, *, name: str | None = None) -> CreatedTenant:
        """Create a tenant with a fresh API key and webhook secret.

        Raises:
            UnprocessableEntity: ``invalid_tenant_id``.
            Conflict: ``tenant_exists``.
        """
        validate_tenant_id(tenant_id)
        api_key = new_api_key()
        tenant = Tenant(
            tenant_id=tenant_id,
            name=name or tenant_id,
            created_at=self._clock(),
            webhook_secret=new_webhook_secret(),
        )
        self._tenants.create(tenant, hash_api_key(api_key))
        return CreatedTenant(tenant, api_key)

    def set_webhook(self, tenant_id: str, url: str | None) -> Tenant:
        """Set (or clear, with ``None``) the tenant's default callback URL.

        Raises:
            NotFound: ``tenant_not_found``.
            CallbackUrlRefused: The URL is not allowed.
        """
        tenant = self._get(tenant_id)
        if url is not None:
            check_callback_url(url, allow_loopback=self._allow_loopback)
        updated = tenant.replace(webhook_url=url)
        self._tenants.save(updated)
        return updated

    def set_allowed_models(self, tenant_id: str, models: Sequence[str]) -> Tenant:
        """Replace the tenant's model allow-list.

        Raises:
            NotFound: ``tenant_not_found``.
            UnprocessableEntity: ``invalid_model`` for an id not of the form ``provider/model``.
        """
        for model in models:
            if not MODEL_ID_PATTERN.fullmatch(model):
                raise UnprocessableEntity(f"'{model[:80]}' is not of the form provider/model", code="invalid_model")
        tenant = self._get(tenant_id)
        updated = tenant.replace(allowed_models=tuple(models))
        self._tenants.save(updated)
        return updated

    def set_active(self, tenant_id: str, active: bool) -> Tenant:
        """Activate or deactivate a tenant.

        A deactivated tenant's API keys answer 401 once the per-instance key cache expires
        (``AGENTJOBS_AUTH_CACHE_SECONDS``), its inbox drops and upstream requests are rejected,
        and its stored jobs and results are kept.

        Raises:
            NotFound: ``tenant_not_found``.
        """
        updated = self._get(tenant_id).replace(active=active)
        self._tenants.save(updated)
        return updated

    def _get(self, tenant_id: str) -> Tenant:
        tenant = self._tenants.get(tenant_id)
        if tenant is None:
            raise NotFound("no such tenant", code="tenant_not_found")
        return tenant
