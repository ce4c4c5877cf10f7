"""Finding heading lines in the body of a document.

Three kinds of heading line are recognised:

* numbered headings ("6.1. Inclusion Criteria", "5.1 Overall Design"), kept only when they form
  a plausible outline: the longest chain in which each number validly follows the previous one
  (a child "6.1" -> "6.1.1", a sibling "6.1" -> "6.2", or a return to a parent level
  "6.2.3" -> "7"). Numbered list items ("1. Make a fist.") and headings re-printed out of order
  (an amendment summary repeating "6.2. Exclusion Criteria" after section 11) fall out of it.
  Lines that read like list items (long, wrapped on into a lower-case line, indented from the
  page margin, or top-level numbers a line or two apart) count for less, so that numbered
  criteria continuing past the chapter number ("6. ..." after "5.2") cannot outweigh the
  real outline;
* appendix headings ("Appendix 2. Clinical Laboratory Tests", "Protocol Attachment ABC.1"), which
  are top-level boundaries; a bare label takes the next line as its title;
* unnumbered key-section headings: a line that is nothing but a heading phrase the caller
  recognises (``key_phrase``; for protocols "Inclusion Criteria", "Schedule of Activities");
* short lines in capitals ("STUDY PROCEDURES"), which only serve as boundaries.

It also matches a heading known from elsewhere (outline, table of contents) to its body line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from common.pdf.document import Document

__all__ = [
    "Heading",
    "HeadingMatcher",
    "HeadingSource",
    "body_headings",
    "is_capitalised_heading",
    "is_continuation",
    "parse_number",
    "title_key",
]

HeadingSource = Literal["outline", "toc", "body"]

_NUMBERED = re.compile(r"^(?P<num>\d{1,2}(?:\.\d{1,3}){0,6})\.?(?:\s+(?P<title>.*))?$")
_NUMBER_ONLY = re.compile(r"^\d{1,2}(?:\.\d{1,3}){0,6}\.?$")
_APPENDIX = re.compile(
    r"^(?:protocol\s+)?(?P<word>appendix|appendices|attachment|annex|supplement)\s+"
    r"(?P<label>[a-z0-9]{1,8}(?:[.-][a-z0-9]{1,4}){0,3})\s*(?:[:.\u2013\u2014-]\s*|\s+|$)(?P<title>.*)$",
    re.IGNORECASE,
)
_NON_KEY = re.compile(r"[^a-z0-9]+")
# First three letters of the words an appendix heading opens with (appendix, attachment, annex,
# supplement, "protocol attachment").
_APPENDIX_OPENINGS = frozenset({"app", "att", "ann", "sup", "pro"})
_CONTINUED = re.compile(r"\((?:continued|concluded|cont'?d\.?)\)\s*$")
_LEADERS = re.compile(r"\.{4,}|(?:\.\s){4,}|…{2,}")
_MAX_TITLE_WORDS = 16
_MAX_PHRASE_WORDS = 10
_MAX_TOP_NUMBER = 40
# How far a sibling number may jump (a missed or deleted heading in between).
_MAX_STEP = 2
# Headings longer than this many words are rare; a numbered list item's first line often is.
_SHORT_TITLE_WORDS = 8
# Points by which a line must sit right of the page margin to count as indented.
_INDENT_TOLERANCE = 3.0
# A chapter heading is followed by more lines than this before the next chapter.
_MIN_CHAPTER_LINES = 3


@dataclass(frozen=True, slots=True)
class Heading:
    """A heading located in the document.

    Attributes:
        line: Index of the heading's first line in ``Document.lines``.
        page: 1-based PDF page of that line.
        number: The heading number without a trailing dot (``"6.1"``), if any.
        title: The heading title without its number.
        level: Outline depth, 1 for top-level headings (a numbered heading's level is the
            number of its parts).
        source: Where the heading was learnt: the PDF outline, the printed table of contents,
            or the body text.
    """

    line: int
    page: int
    number: str | None
    title: str
    level: int
    source: HeadingSource


def is_continuation(title: str) -> bool:
    """True when a heading says it continues an earlier one ("... (continued)")."""
    return "(" in title and _CONTINUED.search(title.strip().lower()) is not None  # cheap test first


def title_key(text: str) -> str:
    """A heading title reduced to lower-case letters and digits, for loose comparison."""
    return _NON_KEY.sub("", text.lower())


def parse_number(text: str) -> tuple[str | None, str]:
    """Split a heading into its number and title.

    Args:
        text: A heading as printed, e.g. ``"6.1. Inclusion Criteria"``.

    Returns:
        ``(number, title)``, e.g. ``("6.1", "Inclusion Criteria")``; ``(None, text)`` when the
        heading is not numbered.
    """
    match = _NUMBERED.match(text.strip())
    if match is None:
        return None, text.strip()
    return match["num"], (match["title"] or "").strip()


def _number_parts(number: str) -> tuple[int, ...]:
    return tuple(int(part) for part in number.split("."))


def _next_text(doc: Document, index: int) -> tuple[int, str]:
    for j in range(index + 1, min(index + 3, len(doc.lines))):
        if doc.lines[j].text:
            return j, doc.lines[j].text
    return -1, ""


def _looks_like_title(title: str) -> bool:
    if not title or not title[0].isupper():
        return False
    if title[-1] in ".,;" or _LEADERS.search(title):
        return False
    words = title.split()
    if len(words) > _MAX_TITLE_WORDS:
        return False
    return any(sum(ch.isalpha() for ch in word) >= 3 for word in words)


def _keys_match(line_key: str, next_key: str, target: str) -> bool:
    if not target or not line_key:
        return False
    if line_key == target:
        return True
    if line_key.startswith(target) and len(target) >= 8:
        return True
    # The title wraps onto the next line.
    return (
        target.startswith(line_key)
        and len(line_key) >= min(8, len(target))
        and (line_key + next_key).startswith(target)
    )


class HeadingMatcher:
    """Finds the body line that prints a heading known from the outline or the contents.

    Builds a per-line index once, so that matching a table of contents of a few hundred entries
    against a few thousand lines stays cheap.

    Args:
        doc: The document.
        skip_pages: Pages never to match (the table of contents itself).
    """

    def __init__(self, doc: Document, skip_pages: frozenset[int]) -> None:
        self._by_number: dict[str, list[int]] = {}
        # Keys are made on first use: most lines are never compared with any heading.
        self._texts = [line.text if line.page not in skip_pages else "" for line in doc.lines]
        self._keys: list[str | None] = [None] * len(self._texts)
        self._following: list[int] = [-1] * len(self._texts)
        upcoming = -1
        for i in range(len(self._texts) - 1, -1, -1):
            self._following[i] = upcoming
            if self._texts[i]:
                upcoming = i
        self._numbered: dict[int, tuple[str, str]] = {}
        for i, text in enumerate(self._texts):
            if not text[:1].isdigit():
                continue
            number, rest = parse_number(text)
            if number is not None:
                self._numbered[i] = (number, rest)
                self._by_number.setdefault(number, []).append(i)

    def _key(self, i: int) -> str:
        if i < 0:
            return ""
        key = self._keys[i]
        if key is None:
            key = title_key(self._texts[i]) if self._texts[i] else ""
            self._keys[i] = key
        return key

    def _rest_next(self, i: int) -> tuple[str, str]:
        """The line's title key without its number, and the key of the line after it."""
        numbered = self._numbered.get(i)
        if numbered is None:
            return self._key(i), self._key(self._following[i])
        rest = numbered[1]
        if rest:
            return title_key(rest), self._key(self._following[i])
        return self._key(self._following[i]), ""

    @property
    def line_count(self) -> int:
        """Number of lines in the indexed document."""
        return len(self._texts)

    def find(self, number: str | None, title: str, start: int = 0, end: int | None = None) -> int | None:
        """The first line in ``[start, end)`` that prints the heading.

        Args:
            number: The heading number (``"6.1"``), or ``None`` for an unnumbered heading
                (whose title is then compared with the whole line, and with the line after its
                number if it has one).
            title: The heading title as listed in the outline or the table of contents.
            start: First line index to consider.
            end: Line index to stop before; the end of the document when ``None``.

        Returns:
            The line index, or ``None`` when the heading is not printed in that range.
        """
        target = title_key(title)
        stop = len(self._texts) if end is None else min(end, len(self._texts))
        if not target:
            return None
        if number is not None:
            for i in self._by_number.get(number, []):
                if start <= i < stop and _keys_match(*self._rest_next(i), target):
                    return i
            return None
        first = target[0]
        for i in range(max(0, start), stop):
            text = self._texts[i]
            if not text:
                continue
            lead = text[0].lower()
            if lead.isalpha() and lead != first:
                continue  # the line's key starts with that letter, the heading's with another
            full = self._key(i)
            rest, following = self._rest_next(i)
            # An unnumbered outline entry may still point at a numbered heading.
            if full and (_keys_match(full, following, target) or _keys_match(rest, following, target)):
                return i
        return None


