"""The tenant record and the rules for tenant ids, API keys and webhook secrets.

API keys are shown once, at creation or rotation; only their SHA-256 is stored. SHA-256 (rather
than a slow password hash) is appropriate because keys carry 256 bits of randomness, so they
cannot be guessed from the hash, and lookups must stay cheap on the hot path.

Webhook secrets are shown once too, and stored only encrypted (:class:`WebhookSecret`), with a key
that lives outside Firestore (Cloud KMS in production; see :class:`common.ports.SecretCipher`).
Rotation keeps the previous secret, or key, valid for a grace period
(:mod:`common.tenants.rotation`).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from common.boundary.ids import IdKind, is_valid_id
from common.costs.models import PriceOverride
from common.errors import UnprocessableEntity
from common.plans.models import UsagePlan

__all__ = [
    "API_KEY_PREFIX",
    "TENANT_ID_PATTERN",
    "ApiKey",
    "Tenant",
    "WebhookSecret",
    "hash_api_key",
    "new_api_key",
    "new_webhook_secret",
    "validate_tenant_id",
    "webhook_secret_context",
]

TENANT_ID_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")
"""The tenant grammar of :mod:`common.boundary.ids`, anchored."""
API_KEY_PREFIX = "aj_"


@dataclass(frozen=True, slots=True)
class WebhookSecret:
    """One Standard Webhooks signing secret of a tenant, as stored: encrypted.

    Attributes:
        ciphertext: The ``whsec_`` secret encrypted by a :class:`common.ports.SecretCipher`
            (bound to the tenant id), never the secret itself.
        created_at: When it was issued (UTC).
        expires_at: When a rotation retires it (UTC); ``None`` for the current secret.
    """

    ciphertext: str
    created_at: datetime
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ApiKey:
    """What an API key's hash maps to (``api_keys/{sha256}``).

    Attributes:
        tenant_id: The tenant the key authenticates.
        created_at: When it was issued (UTC).
        expires_at: When a rotation retires it (UTC); ``None`` while it is current.
    """

    tenant_id: str
    created_at: datetime
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Tenant:
    """A tenant.

    Attributes:
        tenant_id: Slug used in storage paths (``tenants/{tenant_id}/...``).
        name: Display name.
        created_at: Creation time (UTC).
        webhook_secrets: Encrypted signing secrets, newest first: the current one, and any
            retired by a rotation whose grace period has not ended.
        webhook_url: Default callback URL for jobs that do not give one.
        allowed_models: ``provider/model`` ids a request may select; empty means only defaults.
            Superseded by ``plan.model_permissions`` once the tenant has a plan (see
            :attr:`model_permissions`); kept so tenants without a plan work unchanged.
        active: An inactive tenant's API keys are refused (401) and its inbox drops are rejected.
        price_overrides: The tenant's own model prices (negotiated rates, self-hosted models),
            used before list prices when its jobs are priced.
        retention_days: How long the tenant's jobs are kept (days); ``None`` for the deployment's
            ``AGENTJOBS_RETENTION_DAYS``, which is also the ceiling (:mod:`common.retention.policy`).
        plan: The tenant's usage plan (:mod:`common.plans`); ``None``: no limits, and the
            legacy ``allowed_models``.
        publish_stage_events: Publish every job event to the job events topic, not only the
            outcomes (``succeeded``, ``failed``, ``cancelled``), which are always published.
    """

    tenant_id: str
    name: str
    created_at: datetime
    webhook_secrets: tuple[WebhookSecret, ...] = field(default_factory=tuple[WebhookSecret, ...])
    webhook_url: str | None = None
    allowed_models: tuple[str, ...] = field(default_factory=tuple[str, ...])
    active: bool = True
    price_overrides: tuple[PriceOverride, ...] = ()
    retention_days: int | None = None
    plan: UsagePlan | None = None
    publish_stage_events: bool = False

    @property
    def model_permissions(self) -> tuple[str, ...]:
        """The models a request may select: the plan's ``model_permissions``, else ``allowed_models``."""
        return self.plan.model_permissions if self.plan is not None else self.allowed_models

    def replace(self, **changes: Any) -> Tenant:
        """A copy with ``changes`` applied."""
        return dataclasses.replace(self, **changes)


def validate_tenant_id(tenant_id: str) -> str:
    """Check a tenant id: 3-40 characters, lowercase letters, digits and inner hyphens.

    Raises:
        UnprocessableEntity: ``invalid_tenant_id`` when the id does not match.
    """
    if not is_valid_id(IdKind.TENANT, tenant_id):
        raise UnprocessableEntity(
            "tenant ids are 3-40 characters: lowercase letters, digits and inner hyphens, starting with a letter",
            code="invalid_tenant_id",
        )
    return tenant_id


def new_api_key() -> str:
    """A fresh API key: ``aj_`` + 43 url-safe characters (256 random bits)."""
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(api_key: str) -> str:
    """Hex SHA-256 of an API key: what is stored and looked up."""
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` + base64 of 32 random bytes.

    Source: Standard Webhooks spec, "Signature scheme" (https://www.standardwebhooks.com/).
    """
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def webhook_secret_context(tenant_id: str) -> str:
    """The context a tenant's webhook secrets are encrypted under (bound as associated data)."""
    return f"agentjobs/tenants/{tenant_id}/webhook-secret"
