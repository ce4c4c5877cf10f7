"""How well the deterministic judges catch corrupted outputs, on the shared labelled data.

Clean outputs are the protocol processor's real output on every shared protocol PDF and the
physicians' labels of every criteria pair. Each corruption is applied to one item at a time
and the relevant judge is asked; **recall** is the share of corrupted outputs flagged with the
item named, **false alarms** the share of clean outputs (and of clean items) flagged.

Protocol corruptions, per criterion: page off by +10 and by -1; text replaced by another
criterion's text of the same protocol; a number changed; a criterion of the other protocol
added; the word "not" inserted (a meaning change that text grounding cannot see).
Criteria corruptions, per pair: verdict flipped; per assessment with evidence, an evidence index
outside the note; a quote from another patient's note in the explanation; a status flipped from
met to not_met with the verdict recomputed (consistent, so only an LLM judge could see it).

Usage::

    uv run python benchmarks/judges_detection.py
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from common.agents.criteria_evaluator.models import CriteriaEvaluation, CriteriaEvaluatorInput
    from common.agents.criteria_evaluator.verdict import verdict
    from common.agents.protocol_processor.models import Criterion, ProtocolProcessorInput, ProtocolSummary
    from common.agents.protocol_processor.rules import extract_summary_and_pages
    from common.evals.shared_data import load_pairs, protocol_names, shared_data_dir
    from common.judges.base import Subject
    from common.judges.criteria import JUDGES as CRITERIA_JUDGES
    from common.judges.protocol import JUDGES as PROTOCOL_JUDGES

    hits: dict[str, list[bool]] = defaultdict(list)
    clean_flags: list[bool] = []

    def flagged(judges: tuple, subject: Subject, label: str | None = None) -> bool:  # type: ignore[type-arg]
        for judge in judges:
            check = judge.check(subject)
            if not check.passed and (label is None or re.search(rf"\b{re.escape(label)}\b", check.reason)):
                return True
        return False

    root = shared_data_dir()
    outputs = {
        n: extract_summary_and_pages((root / "protocols" / f"{n}.pdf").read_bytes()) for n in protocol_names(root)
    }
    request = ProtocolProcessorInput(file_uri="gs://b/tenants/a/p.pdf")
    for name, (summary, pages) in outputs.items():
        clean_flags.append(flagged(PROTOCOL_JUDGES, Subject(request, summary, pages)))
        others = [c for n, (s, _) in outputs.items() if n != name for c in s.exclusion_criteria]
        criteria = [("I", c) for c in summary.inclusion_criteria] + [("E", c) for c in summary.exclusion_criteria]
        for index, (prefix, criterion) in enumerate(criteria):
            label = prefix + criterion.id

            def mutate(
                change: Callable[[Criterion], None],
                *,
                label: str = label,
                index: int = index,
                summary: ProtocolSummary = summary,
                pages: tuple[str, ...] = pages,
            ) -> bool:
                copy = summary.model_copy(deep=True)
                items = copy.inclusion_criteria + copy.exclusion_criteria
                change(items[index])
                return flagged(PROTOCOL_JUDGES, Subject(request, copy, pages), label)

            if criterion.page + 10 <= len(pages):
                hits["page +10"].append(mutate(lambda c: setattr(c, "page", c.page + 10)))
            if criterion.page > 1:
                hits["page -1"].append(mutate(lambda c: setattr(c, "page", c.page - 1)))
            swap = criteria[(index + 3) % len(criteria)][1].text
            if swap != criterion.text:
                hits["text of another criterion"].append(mutate(lambda c, swap=swap: setattr(c, "text", swap)))
            numbers = re.findall(r"\d+", criterion.text)
            if numbers:
                changed = str(int(numbers[0]) + 7)
                hits["a number changed"].append(
                    mutate(
                        lambda c, n=numbers[0], m=changed: setattr(c, "text", re.sub(rf"\b{n}\b", m, c.text, count=1))
                    )
                )
            words = criterion.text.split()
            if len(words) > 4:
                negated = " ".join([*words[:3], "not", *words[3:]])
                hits["'not' inserted"].append(mutate(lambda c, t=negated: setattr(c, "text", t)))
        for other in others[:10]:
            copy = summary.model_copy(deep=True)
            copy.exclusion_criteria.append(Criterion(id="X99", text=other.text, page=other.page))
            hits["criterion of another protocol"].append(
                flagged(PROTOCOL_JUDGES, Subject(request, copy, pages), "EX99")
            )

    pairs = load_pairs()
    for pi, pair in enumerate(pairs):
        request_c = CriteriaEvaluatorInput.model_validate(pair.agent_input())
        clean = CriteriaEvaluation.model_validate(pair.expert_output())
        clean_flags.append(
            flagged(tuple(j for j in CRITERIA_JUDGES if j.name != "status_has_evidence"), Subject(request_c, clean))
        )
        flipped = clean.model_copy(deep=True)
        flipped.verdict = "eligible" if clean.verdict != "eligible" else "ineligible"
        hits["verdict flipped"].append(flagged(CRITERIA_JUDGES, Subject(request_c, flipped)))
        other_note = pairs[(pi + 1) % len(pairs)].sentences
        for i, a in enumerate(clean.criteria):
            if a.evidence:
                bad = clean.model_copy(deep=True)
                bad.criteria[i].evidence = [len(pair.sentences) + 3]
                hits["evidence outside the note"].append(flagged(CRITERIA_JUDGES, Subject(request_c, bad), f"C{i}"))
            quote = " ".join(other_note[0].split()[:10])
            if quote not in " ".join(pair.sentences):
                bad = clean.model_copy(deep=True)
                bad.criteria[i].explanation = f'The note says "{quote}".'
                hits["quote from another note"].append(flagged(CRITERIA_JUDGES, Subject(request_c, bad), f"C{i}"))
            if a.status == "met" and a.evidence:
                bad = clean.model_copy(deep=True)
                bad.criteria[i].status = "not_met"
                bad.verdict = verdict((c.type, c.status) for c in bad.criteria)
                hits["status flipped, verdict consistent"].append(
                    flagged(CRITERIA_JUDGES, Subject(request_c, bad), f"C{i}")
                )

    print(f"{'corruption':40} {'caught':>8} {'of':>5} {'recall':>8}")
    for kind, results in hits.items():
        print(f"{kind:40} {sum(results):8} {len(results):5} {sum(results) / len(results):8.1%}")
    print(
        f"clean outputs flagged (protocols + pairs; status_has_evidence left out for physicians' labels): "
        f"{sum(clean_flags)} of {len(clean_flags)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
