"""Opaque cursor tokens of newest-first listings (``next_page_token`` / ``page_token``).

A token is base64url JSON ``{"v": 1, "at": <RFC 3339>, "id": <document id>, "q": <query digest>}``:
where the previous page stopped, and a digest of the filters it was made for. It is validated,
not signed: the listing is scoped to the caller's tenant by the store, so an edited token can
only move the cursor inside the caller's own data. What is checked is that it parses, that the
id fits the id grammar, and that it is presented with the same filters (``invalid_page_token``
otherwise), so a token never silently pages through another query.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, cast

from common.errors import InvalidRequest
from common.ports import Cursor

__all__ = ["MAX_TOKEN_CHARS", "decode_page_token", "encode_page_token", "query_digest"]

MAX_TOKEN_CHARS = 512


def query_digest(filters: Mapping[str, str | None]) -> str:
    """A short digest of a listing's filters (``None`` values are left out)."""
    canonical = json.dumps({k: v for k, v in sorted(filters.items()) if v is not None}, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def encode_page_token(cursor: Cursor, *, digest: str) -> str:
    """The token of ``cursor`` for the query with ``digest``."""
    at, doc_id = cursor
    raw = json.dumps({"v": 1, "at": at.astimezone(UTC).isoformat(), "id": doc_id, "q": digest}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _invalid() -> InvalidRequest:
    return InvalidRequest(
        "page_token is not a token of this listing; pass next_page_token unchanged, with the same filters",
        code="invalid_page_token",
        details={"parameter": "page_token"},
    )


def decode_page_token(token: str, *, digest: str, valid_id: Callable[[str], bool]) -> Cursor:
    """The cursor in ``token``.

    Args:
        token: A ``next_page_token`` the API returned.
        digest: :func:`query_digest` of the request's filters.
        valid_id: The grammar of the listed documents' ids.

    Raises:
        InvalidRequest: ``invalid_page_token`` when it does not parse, names an invalid id, or
            was made for other filters.
    """
    if not token or len(token) > MAX_TOKEN_CHARS or not token.isascii():
        raise _invalid()
    try:
        payload: object = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, binascii.Error):
        raise _invalid() from None
    if not isinstance(payload, dict):
        raise _invalid()
    fields = cast(dict[str, Any], payload)
    at, doc_id = fields.get("at"), fields.get("id")
    if fields.get("v") != 1 or fields.get("q") != digest or not isinstance(at, str) or not isinstance(doc_id, str):
        raise _invalid()
    if not valid_id(doc_id):
        raise _invalid()
    try:
        when = datetime.fromisoformat(at)
    except ValueError:
        raise _invalid() from None
    if when.tzinfo is None:
        raise _invalid()
    return when.astimezone(UTC), doc_id
