"""A scripted Cloud KMS REST endpoint, so the KMS adapter runs the real client library in tests.

It implements ``cryptoKeys.encrypt`` and ``cryptoKeys.decrypt`` of the KMS REST API v1 for any
key name: the "ciphertext" is an opaque token that binds the plaintext to the key name and the
additional authenticated data, as Cloud KMS does, so a wrong AAD answers 400 INVALID_ARGUMENT.
``unavailable`` makes every call answer 503. Not a cipher: tests of confidentiality use the
local AES-GCM cipher; this checks our requests and error mapping against the client library.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class ScriptedKms:
    unavailable: bool = False
    calls: list[str] = field(default_factory=list)
    _sealed: dict[bytes, tuple[str, bytes, bytes]] = field(default_factory=dict)
    _server: ThreadingHTTPServer | None = None

    @property
    def host(self) -> str:
        assert self._server is not None
        return f"127.0.0.1:{self._server.server_address[1]}"

    def client(self) -> Any:
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import kms
        from google.cloud.kms_v1.services.key_management_service.transports.rest import (
            KeyManagementServiceRestTransport,
        )

        transport = KeyManagementServiceRestTransport(
            host=self.host, credentials=AnonymousCredentials(), url_scheme="http"
        )
        return kms.KeyManagementServiceClient(transport=transport)

    def __enter__(self) -> ScriptedKms:
        kms = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                status, answer = kms.answer(self.path.split("?")[0], body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def answer(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        name, _, method = path.removeprefix("/v1/").rpartition(":")
        self.calls.append(method)
        if self.unavailable:
            return 503, _error(503, "UNAVAILABLE", "scripted outage")
        aad = base64.b64decode(body.get("additionalAuthenticatedData", ""))
        if method == "encrypt":
            token = secrets.token_bytes(24)
            self._sealed[token] = (name, aad, base64.b64decode(body["plaintext"]))
            return 200, {"name": f"{name}/cryptoKeyVersions/1", "ciphertext": base64.b64encode(token).decode()}
        if method == "decrypt":
            sealed = self._sealed.get(base64.b64decode(body.get("ciphertext", "")))
            if sealed is None or sealed[0] != name or sealed[1] != aad:
                return 400, _error(400, "INVALID_ARGUMENT", "Decryption failed")
            return 200, {"plaintext": base64.b64encode(sealed[2]).decode()}
        return 404, _error(404, "NOT_FOUND", "no such method")


def _error(code: int, status: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "status": status, "message": message}}
