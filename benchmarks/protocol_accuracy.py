"""Accuracy and speed of the offline (rules) protocol processor against the reference fields.

Runs :func:`common.agents.protocol_processor.rules.extract_summary` on every PDF in
``../shared/data/protocols/`` (relative to the project root) that has a ``gold/<name>.json``, and
prints:

* criteria: recall, precision and mean token-overlap ratio of matched pairs for inclusion,
  exclusion and both pooled (see :mod:`common.evaluation` for the ratio), item counts, time;
* fields: title overlap, phase, arms, objectives and endpoints found vs reference;
* per-stage timings.

Usage::

    uv run python benchmarks/protocol_accuracy.py [--threshold 0.5] [--show-misses]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = (ROOT / ".." / "shared" / "data" / "protocols").resolve()
PLACEHOLDER = "*** To be determined from protocol ***"


def _pct(value: float) -> str:
    return f"{100 * value:5.1f}%"


def _gold_list(gold: dict[str, Any], key: str, sub: str) -> list[str]:
    return [str(x) for x in gold.get(key, {}).get(sub, []) if str(x) != PLACEHOLDER]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threshold", type=float, default=0.5, help="token-overlap ratio for a match")
    parser.add_argument("--show-misses", action="store_true", help="print unmatched criteria")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from common.agents.protocol_processor.rules import extract_summary
    from common.protocols.phase import normalise_phase
    from common.evaluation import Score, score_criteria, token_overlap

    pdfs = sorted(p for p in DATA.glob("*.pdf") if (DATA / "gold" / f"{p.stem}.json").is_file())
    if not pdfs:
        print(f"no PDF with a gold file under {DATA}", file=sys.stderr)
        return 1

    criteria_rows: list[str] = []
    field_rows: list[str] = []
    stage_rows: list[str] = []
    misses: list[str] = []
    for pdf in pdfs:
        gold = json.loads((DATA / "gold" / f"{pdf.stem}.json").read_text(encoding="utf-8"))
        stages: dict[str, float] = {}
        started = time.perf_counter()
        summary = extract_summary(pdf.read_bytes(), on_stage=stages.__setitem__)
        elapsed = time.perf_counter() - started

        eligibility = gold["eligibility_criteria"]
        scores: dict[str, tuple[Score, int, int]] = {}
        for kind, predicted in (
            ("inclusion", summary.inclusion_criteria),
            ("exclusion", summary.exclusion_criteria),
        ):
            reference = [c["text"] for c in eligibility[kind]]
            score = score_criteria([c.text for c in predicted], reference, threshold=args.threshold)
            scores[kind] = (score, len(predicted), len(reference))
            for j in score.unmatched_gold:
                label = eligibility[kind][j]["id"]
                misses.append(f"{pdf.stem} {kind} MISSED gold[{label}]: {reference[j][:90]}")
            for i in score.unmatched_pred:
                c = predicted[i]
                misses.append(f"{pdf.stem} {kind} EXTRA pred[{c.id}] p{c.page}: {c.text[:90]}")
        matched = sum(s.matched for s, _, _ in scores.values())
        n_pred = sum(n for _, n, _ in scores.values())
        n_gold = sum(n for _, _, n in scores.values())
        ratio_sum = sum(s.mean_ratio * s.matched for s, _, _ in scores.values())
        for kind, (score, n_p, n_g) in scores.items():
            criteria_rows.append(
                f"{pdf.stem[:34]:34} {kind:9} {_pct(score.recall)} {_pct(score.precision)} "
                f"{score.mean_ratio:6.3f} {n_p:4d}/{n_g:<4d}"
            )
        criteria_rows.append(
            f"{pdf.stem[:34]:34} {'combined':9} {_pct(matched / n_gold if n_gold else 1.0)} "
            f"{_pct(matched / n_pred if n_pred else 1.0)} {ratio_sum / matched if matched else 0.0:6.3f} "
            f"{n_pred:4d}/{n_gold:<4d} {elapsed:6.2f}s"
        )

        titles = gold.get("titles", {})
        official = titles.get("Official Study Title") or next(iter(titles.values()), "")
        title_ratio = token_overlap(summary.title or "", official) if official else 0.0
        gold_phase = normalise_phase(str(gold.get("phase") or ""))
        phase = "match" if summary.phase == gold_phase else f"{summary.phase} vs {gold_phase}"
        arm_score = score_criteria([a.name for a in summary.arms], [a["name"] for a in gold.get("arms", [])])
        gold_objectives = gold.get("objectives", [])
        obj_score = score_criteria([o.text for o in summary.objectives], [o["text"] for o in gold_objectives])
        same_level = sum(
            1
            for i, j, _ in obj_score.pairs
            if gold_objectives[j]["level"].lower().startswith(summary.objectives[i].level)
        )
        primary_gold = _gold_list(gold, "endpoints", "Primary Endpoint")
        secondary_gold = _gold_list(gold, "endpoints", "Secondary Endpoint")
        primary = score_criteria(summary.endpoints.primary, primary_gold)
        secondary = score_criteria(summary.endpoints.secondary, secondary_gold)
        n_arms, n_objectives = len(gold.get("arms", [])), len(gold_objectives)
        n_primary, n_secondary = len(summary.endpoints.primary), len(summary.endpoints.secondary)
        field_rows.append(
            f"{pdf.stem[:34]:34} title={'yes' if summary.title else 'no '} overlap={title_ratio:4.2f}\n"
            f"{'':34} phase: {phase}\n"
            f"{'':34} arms: {arm_score.matched}/{len(summary.arms)} vs {n_arms} gold\n"
            f"{'':34} objectives: {obj_score.matched}/{len(summary.objectives)} vs {n_objectives} gold "
            f"({same_level} with the same level)\n"
            f"{'':34} endpoints: primary {primary.matched}/{n_primary} vs {len(primary_gold)} gold, "
            f"secondary {secondary.matched}/{n_secondary} vs {len(secondary_gold)} gold"
        )
        stage_rows.append(
            f"{pdf.stem[:34]:34} pages={summary.page_count:4d} "
            + " ".join(f"{name}={seconds:.3f}s" for name, seconds in stages.items())
            + f" total={elapsed:.3f}s"
        )

    print(f"Criteria (match: token overlap |A∩B|/max(|A|,|B|) >= {args.threshold:.2f}, one-to-one, greedy)")
    print(f"{'protocol':34} {'list':9} {'recall':>6} {'precis':>6} {'ratio':>6} {'pred/gold':>9} {'time':>7}")
    print("\n".join(criteria_rows))
    print("\nFields (x/y = matched/found)")
    print("\n".join(field_rows))
    print("\nStages")
    print("\n".join(stage_rows))
    if args.show_misses and misses:
        print("\nUnmatched criteria")
        print("\n".join(misses))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