@dataclass(frozen=True, slots=True)
class _Candidate:
    line: int
    number: tuple[int, ...]
    title: str
    title_line: int
    weight: float = 1.0


def _page_margins(doc: Document) -> dict[int, float]:
    """Leftmost line start of each page whose lines carry positions."""
    margins: dict[int, float] = {}
    for line in doc.lines:
        if line.x is not None and line.text:
            margins[line.page] = min(line.x, margins.get(line.page, line.x))
    return margins


def _title_weight(doc: Document, candidate_line: int, title_line: int, title: str, margins: dict[int, float]) -> float:
    """How much a numbered line reads like a heading rather than a numbered list item, in (0, 1].

    Headings are short lines of their own at the text margin; a list item's first line is a
    full line of a sentence that goes on below, often indented. Each sign of the latter lowers
    the weight, so that a long run of numbered criteria cannot outweigh the real outline.
    """
    weight = 1.0
    words = len(title.split())
    if words > _SHORT_TITLE_WORDS:
        weight *= 0.5
    _, following = _next_text(doc, title_line)
    if following[:1].islower():
        weight *= 0.5  # the "title" is a sentence wrapped onto the next line
    line = doc.lines[candidate_line]
    margin = margins.get(line.page)
    if line.x is not None and margin is not None and line.x > margin + _INDENT_TOLERANCE:
        weight *= 0.5
    return weight


