"""A scripted OpenAI-compatible HTTP server, so tests run the real openai client over HTTP.

It serves the two endpoints mirascope's OpenAI-protocol providers call:

* ``POST /v1/chat/completions``: ``ollama/...`` and ``openai/<model>:completions`` models.
* ``POST /v1/responses``: ``openai/<model>`` models (the Responses API).

Each request is answered by a script, a callable ``(ScriptedRequest) -> Answer``, so a test can
answer from the prompt (e.g. the expert label of the criterion it names). Structured output is
answered in the shape the request asked for: message text for a JSON-schema ``response_format``
(chat) or ``text.format`` (responses), and a call of the forced tool for mirascope's tool mode.
Usage token counts are estimated from the text at ~4 characters per token.

Example::

    with ScriptedLLM(lambda request: Json({"answer": 42})) as server:
        adapter = MirascopeModel(base_url=server.base_url, api_key="test")
        ...
        assert len(server.requests) == 1
"""

from __future__ import annotations

import itertools
import json
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

__all__ = [
    "Answer",
    "Garbage",
    "HttpError",
    "Json",
    "ScriptedLLM",
    "ScriptedRequest",
    "Slow",
    "Text",
    "estimate_tokens",
    "sequence",
]

Api = Literal["chat", "responses"]
StructuredMode = Literal["json_schema", "json_object", "tool", "none"]


def estimate_tokens(text: str) -> int:
    """Rough token count of ``text`` (~4 characters per token, at least 1)."""
    return max(1, math.ceil(len(text) / 4))


@dataclass(frozen=True, slots=True)
class Json:
    """Answer with this JSON value as the structured output."""

    value: Any


@dataclass(frozen=True, slots=True)
class Text:
    """Answer with this exact text as the output (e.g. prose where JSON was asked for)."""

    text: str


@dataclass(frozen=True, slots=True)
class Garbage:
    """Answer with output that is not JSON at all."""

    text: str = "I am sorry, I cannot produce JSON today. {{{"


@dataclass(frozen=True, slots=True)
class HttpError:
    """Answer with an HTTP error in OpenAI's error envelope (429, 500, 401, 404...)."""

    status: int
    message: str = "scripted error"
    code: str | None = None
    retry_after: float | None = None


@dataclass(frozen=True, slots=True)
class Slow:
    """Wait ``seconds`` before sending ``then`` (past a client timeout, the client has gone)."""

    seconds: float
    then: Answer = field(default_factory=lambda: Json({}))


type Answer = Json | Text | Garbage | HttpError | Slow
type Script = Callable[[ScriptedRequest], Answer]


@dataclass(frozen=True, slots=True)
class ScriptedRequest:
    """One request the server received.

    Attributes:
        api: ``"chat"`` for ``/v1/chat/completions``, ``"responses"`` for ``/v1/responses``.
        body: The request JSON.
        headers: Request headers, lower-cased names.
    """

    api: Api
    body: Mapping[str, Any]
    headers: Mapping[str, str]

    @property
    def model(self) -> str:
        """The ``model`` field, as the provider sent it (no ``provider/`` prefix)."""
        return str(self.body.get("model", ""))

    @property
    def system(self) -> str:
        """Text of the system (or developer) messages, joined by newlines."""
        return "\n".join(text for role, text in self._messages() if role in ("system", "developer"))

    @property
    def prompt(self) -> str:
        """Text of the user messages, joined by newlines."""
        return "\n".join(text for role, text in self._messages() if role == "user")

    @property
    def structured(self) -> StructuredMode:
        """How structured output was requested."""
        if self.body.get("tool_choice") not in (None, "auto", "none") and self.body.get("tools"):
            return "tool"
        fmt: Any = (
            self.body.get("response_format") if self.api == "chat" else (self.body.get("text") or {}).get("format")
        )
        if isinstance(fmt, dict):
            kind = fmt.get("type")  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
            if kind in ("json_schema", "json_object"):
                return kind  # pyright: ignore[reportReturnType]
        return "none"

    @property
    def schema(self) -> dict[str, Any] | None:
        """The JSON schema of the requested output, whichever way it was requested."""
        if self.structured == "tool":
            for tool in self.body.get("tools", []):
                params = tool.get("function", tool).get("parameters")
                if params is not None:
                    return params
        if self.structured == "json_schema":
            if self.api == "chat":
                return self.body["response_format"]["json_schema"]["schema"]
            return self.body["text"]["format"]["schema"]
        return None

    @property
    def authorization(self) -> str:
        """The ``Authorization`` header, e.g. ``Bearer sk-test``."""
        return self.headers.get("authorization", "")

    def _messages(self) -> Iterable[tuple[str, str]]:
        if self.api == "chat":
            items = self.body.get("messages", [])
        else:
            raw = self.body.get("input", [])
            items = [{"role": "user", "content": raw}] if isinstance(raw, str) else raw
            if self.body.get("instructions"):
                yield "system", str(self.body["instructions"])
        for item in items:
            yield str(item.get("role", "")), _text_of(item.get("content"))


