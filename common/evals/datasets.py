"""Datasets: the built-in ``protocols`` and ``criteria``, and users' own JSONL or YAML files.

Built-in (from ``../shared/data``, see :mod:`common.evals.shared_data`):

* ``protocols``: one case per protocol PDF with a gold file; the expected output holds the
  title, phase, criteria, objectives and endpoints of the gold file; scored by fuzzy match
  (precision and recall) and the deterministic judges;
* ``criteria``: one case per labelled patient-trial pair (12 pairs, 74 criteria); the expected
  output holds the physicians' statuses and the derived verdict; scored by status accuracy,
  verdict match and the deterministic judges.

A user dataset is a file:

* ``.yaml`` / ``.yml`` / ``.json``: ``pydantic-evals``' own dataset format (``cases`` with
  ``name``, ``inputs: {agent, input, document?}``, ``expected_output``, ``evaluators``), with our
  scorers available by name (``FuzzyMatch``, ``FieldEquals``, ``DeterministicJudges``...);
* ``.jsonl``: one case per line, ``{"name", "agent", "input", "document"?, "expected_output"?,
  "assertions"?: [{"field": "verdict", "equals": "eligible"} | {"field": "title", "fuzzy": "...",
  "threshold": 0.6}]}``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic_evals import Case, Dataset
from pydantic_evals.evaluators import Evaluator

from common.evals.models import EvalInputs
from common.evals.scorers import (
    SCORERS,
    DeterministicJudges,
    FieldEquals,
    FuzzyList,
    FuzzyMatch,
    StatusAccuracy,
)
from common.evals.shared_data import load_pairs, protocol_names, shared_data_dir

__all__ = ["BUILTIN", "EvalDataset", "load_dataset"]

EvalDataset = Dataset[EvalInputs, Any, dict[str, Any]]
BUILTIN = ("protocols", "criteria")
_PLACEHOLDER = "*** To be determined from protocol ***"


def _protocols() -> EvalDataset:
    root = shared_data_dir()
    cases: list[Case[EvalInputs, Any, dict[str, Any]]] = []
    for name in protocol_names(root):
        gold: dict[str, Any] = json.loads((root / "protocols" / "gold" / f"{name}.json").read_text(encoding="utf-8"))
        titles: dict[str, Any] = gold.get("titles") or {}
        endpoints: dict[str, list[Any]] = gold.get("endpoints") or {}
        objectives: list[dict[str, Any]] = gold.get("objectives", [])
        expected: dict[str, Any] = {
            "title": titles.get("Official Study Title"),
            "phase": gold.get("phase"),
            "inclusion_criteria": [c["text"] for c in gold["eligibility_criteria"]["inclusion"]],
            "exclusion_criteria": [c["text"] for c in gold["eligibility_criteria"]["exclusion"]],
            "objectives": [o["text"] for o in objectives if o.get("text") != _PLACEHOLDER],
            "endpoints": [str(e) for values in endpoints.values() for e in values if e != _PLACEHOLDER],
        }
        cases.append(
            Case(
                name=name,
                inputs=EvalInputs(agent="protocol-processor", document=str(root / "protocols" / f"{name}.pdf")),
                expected_output=expected,  # pyright: ignore[reportArgumentType]
                metadata={"source": "shared/data/protocols"},
            )
        )
    evaluators: list[Evaluator[EvalInputs, Any, dict[str, Any]]] = [
        FuzzyList(field="inclusion_criteria"),
        FuzzyList(field="exclusion_criteria"),
        FuzzyList(field="objectives", output_path="objectives[].text"),
        FuzzyList(field="endpoints", output_path="endpoints.*"),
        FuzzyMatch(field="title", threshold=0.6),
        FieldEquals(field="phase", normalise="phase"),
        DeterministicJudges(),
    ]
    return EvalDataset(name="protocols", cases=cases, evaluators=evaluators)


def _criteria() -> EvalDataset:
    cases = [
        Case(
            name=pair.case_id,
            inputs=EvalInputs(agent="criteria-evaluator", input=pair.agent_input()),
            expected_output={  # pyright: ignore[reportArgumentType]
                "statuses": [c.status for c in pair.labels],
                "types": [c.type for c in pair.labels],
                "gpt4_statuses": [c.gpt4_status for c in pair.labels],
                "verdict": pair.verdict,
            },
            metadata={"source": "shared/data/criteria", "criteria": len(pair.labels)},
        )
        for pair in load_pairs()
    ]
    evaluators: list[Evaluator[EvalInputs, Any, dict[str, Any]]] = [
        StatusAccuracy(),
        FieldEquals(field="verdict"),
        DeterministicJudges(),
    ]
    return EvalDataset(name="criteria", cases=cases, evaluators=evaluators)


def _jsonl(path: Path) -> EvalDataset:
    cases: list[Case[EvalInputs, Any, dict[str, Any]]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row: dict[str, Any] = json.loads(line)
        evaluators: list[Evaluator[EvalInputs, Any, dict[str, Any]]] = []
        for a in row.get("assertions", []):
            if "equals" in a:
                evaluators.append(FieldEquals(field=a["field"], value=a["equals"]))
            elif "fuzzy" in a:
                evaluators.append(FuzzyMatch(field=a["field"], value=a["fuzzy"], threshold=a.get("threshold", 0.6)))
            else:
                raise ValueError(f"{path}:{number}: an assertion needs 'equals' or 'fuzzy'")
        document = row.get("document")
        if document is not None and not Path(document).is_absolute():
            document = str((path.parent / document).resolve())
        cases.append(
            Case(
                name=str(row.get("name") or f"case-{number}"),
                inputs=EvalInputs(agent=row["agent"], input=row.get("input", {}), document=document),
                expected_output=row.get("expected_output"),
                metadata=row.get("metadata"),
                evaluators=tuple(evaluators),
            )
        )
    return EvalDataset(name=path.stem, cases=cases, evaluators=[DeterministicJudges()])


def load_dataset(name: str) -> EvalDataset:
    """A built-in dataset by name, or a dataset file (``.jsonl``, ``.yaml``, ``.yml``, ``.json``).

    Raises:
        SharedDataMissing: A built-in dataset's data is not there.
        FileNotFoundError: No such built-in dataset or file.
        ValueError: The file is not a valid dataset.
    """
    if name == "protocols":
        return _protocols()
    if name == "criteria":
        return _criteria()
    path = Path(name)
    if not path.is_file():
        raise FileNotFoundError(f"no dataset {name!r}: built-in are {', '.join(BUILTIN)}, or give a file path")
    if path.suffix == ".jsonl":
        return _jsonl(path)
    dataset = EvalDataset.from_file(path, custom_evaluator_types=SCORERS)
    base = path.parent
    for case in dataset.cases:
        document = case.inputs.document
        if document is not None and not Path(document).is_absolute():
            case.inputs.document = str((base / document).resolve())
    return dataset
