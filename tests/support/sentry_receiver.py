"""A local Sentry ingest endpoint, so tests run the real Sentry SDK over HTTP.

The SDK posts envelopes to ``{scheme}://{host}/api/{project_id}/envelope/`` (gzip or plain).
This server accepts them, decodes every item and keeps both the raw decompressed bytes (for
"does this string appear anywhere" checks) and the parsed items.

Example::

    with SentryReceiver() as sentry:
        sentry_sdk.init(dsn=sentry.dsn, ...)
        ...
        sentry_sdk.flush()
        assert sentry.events()[0]["exception"]

Envelope format: https://develop.sentry.dev/sdk/data-model/envelopes/ (a JSON header line, then
for each item a JSON item header line and a payload of ``length`` bytes, or up to the next newline).
"""

from __future__ import annotations

import gzip
import json
import threading
import time
import zlib
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.loopback_server import LoopbackServer

__all__ = ["EnvelopeItem", "SentryReceiver", "parse_envelope"]


@dataclass(frozen=True, slots=True)
class EnvelopeItem:
    """One envelope item: its header (``type``: ``event``, ``transaction``...) and payload."""

    header: dict[str, Any]
    payload: bytes

    @property
    def type(self) -> str:
        """``event``, ``transaction``, ``client_report``..."""
        return str(self.header.get("type", ""))

    def json(self) -> Any:
        """The payload parsed as JSON."""
        return json.loads(self.payload)


def parse_envelope(body: bytes) -> tuple[dict[str, Any], list[EnvelopeItem]]:
    """Split an envelope into its header and items."""
    first, _, rest = body.partition(b"\n")
    header = json.loads(first)
    items: list[EnvelopeItem] = []
    while rest.strip():
        item_line, _, rest = rest.partition(b"\n")
        item_header = json.loads(item_line)
        length = item_header.get("length")
        if length is not None:
            payload, rest = rest[:length], rest[length:]
            rest = rest.removeprefix(b"\n")
        else:
            payload, _, rest = rest.partition(b"\n")
        items.append(EnvelopeItem(item_header, payload))
    return header, items


class SentryReceiver(LoopbackServer):
    """The server; listens on 127.0.0.1 at a free port. Use as a context manager."""

    project_id = "42"
    key = "0123456789abcdef0123456789abcdef"

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.items: list[EnvelopeItem] = []
        self._lock = threading.Lock()
        super().__init__(_handler_for(self))

    @property
    def dsn(self) -> str:
        """A DSN pointing at this server."""
        return f"http://{self.key}@{self.host_port}/{self.project_id}"

    def clear(self) -> None:
        """Forget what was received."""
        with self._lock:
            self.bodies.clear()
            self.items.clear()

    def events(self) -> list[dict[str, Any]]:
        """Error events received, oldest first."""
        return [i.json() for i in list(self.items) if i.type == "event"]

    def transactions(self) -> list[dict[str, Any]]:
        """Transactions received, oldest first."""
        return [i.json() for i in list(self.items) if i.type == "transaction"]

    def raw(self) -> bytes:
        """Every decompressed body received, concatenated."""
        return b"\n".join(list(self.bodies))

    def wait_for(self, kind: str, count: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Wait until ``count`` items of ``kind`` arrived; return them (fewer after ``timeout``)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [i.json() for i in list(self.items) if i.type == kind]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.02)

    def _receive(self, body: bytes) -> None:
        _, items = parse_envelope(body)
        with self._lock:
            self.bodies.append(body)
            self.items.extend(items)


def _decompress(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    if encoding == "br":
        import brotli  # pyright: ignore[reportMissingImports]  # only if the SDK found brotli installed

        return brotli.decompress(body)  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
    return body


def _handler_for(receiver: SentryReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = _decompress(self.rfile.read(length), (self.headers.get("content-encoding") or "").lower())
            if self.path.rstrip("/").endswith("/envelope"):
                receiver._receive(body)  # pyright: ignore[reportPrivateUsage]
            payload = b"{}"
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
