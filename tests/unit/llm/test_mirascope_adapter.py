"""The mirascope adapter over real HTTP (openai client -> scripted server): APIs, usage, error mapping."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from pydantic import BaseModel

from common.config import Settings
from common.errors import AgentJobsError, PermanentError, TransientError
from common.llm.mirascope_adapter import FormatMode, MirascopeModel, from_settings
from common.llm.port import OutputRejected, StructuredModel
from tests.support.scripted_llm import (
    Answer,
    Garbage,
    HttpError,
    Json,
    ScriptedLLM,
    ScriptedRequest,
    Slow,
    Text,
    estimate_tokens,
    sequence,
)

CHAT = "ollama/llama3.1:8b"
CHAT_OPENAI = "openai/gpt-4o-mini:completions"
RESPONSES = "openai/gpt-4o-mini"
GOOD = Json({"answer": 42, "reason": "six times seven"})


class Answered(BaseModel):
    answer: int
    reason: str


@pytest.fixture
def server() -> Iterator[ScriptedLLM]:
    with ScriptedLLM(lambda _: GOOD) as s:
        yield s


def adapter(server: ScriptedLLM, *, format_mode: FormatMode | None = None, max_retries: int = 0) -> MirascopeModel:
    return MirascopeModel(
        base_url=server.base_url,
        api_key="sk-test",
        timeout_seconds=5,
        format_mode=format_mode,
        max_retries=max_retries,
    )


def ask(model: StructuredModel, model_id: str = CHAT) -> Answered:
    return model.generate(model=model_id, system="Be terse.", prompt="What is 6 x 7?", output=Answered).output


# -- the wire APIs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model_id", "api", "sent_model"),
    [
        (RESPONSES, "responses", "gpt-4o-mini"),
        (CHAT_OPENAI, "chat", "gpt-4o-mini"),
        (CHAT, "chat", "llama3.1:8b"),
        ("ollama/hf.co/org/model:Q4", "chat", "hf.co/org/model:Q4"),
    ],
)
def test_each_model_id_form_reaches_its_api(server: ScriptedLLM, model_id: str, api: str, sent_model: str) -> None:
    generation = adapter(server).generate(model=model_id, system="Be terse.", prompt="What is 6 x 7?", output=Answered)
    assert generation.output == Answered(answer=42, reason="six times seven")
    assert generation.calls == 1
    [request] = server.requests
    assert (request.api, request.model) == (api, sent_model)
    assert request.system.startswith("Be terse.") and request.prompt == "What is 6 x 7?"
    assert request.authorization == "Bearer sk-test"


@pytest.mark.parametrize("mode", [None, "strict", "tool", "json"])
@pytest.mark.parametrize("model_id", [RESPONSES, CHAT_OPENAI, CHAT])
def test_every_format_mode_round_trips(server: ScriptedLLM, model_id: str, mode: FormatMode | None) -> None:
    assert ask(adapter(server, format_mode=mode), model_id) == Answered(answer=42, reason="six times seven")
    [request] = server.requests
    if mode == "tool" or (mode is None and model_id == CHAT):
        # mirascope's default for models it does not know to support strict JSON schema
        assert request.structured == "tool"
    elif mode in (None, "strict"):
        assert request.structured == "json_schema"
        assert request.schema is not None and request.schema["required"] == ["answer", "reason"]


def test_usage_is_the_providers_token_counts(server: ScriptedLLM) -> None:
    generation = adapter(server).generate(
        model=CHAT_OPENAI, system="Be terse.", prompt="What is 6 x 7?", output=Answered
    )
    assert generation.output_tokens == estimate_tokens('{"answer": 42, "reason": "six times seven"}')
    assert generation.input_tokens > estimate_tokens("Be terse.\nWhat is 6 x 7?")  # the schema counts too
    assert (generation.input_tokens, generation.calls) != (0, 0)


def test_from_settings_uses_base_url_key_and_timeout(server: ScriptedLLM) -> None:
    settings = Settings.from_env(
        {
            "AGENTJOBS_MODEL_BASE_URL": server.base_url,
            "AGENTJOBS_MODEL_API_KEY": "sk-from-env",
            "AGENTJOBS_MODEL_TIMEOUT_SECONDS": "0.5",
        }
    )
    model = from_settings(settings)
    assert "sk-from-env" not in repr(model)
    ask(model)
    assert server.requests[0].authorization == "Bearer sk-from-env"
    server.script = lambda _: Slow(3, GOOD)
    with pytest.raises(TransientError):
        ask(model)


def test_a_base_url_without_a_key_still_works(server: ScriptedLLM) -> None:
    model = MirascopeModel(base_url=server.base_url, timeout_seconds=5)
    assert ask(model, RESPONSES).answer == 42


# -- errors -------------------------------------------------------------------------------------


def expect_error(server: ScriptedLLM, answer: Answer, model_id: str = CHAT) -> AgentJobsError:
    server.script = lambda _: answer
    with pytest.raises(AgentJobsError) as caught:
        ask(adapter(server), model_id)
    return caught.value


@pytest.mark.parametrize("model_id", [CHAT, RESPONSES])
@pytest.mark.parametrize(
    ("answer", "kind", "code"),
    [
        (HttpError(429, retry_after=0), TransientError, "model_rate_limited"),
        (HttpError(500), TransientError, "model_unavailable"),
        (HttpError(503), TransientError, "model_unavailable"),
        (HttpError(401), PermanentError, "model_auth_failed"),
        (HttpError(403), PermanentError, "model_auth_failed"),
        (HttpError(404), PermanentError, "model_not_found"),
        (HttpError(400, code="model_not_found"), PermanentError, "model_not_found"),
        (HttpError(400), PermanentError, "model_request_rejected"),
    ],
)
def test_http_errors_map_into_the_error_tree(
    server: ScriptedLLM, model_id: str, answer: HttpError, kind: type[AgentJobsError], code: str
) -> None:
    error = expect_error(server, answer, model_id)
    assert isinstance(error, kind)
    assert error.error_code == code
    assert error.__cause__ is not None  # raise ... from e
    assert "scripted error" not in error.message  # the provider's body stays out of our message
    assert len(server.requests) == 1  # no SDK retries by default: the job system retries


def test_sdk_retries_can_be_enabled(server: ScriptedLLM) -> None:
    server.script = sequence(HttpError(429, retry_after=0), GOOD)
    assert ask(adapter(server, max_retries=1)).answer == 42
    assert len(server.requests) == 2


def test_a_slow_answer_is_a_transient_timeout(server: ScriptedLLM) -> None:
    server.script = lambda _: Slow(3, GOOD)
    model = MirascopeModel(base_url=server.base_url, api_key="k", timeout_seconds=0.3)
    started = time.perf_counter()
    with pytest.raises(TransientError) as caught:
        ask(model)
    assert caught.value.error_code == "model_timeout"
    assert time.perf_counter() - started < 2.5


def test_an_unreachable_server_is_transient() -> None:
    with ScriptedLLM(lambda _: GOOD) as gone:
        url = gone.base_url
    model = MirascopeModel(base_url=url, api_key="k", timeout_seconds=2)
    with pytest.raises(TransientError) as caught:
        ask(model)
    assert caught.value.error_code == "model_unavailable"


@pytest.mark.parametrize("model_id", ["no-slash", "nosuchprovider/model"])
def test_unknown_providers_are_model_not_found(model_id: str) -> None:
    with pytest.raises(PermanentError) as caught:
        ask(MirascopeModel(timeout_seconds=1), model_id)
    assert caught.value.error_code == "model_not_found"


def test_openai_without_any_key_is_auth_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(PermanentError) as caught:
        ask(MirascopeModel(timeout_seconds=1), RESPONSES)
    assert caught.value.error_code == "model_auth_failed"


# -- invalid output -----------------------------------------------------------------------------


@pytest.mark.parametrize("model_id", [CHAT, RESPONSES])
@pytest.mark.parametrize(
    "bad", [Garbage(), Text("Sure! The answer is 42."), Json({"answer": "forty-two"}), Json([1, 2])]
)
def test_invalid_output_twice_is_model_output_invalid(server: ScriptedLLM, model_id: str, bad: Answer) -> None:
    error = expect_error(server, bad, model_id)
    assert isinstance(error, PermanentError)
    assert error.error_code == "model_output_invalid"
    assert len(server.requests) == 2
    # The cause summarises where the output failed, without quoting it.
    assert "forty" not in str(error.__cause__) and "Sure" not in str(error.__cause__)


@pytest.mark.parametrize("model_id", [CHAT, RESPONSES])
def test_invalid_output_once_then_valid_succeeds_with_two_calls(server: ScriptedLLM, model_id: str) -> None:
    server.script = sequence(Garbage(), GOOD)
    generation = adapter(server).generate(model=model_id, system="s", prompt="p", output=Answered)
    assert generation.output.answer == 42
    assert generation.calls == 2
    assert len(server.requests) == 2
    first, second = server.requests
    assert generation.input_tokens > 0 and generation.output_tokens == estimate_tokens(
        Garbage().text
    ) + estimate_tokens('{"answer": 42, "reason": "six times seven"}')
    # The retry shows the model its invalid answer and asks for a correction.
    assert len(second.prompt) > len(first.prompt)


def test_a_rejecting_check_counts_as_invalid_output(server: ScriptedLLM) -> None:
    server.script = sequence(Json({"answer": 41, "reason": "r"}), GOOD)
    seen: list[int] = []

    def check(output: Answered) -> None:
        seen.append(output.answer)
        if output.answer != 42:
            raise OutputRejected("answer must be 42")

    generation = adapter(server).generate(model=CHAT, system="s", prompt="p", output=Answered, check=check)
    assert (generation.output.answer, generation.calls, seen) == (42, 2, [41, 42])
    assert "answer must be 42" in server.requests[1].prompt


def test_a_check_rejecting_twice_is_model_output_invalid(server: ScriptedLLM) -> None:
    def check(_: Answered) -> None:
        raise OutputRejected("never good enough")

    with pytest.raises(PermanentError) as caught:
        adapter(server).generate(model=CHAT, system="s", prompt="p", output=Answered, check=check)
    assert caught.value.error_code == "model_output_invalid"
    assert len(server.requests) == 2


def test_the_server_sees_the_model_asked(server: ScriptedLLM) -> None:
    model = adapter(server)
    ask(model, CHAT)
    ask(model, RESPONSES)
    assert server.models_asked() == ["llama3.1:8b", "gpt-4o-mini"]
    assert [r.api for r in server.requests] == ["chat", "responses"]


def test_scripts_can_answer_from_the_request(server: ScriptedLLM) -> None:
    def script(request: ScriptedRequest) -> Answer:
        return Json({"answer": len(request.prompt), "reason": request.model})

    server.script = script
    assert ask(adapter(server)) == Answered(answer=len("What is 6 x 7?"), reason="llama3.1:8b")


def test_calls_of_a_generation_that_fails_are_recorded_for_the_job(server: ScriptedLLM) -> None:
    # Both calls were billed though the output never parsed: the executor stores them with the failure.
    from common.llm.recording import recording

    server.script = lambda _: Garbage()
    with recording() as calls, pytest.raises(PermanentError):
        ask(adapter(server), CHAT_OPENAI)
    assert len(calls) == 2
    assert all(c.input_tokens > 0 and c.output_tokens > 0 for c in calls)
    assert [c.request_model for c in calls] == ["gpt-4o-mini", "gpt-4o-mini"]
