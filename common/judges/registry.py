"""The deterministic judges of each agent, imported only when a job of that agent is judged."""

from __future__ import annotations

import importlib

from common.judges.base import JudgeSpec

__all__ = ["deterministic_judges"]

_MODULES = {
    "protocol-processor": "common.judges.protocol",
    "criteria-evaluator": "common.judges.criteria",
}


def deterministic_judges(agent: str) -> tuple[JudgeSpec, ...]:
    """The agent's deterministic judges in the order they run; ``()`` for an agent without any."""
    module = _MODULES.get(agent)
    if module is None:
        return ()
    judges: tuple[JudgeSpec, ...] = importlib.import_module(module).JUDGES
    return judges