def _text_of(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    parts: list[str] = []
    for part in content:
        if isinstance(part, dict) and isinstance(part.get("text"), str):
            parts.append(part["text"])
    return "\n".join(parts)


def sequence(*answers: Answer) -> Script:
    """A script answering with ``answers`` in order, then repeating the last one."""
    if not answers:
        raise ValueError("sequence needs at least one answer")
    lock = threading.Lock()
    remaining = list(answers)

    def script(_: ScriptedRequest) -> Answer:
        with lock:
            return remaining.pop(0) if len(remaining) > 1 else remaining[0]

    return script


class ScriptedLLM:
    """The server. Use as a context manager; it listens on ``127.0.0.1`` at a free port.

    Args:
        script: Answers each request. Exceptions it raises become HTTP 500 answers.
        cached_tokens: Input tokens reported as read from the prompt cache (capped at the input
            count), as ``prompt_tokens_details.cached_tokens`` (chat) or
            ``input_tokens_details.cached_tokens`` (responses).
        reasoning_tokens: Extra output tokens reported as reasoning
            (``completion_tokens_details`` / ``output_tokens_details.reasoning_tokens``).
        response_model: The ``model`` the answers name, e.g. a dated snapshot such as
            ``gpt-4o-mini-2024-07-18``; default: the model asked for.

    Attributes:
        requests: Every request received, in arrival order.
    """

    def __init__(
        self,
        script: Script,
        *,
        cached_tokens: int = 0,
        reasoning_tokens: int = 0,
        response_model: str | None = None,
    ):
        self.script = script
        self.cached_tokens = cached_tokens
        self.reasoning_tokens = reasoning_tokens
        self.response_model = response_model
        self.requests: list[ScriptedRequest] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="scripted-llm",
            daemon=True,
        )

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/v1``, the OpenAI client's ``base_url``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def start(self) -> ScriptedLLM:
        """Start serving in a daemon thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ScriptedLLM:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def models_asked(self) -> list[str]:
        """The ``model`` of every request, in order."""
        return [r.model for r in self.requests]

    # -- answering -------------------------------------------------------------------------

    def _record(self, request: ScriptedRequest) -> int:
        with self._lock:
            self.requests.append(request)
            return next(self._ids)

    def _answer(self, request: ScriptedRequest) -> tuple[int, dict[str, str], bytes]:
        n = self._record(request)
        try:
            answer = self.script(request)
        except Exception as e:  # a broken script must show up as a failed call, not a hang
            answer = HttpError(500, f"script raised {type(e).__name__}: {e}")
        while isinstance(answer, Slow):
            time.sleep(answer.seconds)
            answer = answer.then
        if isinstance(answer, HttpError):
            return _error(answer)
        text = json.dumps(answer.value) if isinstance(answer, Json) else answer.text
        body = _chat_body(request, text, n) if request.api == "chat" else _responses_body(request, text, n)
        self._report_usage(request.api, body)
        return 200, {"content-type": "application/json"}, json.dumps(body).encode()

    def _report_usage(self, api: Api, body: dict[str, Any]) -> None:
        """Add cache and reasoning details and the response model, as configured."""
        usage = body["usage"]
        if self.response_model is not None:
            body["model"] = self.response_model
        if api == "chat":
            cached = min(self.cached_tokens, usage["prompt_tokens"])
            usage["completion_tokens"] += self.reasoning_tokens
            usage["total_tokens"] += self.reasoning_tokens
            usage["prompt_tokens_details"] = {"cached_tokens": cached}
            usage["completion_tokens_details"] = {"reasoning_tokens": self.reasoning_tokens}
        else:
            cached = min(self.cached_tokens, usage["input_tokens"])
            usage["output_tokens"] += self.reasoning_tokens
            usage["total_tokens"] += self.reasoning_tokens
            usage["input_tokens_details"] = {"cached_tokens": cached}
            usage["output_tokens_details"] = {"reasoning_tokens": self.reasoning_tokens}


def _error(answer: HttpError) -> tuple[int, dict[str, str], bytes]:
    headers = {"content-type": "application/json"}
    if answer.retry_after is not None:
        headers["retry-after"] = str(answer.retry_after)
    code = answer.code or {429: "rate_limit_exceeded", 401: "invalid_api_key", 404: "model_not_found"}.get(
        answer.status
    )
    error = {"message": answer.message, "type": "scripted_error", "param": None, "code": code}
    return answer.status, headers, json.dumps({"error": error}).encode()


def _usage_counts(request: ScriptedRequest, text: str) -> tuple[int, int]:
    prompt = request.system + "\n" + request.prompt
    schema = request.schema
    # The schema is part of what the model reads, as with the real APIs.
    return estimate_tokens(prompt + (json.dumps(schema) if schema else "")), estimate_tokens(text)


def _format_tool_name(request: ScriptedRequest) -> str:
    choice = request.body.get("tool_choice")
    if isinstance(choice, dict):
        name = choice.get("name") or choice.get("function", {}).get("name")  # pyright: ignore[reportUnknownMemberType]
        if isinstance(name, str):
            return name
    tool = request.body["tools"][0]
    return str(tool.get("function", tool).get("name"))


def _chat_body(request: ScriptedRequest, text: str, n: int) -> dict[str, Any]:
    input_tokens, output_tokens = _usage_counts(request, text)
    message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None}
    finish = "stop"
    if request.structured == "tool":
        tool_call = {
            "id": f"call_{n}",
            "type": "function",
            "function": {"name": _format_tool_name(request), "arguments": text},
        }
        message = {"role": "assistant", "content": None, "refusal": None, "tool_calls": [tool_call]}
        finish = "tool_calls"
    return {
        "id": f"chatcmpl-{n}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {
            "prompt_tokens": input_tokens,
            "completion_tokens": output_tokens,
            "total_tokens": input_tokens + output_tokens,
        },
    }


def _responses_body(request: ScriptedRequest, text: str, n: int) -> dict[str, Any]:
    input_tokens, output_tokens = _usage_counts(request, text)
    if request.structured == "tool":
        item: dict[str, Any] = {
            "type": "function_call",
            "id": f"fc_{n}",
            "call_id": f"call_{n}",
            "name": _format_tool_name(request),
            "arguments": text,
            "status": "completed",
        }
    else:
        item = {
            "type": "message",
            "id": f"msg_{n}",
            "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": []}],
        }
    return {
        "id": f"resp_{n}",
        "object": "response",
        "created_at": int(time.time()),
        "status": "completed",
        "model": request.model,
        "output": [item],
        "parallel_tool_calls": False,
        "tool_choice": request.body.get("tool_choice", "auto"),
        "tools": request.body.get("tools", []),
        "error": None,
        "incomplete_details": None,
        "usage": {
            "input_tokens": input_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": input_tokens + output_tokens,
        },
    }


_ROUTES: dict[str, Api] = {"/v1/chat/completions": "chat", "/v1/responses": "responses"}


def _handler_for(server: ScriptedLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            api = _ROUTES.get(self.path.split("?", 1)[0])
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length)
            if api is None:
                self._send(404, {"content-type": "application/json"}, b'{"error": {"message": "no such route"}}')
                return
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                self._send(400, {"content-type": "application/json"}, b'{"error": {"message": "bad json"}}')
                return
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, out_headers, payload = server._answer(ScriptedRequest(api=api, body=body, headers=headers))  # pyright: ignore[reportPrivateUsage]
            self._send(status, out_headers, payload)

        def _send(self, status: int, headers: dict[str, str], payload: bytes) -> None:
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client timed out and left; nothing to answer

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output quiet

    return Handler
