"""What a judge is: a named, versioned check of one agent's output. Pure.

A deterministic judge is a function ``Subject -> Check``; the runner (:mod:`common.judges.runner`)
stamps its name, version and time on the result and turns a crash into ``not_judged``. To add
one, write the function next to its agent's other judges and list it in their ``JUDGES`` tuple
(see the README's "Writing a judge").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = ["Check", "JudgeSpec", "Subject", "ids", "share"]


@dataclass(frozen=True, slots=True)
class Subject:
    """What a judge looks at.

    Attributes:
        input: The job's validated input (the agent's input model).
        output: The agent's output model.
        source_pages: The text of each page of the source document (index 0 is page 1), as the
            agent read it; empty when the agent reads no document.
    """

    input: BaseModel
    output: BaseModel
    source_pages: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Check:
    """A deterministic judge's finding.

    Attributes:
        passed: Whether the output passed.
        score: Share of checked items that passed, 0.0 to 1.0.
        reason_code: Stable snake_case code (``ok`` when passed).
        reason: Items named by id or index only, never by their text.
    """

    passed: bool
    score: float
    reason_code: str
    reason: str


@dataclass(frozen=True, slots=True)
class JudgeSpec:
    """A deterministic judge.

    Attributes:
        name: Stable snake_case name, unique across agents.
        version: Bumped whenever the rule changes.
        check: The rule.
        needs_source: The judge reads :attr:`Subject.source_pages`; without them it records
            ``not_judged`` (``output_unavailable``) instead of running.
    """

    name: str
    version: str
    check: Callable[[Subject], Check]
    needs_source: bool = False


def share(good: int, total: int) -> float:
    """``good / total``, 1.0 when there was nothing to check."""
    return 1.0 if total == 0 else good / total


def ids(items: Sequence[str], *, limit: int = 20) -> str:
    """Comma-separated ids, at most ``limit`` of them (then ``"+N more"``)."""
    shown = ", ".join(items[:limit])
    return shown if len(items) <= limit else f"{shown} +{len(items) - limit} more"
