"""Fuzzy scoring of extracted text items (e.g. eligibility criteria) against reference items.

The ratio
---------
Both texts are normalised (:func:`normalise`) and split into word tokens (runs of letters or
digits; punctuation and symbols are dropped). With ``A`` and ``B`` the two token *multisets*::

    token_overlap(a, b) = |A ∩ B| / max(|A|, |B|)

where ``|A ∩ B|`` counts shared tokens with multiplicity. This is stricter than token F1
(``2|A∩B| / (|A|+|B|)``) and than overlap relative to the shorter text: a prediction that
merges two reference items, or covers only half of one, scores about 0.5, not close to 1. Word
order is ignored.

Matching
--------
:func:`score_criteria` pairs predictions with references one-to-one, greedily by best ratio
(ties broken by position), and counts a pair as a match when its ratio is at least the
threshold. Recall is matches / references, precision is matches / predictions.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Score", "normalise", "score_criteria", "token_overlap", "tokens"]

_SPACES = re.compile(r"\s+")
_TOKEN = re.compile(r"[^\W_]+")
# Reference data writes whole numbers as floats ("50.0 years").
_TRAILING_ZERO = re.compile(r"(?<![\d.])(\d+)\.0(?![\d.])")


@dataclass(frozen=True, slots=True)
class Score:
    """The result of :func:`score_criteria`.

    Attributes:
        recall: Matched references / references.
        precision: Matched predictions / predictions.
            When a list is empty the ratio is 1.0 if the other list is empty too and 0.0
            otherwise: finding nothing is never rewarded when something was expected, and
            vice versa.
        matched: Number of matched pairs.
        mean_ratio: Mean :func:`token_overlap` of the matched pairs; 0.0 when none matched.
        unmatched_gold: Indexes of the references left without a match.
        unmatched_pred: Indexes of the predictions left without a match.
        pairs: The matched ``(prediction index, reference index, ratio)`` triples.
    """

    recall: float
    precision: float
    matched: int
    mean_ratio: float
    unmatched_gold: tuple[int, ...]
    unmatched_pred: tuple[int, ...]
    pairs: tuple[tuple[int, int, float], ...] = ()


def normalise(text: str) -> str:
    """Unescape HTML entities, apply Unicode NFKC, lower-case and collapse whitespace.

    Also writes ``50.0`` as ``50`` (reference data stores whole numbers as floats).

    Args:
        text: Any text.

    Returns:
        The normalised text.
    """
    text = unicodedata.normalize("NFKC", html.unescape(text)).lower()
    text = _TRAILING_ZERO.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip()


def tokens(text: str) -> list[str]:
    """Word tokens (runs of letters and digits) of the normalised text."""
    return _TOKEN.findall(normalise(text))


def token_overlap(a: str, b: str) -> float:
    """``|A ∩ B| / max(|A|, |B|)`` on token multisets (see the module docstring).

    Args:
        a: One text.
        b: The other text.

    Returns:
        A ratio in ``[0, 1]``; 1.0 only when both texts have the same tokens with the same
        counts, 0.0 when either has no tokens.
    """
    return _overlap(Counter(tokens(a)), Counter(tokens(b)))


def _overlap(a: Counter[str], b: Counter[str]) -> float:
    size = max(a.total(), b.total())
    if size == 0:
        return 0.0
    return (a & b).total() / size


def score_criteria(predicted: Sequence[str], gold: Sequence[str], threshold: float = 0.5) -> Score:
    """Match predicted items to reference items one-to-one and score the matching.

    Args:
        predicted: Extracted texts.
        gold: Reference texts.
        threshold: Minimum :func:`token_overlap` for a pair to count as a match.

    Returns:
        Recall, precision, the number of matches, their mean ratio and what was left
        unmatched.
    """
    pred_tokens = [Counter(tokens(p)) for p in predicted]
    gold_tokens = [Counter(tokens(g)) for g in gold]
    candidates = [
        (ratio, i, j)
        for i, p in enumerate(pred_tokens)
        for j, g in enumerate(gold_tokens)
        if (ratio := _overlap(p, g)) >= threshold
    ]
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    used_pred: set[int] = set()
    used_gold: set[int] = set()
    pairs: list[tuple[int, int, float]] = []
    for ratio, i, j in candidates:
        if i in used_pred or j in used_gold:
            continue
        used_pred.add(i)
        used_gold.add(j)
        pairs.append((i, j, ratio))
    matched = len(pairs)
    return Score(
        recall=_share(matched, len(gold), other=len(predicted)),
        precision=_share(matched, len(predicted), other=len(gold)),
        matched=matched,
        mean_ratio=sum(r for _, _, r in pairs) / matched if matched else 0.0,
        unmatched_gold=tuple(j for j in range(len(gold)) if j not in used_gold),
        unmatched_pred=tuple(i for i in range(len(predicted)) if i not in used_pred),
        pairs=tuple(sorted(pairs)),
    )


def _share(matched: int, total: int, *, other: int) -> float:
    if total == 0:
        return 1.0 if other == 0 else 0.0
    return matched / total
