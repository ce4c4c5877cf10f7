"""Where dropped files land and what a drop means.

An object finalized at ``tenants/{tenant_id}/inbox/{agent}/{filename}`` starts a job for
``agent`` owned by ``tenant_id``. Everything else in the bucket (results, other prefixes) is not
a drop and is ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from common.boundary.ids import IdKind, is_valid_id
from common.errors import InvalidRequest

__all__ = ["InboxObject", "InvalidInboxPath", "NotADrop", "parse_inbox_path", "tenant_prefix"]

_INBOX = re.compile(r"^tenants/(?P<tenant>[^/]+)/inbox/(?P<agent>[^/]+)/(?P<filename>.+)$", re.DOTALL)


class NotADrop(InvalidRequest):
    """The object is not inside any tenant's inbox."""

    code = "not_in_inbox"


class InvalidInboxPath(InvalidRequest):
    """The object has the inbox shape, but its tenant or agent segment is not a valid id."""

    code = "invalid_inbox_path"


@dataclass(frozen=True, slots=True)
class InboxObject:
    """A dropped file, decoded from its object name."""

    tenant_id: str
    agent: str
    filename: str


def parse_inbox_path(name: str) -> InboxObject:
    """Decode ``tenants/{tenant_id}/inbox/{agent}/{filename}``.

    ``filename`` may contain further folders. A name ending in ``/`` (a folder placeholder) is
    not a drop.

    Raises:
        NotADrop: The name is outside every tenant inbox.
        InvalidInboxPath: The tenant or agent segment fails the id grammar (``.``, ``..``,
            ``__x__``, upper case...); such a name can never reach a store path.
    """
    match = _INBOX.fullmatch(name)
    if match is None or name.endswith("/"):
        raise NotADrop("object is not inside a tenant inbox (tenants/{tenant_id}/inbox/{agent}/...)")
    if not is_valid_id(IdKind.TENANT, match["tenant"]) or not is_valid_id(IdKind.AGENT, match["agent"]):
        raise InvalidInboxPath("the inbox path's tenant or agent segment is not a valid id")
    return InboxObject(match["tenant"], match["agent"], match["filename"])


def tenant_prefix(tenant_id: str) -> str:
    """Object-name prefix of everything a tenant owns: ``tenants/{tenant_id}/``."""
    return f"tenants/{tenant_id}/"
