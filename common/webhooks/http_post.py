"""POSTing a callback over HTTP with httpx: no redirects, a hard timeout, no body kept."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import httpx

__all__ = ["HttpxPoster", "PostResult"]


@dataclass(frozen=True, slots=True)
class PostResult:
    """Outcome of one POST: the status, or why there was none (``timeout``, ``connect_error``)."""

    http_status: int | None
    error: str | None = None


class HttpxPoster:
    """Implements the callback poster with a shared ``httpx.Client``.

    Redirects are not followed: a redirect could lead past the SSRF check to a private address.
    """

    def __init__(self, client: httpx.Client | None = None):
        self._client = client or httpx.Client(follow_redirects=False)

    def post(self, url: str, body: str, headers: Mapping[str, str], *, timeout: float) -> PostResult:
        """POST ``body`` as JSON; never raises for network failures."""
        try:
            response = self._client.post(
                url,
                content=body.encode("utf-8"),
                headers={"Content-Type": "application/json", "User-Agent": "agentjobs-notify/1", **headers},
                timeout=timeout,
            )
        except httpx.TimeoutException:
            return PostResult(None, "timeout")
        except httpx.HTTPError as e:
            return PostResult(None, type(e).__name__)
        return PostResult(response.status_code)
