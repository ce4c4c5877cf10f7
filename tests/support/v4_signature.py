"""Verify a Cloud Storage V4 signed URL the way GCS does (fake-gcs-server does not check signatures).

https://cloud.google.com/storage/docs/authentication/signatures: the canonical request is
``METHOD\\nPATH\\nQUERY\\nHEADERS\\n\\nSIGNED_HEADERS\\nUNSIGNED-PAYLOAD``; the string to sign is
``GOOG4-RSA-SHA256\\nDATE\\nSCOPE\\nsha256(canonical request)``, signed RSA-SHA256 (PKCS#1 v1.5).
"""

from __future__ import annotations

import binascii
import hashlib
from collections.abc import Mapping
from urllib.parse import parse_qsl, quote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def signature_valid(url: str, method: str, headers: Mapping[str, str], private_key_pem: str) -> bool:
    """True when ``url`` is a valid V4 signature for a request with ``method`` and ``headers``."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    signature = binascii.unhexlify(query.pop("X-Goog-Signature"))
    sent = {k.lower(): v.strip() for k, v in headers.items()} | {"host": parts.netloc}
    signed_names = query["X-Goog-SignedHeaders"].split(";")
    if any(name not in sent for name in signed_names):
        return False
    canonical_query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(query.items()))
    canonical_headers = "".join(f"{name}:{sent[name]}\n" for name in signed_names)
    canonical = "\n".join(
        [method, parts.path, canonical_query, canonical_headers, query["X-Goog-SignedHeaders"], "UNSIGNED-PAYLOAD"]
    )
    scope = query["X-Goog-Credential"].split("/", 1)[1]
    to_sign = "\n".join(
        ["GOOG4-RSA-SHA256", query["X-Goog-Date"], scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    try:
        key.public_key().verify(signature, to_sign.encode(), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True
