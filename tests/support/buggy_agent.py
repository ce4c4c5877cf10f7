"""A protocol processor with a deliberate bug, for "a bug becomes one Sentry issue" tests."""

from __future__ import annotations

from pydantic import BaseModel

from common.agents.base import AgentContext, AgentResult
from common.agents.protocol_processor.agent import ProtocolProcessor

__all__ = ["BuggyProtocolProcessor"]


class BuggyProtocolProcessor(ProtocolProcessor):
    """Reads the document like the real agent, then fails as a bug would (``ZeroDivisionError``)."""

    def run(self, payload: BaseModel, ctx: AgentContext) -> AgentResult:
        """Download, then divide by zero."""
        fields = payload.model_dump()
        data = ctx.read_document(fields["file_uri"], generation=fields["generation"])
        sections = 0
        raise ZeroDivisionError(f"pages per section in a {len(data)}-byte file: ? / {sections}")
