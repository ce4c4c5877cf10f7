"""The agents, by name, imported only when used.

Names are known without importing anything, so ``submit`` and ``status`` can validate an agent
name for free; an agent's module (and whatever model SDK it needs) loads on first use.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import cast

from common.agents.base import Agent
from common.errors import NotFound

__all__ = ["AGENT_NAMES", "UnknownAgent", "load_agent"]

_AGENTS: dict[str, tuple[str, str]] = {
    "protocol-processor": ("common.agents.protocol_processor.agent", "ProtocolProcessor"),
    "criteria-evaluator": ("common.agents.criteria_evaluator.agent", "CriteriaEvaluator"),
}
AGENT_NAMES: frozenset[str] = frozenset(_AGENTS)


class UnknownAgent(NotFound):
    """No agent has that name."""

    code = "unknown_agent"


@cache
def load_agent(name: str) -> Agent:
    """The agent called ``name``, imported on first use.

    Raises:
        UnknownAgent: No agent has that name.
    """
    try:
        module_name, class_name = _AGENTS[name]
    except KeyError:
        raise UnknownAgent(f"unknown agent; known agents: {', '.join(sorted(_AGENTS))}") from None
    module = importlib.import_module(module_name)
    return cast(Agent, getattr(module, class_name)())
