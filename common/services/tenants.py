"""Tenant administration: create tenants, set their webhook, models and retention, rotate their secrets.

Run by operators through the admin CLI, with their own credentials: no function exposes it. API
keys and webhook secrets are returned once, in clear, to be shown; only a key's hash and a
secret's ciphertext are stored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from common.costs.models import PriceOverride
from common.costs.overrides import remove_overrides, upsert_override
from common.errors import NotFound, UnprocessableEntity
from common.plans.models import UsagePlan
from common.ports import Clock, SecretCipher, TenantDirectory
from common.retention import policy
from common.services.model_policy import MODEL_ID_PATTERN
from common.tenants import rotation
from common.tenants.models import (
    ApiKey,
    Tenant,
    WebhookSecret,
    hash_api_key,
    new_api_key,
    new_webhook_secret,
    validate_tenant_id,
    webhook_secret_context,
)
from common.webhooks.url_policy import check_callback_url

__all__ = ["CreatedTenant", "RotatedKey", "RotatedSecret", "TenantAdmin", "TenantOverview"]


@dataclass(frozen=True, slots=True)
class CreatedTenant:
    """A new tenant, its API key and its webhook secret, in clear: shown once, never stored so."""

    tenant: Tenant
    api_key: str
    webhook_secret: str


@dataclass(frozen=True, slots=True)
class RotatedSecret:
    """A new webhook secret (in clear, shown once) and when the previous ones stop signing."""

    tenant: Tenant
    webhook_secret: str
    previous_valid_until: datetime | None


@dataclass(frozen=True, slots=True)
class RotatedKey:
    """A new API key (in clear, shown once) and when the previous keys stop working."""

    api_key: str
    previous_valid_until: datetime | None


@dataclass(frozen=True, slots=True)
class TenantOverview:
    """What ``agentjobs tenants show`` prints.

    Attributes:
        tenant: The tenant record (webhook secrets only as ciphertext).
        api_keys: Its API keys' records, newest first: tenant, issue and retirement times only.
    """

    tenant: Tenant
    api_keys: tuple[ApiKey, ...]


class TenantAdmin:
    """Administrative operations on tenants.

    Args:
        tenants: The tenant directory.
        clock: Current UTC time.
        ciphers: Returns the cipher of webhook secrets; called only by operations that encrypt.
        allow_loopback_callbacks: Dev-only: accept loopback webhook URLs.
    """

    def __init__(
        self,
        tenants: TenantDirectory,
        *,
        clock: Clock,
        ciphers: Callable[[], SecretCipher],
        allow_loopback_callbacks: bool = False,
    ):
        self._tenants = tenants
        self._clock = clock
        self._ciphers = ciphers
        self._allow_loopback = allow_loopback_callbacks

    def _sealed(self, tenant_id: str, secret: str, now: datetime) -> WebhookSecret:
        ciphertext = self._ciphers().encrypt(secret, context=webhook_secret_context(tenant_id))
        return WebhookSecret(ciphertext, now)

    def create(self, tenant_id: str, *, name: str | None = None) -> CreatedTenant:
        """Create a tenant with a fresh API key and webhook secret (stored encrypted).

        Raises:
            UnprocessableEntity: ``invalid_tenant_id``.
            Conflict: ``tenant_exists``.
            ConfigError: ``secret_key_missing`` when no key for webhook secrets is configured.
        """
        validate_tenant_id(tenant_id)
        api_key = new_api_key()
        secret = new_webhook_secret()
        now = self._clock()
        tenant = Tenant(
            tenant_id=tenant_id,
            name=name or tenant_id,
            created_at=now,
            webhook_secrets=(self._sealed(tenant_id, secret, now),),
        )
        self._tenants.create(tenant, hash_api_key(api_key))
        return CreatedTenant(tenant, api_key, secret)

    def rotate_webhook_secret(self, tenant_id: str, *, grace: timedelta = rotation.DEFAULT_GRACE) -> RotatedSecret:
        """Issue a new webhook secret; the previous one keeps signing (beside it) for ``grace``.

        Raises:
            NotFound: ``tenant_not_found``.
        """
        tenant = self._get(tenant_id)
        now = self._clock()
        secret = new_webhook_secret()
        secrets = rotation.rotate_secrets(
            tenant.webhook_secrets, self._sealed(tenant_id, secret, now), now=now, grace=grace
        )
        updated = tenant.replace(webhook_secrets=secrets)
        self._tenants.save(updated)
        previous = [s.expires_at for s in secrets[1:] if s.expires_at is not None]
        return RotatedSecret(updated, secret, max(previous) if previous else None)

    def rotate_api_key(self, tenant_id: str, *, grace: timedelta = rotation.DEFAULT_GRACE) -> RotatedKey:
        """Issue a new API key; the previous keys keep working for ``grace``, then answer 401.

        The new key is stored first, so a failure half-way never leaves the tenant without one.

        Raises:
            NotFound: ``tenant_not_found``.
        """
        self._get(tenant_id)
        now = self._clock()
        existing = self._tenants.api_keys(tenant_id)
        api_key = new_api_key()
        self._tenants.put_api_key(hash_api_key(api_key), ApiKey(tenant_id, now))
        retire, delete = rotation.rotate_keys(existing, now=now, grace=grace)
        for key_hash, key in retire.items():
            self._tenants.put_api_key(key_hash, key)
        for key_hash in delete:
            self._tenants.delete_api_key(key_hash)
        ends = [rotation.retire_at(k.expires_at, now=now, grace=grace) for h, k in existing if h not in delete]
        return RotatedKey(api_key, max(ends) if ends else None)

    def set_retention(self, tenant_id: str, days: int | None) -> Tenant:
        """Set the tenant's retention in days (``None``: the deployment's); applies to new jobs.

        Raises:
            NotFound: ``tenant_not_found``.
            UnprocessableEntity: ``invalid_retention`` outside 1-3650 days.
        """
        if days is not None:
            policy.validate_days(days)
        updated = self._get(tenant_id).replace(retention_days=days)
        self._tenants.save(updated)
        return updated

    def set_stage_events(self, tenant_id: str, publish: bool) -> Tenant:
        """Choose whether every job event of the tenant goes to the job events topic, or only outcomes.

        Functions see the change within their tenant cache TTL (``AGENTJOBS_AUTH_CACHE_SECONDS``).

        Raises:
            NotFound: ``tenant_not_found``.
        """
        updated = self._get(tenant_id).replace(publish_stage_events=publish)
        self._tenants.save(updated)
        return updated

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
        if tenant.plan is not None:  # the plan's permissions are the ones in force
            updated = updated.replace(plan=tenant.plan.replace(model_permissions=tuple(models)))
        self._tenants.save(updated)
        return updated

    def set_plan(self, tenant_id: str, plan: UsagePlan | None) -> Tenant:
        """Set (or with ``None`` remove) the tenant's usage plan.

        A plan replaces ``allowed_models`` as the model allow-list; callers that want to keep the
        old list put it in ``model_permissions`` (``agentjobs tenants plan set`` does when the
        plan names none). Takes effect within ``AGENTJOBS_AUTH_CACHE_SECONDS`` (tenant caches).

        Raises:
            NotFound: ``tenant_not_found``.
            UnprocessableEntity: ``invalid_model`` for a model id not of the form ``provider/model``.
        """
        if plan is not None:
            for model in (*plan.model_permissions, *plan.model_limits):
                if not MODEL_ID_PATTERN.fullmatch(model):
                    raise UnprocessableEntity(f"'{model[:80]}' is not of the form provider/model", code="invalid_model")
        updated = self._get(tenant_id).replace(plan=plan)
        self._tenants.save(updated)
        return updated

    def get(self, tenant_id: str) -> Tenant:
        """The tenant's record.

        Raises:
            NotFound: ``tenant_not_found``.
        """
        return self._get(tenant_id)

    def set_price_override(self, tenant_id: str, override: PriceOverride) -> Tenant:
        """Add a price override, replacing the one with the same provider, model and ``effective_from``.

        Applies to jobs that finish afterwards (within ``AGENTJOBS_AUTH_CACHE_SECONDS``, the
        tenant cache of ``run_agent``); jobs already priced keep their cost.

        Raises:
            NotFound: ``tenant_not_found``.
            InvalidPriceOverride: ``invalid_price_override`` when the tenant would hold too many.
        """
        tenant = self._get(tenant_id)
        updated = tenant.replace(price_overrides=upsert_override(tenant.price_overrides, override))
        self._tenants.save(updated)
        return updated

    def clear_price_overrides(self, tenant_id: str, model_id: str | None = None) -> Tenant:
        """Remove the overrides of ``provider/model`` (all its effective dates), or all with ``None``.

        Raises:
            NotFound: ``tenant_not_found``.
        """
        tenant = self._get(tenant_id)
        updated = tenant.replace(price_overrides=remove_overrides(tenant.price_overrides, model_id))
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

    def list_tenants(self, *, limit: int = 100) -> list[Tenant]:
        """Up to ``limit`` tenants, ordered by id.

        Raises:
            TransientError: The store is unavailable.
        """
        return self._tenants.list_tenants(limit=limit)

    def show(self, tenant_id: str) -> TenantOverview:
        """The tenant and its API keys' dates (never the keys or their hashes).

        Raises:
            NotFound: ``tenant_not_found``.
        """
        tenant = self._get(tenant_id)
        keys = sorted((key for _, key in self._tenants.api_keys(tenant_id)), key=lambda k: k.created_at, reverse=True)
        return TenantOverview(tenant, tuple(keys))

    def _get(self, tenant_id: str) -> Tenant:
        tenant = self._tenants.get(tenant_id)
        if tenant is None:
            raise NotFound("no such tenant", code="tenant_not_found")
        return tenant
