"""What an agent is, and what it may use while it runs.

An agent is a pure-ish unit of work: it validates its input with a pydantic model, reads what it
needs through its :class:`AgentContext` (tenant-scoped), and returns a pydantic output. It never
touches job state; the runner owns the lifecycle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from common.jobs.models import Usage

if TYPE_CHECKING:  # annotations only: importing what an agent is loads no pydantic
    from pydantic import BaseModel

__all__ = ["Agent", "AgentContext", "AgentResult", "StageRecorder"]

StageRecorder = Callable[[str, float], None]
"""Called with ``(stage name, seconds)`` as each stage of an agent finishes."""


class AgentContext(Protocol):
    """What a running agent may use. Scoped to the job's tenant."""

    @property
    def tenant_id(self) -> str:
        """The job's tenant."""
        ...

    @property
    def job_id(self) -> str:
        """The job being run (for logs only)."""
        ...

    @property
    def model(self) -> str:
        """The ``provider/model`` selected for this job, or ``""`` when none is configured."""
        ...

    def read_document(self, uri: str, *, generation: int | None = None) -> bytes:
        """The bytes of a document inside the tenant's storage prefix.

        Raises:
            Forbidden: ``outside_tenant_prefix``.
            NotFound: ``object_not_found``.
            PermanentError: ``document_too_large``.
            TransientError: Storage is unavailable.
        """
        ...

    def record_stage(self, name: str, seconds: float) -> None:
        """Record a stage duration in seconds; it lands in the job's ``timings``."""
        ...


@dataclass(frozen=True, slots=True)
class AgentResult:
    """What an agent returns.

    Attributes:
        output: The agent's output model.
        model: ``provider/model`` actually used, or ``None`` for offline runs.
        usage: Token usage summed over model calls, or ``None`` for offline runs.
        source_pages: The text of each page of the document the agent read (index 0 is page 1),
            for the judges (:mod:`common.judges`) to check the output against; never stored.
            Empty when the agent reads no document.
    """

    output: BaseModel
    model: str | None = None
    usage: Usage | None = None
    source_pages: tuple[str, ...] = ()


class Agent(Protocol):
    """An agent: a name, an input model, and a ``run`` method."""

    @property
    def name(self) -> str:
        """Registry name, e.g. ``protocol-processor``."""
        ...

    @property
    def input_model(self) -> type[BaseModel]:
        """The pydantic model the job's ``input`` must validate against."""
        ...

    @property
    def output_model(self) -> type[BaseModel]:
        """The pydantic model of the output (for OpenAPI and structured output)."""
        ...

    def input_from_file(self, file_uri: str, generation: str) -> dict[str, object] | None:
        """The job input for a file dropped in the agent's inbox, or ``None`` if the agent takes no files."""
        ...

    def run(self, payload: BaseModel, ctx: AgentContext) -> AgentResult:
        """Run on validated input.

        Raises:
            PermanentError: The input can never succeed (bad document, model output that does
                not parse); the job fails with the error's code.
            TransientError: Retry later (model rate limit, storage unavailable).
        """
        ...
