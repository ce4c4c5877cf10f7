"""What an upload request may ask for, and where the object goes. Pure.

``POST /v1/uploads`` takes ``{filename, content_type, size_bytes}``. The object is named by a
fresh upload id, never by the client's file name (file names are content: they would show in
object listings, notifications and logs): ``tenants/{tenant}/uploads/{upload_id}.pdf``. The file
name is checked for shape only and not kept.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from common.boundary.ids import parse_uint
from common.boundary.text import valid_text
from common.errors import PayloadTooLarge, UnprocessableEntity

__all__ = [
    "CONTENT_TYPES",
    "MAX_FILENAME_CHARS",
    "UploadRequest",
    "is_upload_id",
    "new_upload_id",
    "parse_upload_request",
    "upload_object_name",
]

CONTENT_TYPES: Mapping[str, str] = {"application/pdf": ".pdf"}
"""Accepted content types and the object name suffix of each."""
MAX_FILENAME_CHARS = 255
_UPLOAD_ID = re.compile(r"upl_[a-z0-9]{26}")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True, slots=True)
class UploadRequest:
    """A valid upload request.

    Attributes:
        content_type: One of :data:`CONTENT_TYPES`.
        size_bytes: The exact size the client will PUT (bytes).
    """

    content_type: str
    size_bytes: int


def new_upload_id() -> str:
    """A fresh ``upl_`` + 26 random characters of ``[a-z0-9]`` (134 bits)."""
    return "upl_" + "".join(secrets.choice(_ALPHABET) for _ in range(26))


def is_upload_id(value: str) -> bool:
    """True when ``value`` has the shape of an upload id."""
    return value.isascii() and _UPLOAD_ID.fullmatch(value) is not None


def upload_object_name(upload_id: str, content_type: str) -> str:
    """The object name relative to the tenant prefix: ``uploads/{upload_id}{suffix}``."""
    return f"uploads/{upload_id}{CONTENT_TYPES[content_type]}"


def parse_upload_request(body: Mapping[str, Any], *, max_bytes: int) -> UploadRequest:
    """Check an upload request.

    Args:
        body: The parsed JSON body.
        max_bytes: The largest document a job may read (``AGENTJOBS_MAX_DOCUMENT_BYTES``).

    Raises:
        UnprocessableEntity: ``validation_error`` with one ``{field, message}`` per problem.
        PayloadTooLarge: ``document_too_large`` (413) when ``size_bytes`` exceeds ``max_bytes``.
    """
    errors: list[dict[str, str]] = []
    unknown = set(body) - {"filename", "content_type", "size_bytes"}
    if unknown:
        errors.append({"field": "(body)", "message": "has a field the schema does not define"})
    filename = body.get("filename")
    if not isinstance(filename, str) or not filename or not valid_text(filename, max_chars=MAX_FILENAME_CHARS):
        errors.append({"field": "filename", "message": f"must be a file name of 1 to {MAX_FILENAME_CHARS} characters"})
    content_type = body.get("content_type")
    if content_type not in CONTENT_TYPES:
        errors.append({"field": "content_type", "message": f"must be one of: {', '.join(CONTENT_TYPES)}"})
    raw_size = body.get("size_bytes")
    if isinstance(raw_size, float) and raw_size.is_integer():  # JSON Schema's integer admits 9.0
        raw_size = int(raw_size)
    size = parse_uint(raw_size) if isinstance(raw_size, int) else None
    if size is None or size < 1:
        errors.append({"field": "size_bytes", "message": "must be a positive integer (bytes)"})
    if errors:
        raise UnprocessableEntity("the upload request is invalid", details={"errors": errors})
    assert size is not None and isinstance(content_type, str)
    if size > max_bytes:
        raise PayloadTooLarge(
            f"documents may be at most {max_bytes} bytes", code="document_too_large", details={"limit_bytes": max_bytes}
        )
    return UploadRequest(content_type=content_type, size_bytes=size)
