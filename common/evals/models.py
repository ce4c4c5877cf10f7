"""What an evaluation case holds, and what its task returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

__all__ = ["EvalInputs", "EvalOutput"]


class EvalInputs(BaseModel):
    """A case's inputs: which agent, with which input.

    Attributes:
        agent: Agent name, e.g. ``protocol-processor``.
        input: The agent's input as JSON. For a document agent, ``file_uri`` may be left out
            and ``document`` given instead.
        document: Path of a local document (a PDF) to run the agent on; in process it is read
            from disk, against a stack it is uploaded to the tenant's ``uploads/`` first.
    """

    agent: str
    input: dict[str, Any] = Field(default_factory=dict[str, Any])
    document: str | None = None


@dataclass(frozen=True, slots=True)
class EvalOutput:
    """What a case's run produced.

    Attributes:
        output: The agent's output as JSON.
        source_pages: The page texts the agent read (for the judges); empty when unknown (a job
            run against a stack does not return them).
        model: ``provider/model`` used, if any.
        judgements: The job's own judgements, when it ran against a stack.
    """

    output: dict[str, Any]
    source_pages: tuple[str, ...] = ()
    model: str | None = None
    judgements: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
