"""The labelled data shipped beside the project (``../shared/data``), as typed records.

* ``protocols/``: protocol PDFs and their reference fields (``gold/<name>.json``), derived from
  TransCelerate's USDM sample studies;
* ``criteria/``: 74 physician-labelled criterion rows over 12 patient-trial pairs, the patient
  notes as numbered sentences, and the pair verdicts derived from the labels (Jin et al.,
  "Matching patients to clinical trials with large language models", Nature Communications
  2024; ncbi/TrialGPT-Criterion-Annotations).

Read by the evaluation framework and the tests; the functions never import it.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "CriterionLabel",
    "LabelledPair",
    "SharedDataMissing",
    "load_pairs",
    "protocol_names",
    "shared_data_dir",
]

_NUMBERED = re.compile(r"^(\d+)\. ")


class SharedDataMissing(FileNotFoundError):
    """``../shared/data`` (or ``AGENTJOBS_SHARED_DATA``) is not there."""


def shared_data_dir() -> Path:
    """``$AGENTJOBS_SHARED_DATA``, else ``../shared/data`` beside the project root.

    Raises:
        SharedDataMissing: Neither holds ``protocols/`` and ``criteria/``.
    """
    configured = os.environ.get("AGENTJOBS_SHARED_DATA")
    path = Path(configured) if configured else Path(__file__).resolve().parents[2].parent / "shared" / "data"
    if not (path / "protocols").is_dir() or not (path / "criteria").is_dir():
        raise SharedDataMissing(f"shared data not found at {path} (set AGENTJOBS_SHARED_DATA)")
    return path


def protocol_names(root: Path | None = None) -> list[str]:
    """Names (without ``.pdf``) of the protocols that have a gold file, sorted."""
    base = (root or shared_data_dir()) / "protocols"
    return sorted(p.stem for p in (base / "gold").glob("*.json") if (base / f"{p.stem}.pdf").is_file())


@dataclass(frozen=True, slots=True)
class CriterionLabel:
    """One physician-labelled criterion of a pair.

    Attributes:
        type: ``inclusion`` or ``exclusion``.
        text: The criterion text.
        status: The expert status: ``met``, ``not_met``, ``insufficient_information`` or
            ``not_applicable``.
        evidence: The expert's evidence sentence indexes.
        gpt4_status: The GPT-4 baseline's label mapped to a status, when it maps.
    """

    type: str
    text: str
    status: str
    evidence: tuple[int, ...]
    gpt4_status: str | None = None


@dataclass(frozen=True, slots=True)
class LabelledPair:
    """A patient-trial pair with its labelled criteria and derived verdict.

    Attributes:
        patient_id: e.g. ``sigir-20142``.
        trial_id: e.g. ``NCT00711399``.
        sentences: The patient note, one sentence per item (index = sentence id).
        labels: The labelled criteria, in file order.
        verdict: ``eligible``, ``ineligible`` or ``insufficient_information``.
    """

    patient_id: str
    trial_id: str
    sentences: tuple[str, ...]
    labels: tuple[CriterionLabel, ...] = field(default=())
    verdict: str = ""

    @property
    def case_id(self) -> str:
        """``<patient>/<trial>``."""
        return f"{self.patient_id}/{self.trial_id}"

    def agent_input(self) -> dict[str, Any]:
        """The criteria evaluator's input for this pair."""
        return {
            "criteria": [{"type": c.type, "text": c.text} for c in self.labels],
            "patient_profile": list(self.sentences),
        }

    def expert_output(self) -> dict[str, Any]:
        """The criteria evaluator's output as the physicians would give it (verdict as derived)."""
        return {
            "criteria": [
                {"criterion": c.text, "type": c.type, "status": c.status, "evidence": list(c.evidence)}
                for c in self.labels
            ],
            "verdict": self.verdict,
        }


# The GPT-4 baseline labels in the file, as statuses (exclusion "excluded" = the patient has it).
_GPT4 = {
    ("inclusion", "included"): "met",
    ("inclusion", "not included"): "not_met",
    ("exclusion", "excluded"): "met",
    ("exclusion", "not excluded"): "not_met",
}


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _sentences(numbered: str) -> tuple[str, ...]:
    lines = numbered.split("\n")
    return tuple(_NUMBERED.sub("", line, count=1).strip() for line in lines)


def _gpt4(kind: str, label: str) -> str | None:
    if label == "not enough information":
        return "insufficient_information"
    if label == "not applicable":
        return "not_applicable"
    return _GPT4.get((kind, label))


def load_pairs(root: Path | None = None) -> list[LabelledPair]:
    """The 12 labelled pairs, in file order.

    Raises:
        SharedDataMissing: The data is not there.
    """
    base = (root or shared_data_dir()) / "criteria"
    notes = {row["patient_id"]: _sentences(row["note_sentence_numbered"]) for row in _rows(base / "patients.jsonl")}
    labels: dict[tuple[str, str], list[CriterionLabel]] = {}
    for row in _rows(base / "criterion_labels.jsonl"):
        key = (row["patient_id"], row["trial_id"])
        labels.setdefault(key, []).append(
            CriterionLabel(
                type=row["criterion_type"],
                text=row["criterion_text"],
                status=row["criterion_status"],
                evidence=tuple(json.loads(row["expert_sentences"])),
                gpt4_status=_gpt4(row["criterion_type"], row.get("gpt4_eligibility", "")),
            )
        )
    verdicts = {(r["patient_id"], r["trial_id"]): r["derived_verdict"] for r in _rows(base / "pair_verdicts.jsonl")}
    return [
        LabelledPair(patient_id=p, trial_id=t, sentences=notes[p], labels=tuple(rows), verdict=verdicts.get((p, t), ""))
        for (p, t), rows in labels.items()
    ]
