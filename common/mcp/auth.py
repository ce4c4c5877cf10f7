"""Bearer authentication for the HTTP transport: the MCP client's bearer token is the tenant's API key.

The server keeps no keys of its own. A token that looks like an agentjobs key (``aj_...``) is
checked by asking the status API once (``GET /v1/jobs?limit=1``); a key the API accepted is
remembered, by its SHA-256, for :data:`ACCEPTED_FOR_S`. Every tool call then passes the same key
through to the API, so the API's own tenant scoping applies unchanged.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

import anyio.to_thread
from fastmcp.server.auth import AccessToken, TokenVerifier
from fastmcp.server.dependencies import get_access_token

from common.mcp.api import ApiError, JobsApi

__all__ = ["ACCEPTED_FOR_S", "ApiKeyVerifier", "bearer_key"]

ACCEPTED_FOR_S = 60.0
"""How long a key the API accepted is trusted without asking again (seconds)."""
_MAX_KEY_CHARS = 128
_KEY_PREFIX = "aj_"


class ApiKeyVerifier(TokenVerifier):
    """Accepts a bearer token when the agentjobs API accepts it as an API key."""

    def __init__(self, api_for_key: Callable[[str], JobsApi], clock: Callable[[], float] = time.monotonic):
        """``api_for_key(key)``: the API called with that key."""
        super().__init__()
        self._api_for_key = api_for_key
        self._clock = clock
        self._accepted: dict[str, float] = {}

    async def verify_token(self, token: str) -> AccessToken | None:
        """The access token for ``token``, or ``None`` (HTTP 401) when the API refuses it or does not answer."""
        if not (token.startswith(_KEY_PREFIX) and len(token) <= _MAX_KEY_CHARS and token.isascii()):
            return None
        digest = hashlib.sha256(token.encode()).hexdigest()
        now = self._clock()
        if self._accepted.get(digest, -ACCEPTED_FOR_S - 1) + ACCEPTED_FOR_S < now:
            api = self._api_for_key(token)
            try:
                await anyio.to_thread.run_sync(lambda: api.list_jobs(limit=1))
            except ApiError:
                return None
            self._accepted[digest] = now
        return AccessToken(token=token, client_id=f"key-{digest[:12]}", scopes=[])


def bearer_key() -> str:
    """The current HTTP request's bearer token (the tenant's API key), as verified by :class:`ApiKeyVerifier`.

    Raises:
        RuntimeError: No authenticated request (the HTTP transport always authenticates first).
    """
    token = get_access_token()
    if token is None:
        raise RuntimeError("no authenticated request")
    return token.token
