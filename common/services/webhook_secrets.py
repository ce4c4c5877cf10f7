"""The clear webhook secrets a callback is signed with, decrypted once per instance.

Tenant records hold secrets only encrypted. ``notify`` decrypts each ciphertext the first time it
signs with it and keeps the clear secret in memory, keyed by the ciphertext, so a warm instance
calls Cloud KMS once per secret, not once per callback; a rotation brings a new ciphertext, which
is decrypted on its first use. The cipher itself (and the KMS client library) is built on the
first decryption, never at cold start.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from common.errors import PermanentError
from common.ports import SecretCipher
from common.tenants import rotation
from common.tenants.models import Tenant, webhook_secret_context

__all__ = ["SigningSecrets"]

_MAX_ENTRIES = 1024


class SigningSecrets:
    """Decrypts and caches tenants' webhook secrets.

    Args:
        ciphers: Returns the process's cipher; called on the first decryption only.
        max_entries: Clear secrets kept in memory at most (the cache is emptied when full).
    """

    def __init__(self, ciphers: Callable[[], SecretCipher], *, max_entries: int = _MAX_ENTRIES):
        self._ciphers = ciphers
        self._max_entries = max_entries
        self._clear: dict[tuple[str, str], str] = {}

    def for_tenant(self, tenant: Tenant, *, now: datetime) -> list[str]:
        """The tenant's valid ``whsec_`` secrets at ``now``, newest first.

        Raises:
            PermanentError: ``no_webhook_secret`` when the tenant has none;
                ``secret_undecryptable`` when one cannot be decrypted.
            TransientError: The key service is unavailable.
        """
        active = rotation.signing_secrets(tenant.webhook_secrets, now=now)
        if not active:
            raise PermanentError(
                "the tenant has no webhook secret (agentjobs tenants rotate-webhook-secret issues one)",
                code="no_webhook_secret",
            )
        return [self._decrypt(tenant.tenant_id, secret.ciphertext) for secret in active]

    def _decrypt(self, tenant_id: str, ciphertext: str) -> str:
        key = (tenant_id, ciphertext)
        clear = self._clear.get(key)
        if clear is None:
            clear = self._ciphers().decrypt(ciphertext, context=webhook_secret_context(tenant_id))
            if len(self._clear) >= self._max_entries:
                self._clear.clear()
            self._clear[key] = clear
        return clear
