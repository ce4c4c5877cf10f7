"""The process-wide model port built from settings, shared by every agent.

Built on first use (that is when mirascope and the provider SDK are imported) and then reused,
so a warm instance keeps its HTTP connections and provider clients across jobs.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from common.llm.port import StructuredModel

__all__ = ["ModelFactory", "default_model"]

ModelFactory = Callable[[], StructuredModel]
"""Builds the model port; agents take one so tests can point them at a scripted server."""


@cache
def default_model() -> StructuredModel:
    """The mirascope adapter configured from ``Settings.from_env()`` (base URL, API key, timeout)."""
    from common.llm.mirascope_adapter import from_settings

    return from_settings()
