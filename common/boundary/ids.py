"""The one id grammar.

Every id that arrives from outside (path segments, message attributes, task payloads, object
names) is checked here before it becomes part of a store path (``tenants/{tenant_id}/jobs/{job_id}``)
or a log field. An id that fails never appears anywhere: errors name the kind of id, not its value.

Grammar (ASCII only, so ``str.isdigit``-style Unicode surprises cannot pass):

* tenant: 3-40 of ``[a-z0-9-]``, starting with a letter, not ending with ``-``;
* job: ``job_`` + 26 lowercase base32 characters (:mod:`common.jobs.ids` derives them);
* agent: 2-64 of ``[a-z0-9-]``, starting with a letter, not ending with ``-``;
* event (Pub/Sub message ids, CloudEvent ids, task names): 1-128 of ``[A-Za-z0-9._:@+=-]``,
  starting with a letter or digit.

Firestore document ids must not be ``.``, ``..`` or ``__.*__`` and must not contain ``/``
(https://firebase.google.com/docs/firestore/quotas#collections_documents_and_fields); every
grammar above excludes all of them.
"""

from __future__ import annotations

import hashlib
import re
from enum import StrEnum

from common.errors import InvalidRequest

__all__ = ["MAX_UINT64", "IdKind", "InvalidId", "event_ref", "is_valid_id", "parse_uint", "require_id"]

MAX_UINT64 = 2**63 - 1
"""Largest integer Firestore stores (a signed 64-bit integer)."""


class IdKind(StrEnum):
    """The kinds of id, each with its grammar."""

    TENANT = "tenant"
    JOB = "job"
    AGENT = "agent"
    EVENT = "event"


_GRAMMAR: dict[IdKind, re.Pattern[str]] = {
    IdKind.TENANT: re.compile(r"[a-z][a-z0-9-]{1,38}[a-z0-9]"),
    IdKind.JOB: re.compile(r"job_[a-z2-7]{26}"),
    IdKind.AGENT: re.compile(r"[a-z][a-z0-9-]{0,62}[a-z0-9]"),
    IdKind.EVENT: re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@+=-]{0,127}"),
}


class InvalidId(InvalidRequest):
    """An id does not match its grammar (HTTP 400). The message never quotes the value."""

    code = "invalid_id"


def is_valid_id(kind: IdKind, value: object) -> bool:
    """True when ``value`` is a string matching the grammar of ``kind``."""
    return isinstance(value, str) and value.isascii() and _GRAMMAR[kind].fullmatch(value) is not None


def require_id(kind: IdKind, value: object, *, field: str | None = None) -> str:
    """``value`` if it is a valid id of ``kind``.

    Args:
        kind: Which grammar applies.
        value: The untrusted value.
        field: Where the value came from, for the message (a constant of ours, never client data).

    Raises:
        InvalidId: ``invalid_{kind}_id``, without the value.
    """
    if not is_valid_id(kind, value):
        where = f" in {field}" if field else ""
        raise InvalidId(f"malformed {kind.value} id{where}", code=f"invalid_{kind.value}_id")
    return str(value)


def event_ref(raw: object) -> str:
    """A loggable, storable reference to a delivery's id.

    Returns:
        ``raw`` when it is a valid event id; ``""`` when there was none; otherwise ``h_`` and
        32 hex characters of its SHA-256, so a malformed id still keys its rejection record
        idempotently without ever being echoed.
    """
    if raw is None or raw == "":
        return ""
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    if is_valid_id(IdKind.EVENT, raw):
        return str(raw)
    return "h_" + hashlib.sha256(repr(raw).encode("utf-8", "backslashreplace")).hexdigest()[:32]


def parse_uint(raw: object, *, maximum: int = MAX_UINT64) -> int | None:
    """A non-negative integer from an int or a string of ASCII digits, or ``None``.

    ``str.isdigit`` accepts characters such as ``²`` that ``int`` rejects; this accepts only
    ``0-9`` and values up to ``maximum`` (default: what Firestore can store).
    """
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and 0 < len(raw) <= 20 and raw.isascii() and raw.isdigit():
        value = int(raw)
    else:
        return None
    return value if 0 <= value <= maximum else None