def _numbered_candidates(doc: Document, skip_pages: frozenset[int]) -> list[_Candidate]:
    out: list[_Candidate] = []
    lines = doc.lines
    margins = _page_margins(doc)
    for i, line in enumerate(lines):
        text = line.text
        if not text or line.page in skip_pages or not text[0].isdigit():
            continue
        match = _NUMBERED.match(text)
        if match is None:
            continue
        title, title_line = (match["title"] or "").strip(), i
        if not title and _NUMBER_ONLY.match(text):
            title_line, title = _next_text(doc, i)
        if not _looks_like_title(title):
            continue
        parts = _number_parts(match["num"])
        if parts[0] == 0 or parts[0] > _MAX_TOP_NUMBER:
            continue
        weight = _title_weight(doc, i, title_line, title, margins)
        out.append(_Candidate(line=i, number=parts, title=title, title_line=title_line, weight=weight))
    return out


def _predecessors(b: tuple[int, ...]) -> list[tuple[bool, tuple[int, ...]]]:
    """What a heading numbered ``b`` may directly follow, as ``(exact, number or prefix)`` keys.

    * its parent, skipping at most one level, when ``b`` is a first child ("6" or "6.1" before
      "6.1.1"; small numbers are tolerated for a missed first child): exact numbers;
    * the previous sibling at some depth, or anything below it ("6.1.3.2" before "6.2", "5.3"
      before "6" or "6.1"); one missed sibling is tolerated: prefixes.
    """
    keys: list[tuple[bool, tuple[int, ...]]] = []
    if len(b) >= 2 and b[-1] <= _MAX_STEP:
        keys.append((True, b[:-1]))
        if len(b) >= 3 and b[-2] <= _MAX_STEP:
            keys.append((True, b[:-2]))
    for depth in range(1, len(b) + 1):
        if len(b) - depth > 1 or any(x != 1 for x in b[depth:]):
            continue
        for previous in range(max(0, b[depth - 1] - _MAX_STEP), b[depth - 1]):
            keys.append((False, (*b[: depth - 1], previous)))
    return keys


