"""Server-Sent Events framing of job events (WHATWG HTML, "Server-sent events", 9.2).

Each event is ``id: <seq>``, ``event: <type>``, ``data: <json>`` and a blank line; a line that
starts with ``:`` is a comment (our keep-alive); ``retry: <ms>`` tells the client how long to wait
before it reconnects. A client that reconnects sends the last ``id`` it saw as ``Last-Event-ID``.
Source: https://html.spec.whatwg.org/multipage/server-sent-events.html
"""

from __future__ import annotations

import json

from common.events.models import JobEvent

__all__ = ["KEEP_ALIVE", "PROBE", "event_frame", "retry_frame"]

KEEP_ALIVE = ": keep-alive\n\n"
"""A comment frame: keeps proxies and the client from timing the quiet stream out."""

PROBE = ":\n"
"""An empty comment line (2 bytes), written after each quiet poll: a WSGI server learns that the
client has gone only when a write fails, so without it an abandoned stream would hold its worker
thread, and keep polling Firestore, until the next keep-alive."""


def event_frame(job_id: str, event: JobEvent) -> str:
    """One event: ``id`` is its ``seq``, ``event`` its type, ``data`` its JSON on one line."""
    data = json.dumps(event.to_json(job_id), separators=(",", ":"), ensure_ascii=False)
    return f"id: {event.seq}\nevent: {event.type.value}\ndata: {data}\n\n"


def retry_frame(milliseconds: int) -> str:
    """Tells the client to reconnect after ``milliseconds`` (ms)."""
    return f"retry: {max(0, milliseconds)}\n\n"
