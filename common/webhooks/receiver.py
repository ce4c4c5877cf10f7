"""A local webhook receiver that verifies Standard Webhooks signatures (demo and tests).

It listens on 127.0.0.1, verifies every POST with ``standardwebhooks`` against the tenant's
secret, records what arrived, and can be scripted to fail the first N deliveries.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

__all__ = ["ReceivedWebhook", "WebhookReceiver"]


@dataclass(frozen=True, slots=True)
class ReceivedWebhook:
    """One delivery as the receiver saw it.

    Attributes:
        headers: Request headers, lower-cased names.
        payload: The verified JSON payload, or ``None`` when verification failed.
        verified: Whether the signature verified.
        answered: The HTTP status the receiver answered.
        body: The raw body, to verify again with another secret (a rotation's).
    """

    headers: dict[str, str]
    payload: dict[str, Any] | None
    verified: bool
    answered: int
    body: bytes = b""


@dataclass
class WebhookReceiver:
    """Threaded HTTP receiver; use as a context manager.

    Args:
        secret: The ``whsec_`` secret to verify with (may be set after start).
        fail_first: Answer 503 to this many deliveries before answering 204.
        down_until: Answer 503 to every delivery until this ``time.monotonic()`` value (an outage).
        port: The port on 127.0.0.1 to listen on; ``0`` picks a free one.
    """

    secret: str = ""
    fail_first: int = 0
    down_until: float = 0.0
    port: int = 0
    received: list[ReceivedWebhook] = field(default_factory=list[ReceivedWebhook])
    _server: ThreadingHTTPServer | None = None
    _cond: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:{port}/hook``."""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def __enter__(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.on_delivery(self, headers, body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def on_delivery(self, handler: BaseHTTPRequestHandler, headers: dict[str, str], body: bytes) -> None:
        """Verify, record, answer."""
        payload: dict[str, Any] | None
        try:
            payload = Webhook(self.secret).verify(body, headers)
            verified = True
        except (WebhookVerificationError, ValueError):
            payload = None
            verified = False
        with self._cond:
            failing = self.fail_first > 0 or time.monotonic() < self.down_until
            if self.fail_first > 0:
                self.fail_first -= 1
            status = 503 if failing else (204 if verified else 401)
            self.received.append(ReceivedWebhook(headers, payload, verified, status, body))
            self._cond.notify_all()
        handler.send_response(status)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def wait_for(self, count: int = 1, *, timeout: float = 30.0, accepted_only: bool = True) -> list[ReceivedWebhook]:
        """Wait until ``count`` deliveries (by default: accepted ones) arrived; returns them."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                hits = [r for r in self.received if not accepted_only or r.answered < 300]
                if len(hits) >= count:
                    return hits
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return hits
                self._cond.wait(remaining)

    @staticmethod
    def dumps(payload: dict[str, Any]) -> str:
        """Compact JSON for printing."""
        return json.dumps(payload, separators=(",", ":"))
