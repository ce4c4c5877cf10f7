"""A :class:`common.ports.SecretCipher` over a local AES-256-GCM key, for the dev stack.

The key comes from ``AGENTJOBS_LOCAL_SECRET_KEY`` (32 random bytes, base64url), which
``agentjobs dev up`` generates per stack, so it lives beside Firestore's emulator, never in it.
Production uses Cloud KMS (:mod:`common.adapters.kms_cipher`) instead.

AES-GCM comes from ``cryptography`` (already installed with ``google-auth``): a fresh 96-bit
nonce per encryption, the context bound as associated data (NIST SP 800-38D).
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from common.config import ConfigError
from common.errors import PermanentError

__all__ = ["LOCAL_PREFIX", "LocalSecretCipher", "new_local_key"]

LOCAL_PREFIX = "local:"
_NONCE_BYTES = 12


def new_local_key() -> str:
    """A fresh key for ``AGENTJOBS_LOCAL_SECRET_KEY``: 32 random bytes, base64url."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")


class LocalSecretCipher:
    """AES-256-GCM with a local key. Implements :class:`common.ports.SecretCipher`.

    Args:
        key_text: The key, base64url of 32 bytes.

    Raises:
        ConfigError: The key is not base64url of 32 bytes.
    """

    def __init__(self, key_text: str):
        try:
            key = base64.urlsafe_b64decode(key_text.encode("ascii"))
        except (ValueError, binascii.Error) as e:
            raise ConfigError("AGENTJOBS_LOCAL_SECRET_KEY must be base64url of 32 bytes") from e
        if len(key) != 32:
            raise ConfigError("AGENTJOBS_LOCAL_SECRET_KEY must be base64url of 32 bytes")
        self._aead = AESGCM(key)

    def encrypt(self, plaintext: str, *, context: str) -> str:
        """``local:`` + base64url(nonce || ciphertext || tag)."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
        return LOCAL_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, ciphertext: str, *, context: str) -> str:
        """The plaintext, if ``ciphertext`` was made by this key for ``context``.

        Raises:
            PermanentError: ``secret_undecryptable``.
        """
        if not ciphertext.startswith(LOCAL_PREFIX):
            raise PermanentError("the secret was encrypted by another cipher", code="secret_undecryptable")
        try:
            raw = base64.urlsafe_b64decode(ciphertext[len(LOCAL_PREFIX) :].encode("ascii"))
            plaintext = self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode("utf-8"))
        except (ValueError, binascii.Error, InvalidTag) as e:
            raise PermanentError(
                "the secret does not decrypt with this key and context", code="secret_undecryptable"
            ) from e
        return plaintext.decode("utf-8")