def _longest_chain(candidates: list[_Candidate]) -> list[_Candidate]:
    """The heaviest run of candidates whose numbers each validly follow the previous one.

    Each candidate counts for its weight (how much it reads like a heading), so the chain is
    the longest one when every candidate looks like a heading. Linear time: for every number and
    every prefix of a number, the best chain ending at a candidate with that number (or under
    that prefix) is kept, the latest candidate winning ties, so a heading links to the nearest
    plausible predecessor (the real heading, not an earlier list item that happens to carry the
    same number).
    """
    if not candidates:
        return []
    exact: dict[tuple[int, ...], tuple[float, int]] = {}
    under: dict[tuple[int, ...], tuple[float, int]] = {}
    best = [c.weight for c in candidates]
    previous = [-1] * len(candidates)
    for i, cand in enumerate(candidates):
        for is_exact, key in _predecessors(cand.number):
            found = (exact if is_exact else under).get(key)
            if found is None:
                continue
            score, index = found
            total = score + cand.weight * _link_weight(candidates[index], cand)
            if total > best[i] or (total == best[i] and index > previous[i]):
                best[i], previous[i] = total, index
        if best[i] >= exact.get(cand.number, (0.0, -1))[0]:
            exact[cand.number] = (best[i], i)
        for depth in range(1, len(cand.number) + 1):
            prefix = cand.number[:depth]
            if best[i] >= under.get(prefix, (0.0, -1))[0]:
                under[prefix] = (best[i], i)
    end = max(range(len(candidates)), key=lambda k: (best[k], -k))
    chain: list[_Candidate] = []
    while end >= 0:
        chain.append(candidates[end])
        end = previous[end]
    chain.reverse()
    return chain


def _link_weight(before: _Candidate, after: _Candidate) -> float:
    """Top-level siblings a line or two apart are list items: a chapter is never that short."""
    if len(before.number) == 1 and len(after.number) == 1 and after.line - before.title_line <= _MIN_CHAPTER_LINES:
        return 0.25
    return 1.0


def _appendix_headings(doc: Document, skip_pages: frozenset[int]) -> tuple[list[Heading], set[int]]:
    out: list[Heading] = []
    title_lines: set[int] = set()
    last_label = ""
    for i, line in enumerate(doc.lines):
        text = line.text
        # Cheap test first: this runs on every line, and an appendix heading opens with its word.
        if not text or text[:3].lower() not in _APPENDIX_OPENINGS:
            continue
        if line.page in skip_pages or len(text.split()) > _MAX_TITLE_WORDS:
            continue
        match = _APPENDIX.match(text)
        if match is None or not (text[0].isupper()):
            continue
        title = match["title"].strip()
        label = f"{match['word']} {match['label']}".lower()
        if title and not _looks_like_title(title):
            continue
        if not title:
            j, following = _next_text(doc, i)
            if _looks_like_title(following) and not _APPENDIX.match(following):
                title = following
                # The title line is part of this heading, never a heading of its own.
                title_lines.add(j)
        if label == last_label or is_continuation(title):
            continue  # the same appendix re-titled on each of its pages
        last_label = label
        full = text if match["title"].strip() or not title else f"{text} {title}"
        out.append(Heading(line=i, page=line.page, number=None, title=full, level=1, source="body"))
    return out, title_lines


