# pyright: reportMissingTypeStubs=false
"""Cloud Storage V4 signed upload URLs. Implements :class:`common.ports.UploadSigner`.

Signing uses the maintained client library (``Blob.generate_signed_url``), with one of two signers:

* in production, the function's own service account through IAM ``signBlob`` (the library calls
  ``iamcredentials.googleapis.com`` with the function's access token; the account needs
  ``iam.serviceAccounts.signBlob`` on itself, granted by Terraform as Service Account Token
  Creator). No private key exists anywhere;
* on the local stack, a throwaway RSA key the stack generates (``AGENTJOBS_DEV_SIGNING_KEY``),
  loaded as google-auth service-account credentials. fake-gcs-server accepts the URL without
  checking the signature; the URL is signed all the same, so its shape is the production one.

The URL is bound to ``PUT``, to the object, to the ``Content-Type`` and to the exact size
(``x-goog-content-length-range: N,N``, a signed header GCS enforces), and expires after
``AGENTJOBS_UPLOAD_URL_SECONDS``.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

from google.cloud import storage

from common.adapters.sdk_errors import translate
from common.errors import PermanentError, TransientError
from common.ports import SignedUpload

__all__ = ["GcsUploadSigner", "dev_signing_credentials", "new_dev_signing_key"]

_DEV_SIGNER = "agentjobs-dev-signer@agentjobs-dev.iam.gserviceaccount.com"


def new_dev_signing_key() -> str:
    """A fresh PEM RSA-2048 private key for the local stack's upload URLs."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def dev_signing_credentials(pem: str) -> Any:
    """google-auth service-account credentials around a local PEM key (signing only, never a token)."""
    from google.oauth2 import service_account

    info = {
        "type": "service_account",
        "client_email": _DEV_SIGNER,
        "private_key": pem,
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    return service_account.Credentials.from_service_account_info(info)  # pyright: ignore[reportUnknownMemberType]


class GcsUploadSigner:
    """Signs PUT URLs into one bucket.

    Args:
        client: Cloud Storage client (its endpoint is the URL's host: the emulator's locally).
        bucket: The tenants' bucket.
        expires_seconds: Lifetime of a URL (s).
        dev_key: PEM key of the local stack; empty in production.
        service_account: The account that signs through IAM signBlob; empty: the default
            credentials' own account.
    """

    def __init__(
        self,
        client: storage.Client,
        bucket: str,
        *,
        expires_seconds: float,
        dev_key: str = "",
        service_account: str = "",
    ):
        sdk: Any = client
        self._bucket: Any = sdk.bucket(bucket)
        self._expires = timedelta(seconds=expires_seconds)
        self._dev_credentials: Any = dev_signing_credentials(dev_key) if dev_key else None
        self._service_account = service_account
        self._lock = threading.Lock()
        self._credentials: Any = None

    def _iam_signer(self) -> dict[str, str]:
        import google.auth
        from google.auth.transport.requests import Request

        with self._lock:
            if self._credentials is None:
                found: Any = google.auth.default(  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
                    scopes=["https://www.googleapis.com/auth/cloud-platform"]
                )
                self._credentials = found[0]
            credentials: Any = self._credentials
            if not credentials.valid:
                credentials.refresh(Request())
        email = self._service_account or str(getattr(credentials, "service_account_email", ""))
        if not email or email == "default":
            raise PermanentError("no service account to sign upload URLs", code="signing_not_configured")
        return {"service_account_email": email, "access_token": str(credentials.token)}

    def signed_put(self, object_name: str, *, content_type: str, size_bytes: int, now: datetime) -> SignedUpload:
        """A V4 signed ``PUT`` URL for ``object_name``, bound to its content type and exact size."""
        headers = {"Content-Type": content_type, "x-goog-content-length-range": f"{size_bytes},{size_bytes}"}
        blob: Any = self._bucket.blob(object_name)
        try:
            signer: dict[str, Any] = (
                {"credentials": self._dev_credentials} if self._dev_credentials is not None else self._iam_signer()
            )
            url = str(
                blob.generate_signed_url(
                    version="v4",
                    method="PUT",
                    expiration=self._expires,
                    content_type=content_type,
                    headers={"x-goog-content-length-range": headers["x-goog-content-length-range"]},
                    **signer,
                )
            )
        except PermanentError:
            raise
        except Exception as e:
            from google.auth import exceptions as auth_errors

            if isinstance(e, auth_errors.TransportError):  # IAM signBlob or the token endpoint unreachable
                raise TransientError("sign upload URL: signing service unavailable", code="backend_unavailable") from e

            raise translate(e, what="sign upload URL") from e
        return SignedUpload(url=url, headers=headers, expires_at=now + self._expires)
