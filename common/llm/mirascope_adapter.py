"""The :class:`~common.llm.port.StructuredModel` port on mirascope v2. The only module importing mirascope.

Model ids use mirascope's ``provider/model`` form, which also picks the wire API:

* ``openai/gpt-4o-mini``: OpenAI's Responses API (``POST {base_url}/responses``), which
  mirascope 2.8 prefers for ``openai/`` models.
* ``openai/gpt-4o-mini:completions``: the Chat Completions API (``POST {base_url}/chat/completions``).
* ``ollama/<model>``: Chat Completions too; the model name may contain ``/`` and ``:``
  (``ollama/hf.co/org/model:Q4``). Use it for vLLM, Ollama and other OpenAI-compatible servers:
  ``openai/`` sends only the segment after its first ``/``, so ``openai/org/model`` becomes ``org``.

Privacy: the Responses API stores responses at OpenAI by default (``store`` defaults to true there,
false for Chat Completions) and mirascope 2.8 offers no parameter to turn it off. For patient data
on api.openai.com, configure ``openai/<model>:completions`` or a zero-data-retention project.

``base_url`` and ``api_key`` (``AGENTJOBS_MODEL_BASE_URL`` / ``AGENTJOBS_MODEL_API_KEY``) configure
the ``openai`` and ``ollama`` providers, which speak the OpenAI protocol. Any other provider
(``anthropic/``, ``google/``) is resolved by mirascope's registry from its own environment
variables (``ANTHROPIC_API_KEY``...) and needs its mirascope extra installed.

mirascope (and with it every provider SDK it finds installed) is imported on the first call, not
when this module is imported, so agents that never call a model never pay for it.

Sources: mirascope 2.8 ``mirascope/llm/providers/provider_registry.py`` (scopes, ``base_url``),
``providers/openai/provider.py`` (``choose_api_mode``), ``formatting/format.py`` (format modes),
``providers/openai/_utils/errors.py`` (how OpenAI SDK errors become ``llm`` errors).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, cast

from pydantic import BaseModel, ValidationError

from common import telemetry
from common.config import Settings
from common.costs.model_ids import split_model_id
from common.errors import AgentJobsError, PermanentError, TransientError
from common.jobs.models import ModelCall
from common.llm.gate import current_gate
from common.llm.port import Generation, OutputCheck, OutputRejected
from common.llm.recording import record
from common.telemetry.allowlist import is_safe_text
from common.telemetry.log import log

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mirascope.llm import Message, Provider, Response  # pyright: ignore[reportMissingTypeStubs]

__all__ = [
    "FormatMode",
    "MirascopeModel",
    "ModelAuthFailed",
    "ModelNotFound",
    "ModelOutputInvalid",
    "ModelRateLimited",
    "ModelTimeout",
    "ModelUnavailable",
    "from_settings",
]

FormatMode = Literal["strict", "tool", "json"]
"""How structured output is requested (mirascope's ``llm.format`` modes).

``strict``: a JSON-schema ``response_format`` (Chat Completions) or ``text.format`` (Responses).
``tool``: a forced call of a tool whose parameters are the schema. ``json``: JSON mode plus the
schema in the system prompt. ``None`` lets mirascope choose per model: ``strict`` for OpenAI models
known to support it, ``tool`` for other OpenAI-compatible servers (``ollama/``).
"""

# Providers that speak the OpenAI protocol and so take our base_url and api_key.
_OPENAI_PROTOCOL = frozenset({"openai", "ollama"})
# mirascope provider id -> gen_ai.provider.name (OTel GenAI semconv well-known values).
_GEN_AI_PROVIDER = {
    "google": "gcp.gemini",
    "mistral": "mistral_ai",
    "xai": "x_ai",
    "bedrock": "aws.bedrock",
    "azure": "azure.ai.openai",
}
_ATTEMPTS = 2  # the first call, then one retry when the output is invalid
_THROTTLED_RETRIES = 3  # provider 429s absorbed by the job's gate (short waits) before giving up


class ModelRateLimited(TransientError):
    """The provider answered HTTP 429."""

    code = "model_rate_limited"


class ModelUnavailable(TransientError):
    """The provider answered 5xx, or could not be reached."""

    code = "model_unavailable"


class ModelTimeout(TransientError):
    """The call took longer than the configured timeout."""

    code = "model_timeout"


class ModelAuthFailed(PermanentError):
    """The provider rejected the API key (401/403), or no key is configured."""

    code = "model_auth_failed"


class ModelNotFound(PermanentError):
    """The provider does not know the model, or no provider serves its ``provider/`` prefix."""

    code = "model_not_found"


class ModelOutputInvalid(PermanentError):
    """The output did not match the requested schema (or the caller's check) twice."""

    code = "model_output_invalid"


class _InvalidOutput(Exception):
    """Content-free summary of why an output was invalid; the cause of :class:`ModelOutputInvalid`.

    mirascope's ``ParseError`` and pydantic's ``ValidationError`` quote the model's output, which
    may repeat patient text, so they are summarised (error locations and types only) instead of
    being chained into tracebacks.
    """


class MirascopeModel:
    """:class:`~common.llm.port.StructuredModel` backed by mirascope v2 providers.

    Args:
        base_url: Base URL of an OpenAI-compatible server, e.g. ``http://127.0.0.1:11434/v1``;
            ``""`` for the provider's default (api.openai.com for ``openai/``).
        api_key: Key for the ``openai``/``ollama`` providers; ``""`` falls back to
            ``OPENAI_API_KEY`` (or, with a ``base_url``, to a placeholder, as local servers
            rarely check keys).
        timeout_seconds: Timeout of one HTTP call to the model (s).
        max_retries: Retries the provider SDK itself makes on 429/5xx/connection errors. Default 0:
            the job system redelivers on :class:`~common.errors.TransientError`, and SDK retries
            inside an attempt would multiply its worst-case duration.
        format_mode: See :data:`FormatMode`; ``None`` lets mirascope choose per model.
    """

    def __init__(
        self,
        *,
        base_url: str = "",
        api_key: str = "",
        timeout_seconds: float = 120.0,
        max_retries: int = 0,
        format_mode: FormatMode | None = None,
    ):
        self._base_url = base_url or None
        self._api_key = api_key or ("unused" if base_url else None)
        self._timeout = timeout_seconds
        self._max_retries = max_retries
        self._format_mode: FormatMode | None = format_mode
        self._providers: dict[str, Provider] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        # Never shows the key.
        return f"MirascopeModel(base_url={self._base_url!r}, timeout_seconds={self._timeout})"

    def generate[T: BaseModel](
        self,
        *,
        model: str,
        system: str,
        prompt: str,
        output: type[T],
        check: OutputCheck[T] | None = None,
    ) -> Generation[T]:
        """Ask ``model`` for an instance of ``output``; see :meth:`common.llm.port.StructuredModel.generate`.

        Args:
            model: ``provider/model``, e.g. ``openai/gpt-4o-mini`` or ``ollama/llama3.1:8b``.
            system: System prompt.
            prompt: User prompt.
            output: Pydantic model of the answer; keep its schema within OpenAI's strict-mode
                subset (no string length limits) so every format mode accepts it.
            check: Optional semantic check; raising :class:`~common.llm.port.OutputRejected`
                counts as invalid output.

        Returns:
            The parsed output, with input/output tokens summed over the calls made and one
            :class:`~common.jobs.models.ModelCall` per call. Each call runs in a ``gen_ai`` span
            of :func:`common.telemetry.get` (a no-op unless telemetry is initialised).

        Raises:
            ModelOutputInvalid: ``model_output_invalid`` after two invalid outputs.
            ModelAuthFailed: ``model_auth_failed``.
            ModelNotFound: ``model_not_found``.
            PermanentError: ``model_request_rejected`` (another 4xx),
                ``model_provider_unavailable`` (the provider's SDK is not installed).
            ModelRateLimited: ``model_rate_limited``.
            ModelUnavailable: ``model_unavailable``.
            ModelTimeout: ``model_timeout``.
        """
        from mirascope import llm  # pyright: ignore[reportMissingTypeStubs]

        provider = self._provider(model)
        fmt = output if self._format_mode is None else llm.format(output, mode=self._format_mode)
        messages: list[Message] = [llm.messages.system(system), llm.messages.user(prompt)]
        calls: list[ModelCall] = []
        problem = _InvalidOutput("no attempt made")
        input_tokens = -(-(len(system) + len(prompt)) // 4)
        for attempt in range(1, _ATTEMPTS + 1):
            response, call = self._gated_call(provider, model, messages, fmt, attempt, input_tokens=input_tokens)
            calls.append(call)
            try:
                parsed: T = response.parse()
                if check is not None:
                    check(parsed)
            except llm.ParseError as e:
                problem = _InvalidOutput(_summarise(e.original_exception))
                correction: str = e.retry_message()
            except OutputRejected as e:
                problem = _InvalidOutput(f"rejected: {e}")
                correction = f"Your response was rejected: {e}\n\nPlease correct it and respond again."
            else:
                return Generation(
                    output=parsed,
                    input_tokens=sum(c.input_tokens for c in calls),
                    output_tokens=sum(c.output_tokens for c in calls),
                    calls=attempt,
                    model_calls=tuple(calls),
                )
            log("model.output_invalid", severity="WARNING", model=model, attempt=attempt, reason=str(problem))
            messages = [*response.messages, llm.messages.user(correction)]
            input_tokens += call.output_tokens + -(-len(correction) // 4)
        raise ModelOutputInvalid(
            f"the model's output did not match the requested schema after {_ATTEMPTS} attempts"
        ) from problem

    def _gated_call(
        self, provider: Provider, model: str, messages: Sequence[Message], fmt: Any, attempt: int, *, input_tokens: int
    ) -> tuple[Response[Any], ModelCall]:
        """:meth:`_call` behind the job's gate (:mod:`common.llm.gate`): rate limits, provider 429s fed back."""
        gate = current_gate()
        if gate is None:
            return self._call(provider, model, messages, fmt, attempt)
        for throttled in range(_THROTTLED_RETRIES + 1):
            gate.before_call(model=model, input_tokens=input_tokens)
            try:
                return self._call(provider, model, messages, fmt, attempt)
            except ModelRateLimited as e:
                retry_after = e.details.get("retry_after_seconds")
                gate.provider_throttled(model=model, retry_after_seconds=retry_after)
                if throttled == _THROTTLED_RETRIES:
                    raise
        raise AssertionError("unreachable")

    def _call(
        self, provider: Provider, model: str, messages: Sequence[Message], fmt: Any, attempt: int
    ) -> tuple[Response[Any], ModelCall]:
        """One call, in a ``gen_ai`` span, with its usage record."""
        from mirascope import llm  # pyright: ignore[reportMissingTypeStubs]

        scope, request_model = split_model_id(model)
        requested_at = datetime.now(UTC)
        started = time.perf_counter()
        with telemetry.get().model_call(
            provider=_GEN_AI_PROVIDER.get(scope, scope), request_model=request_model
        ) as span:
            try:
                response = provider.call(model_id=model, messages=messages, toolkit=llm.Toolkit(None), format=fmt)
            except llm.Error as e:
                error = _translate(e)
                log(
                    "model.call_failed",
                    severity="WARNING",
                    model=model,
                    attempt=attempt,
                    code=error.error_code,
                    seconds=time.perf_counter() - started,
                )
                raise error from e
            call = _model_call(response, scope, request_model, requested_at, time.perf_counter() - started)
            span.record(call)
        record(call)  # billed even if the run fails later: the executor stores it with the failure
        log(
            "model.call",
            model=model,
            attempt=attempt,
            seconds=call.seconds,
            input_tokens=call.input_tokens,
            output_tokens=call.output_tokens,
            cache_read_tokens=call.cache_read_tokens,
            reasoning_tokens=call.reasoning_tokens,
            response_model=call.response_model,
        )
        return response, call

    def _provider(self, model: str) -> Provider:
        _import_httpx2_first()
        scope, slash, _ = model.partition("/")
        if not slash or not scope:
            raise ModelNotFound("model ids have the form provider/model")
        if scope not in _OPENAI_PROTOCOL:
            return _registered_provider(scope, model)
        with self._lock:
            cached = self._providers.get(scope)
            if cached is None:
                cached = self._providers[scope] = self._openai_protocol_provider(scope)
            return cached

    def _openai_protocol_provider(self, scope: str) -> Provider:
        import openai
        from mirascope import llm  # pyright: ignore[reportMissingTypeStubs]

        cls = llm.providers.OpenAIProvider if scope == "openai" else llm.providers.OllamaProvider
        try:
            provider = cls(api_key=self._api_key, base_url=self._base_url)
        except (openai.OpenAIError, ValueError) as e:  # the clients refuse to start without a key
            raise ModelAuthFailed(
                f"model provider '{scope}' could not be configured ({type(e).__name__}); is an API key set?"
            ) from e
        _tune_clients(provider, timeout=self._timeout, max_retries=self._max_retries)
        return provider


def _import_httpx2_first() -> None:
    """Import ``httpx2`` (when installed) before any model call of this process.

    The openai SDK looks ``httpx2`` up in ``sys.modules`` on every request, and genai-prices
    imports it when a finished job is first priced. A call in one thread would otherwise see the
    module half-initialised while another thread imports it, and fail with ``AttributeError``
    (seen as ``agent_error`` in the fault tests). The import lock makes this one import complete
    before any thread goes on to call a model.
    """
    with contextlib.suppress(ImportError):
        import httpx2  # noqa: F401  # pyright: ignore[reportUnusedImport, reportMissingImports]


def _model_call(
    response: Response[Any], provider: str, request_model: str, requested_at: datetime, seconds: float
) -> ModelCall:
    """The usage record of one response: mirascope's normalised ``Usage`` plus the answering model.

    mirascope 2.8 ``llm/responses/usage.py``: ``input_tokens`` includes cache reads and writes,
    ``output_tokens`` includes reasoning; absent counts are 0. The answering model comes from
    the provider's raw response (``model`` for OpenAI and Anthropic, ``model_version`` for
    Google), kept only if it looks like a model id.
    """
    usage = response.usage
    raw: object = response.raw
    answered = getattr(raw, "model", None) or getattr(raw, "model_version", None)
    response_model = answered if isinstance(answered, str) and is_safe_text(answered) and answered else None
    return ModelCall(
        provider=provider,
        request_model=request_model,
        response_model=response_model,
        requested_at=requested_at,
        input_tokens=usage.input_tokens if usage is not None else 0,
        output_tokens=usage.output_tokens if usage is not None else 0,
        cache_read_tokens=usage.cache_read_tokens if usage is not None else 0,
        cache_write_tokens=usage.cache_write_tokens if usage is not None else 0,
        reasoning_tokens=usage.reasoning_tokens if usage is not None else 0,
        seconds=round(seconds, 6),
    )


def _registered_provider(scope: str, model: str) -> Provider:
    """The shared mirascope provider for ``model``, configured by the provider's own env variables."""
    from mirascope import llm  # pyright: ignore[reportMissingTypeStubs]

    try:
        return llm.providers.get_provider_for_model(model)
    except ImportError as e:  # mirascope stubs providers whose SDK is missing
        raise PermanentError(
            f"the SDK of model provider '{scope}' is not installed", code="model_provider_unavailable"
        ) from e
    except llm.Error as e:
        raise _translate(e) from e


def _tune_clients(provider: object, *, timeout: float, max_retries: int) -> None:
    """Give every OpenAI SDK client of ``provider`` our timeout and retry count.

    mirascope's provider constructors take only ``api_key`` and ``base_url``; the clients they
    build default to a 600 s timeout and 2 retries. ``OpenAIProvider`` keeps one sub-provider per
    API, so sub-providers are walked too.
    """
    import openai
    from mirascope import llm  # pyright: ignore[reportMissingTypeStubs]

    attributes: dict[str, object] = vars(provider)
    for name, value in list(attributes.items()):
        if isinstance(value, (openai.OpenAI, openai.AsyncOpenAI)):
            setattr(provider, name, value.with_options(timeout=timeout, max_retries=max_retries))
        elif isinstance(value, llm.providers.BaseProvider):
            _tune_clients(cast(object, value), timeout=timeout, max_retries=max_retries)


def _translate(error: Exception) -> AgentJobsError:
    """The agentjobs error for a mirascope error. Messages carry types and statuses, never bodies."""
    from mirascope import llm  # pyright: ignore[reportMissingTypeStubs]

    name = type(error).__name__
    if isinstance(error, llm.RateLimitError):
        retry_after = _retry_after(error)
        return ModelRateLimited(
            "the model provider is rate limiting requests (HTTP 429)",
            details={} if retry_after is None else {"retry_after_seconds": retry_after},
        )
    if isinstance(error, llm.TimeoutError):
        return ModelTimeout("the model call timed out")
    if isinstance(error, (llm.ServerError, llm.ConnectionError)):
        return ModelUnavailable(f"the model provider is unavailable ({name})")
    if isinstance(error, (llm.AuthenticationError, llm.PermissionError, llm.MissingAPIKeyError)):
        return ModelAuthFailed(f"the model provider rejected the credentials ({name})")
    if isinstance(error, (llm.NotFoundError, llm.NoRegisteredProviderError)):
        return ModelNotFound(f"the model provider does not serve this model ({name})")
    if isinstance(error, llm.BadRequestError):
        if getattr(error.original_exception, "code", None) == "model_not_found":
            return ModelNotFound("the model provider does not serve this model")
        return PermanentError(
            f"the model provider rejected the request (HTTP {error.status_code})",
            code="model_request_rejected",
        )
    if isinstance(error, llm.APIError):
        status = error.status_code
        if status is not None and (status >= 500 or status in (408, 409)):
            return ModelUnavailable(f"the model provider is unavailable (HTTP {status})")
        return PermanentError(f"the model provider rejected the request (HTTP {status})", code="model_request_rejected")
    if isinstance(error, llm.FeatureNotSupportedError):
        return PermanentError(
            "the model does not support the requested structured-output mode", code="model_request_rejected"
        )
    # ResponseValidationError and unknown provider errors: a malformed answer, worth retrying.
    return ModelUnavailable(f"the model call failed ({name})")


def _retry_after(error: Exception) -> float | None:
    """The provider's ``retry-after-ms`` or ``retry-after`` (delay in seconds) of a 429, if it sent one."""
    response = getattr(getattr(error, "original_exception", None), "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        raw = headers.get(name)
        try:
            value = float(raw) * scale if raw is not None else None
        except (TypeError, ValueError):
            value = None  # an HTTP-date: the limiter's default back-off applies
        if value is not None and 0 <= value < 86_400:
            return value
    return None


def _summarise(error: Exception) -> str:
    """Why an output failed to parse, without quoting it."""
    if isinstance(error, ValidationError):
        where = [
            f"{'.'.join(str(p) for p in item['loc']) or '<root>'}: {item['type']}"
            for item in error.errors(include_input=False, include_url=False)[:5]
        ]
        return f"{error.error_count()} schema error(s): " + "; ".join(where)
    if isinstance(error, json.JSONDecodeError):
        return f"not valid JSON (at char {error.pos})"
    return f"no JSON found ({type(error).__name__})"


def from_settings(settings: Settings | None = None) -> MirascopeModel:
    """An adapter configured from settings (default: ``Settings.from_env()``).

    Raises:
        ConfigError: A numeric model setting is not a number.
    """
    s = settings or Settings.from_env()
    return MirascopeModel(base_url=s.model_base_url, api_key=s.model_api_key, timeout_seconds=s.model_timeout_seconds)
