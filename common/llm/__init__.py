"""The model port: how agents ask a language model for structured output.

Agents depend on :class:`~common.llm.port.StructuredModel` only. The one implementation that talks
to real models, :mod:`common.llm.mirascope_adapter`, is imported lazily by the agents that need it
(it pulls in mirascope and a provider SDK), so this package stays cheap to import.
"""

from __future__ import annotations

from common.llm.port import Generation, OutputCheck, OutputRejected, StructuredModel

__all__ = ["Generation", "OutputCheck", "OutputRejected", "StructuredModel"]
