"""Malformed HTTP that only a real server sees (issue 13, reproduction 9), against all four functions.

gunicorn rejects these before Flask runs: control characters in the request line, a NUL in a
header, an over-long header, too many headers, an over-long URI, a bad method or version. Its
default answer is an HTML page quoting the request; every function must answer JSON with a
machine-readable code instead, and echo nothing of the request. Sent over raw sockets, since
HTTP clients refuse to send such requests.
"""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import pytest

CANARY = b"Zq7canary"
FUNCTIONS = ("submit", "status", "run_agent", "notify")

MALFORMED = {
    "control character in the path": (b"GET /v1/jobs/\x01" + CANARY + b" HTTP/1.1\r\nHost: x\r\n\r\n", (400,)),
    "NUL in a header": (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Note: a\x00" + CANARY + b"\r\n\r\n", (400,)),
    "over-long header": (
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Note: " + CANARY + b"a" * 10_000 + b"\r\n\r\n",
        (431,),
    ),
    "too many headers": (
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: %s\r\n" % (i, CANARY) for i in range(120)) + b"\r\n",
        (431,),
    ),
    # functions-framework lifts gunicorn's request-line limit: the function itself answers.
    "over-long URI": (b"GET /" + CANARY + b"a" * 9_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", (404, 405)),
    "invalid method": (b"G\x01T /" + CANARY + b" HTTP/1.1\r\nHost: x\r\n\r\n", (400,)),
    "invalid version": (b"GET /" + CANARY + b" HTTP/9.Z\r\nHost: x\r\n\r\n", (400,)),
    "unknown route": (b"GET /favicon.ico?" + CANARY + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", (404,)),
}


def exchange(url: str, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(raw)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
            if b"\r\n\r\n" in data:
                head, _, body = data.partition(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":", 1)[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    None,
                )
                if length is not None and len(body) >= length:
                    break
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in header_lines)}
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_every_malformed_request_gets_a_json_error_that_echoes_nothing(stack, function, case):
    raw, expected = MALFORMED[case]  # expected: the status codes that are right
    status, headers, body = exchange(stack.url(function, ""), raw)
    assert status in expected, (status, body[:200])
    assert headers.get("content-type", "").startswith("application/json"), (headers, body[:200])
    error = json.loads(body)["error"]
    assert error["code"] and error["message"]
    assert CANARY not in body
