"""Which :class:`common.ports.SecretCipher` a process uses, chosen from its settings.

``AGENTJOBS_KMS_KEY`` selects Cloud KMS (production; Terraform sets it on ``notify``, and
operators export it for the admin CLI); otherwise ``AGENTJOBS_LOCAL_SECRET_KEY`` selects the
local AES-GCM key (the dev stack sets it). With neither, no webhook secret can be stored or
used, and :func:`secret_cipher_factory` refuses at once, at cold start, rather than at the first
callback. The choice is made without importing either implementation: the returned factory
imports it when first called.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from common.config import ConfigError, Settings
from common.ports import SecretCipher

__all__ = ["secret_cipher_factory"]


def secret_cipher_factory(settings: Settings) -> Callable[[], SecretCipher]:
    """A cached factory of the configured cipher.

    Raises:
        ConfigError: ``secret_key_missing`` when neither key is configured.
    """
    if settings.kms_key:
        key_name = settings.kms_key

        @cache
        def kms() -> SecretCipher:
            from common.adapters.kms_cipher import KmsSecretCipher

            return KmsSecretCipher(key_name)

        return kms
    if settings.local_secret_key:
        key_text = settings.local_secret_key

        @cache
        def local() -> SecretCipher:
            from common.adapters.local_cipher import LocalSecretCipher

            return LocalSecretCipher(key_text)

        return local
    raise ConfigError(
        "no key for webhook secrets: set AGENTJOBS_KMS_KEY (Cloud KMS) or AGENTJOBS_LOCAL_SECRET_KEY (dev stack)",
        code="secret_key_missing",
    )
