"""POSTing a callback over HTTP: no redirects, a hard timeout, no body kept.

Uses ``requests``, which the Google client libraries already load, so ``notify`` pays nothing
extra for its HTTP client at cold start.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import requests

__all__ = ["PostResult", "RequestsPoster"]


@dataclass(frozen=True, slots=True)
class PostResult:
    """Outcome of one POST: the status, or why there was none (``timeout``, ``connect_error``)."""

    http_status: int | None
    error: str | None = None


class RequestsPoster:
    """Posts callbacks with a shared ``requests.Session``.

    Redirects are not followed: a redirect could lead past the SSRF check to a private address.
    """

    def __init__(self, session: requests.Session | None = None):
        self._session = session or requests.Session()

    def post(self, url: str, body: str, headers: Mapping[str, str], *, timeout: float) -> PostResult:
        """POST ``body`` as JSON; never raises for network failures."""
        try:
            response = self._session.post(
                url,
                data=body.encode("utf-8"),
                headers={"Content-Type": "application/json", "User-Agent": "agentjobs-notify/1", **headers},
                timeout=timeout,
                allow_redirects=False,
            )
        except requests.Timeout:
            return PostResult(None, "timeout")
        except requests.RequestException as e:
            return PostResult(None, type(e).__name__)
        response.close()
        return PostResult(response.status_code)
