"""The agents, by name, imported only when used.

Names are known without importing anything, so ``submit`` and ``status`` can validate an agent
name for free; an agent's module (and whatever model SDK it needs) loads on first use.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import TYPE_CHECKING, cast

from common.errors import NotFound

if TYPE_CHECKING:  # the names are free to import: no agent, no pydantic
    from common.agents.base import Agent

__all__ = ["AGENT_NAMES", "NEEDS_MODEL", "UnknownAgent", "load_agent", "model_not_configured_message"]

_AGENTS: dict[str, tuple[str, str]] = {
    "protocol-processor": ("common.agents.protocol_processor.agent", "ProtocolProcessor"),
    "criteria-evaluator": ("common.agents.criteria_evaluator.agent", "CriteriaEvaluator"),
}
AGENT_NAMES: frozenset[str] = frozenset(_AGENTS)
NEEDS_MODEL: frozenset[str] = frozenset({"criteria-evaluator"})
"""Agents that cannot run without a model (the others have an offline mode)."""


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
    return cast("Agent", getattr(module, class_name)())


def model_not_configured_message(agent: str) -> str:
    """Where the model of ``agent`` is configured: the functions' settings, not the caller's shell."""
    variable = "AGENTJOBS_MODEL__" + agent.upper().replace("-", "_")
    return (
        f"the {agent} agent needs a model and this deployment configures none. The model is a setting of "
        f"the functions (AGENTJOBS_MODEL, or {variable}), not of your shell: on the local stack start it "
        "with `agentjobs dev up --model provider/model`; in a deployment set the Terraform variable "
        "default_model (or agent_models)"
    )
