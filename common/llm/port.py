"""The structured-output model port. Pure: no SDK import.

A :class:`StructuredModel` takes a system prompt, a user prompt and a pydantic output type, and
returns the parsed output with the tokens it cost. Output that does not parse (or that a caller's
``check`` rejects) is asked for once more; a second failure is a permanent ``model_output_invalid``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from common.jobs.models import ModelCall, Usage

if TYPE_CHECKING:  # type-parameter bounds are evaluated lazily: importing the port loads no pydantic
    from pydantic import BaseModel

__all__ = ["Generation", "OutputCheck", "OutputRejected", "StructuredModel"]


class OutputRejected(ValueError):
    """Raised by an :data:`OutputCheck` to reject a parsed output that is wrong for the request.

    The message is sent back to the model as the correction request, and never logged. It must
    therefore describe the problem by indexes or counts only (``"missing criterion 3"``), never
    with prompt, document or patient text.
    """


type OutputCheck[T: BaseModel] = Callable[[T], None]
"""Semantic check of a parsed output; raises :class:`OutputRejected` to ask the model again."""


@dataclass(frozen=True, slots=True)
class Generation[T: BaseModel]:
    """A parsed model output and what it cost.

    Attributes:
        output: The output, validated against the requested pydantic type.
        input_tokens: Tokens sent, summed over ``calls`` (as reported by the provider).
        output_tokens: Tokens received, summed over ``calls``.
        calls: Model calls made: 1, or 2 when the first output was invalid.
        model_calls: One record per call (tokens incl. cache and reasoning, the model the
            provider answered with, the request time), oldest first; empty from ports that do
            not report them.
    """

    output: T
    input_tokens: int
    output_tokens: int
    calls: int = 1
    model_calls: tuple[ModelCall, ...] = ()

    def usage(self, *, document_tokens: int | None = None) -> Usage:
        """The job's :class:`~common.jobs.models.Usage` for this generation, with its per-call records."""
        if self.model_calls:
            return Usage.of_calls(self.model_calls, document_tokens=document_tokens)
        return Usage(
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            document_tokens=document_tokens,
            calls=self.calls,
        )


class StructuredModel(Protocol):
    """A language model that answers with structured output."""

    def generate[T: BaseModel](
        self,
        *,
        model: str,
        system: str,
        prompt: str,
        output: type[T],
        check: OutputCheck[T] | None = None,
    ) -> Generation[T]:
        """Ask ``model`` for an instance of ``output``.

        Args:
            model: Model id in mirascope's ``provider/model`` form, e.g. ``openai/gpt-4o-mini``.
            system: System prompt.
            prompt: User prompt.
            output: The pydantic model the answer must validate against; its JSON schema is
                sent as the structured-output format.
            check: Optional semantic check of the parsed output. Raising
                :class:`OutputRejected` counts as invalid output.

        Returns:
            The parsed output and the token usage of every call made.

        Raises:
            PermanentError: ``model_output_invalid`` when the output failed to parse (or was
                rejected by ``check``) twice; ``model_auth_failed``, ``model_not_found``,
                ``model_request_rejected``, ``model_provider_unavailable``.
            TransientError: ``model_rate_limited`` (HTTP 429), ``model_unavailable`` (5xx or
                connection failure), ``model_timeout``.
        """
        ...
