"""Scoring protocol fields against reference data (USDM gold files): schedule, clean text, presence.

Used by ``benchmarks/protocol_accuracy.py``; pure functions, tested on their own. The text ratio
and the one-to-one matching of items are :mod:`common.evaluation`'s.

Encounters
----------
USDM names visits by their role ("Screening 1", "Baseline", "Week 2", "Period 1, Day -1");
a protocol's schedule often heads them by visit number with the timing below ("Visit 3" over
"Week 0"). :func:`encounter_matches` therefore accepts, in this order: the same name (case,
spacing and dashes normalised, signs kept: "Day -1" is not "Day 1"); the reference name equal to
the encounter's timing ("Week 2"); a role: "Baseline" is the encounter at time zero ("Week 0",
"Day 0", "Day 1") or named baseline or randomisation, "Screening" an encounter named screening or
timed before zero, "Follow-up" one named follow-up; or a name token overlap above one half.
:func:`align_encounters` pairs the two ordered lists by the longest order-preserving matching
(dynamic programming), so a role match cannot pair the third screening visit with the first.

Cells
-----
A schedule cell is an (activity, encounter) pair. :func:`cell_scores` maps predicted activities
to reference ones one-to-one by token overlap (>= 0.5) and predicted encounters through the
alignment, then counts the predicted cells that land on reference cells: precision over the
predicted cells, recall over the reference cells, F1 their harmonic mean.

Clean text
----------
:func:`found_verbatim` says whether an extracted text is the PDF's own text: its words, in order,
form a run of the document's word stream (whitespace normalised), where the only words the run
may skip are at a page break (running headers and footers, page-foot footnotes).

Presence
--------
:func:`stated_in` says whether a reference item is stated in the document: some window of the
document's words of the item's length has a token overlap of at least 0.7 with it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from common.evaluation import score_criteria, tokens

__all__ = [
    "CellScores",
    "align_encounters",
    "cell_scores",
    "encounter_matches",
    "found_verbatim",
    "stated_in",
]

_DASHES = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2212": "-"})
_SIGNED = re.compile(r"-?\d+(?:\.\d+)?|[^\W\d_]+")
_ZERO = re.compile(r"^(?:week|wk|day|d)\s*0$|^day\s*1$", re.IGNORECASE)
_NEGATIVE = re.compile(r"-\s*\.?\d")
_NAME_OVERLAP = 0.6
_STATED_OVERLAP = 0.7
# Words a run may skip at a page break.
_PAGE_BREAK_SKIP = 80


def _norm(text: str | None) -> str:
    return " ".join((text or "").translate(_DASHES).lower().replace(",", " ").split())


def _signed_tokens(text: str | None) -> Counter[str]:
    return Counter(_SIGNED.findall(_norm(text)))


def _signed_overlap(a: str | None, b: str | None) -> float:
    ta, tb = _signed_tokens(a), _signed_tokens(b)
    size = max(ta.total(), tb.total())
    return (ta & tb).total() / size if size else 0.0


def encounter_matches(gold: str, name: str, timing: str | None) -> bool:
    """True when a predicted encounter ``(name, timing)`` is the reference encounter ``gold``.

    Args:
        gold: The reference encounter name (USDM).
        name: The predicted encounter's name.
        timing: The predicted encounter's timing, if any.

    Returns:
        Whether they denote the same visit (rules in the module docstring).
    """
    g = _norm(gold)
    if g == _norm(name) or (timing and g == _norm(timing)):
        return True
    role = g.split()[0] if g else ""
    lowered = _norm(name)
    if role == "baseline":
        return "baseline" in lowered or "randomi" in lowered or bool(timing and _ZERO.match(_norm(timing)))
    if role == "screening":
        return "screen" in lowered or bool(timing and _NEGATIVE.search(_norm(timing)) and "to" not in lowered)
    if role.startswith("follow"):
        return "follow" in lowered
    if _numbers(gold) != _numbers(name):
        return False  # "Day -1" is not "Day 1", "Week 2" not "Week 4"
    return _signed_overlap(gold, name) >= _NAME_OVERLAP


def _numbers(text: str) -> Counter[str]:
    return Counter(t for t in _SIGNED.findall(_norm(text)) if t[-1].isdigit())


def align_encounters(gold: Sequence[str], predicted: Sequence[tuple[str, str | None]]) -> list[tuple[int, int]]:
    """The largest order-preserving one-to-one matching of reference and predicted encounters.

    Args:
        gold: Reference encounter names, in schedule order.
        predicted: Predicted ``(name, timing)`` pairs, in schedule order.

    Returns:
        ``(gold index, predicted index)`` pairs, ascending in both.
    """
    n, m = len(gold), len(predicted)
    ok = [[encounter_matches(gold[i], *predicted[j]) for j in range(m)] for i in range(n)]
    best = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            best[i][j] = max(best[i + 1][j], best[i][j + 1], best[i + 1][j + 1] + 1 if ok[i][j] else 0)
    pairs: list[tuple[int, int]] = []
    i = j = 0
    while i < n and j < m:
        if ok[i][j] and best[i][j] == best[i + 1][j + 1] + 1:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif best[i + 1][j] >= best[i][j + 1]:
            i += 1
        else:
            j += 1
    return pairs


@dataclass(frozen=True, slots=True)
class CellScores:
    """Activity x encounter cells against the reference.

    Attributes:
        precision: Predicted cells on a reference cell / predicted cells.
        recall: Reference cells predicted / reference cells.
        f1: Harmonic mean of the two (0.0 when both are 0).
        activity_pairs: ``(predicted index, reference index)`` of the matched activities.
        predicted_cells: Number of predicted cells.
        gold_cells: Number of reference cells.
    """

    precision: float
    recall: float
    f1: float
    activity_pairs: tuple[tuple[int, int], ...]
    predicted_cells: int
    gold_cells: int


def cell_scores(
    predicted: Sequence[tuple[str, Sequence[str]]],
    gold: Sequence[tuple[str, Sequence[str]]],
    encounter_pairs: Sequence[tuple[int, int]],
    predicted_encounters: Sequence[str],
    gold_encounters: Sequence[str],
) -> CellScores:
    """Cell precision, recall and F1 of a predicted schedule.

    Args:
        predicted: ``(activity name, encounter names)`` per predicted activity.
        gold: ``(activity name, encounter names)`` per reference activity.
        encounter_pairs: From :func:`align_encounters` (gold index, predicted index).
        predicted_encounters: Predicted encounter names, in order.
        gold_encounters: Reference encounter names, in order.

    Returns:
        The scores.
    """
    to_gold = {predicted_encounters[j]: gold_encounters[i] for i, j in encounter_pairs}
    activities = score_criteria([name for name, _ in predicted], [name for name, _ in gold])
    gold_cells = {(a, e) for a, (_, encs) in enumerate(gold) for e in encs}
    hits = 0
    count = 0
    for p, (_, encs) in enumerate(predicted):
        count += len(encs)
        matched = next((g for pi, g, _ in activities.pairs if pi == p), None)
        if matched is None:
            continue
        hits += sum(1 for e in encs if (matched, to_gold.get(e, "")) in gold_cells)
    precision = hits / count if count else 0.0
    recall = hits / len(gold_cells) if gold_cells else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return CellScores(
        precision=precision,
        recall=recall,
        f1=f1,
        activity_pairs=tuple((p, g) for p, g, _ in activities.pairs),
        predicted_cells=count,
        gold_cells=len(gold_cells),
    )


def found_verbatim(text: str, words: Sequence[str], page_starts: Sequence[int]) -> bool:
    """True when ``text``'s words are a run of the document's words, skipping only at page breaks.

    Args:
        text: The extracted text.
        words: The document's words in reading order, whitespace-split.
        page_starts: Index in ``words`` where each page starts, ascending.

    Returns:
        Whether the text is the document's own (see the module docstring).
    """
    target = text.split()
    if not target:
        return False
    breaks = sorted(page_starts)
    for start in (k for k, w in enumerate(words) if w == target[0]):
        if _run_matches(target, words, start, breaks):
            return True
    return False


def _run_matches(target: list[str], words: Sequence[str], start: int, breaks: list[int]) -> bool:
    j = start
    for word in target:
        if j < len(words) and words[j] == word:
            j += 1
            continue
        # The skipped words [j, k) must contain a page start: furniture at the foot of one page
        # and the head of the next, never words in the middle of a page.
        limit = min(len(words), j + _PAGE_BREAK_SKIP)
        found = next((k for k in range(j + 1, limit) if words[k] == word and any(j <= b <= k for b in breaks)), None)
        if found is None:
            return False
        j = found + 1
    return True


def stated_in(item: str, document_tokens: Sequence[str]) -> bool:
    """True when a reference item is stated in the document (a window overlaps it by >= 0.7).

    Args:
        item: The reference text.
        document_tokens: The document's tokens (:func:`common.evaluation.tokens` of its text).

    Returns:
        Whether some window of the document's tokens, as long as the item, has a token
        overlap of at least 0.7 with it (USDM text differs in small ways: "erroralpha=0.05" for "error rate, α=.05").
    """
    wanted = Counter(tokens(item))
    size = wanted.total()
    if size == 0 or len(document_tokens) < size:
        return False
    window = Counter(document_tokens[:size])
    need = _STATED_OVERLAP * size
    shared = (window & wanted).total()
    if shared >= need:
        return True
    for k in range(size, len(document_tokens)):
        out, new = document_tokens[k - size], document_tokens[k]
        if window[out] <= wanted[out]:
            shared -= 1 if wanted[out] else 0
        window[out] -= 1
        window[new] += 1
        if window[new] <= wanted[new]:
            shared += 1 if wanted[new] else 0
        if shared >= need:
            return True
    return False