def _phrase_headings(doc: Document, skip_pages: frozenset[int], key_phrase: Callable[[str], bool]) -> list[Heading]:
    out: list[Heading] = []
    for i, line in enumerate(doc.lines):
        text = line.text
        if not text or line.page in skip_pages or not text[0].isupper() or text[-1] in ".,;":
            continue
        if (text.count(" ") >= _MAX_PHRASE_WORDS and len(text.split()) > _MAX_PHRASE_WORDS) or is_continuation(text):
            continue
        if not key_phrase(text):
            continue
        out.append(Heading(line=i, page=line.page, number=None, title=text.rstrip(":").strip(), level=0, source="body"))
    return out


def _capital_headings(doc: Document, skip_pages: frozenset[int]) -> list[Heading]:
    out: list[Heading] = []
    for i, line in enumerate(doc.lines):
        if line.text and line.page not in skip_pages and is_capitalised_heading(line.text):
            out.append(Heading(line=i, page=line.page, number=None, title=line.text, level=0, source="body"))
    return out


def is_capitalised_heading(text: str) -> bool:
    """True for a short line in capitals that reads as a heading ("STUDY PROCEDURES").

    Args:
        text: One line.

    Returns:
        Whether the line has 2 to 10 words, at least two of three or more letters, no lower-case
        letter and no sentence punctuation at its end.
    """
    if not text[0].isalpha() or "a" <= text[1:2] <= "z" or text[-1] in ".,;" or text != text.upper():
        return False  # cheap tests first: a line with a lower-case letter is no capitals heading
    words = text.split()
    if not 2 <= len(words) <= _MAX_PHRASE_WORDS:
        return False
    letters = sum(ch.isalpha() for ch in text)
    # Table rows in capitals ("VISIT 1 2 3 4") are mostly numbers.
    if letters < 0.8 * sum(not ch.isspace() for ch in text):
        return False
    return sum(1 for w in words if sum(ch.isalpha() for ch in w) >= 3) >= 2


def body_headings(
    doc: Document, skip_pages: frozenset[int] = frozenset(), key_phrase: Callable[[str], bool] | None = None
) -> list[Heading]:
    """Headings found by scanning the body text.

    Args:
        doc: The document.
        skip_pages: Pages not to scan (the table of contents).
        key_phrase: Recognises a bare line of body text as a heading phrase of its own
            (applied to short capitalised lines); none are recognised when ``None``.

    Returns:
        Headings in document order: the chain of numbered headings (level = number of parts),
        appendix headings (level 1), and unnumbered key-section phrases and lines in capitals
        (level 0, meaning "below whatever section encloses it"; callers assign the real level).
    """
    appendices, title_lines = _appendix_headings(doc, skip_pages)
    candidates = _numbered_candidates(doc, skip_pages)
    if len(appendices) >= 2:
        # Past the first of several appendices, numbered lines are the appendices' own
        # sub-headings or lists (questionnaire items, scale sections), not the body outline.
        region = appendices[0].line
        candidates = [c for c in candidates if c.line < region]
    chain = _longest_chain(candidates)
    numbered = [
        Heading(
            line=c.line,
            page=doc.lines[c.line].page,
            number=".".join(str(p) for p in c.number),
            title=c.title,
            level=len(c.number),
            source="body",
        )
        for c in chain
    ]
    taken = {h.line for h in numbered} | {c.title_line for c in chain} | {h.line for h in appendices} | title_lines
    phrases = [h for h in _phrase_headings(doc, skip_pages, key_phrase) if h.line not in taken] if key_phrase else []
    taken |= {h.line for h in phrases}
    capitals = [h for h in _capital_headings(doc, skip_pages) if h.line not in taken]
    return sorted([*numbered, *appendices, *phrases, *capitals], key=lambda h: h.line)
