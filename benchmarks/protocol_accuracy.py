"""Accuracy of the offline (rules) protocol processor against the reference fields, every field.

Runs :func:`common.agents.protocol_processor.rules.extract_summary` on every PDF in
``../shared/data/protocols/`` (relative to the project root) that has a ``gold/<name>.json`` and
prints, per protocol:

* **criteria**: recall, precision and mean token-overlap ratio of matched pairs for inclusion,
  exclusion and both pooled (:mod:`common.evaluation`);
* **clean text**: the share of extracted criteria whose text is the PDF's own text, whitespace
  normalised (:func:`common.protocols.scoring.found_verbatim` against the PDF's printed words,
  superscript footnote markers left out);
* **objectives and endpoints**: recall over the reference items the PDF itself states
  (:func:`common.protocols.scoring.stated_in`), precision over what was extracted; the reference
  items the PDF does not state are listed by name;
* **schedule of activities**: encounter recall and precision against ``encounters_in_order``
  (:func:`common.protocols.scoring.align_encounters`), activity recall, and activity x
  encounter cell precision, recall and F1 against ``schedule_of_activities_main_timeline``;
* **arms** (a predicted arm matches a reference arm by its name or its description), **title**
  (token overlap with the official title), **phase** (normalised; "not in PDF" when the PDF
  never states a phase), **planned enrolment**;
* per-stage timings of one run.

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


def _document_words(data: bytes) -> tuple[list[str], list[int], list[str]]:
    """The PDF's printed words in reading order (superscripts out, line-end hyphens joined), the
    index where each page starts, and the evaluation tokens of the whole text."""
    from common.evaluation import tokens
    from common.pdf.layout import normalise_chars
    from common.pdf.text import open_pdf

    words: list[str] = []
    starts: list[int] = []
    with open_pdf(data) as pdf:
        glyphs = pdf.glyphs
        assert glyphs is not None
        for page in range(1, pdf.page_count + 1):
            starts.append(len(words))
            previous_bottom = -1.0
            for word in glyphs.words(page):
                text = normalise_chars(word.text)
                if not text:
                    continue
                new_line = word.top >= previous_bottom - 1
                previous_bottom = word.bottom
                if new_line and words and words[-1].endswith("-") and len(words[-1]) > 1 and words[-1][-2].isalpha():
                    words[-1] += text  # "double-" at a line end + "blind"
                    continue
                words.extend(text.split())
    return words, starts, tokens(" ".join(words))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threshold", type=float, default=0.5, help="token-overlap ratio for a match")
    parser.add_argument("--show-misses", action="store_true", help="print unmatched items")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from common.agents.protocol_processor.rules import extract_summary
    from common.evaluation import score_criteria, token_overlap
    from common.protocols.phase import normalise_phase, parse_phase
    from common.protocols.scoring import align_encounters, cell_scores, found_verbatim, stated_in

    pdfs = sorted(p for p in DATA.glob("*.pdf") if (DATA / "gold" / f"{p.stem}.json").is_file())
    if not pdfs:
        print(f"no PDF with a gold file under {DATA}", file=sys.stderr)
        return 1

    for pdf in pdfs:
        gold: dict[str, Any] = json.loads((DATA / "gold" / f"{pdf.stem}.json").read_text(encoding="utf-8"))
        data = pdf.read_bytes()
        stages: dict[str, float] = {}
        started = time.perf_counter()
        summary = extract_summary(data, on_stage=stages.__setitem__)
        elapsed = time.perf_counter() - started
        words, page_starts, doc_tokens = _document_words(data)
        misses: list[str] = []
        print(f"=== {pdf.stem} ({summary.page_count} pages, {elapsed:.2f} s)")

        # Criteria.
        eligibility = gold["eligibility_criteria"]
        matched = n_pred = n_gold = 0
        ratio_sum = 0.0
        for kind, predicted in (("inclusion", summary.inclusion_criteria), ("exclusion", summary.exclusion_criteria)):
            reference = [c["text"] for c in eligibility[kind]]
            score = score_criteria([c.text for c in predicted], reference, threshold=args.threshold)
            print(
                f"  criteria {kind:9} recall {_pct(score.recall)} precision {_pct(score.precision)} "
                f"ratio {score.mean_ratio:.3f} ({len(predicted)} found / {len(reference)} gold)"
            )
            matched += score.matched
            n_pred += len(predicted)
            n_gold += len(reference)
            ratio_sum += score.mean_ratio * score.matched
            misses.extend(
                f"{kind} MISSED gold[{eligibility[kind][j]['id']}]: {reference[j][:90]}" for j in score.unmatched_gold
            )
            misses.extend(
                f"{kind} EXTRA [{predicted[i].id}] p{predicted[i].page}: {predicted[i].text[:90]}"
                for i in score.unmatched_pred
            )
        print(
            f"  criteria combined  recall {_pct(matched / n_gold if n_gold else 1.0)} "
            f"precision {_pct(matched / n_pred if n_pred else 1.0)} ratio {ratio_sum / matched if matched else 0.0:.3f}"
        )
        criteria = [*summary.inclusion_criteria, *summary.exclusion_criteria]
        clean = [c for c in criteria if found_verbatim(c.text, words, page_starts)]
        share = len(clean) / len(criteria) if criteria else 0.0
        print(f"  clean criteria text {_pct(share)} ({len(clean)}/{len(criteria)})")
        misses.extend(f"NOT VERBATIM [{c.id}] p{c.page}: {c.text[:100]}" for c in criteria if c not in clean)

        # Objectives and endpoints, over the reference items the PDF states.
        def stated_score(
            label: str,
            predicted: list[str],
            reference: list[str],
            doc_tokens: list[str] = doc_tokens,
            misses: list[str] = misses,
        ) -> None:
            reference = [r for r in reference if r != PLACEHOLDER]
            stated = [r for r in reference if stated_in(r, doc_tokens)]
            absent = [r for r in reference if r not in stated]
            score = score_criteria(predicted, stated, threshold=args.threshold)
            print(
                f"  {label:22} recall {_pct(score.recall)} of {len(stated)} stated, "
                f"precision {_pct(score.precision)} of {len(predicted)} found; {len(absent)} gold not in the PDF"
            )
            misses.extend(f"{label} NOT IN PDF: {r[:100]}" for r in absent)
            misses.extend(f"{label} MISSED: {stated[j][:100]}" for j in score.unmatched_gold)
            misses.extend(f"{label} EXTRA: {predicted[i][:100]}" for i in score.unmatched_pred)

        stated_score(
            "objectives", [o.text for o in summary.objectives], [o["text"] for o in gold.get("objectives", [])]
        )
        endpoints = gold.get("endpoints", {})
        stated_score(
            "endpoints primary", summary.endpoints.primary, [str(x) for x in endpoints.get("Primary Endpoint", [])]
        )
        stated_score(
            "endpoints secondary",
            summary.endpoints.secondary,
            [str(x) for x in endpoints.get("Secondary Endpoint", [])],
        )
        stated_score(
            "endpoints exploratory",
            summary.endpoints.exploratory,
            [str(x) for x in endpoints.get("Exploratory Endpoint", [])],
        )
        all_pred = [*summary.endpoints.primary, *summary.endpoints.secondary, *summary.endpoints.exploratory]
        all_gold = [str(x) for values in endpoints.values() for x in values]
        stated_score("endpoints (any level)", all_pred, all_gold)
        gold_objectives = gold.get("objectives", [])
        obj = score_criteria([o.text for o in summary.objectives], [o["text"] for o in gold_objectives])
        same = sum(
            1 for i, j, _ in obj.pairs if gold_objectives[j]["level"].lower().startswith(summary.objectives[i].level)
        )
        print(f"  objective levels       {same}/{obj.matched} matched objectives at the gold level")

        # Schedule of activities.
        soa = summary.schedule_of_activities
        gold_encounters = [str(e) for e in gold.get("encounters_in_order", [])]
        timeline: dict[str, list[str]] = gold.get("schedule_of_activities_main_timeline", {})
        if soa is None:
            print("  schedule of activities NOT FOUND")
        else:
            predicted_encounters = [(e.name, e.timing) for e in soa.encounters]
            pairs = align_encounters(gold_encounters, predicted_encounters)
            recall = len(pairs) / len(gold_encounters) if gold_encounters else 0.0
            precision = len(pairs) / len(predicted_encounters) if predicted_encounters else 0.0
            print(
                f"  SoA encounters         recall {_pct(recall)} precision {_pct(precision)} "
                f"({len(predicted_encounters)} found / {len(gold_encounters)} gold; pages {soa.pages})"
            )
            cells = cell_scores(
                [(a.name, a.encounters) for a in soa.activities],
                list(timeline.items()),
                pairs,
                [e.name for e in soa.encounters],
                gold_encounters,
            )
            print(
                f"  SoA activities         {len(cells.activity_pairs)}/{len(timeline)} gold matched "
                f"({len(soa.activities)} found)"
            )
            print(
                f"  SoA cells              F1 {cells.f1:.3f} "
                f"(precision {_pct(cells.precision)}, recall {_pct(cells.recall)}; "
                f"{cells.predicted_cells} found / {cells.gold_cells} gold)"
            )
            paired = {g for _, g in cells.activity_pairs}
            misses.extend(f"SoA activity MISSED: {name}" for k, name in enumerate(timeline) if k not in paired)
            misses.extend(
                f"SoA encounter MISSED: {name}"
                for k, name in enumerate(gold_encounters)
                if k not in {i for i, _ in pairs}
            )

        # Arms, title, phase, enrolment.
        gold_arms = gold.get("arms", [])
        arm_pairs = 0
        used: set[int] = set()
        for arm in summary.arms:
            best = max(
                (
                    (max(token_overlap(arm.name, g["name"]), token_overlap(arm.name, g.get("description") or "")), k)
                    for k, g in enumerate(gold_arms)
                    if k not in used
                ),
                default=(0.0, -1),
            )
            if best[0] >= args.threshold:
                used.add(best[1])
                arm_pairs += 1
        print(
            f"  arms                   {arm_pairs}/{len(gold_arms)} gold matched, {len(summary.arms)} found: "
            + "; ".join(a.name for a in summary.arms)
        )
        titles = gold.get("titles", {})
        official = titles.get("Official Study Title") or next(iter(titles.values()), "")
        print(
            f"  title                  overlap {token_overlap(summary.title or '', official):.2f} "
            "with the official title"
        )
        gold_phase = normalise_phase(str(gold.get("phase") or ""))
        in_pdf = any(parse_phase(" ".join(words[k : k + 4])) for k, w in enumerate(words) if w.lower() == "phase")
        verdict = "match" if summary.phase == gold_phase else ("not in PDF" if not in_pdf else "MISMATCH")
        print(
            f"  phase                  {summary.phase} (as written {summary.phase_as_written!r}) "
            f"vs gold {gold_phase}: {verdict}"
        )
        gold_enrolment = gold.get("planned_enrollment")
        enrolment_ok = gold_enrolment is not None and summary.planned_enrollment == int(float(gold_enrolment))
        print(
            f"  planned enrolment      {summary.planned_enrollment} vs gold {gold_enrolment}: "
            f"{'match' if enrolment_ok else 'MISMATCH'}"
        )
        print("  stages " + " ".join(f"{name}={seconds:.3f}s" for name, seconds in stages.items()))
        if args.show_misses and misses:
            print("  --- misses")
            print("\n".join(f"  {m}" for m in misses))
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
