"""JSON for every HTTP error, including the ones the framework and the server produce.

Our handlers answer JSON ``{"error": {"code", "message"}}`` themselves. Three other layers can
answer before or around them, and by default answer HTML that may echo the request:

* Flask/werkzeug: unknown routes such as ``/favicon.ico`` (404) and any uncaught exception (500);
* gunicorn, which functions-framework serves with: a malformed request line (control
  characters in the path), a malformed or NUL-carrying header (400), an over-long URI (414) or
  headers (431). Its error page quotes the offending request line.

:func:`install_json_errors` registers Flask error handlers on the app the function's module is
loaded into (functions-framework imports the module inside the app context), and replaces
gunicorn's error writer with one that writes the same JSON shape and never echoes the request.
"""

from __future__ import annotations

import json
import re
import socket

import flask
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from common.errors import PayloadTooLarge

__all__ = ["install_json_errors", "json_error_body", "read_body"]

_CODES = {
    400: "bad_request",
    404: "route_not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    414: "uri_too_long",
    417: "expectation_failed",
    431: "request_header_fields_too_large",
    500: "internal_error",
    501: "not_implemented",
}


def json_error_body(status: int, reason: str) -> str:
    """``{"error": {"code", "message"}}`` for a status; ``message`` is the standard reason phrase."""
    code = _CODES.get(status) or re.sub(r"[^a-z0-9]+", "_", reason.lower()).strip("_") or "http_error"
    return json.dumps({"error": {"code": code, "message": reason}}, separators=(",", ":"))


def _flask_http_error(error: HTTPException) -> flask.Response:
    status = error.code or 500
    response = flask.Response(json_error_body(status, error.name), status=status, mimetype="application/json")
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def _flask_unexpected(_error: Exception) -> flask.Response:
    return flask.Response(json_error_body(500, "Internal Server Error"), status=500, mimetype="application/json")


def _gunicorn_write_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    from gunicorn import util  # already imported: gunicorn is calling us

    body = json_error_body(status_int, reason)
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, (head + body).encode("latin-1"))


def install_json_errors(app: flask.Flask | None = None) -> None:
    """Make every error of the serving stack JSON.

    Args:
        app: The Flask app; default: the app whose context is active (functions-framework loads
            the function's module inside it); with neither, only gunicorn's writer is replaced.
    """
    if app is not None or flask.has_app_context():
        target = app if app is not None else flask.current_app
        target.register_error_handler(HTTPException, _flask_http_error)
        target.register_error_handler(Exception, _flask_unexpected)
    try:
        from gunicorn import util
    except ImportError:  # not serving through gunicorn (tests, Windows)
        return
    util.write_error = _gunicorn_write_error


def read_body(request: flask.Request, *, max_bytes: int) -> bytes:
    """The request body, read no further than ``max_bytes`` + 1.

    Not werkzeug's ``MAX_CONTENT_LENGTH``: functions-framework drains the body again after the
    response, and a limit there raises a second time outside every handler.

    Raises:
        PayloadTooLarge: ``payload_too_large`` (413) when the body is longer, by its
            ``Content-Length`` or by what arrives (chunked bodies).
    """
    if (request.content_length or 0) > max_bytes:
        raise PayloadTooLarge(f"request body is over the {max_bytes} byte limit", details={"limit_bytes": max_bytes})
    data = request.stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"request body is over the {max_bytes} byte limit", details={"limit_bytes": max_bytes})
    return data
