"""A start-up reachability probe that never delays the cold start. Stdlib only."""

from __future__ import annotations

import socket
import threading
import urllib.parse

from common.telemetry.log import log

__all__ = ["probe_in_background"]


def probe_in_background(url: str, *, event: str, destination: str, timeout: float = 3.0) -> threading.Thread:
    """Log ``event`` once (WARNING) if ``url``'s host does not accept a TCP connection.

    Runs in a daemon thread, so a blackholed endpoint costs the start-up nothing. Logs the host
    and port only, never the path, query or credentials.

    Returns:
        The started thread (tests join it).
    """
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)

    def probe() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                return
        except OSError as e:
            log(event, severity="WARNING", destination=destination, host=host, port=port, reason=type(e).__name__)

    thread = threading.Thread(target=probe, name=f"probe-{destination}", daemon=True)
    thread.start()
    return thread
