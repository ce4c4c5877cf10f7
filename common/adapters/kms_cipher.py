# pyright: reportMissingTypeStubs=false
"""A :class:`common.ports.SecretCipher` over a Cloud KMS symmetric key (production).

Encrypt and Decrypt on ``projects/P/locations/L/keyRings/R/cryptoKeys/K``
(``AGENTJOBS_KMS_KEY``, Terraform's ``webhook-secrets`` key), with the context as additional
authenticated data. The ciphertext names the key version that made it, so secrets stay readable
after the key rotates. Only ``notify`` (decrypt) and the admin CLI (encrypt, decrypt) use it;
``notify`` imports this module, and the KMS client library, on its first decryption only.

Source: Cloud KMS, "Encrypting and decrypting data with a symmetric key"
(https://cloud.google.com/kms/docs/encrypt-decrypt).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from google.api_core import exceptions as gexc
from google.api_core.retry import Retry, if_exception_type

from common.adapters.sdk_errors import translate
from common.errors import PermanentError

__all__ = ["KMS_PREFIX", "KmsSecretCipher"]

KMS_PREFIX = "kms:"
_RETRYABLE = if_exception_type(gexc.ServiceUnavailable, gexc.DeadlineExceeded)


class KmsSecretCipher:
    """Cloud KMS encryption. Implements :class:`common.ports.SecretCipher`.

    Args:
        key_name: ``projects/P/locations/L/keyRings/R/cryptoKeys/K``.
        client: A ``KeyManagementServiceClient``; by default one is made on first use.
        call_seconds: How long one encryption or decryption may take, retries included (s). The
            library retries for up to 60 s by default; a callback gives up sooner and lets Cloud
            Tasks retry it, so a KMS outage does not hold notify's requests for a minute.
    """

    def __init__(self, key_name: str, client: Any = None, *, call_seconds: float = 10.0):
        self._key_name = key_name
        self._client: Any = client
        self._timeout = call_seconds
        self._retry = Retry(predicate=_RETRYABLE, initial=0.1, maximum=2.0, multiplier=2.0, timeout=call_seconds)

    def _kms(self) -> Any:
        if self._client is None:
            from google.cloud import kms

            self._client = kms.KeyManagementServiceClient()
        return self._client

    def encrypt(self, plaintext: str, *, context: str) -> str:
        """``kms:`` + base64 of the KMS ciphertext.

        Raises:
            TransientError: KMS is unavailable.
            Forbidden: The caller may not use the key.
            NotFound: The key does not exist.
        """
        request = {
            "name": self._key_name,
            "plaintext": plaintext.encode("utf-8"),
            "additional_authenticated_data": context.encode("utf-8"),
        }
        try:
            response: Any = self._kms().encrypt(request=request, retry=self._retry, timeout=self._timeout)
        except Exception as e:
            raise translate(e, what="encrypt secret") from e
        return KMS_PREFIX + base64.b64encode(bytes(response.ciphertext)).decode("ascii")

    def decrypt(self, ciphertext: str, *, context: str) -> str:
        """The plaintext of a ``kms:`` ciphertext made for ``context``.

        Raises:
            PermanentError: ``secret_undecryptable`` for another cipher's ciphertext, another
                context, or corrupt data (KMS answers invalid argument).
            TransientError: KMS is unavailable (after retrying for up to 10 s).
            TransientError: KMS is unavailable.
            Forbidden: The caller may not use the key.
        """
        if not ciphertext.startswith(KMS_PREFIX):
            raise PermanentError("the secret was encrypted by another cipher", code="secret_undecryptable")
        try:
            raw = base64.b64decode(ciphertext[len(KMS_PREFIX) :].encode("ascii"), validate=True)
        except (ValueError, binascii.Error) as e:
            raise PermanentError("the stored secret is corrupt", code="secret_undecryptable") from e
        request = {
            "name": self._key_name,
            "ciphertext": raw,
            "additional_authenticated_data": context.encode("utf-8"),
        }
        try:
            response: Any = self._kms().decrypt(request=request, retry=self._retry, timeout=self._timeout)
        except gexc.BadRequest as e:  # INVALID_ARGUMENT (gRPC) or 400 (REST): wrong key, context or data
            raise PermanentError(
                "the secret does not decrypt with this key and context", code="secret_undecryptable"
            ) from e
        except Exception as e:
            raise translate(e, what="decrypt secret") from e
        return bytes(response.plaintext).decode("utf-8")
