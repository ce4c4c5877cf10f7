r"""Is a piece of extracted text found in its source? Fuzzy, whitespace- and hyphenation-tolerant.

Both texts are *compacted*: Unicode NFKC, HTML entities unescaped, lower-cased, and everything
but letters and digits dropped. Whitespace, line breaks, hyphenation at a line end
(``hyphen-\nation``), words split by text runs (``partici pant``) and punctuation then no longer
matter. The compacted text is cut into chunks of :data:`CHUNK` characters; a chunk is found when
it occurs in the compacted source verbatim or, failing that, when rapidfuzz's ``partial_ratio``
(the best Indel similarity of the chunk against any window of the source, 0 to 100) reaches
:data:`CHUNK_SIMILARITY`. The text's grounding is the share of its characters in found chunks.

Numbers get no fuzziness: a chunk found only fuzzily must have the digits of the source window
it matched, in order (a superscript digit of the source may be missing, no digit may differ),
and every number of the text must be a number of the source, so ``18`` changed to ``65`` is
caught although it changes a chunk by two characters.

A chunk is first looked for right after the previous one (a faithful text is contiguous in its
source), then anywhere; so a well-grounded text costs one substring search, and the fuzzy
fallback runs only on the chunks that were not found verbatim.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["CHUNK", "CHUNK_SIMILARITY", "Grounding", "compact", "grounding", "numbers"]

CHUNK = 40
"""Characters of compacted text per chunk."""
CHUNK_SIMILARITY = 85.0
"""Least ``partial_ratio`` (0-100) for a chunk not found verbatim to count as found."""

_NOT_ALNUM = re.compile(r"[\W_]+")
_DIGITS = re.compile(r"\D+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_TRAILING_ZERO = re.compile(r"^(\d+)[.,]0+$")


def compact(text: str) -> str:
    """Letters and digits only, lower-cased, after NFKC and HTML unescaping."""
    if "&" in text:
        text = html.unescape(text)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return _NOT_ALNUM.sub("", text.lower())


def numbers(text: str) -> set[str]:
    """The numbers written in ``text`` (``50.0`` as ``50``; a comma decimal as a point)."""
    out: set[str] = set()
    for raw in _NUMBER.findall(unicodedata.normalize("NFKC", text)):
        value = raw.replace(",", ".")
        whole = _TRAILING_ZERO.match(value)
        out.add(whole.group(1) if whole else value)
    return out


@dataclass(frozen=True, slots=True)
class Grounding:
    """How much of a text its source holds.

    Attributes:
        score: Share of the text's compacted characters in found chunks, 0.0 to 1.0 (1.0 for a
            text with no letters or digits).
        missing_numbers: Numbers of the text that the source does not contain, sorted.
        head_found: Whether the text's first chunk was found starting inside the source's first
            part (see :func:`grounding`).
    """

    score: float
    missing_numbers: tuple[str, ...]
    head_found: bool

    def grounded(self, threshold: float) -> bool:
        """Whether the score reaches ``threshold``, no number is missing and the head was found."""
        return self.score >= threshold and not self.missing_numbers and self.head_found


def grounding(
    text: str,
    parts: Sequence[str],
    *,
    compacted: Sequence[str] | None = None,
    source_numbers: Sequence[set[str]] | None = None,
) -> Grounding:
    """How much of ``text`` is found in the concatenation of ``parts``.

    Args:
        text: Extracted text (a criterion, a quote).
        parts: The source in order, e.g. the cited page then the pages after it. The text must
            *start* in the first part (its first chunk found at an offset inside it) and may run
            on into the next ones.
        compacted: :func:`compact` of each of ``parts``, when the caller already has them.
        source_numbers: :func:`numbers` of each of ``parts``, when the caller already has them.

    Returns:
        The :class:`Grounding`.
    """
    needle = compact(text)
    packed = list(compacted) if compacted is not None else [compact(p) for p in parts]
    hay = "".join(packed)
    head_end = len(packed[0]) if packed else 0
    found_numbers = source_numbers if source_numbers is not None else [numbers(p) for p in parts]
    missing = tuple(sorted(numbers(text).difference(*found_numbers)))
    if not needle:
        return Grounding(1.0, missing, True)
    chunks = [needle[i : i + CHUNK] for i in range(0, len(needle), CHUNK)]
    head = _find(chunks[0], hay)
    found = len(chunks[0]) if head >= 0 else 0
    at = head + len(chunks[0]) if head >= 0 else -1
    for chunk in chunks[1:]:
        # Chunks of a faithful text follow each other in the source: check there first.
        if at < 0 or not hay.startswith(chunk, at):
            at = _find(chunk, hay)
        if at >= 0:
            found += len(chunk)
            at += len(chunk)
    return Grounding(found / len(needle), missing, 0 <= head < head_end)


def _find(chunk: str, hay: str) -> int:
    """Where ``chunk`` starts in ``hay``: verbatim, else fuzzily; ``-1`` when not found."""
    at = hay.find(chunk)
    if at >= 0 or not hay:
        return at
    from rapidfuzz import fuzz  # loaded only when a chunk is not found verbatim

    alignment = fuzz.partial_ratio_alignment(chunk, hay, score_cutoff=CHUNK_SIMILARITY)
    if alignment is None or alignment.score < CHUNK_SIMILARITY:
        return -1
    # Fuzzy on letters, strict on digits: "aged 18" must not match "aged 65" in a similar chunk.
    # Digits of the source may be missing from the text (superscripts, footnote markers are
    # dropped on extraction: "kg/m2" becomes "kg/m"), never changed or added.
    window = hay[alignment.dest_start : alignment.dest_end]
    if not _subsequence(_DIGITS.sub("", chunk), _DIGITS.sub("", window)):
        return -1
    return alignment.dest_start


def _subsequence(short: str, long: str) -> bool:
    rest = iter(long)
    return all(ch in rest for ch in short)
