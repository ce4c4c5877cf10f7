"""A "model" that answers the criteria evaluator with the physicians' labels (``--model replay``).

It implements the :class:`~common.llm.port.StructuredModel` port in process: it reads the
criteria and note sentences from the agent's own prompt, finds the labelled pair whose note it
is, and answers each criterion with the expert status and evidence. Running ``agentjobs eval run
criteria`` with it checks the harness end to end (prompt, structured output, assembly, verdict
rule, scorers, reports): accuracy against the physicians is then 100% by construction. With a
real model configured (``--model provider/model``), the same command measures real accuracy.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import BaseModel

from common.evals.shared_data import LabelledPair
from common.llm.port import Generation, OutputCheck

__all__ = ["REPLAY", "ExpertReplay"]

REPLAY = "replay"
"""The ``--model`` value that selects :class:`ExpertReplay`."""

_CRITERION = re.compile(r"^(?P<index>\d+)\. \[(?P<type>inclusion|exclusion)\] (?P<text>.*)$", re.MULTILINE)
_SENTENCE = re.compile(r"^(?P<index>\d+)\. (?P<text>(?!\[(?:inclusion|exclusion)\]).*)$", re.MULTILINE)


def _key(text: str) -> str:
    return " ".join(text.split())


class ExpertReplay:
    """Answers from ``pairs``' labels; implements :class:`~common.llm.port.StructuredModel`.

    Args:
        pairs: The labelled pairs it may be asked about.
    """

    def __init__(self, pairs: Sequence[LabelledPair]):
        self._pairs = list(pairs)

    def generate[T: BaseModel](
        self,
        *,
        model: str,
        system: str,
        prompt: str,
        output: type[T],
        check: OutputCheck[T] | None = None,
    ) -> Generation[T]:
        """The expert answer to a criteria-evaluator prompt.

        Raises:
            LookupError: The prompt's note or a criterion is not in the labelled data.
        """
        note = tuple(_key(m["text"]) for m in _SENTENCE.finditer(prompt.split("Eligibility criteria", 1)[0]))
        pair = next((p for p in self._pairs if tuple(_key(s) for s in p.sentences) == note), None)
        if pair is None:
            raise LookupError("the replayed note is not in the labelled data")
        labels = {(c.type, _key(c.text)): c for c in pair.labels}
        assessments: list[dict[str, object]] = []
        for match in _CRITERION.finditer(prompt):
            label = labels.get((match["type"], _key(match["text"])))
            if label is None:
                raise LookupError(f"criterion {match['index']} is not in the labelled data")
            assessments.append(
                {
                    "criterion_index": int(match["index"]),
                    "status": label.status,
                    "evidence": list(label.evidence),
                    "explanation": "physician label",
                }
            )
        parsed = output.model_validate({"assessments": assessments})
        if check is not None:
            check(parsed)
        return Generation(output=parsed, input_tokens=0, output_tokens=0, calls=1)
