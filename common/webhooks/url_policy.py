"""Which callback URLs may be called.

A callback URL is refused when it is not ``https`` or when its host resolves to an address that
is private, loopback, link-local, multicast, reserved or unspecified: otherwise a tenant could
make our functions call into Google's metadata server or a VPC (server-side request forgery).
The check runs when a job is accepted and again at delivery, because DNS answers can change.

The only exception is ``allow_loopback``, a dev-only setting the local stack turns on so a
receiver on ``127.0.0.1`` (plain ``http``) can be used.

Source: OWASP Server-Side Request Forgery Prevention Cheat Sheet.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from common.errors import UnprocessableEntity

__all__ = ["CallbackUrlRefused", "Resolver", "check_callback_url", "system_resolver"]

Resolver = Callable[[str, int], Sequence[str]]
"""``(host, port) -> IP address strings``."""


class CallbackUrlRefused(UnprocessableEntity):
    """The callback URL may not be called."""

    code = "callback_url_refused"


def system_resolver(host: str, port: int) -> list[str]:
    """Resolve ``host`` with the system resolver.

    Raises:
        CallbackUrlRefused: The host does not resolve.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:
        raise CallbackUrlRefused("callback host does not resolve") from e
    return [str(info[4][0]) for info in infos]


def check_callback_url(url: str, *, allow_loopback: bool = False, resolve: Resolver = system_resolver) -> str:
    """Check a callback URL and return it unchanged.

    Args:
        url: The URL to check.
        allow_loopback: Dev-only: accept ``http``/``https`` URLs whose host is loopback.
        resolve: Host resolver (injectable for tests).

    Returns:
        ``url``.

    Raises:
        CallbackUrlRefused: Not a valid absolute http(s) URL, not https outside dev loopback, has
            credentials, does not resolve, or resolves to a non-public address.
    """
    if len(url) > 2048:
        raise CallbackUrlRefused("callback URL is longer than 2048 characters")
    try:
        parts = urlsplit(url)
    except ValueError as e:  # e.g. an unbalanced "[" in the host: "Invalid IPv6 URL"
        raise CallbackUrlRefused("callback URL is not a valid URL") from e
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise CallbackUrlRefused("callback URL must be an absolute https URL")
    if parts.username or parts.password:
        raise CallbackUrlRefused("callback URL must not carry credentials")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as e:
        raise CallbackUrlRefused("callback URL has an invalid port") from e
    addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in resolve(parts.hostname, port)]
    if not addresses:
        raise CallbackUrlRefused("callback host does not resolve")
    if allow_loopback and all(a.is_loopback for a in addresses):
        return url
    if parts.scheme != "https":
        raise CallbackUrlRefused("callback URL must use https")
    for address in addresses:
        if not address.is_global or address.is_multicast:
            raise CallbackUrlRefused("callback host resolves to a private, loopback or link-local address")
    return url
