"""Keyword rules that recognise the key sections of a protocol from a heading's title.

The rules are deliberately about words, not layout: "6.1. Inclusion Criteria", "INCLUSION
CRITERIA:" and "Key Inclusion Criteria" all classify the same. Two strengths exist: the normal
one for headings already known to be headings (outline, table of contents, numbered headings),
and a strict one for a bare line of body text, which must consist of the heading phrase alone.
"""

from __future__ import annotations

import re
from typing import Literal

__all__ = [
    "SECTION_KINDS",
    "SectionKind",
    "classify_heading",
    "is_broad_heading",
    "is_key_phrase",
    "normalise_title",
]

SectionKind = Literal[
    "synopsis",
    "objectives_endpoints",
    "study_design",
    "eligibility",
    "inclusion",
    "exclusion",
    "schedule_of_activities",
]
SECTION_KINDS: tuple[SectionKind, ...] = (
    "synopsis",
    "objectives_endpoints",
    "study_design",
    "eligibility",
    "inclusion",
    "exclusion",
    "schedule_of_activities",
)

_NON_LETTER = re.compile(r"[^a-z]+")
# Letters that every key-section heading contains; a split heading is only retried when present.
_KEY_STEMS = ("inclusion", "exclusion", "criteri", "eligib", "objective", "endpoint", "synopsis", "schedule", "design")
_MAX_SPLIT_TITLE = 80
# Every key-section heading contains one of these (letters only, lower case, spaces removed).
_ANY_KEY_WORD = re.compile(
    "inclu|exclu|criteri|eligib|populat|select|entry|enrol|synopsis|summary|schedule|event|flowchart|"
    "objective|endpoint|estimand|outcome|design|plan|patient|subject|participant|visits|assessments|procedures"
)
_ANY_KEY_WORD_BYTES = re.compile(_ANY_KEY_WORD.pattern.encode("ascii"))
_NOT_ASCII_LOWER = bytes(b for b in range(256) if not ord("a") <= b <= ord("z"))
_CONTINUED = re.compile(r"\((?:continued|concluded|cont'?d\.?)\)\s*$")
_NON_WORD = re.compile(r"[^a-z0-9/&]+")
_LEADING_NUMBER = re.compile(r"^\d+(?:\.\d+)*\.?\s+")

# Headings that mention a kind's words but are about something else.
_NOT_CRITERIA = re.compile(
    r"\b(?:rationale|violation|deviation|waiver|exception|justification|discontinu|withdraw|"
    r"change|amendment|summary of changes|inadvertent|re-?screen|screen failure)",
)
_NOT_POPULATION = re.compile(r"\b(?:analys[ie]s|analysis|statistic|disposition|pharmacokinetic)")

_NON_INCLUSION = re.compile(r"\bnon[- ]?inclusion\b")
_INCLUSION = re.compile(r"\b(?:inclusion|criteria for inclusion|include)\b")
_EXCLUSION = re.compile(r"\b(?:exclusion|criteria for exclusion|exclude)\b")
_CRITERIA_WORDS = frozenset(
    {
        "inclusion",
        "exclusion",
        "criteria",
        "criterion",
        "key",
        "main",
        "principal",
        "general",
        "specific",
        "additional",
        "other",
        "study",
        "trial",
        "patient",
        "patients",
        "subject",
        "subjects",
        "participant",
        "participants",
        "for",
        "and",
        "the",
        "of",
        "/",
        "&",
    }
)
_ELIGIBILITY = re.compile(
    r"\beligibility\b|\b(?:study|trial|patient|subject|participant)s? population\b|"
    r"\bselection of (?:the )?(?:study |trial )?(?:patients|subjects|participants|population)\b|"
    r"\b(?:patient|subject|participant) selection\b|\bselection and withdrawal\b|"
    r"\bcriteria for (?:enrol?lment|entry|study entry|participation)\b|"
    r"\b(?:entry|enrol?lment|selection) criteria\b|^(?:study|trial) (?:patients|subjects|participants)$"
)
_POPULATION_ONLY = re.compile(r"^(?:study |trial )?(?:patients|subjects|participants|population)$")
_OBJECTIVE_WORDS = frozenset({"objective", "objectives", "endpoint", "endpoints", "estimand", "estimands"})
_OBJECTIVE_ALLOWED = _OBJECTIVE_WORDS | frozenset(
    {
        "study",
        "trial",
        "primary",
        "secondary",
        "exploratory",
        "tertiary",
        "other",
        "and",
        "or",
        "the",
        "of",
        "/",
        "&",
        "hypotheses",
        "hypothesis",
        "purpose",
        "outcome",
        "outcomes",
        "measures",
        "aims",
        "clinical",
    }
)
_DESIGN_ALLOWED = frozenset(
    {
        "overall",
        "summary",
        "of",
        "the",
        "study",
        "trial",
        "design",
        "and",
        "plan",
        "investigational",
        "description",
        "general",
        "clinical",
        "experimental",
        "/",
        "&",
    }
)
# Every word a strict rule that takes no regex phrase accepts, and the most words a strict
# title with a regex phrase may have (eligibility; synopsis allows 4).
_RULE_VOCABULARY = _CRITERIA_WORDS | _OBJECTIVE_ALLOWED | _DESIGN_ALLOWED | frozenset({"measure"})
_STRICT_MAX_WORDS = 5
# ... and "non", which a merge can make, or join to "inclusion", that a rule reads as "exclusion".
_RETRY_VOCABULARY = _RULE_VOCABULARY | frozenset({"non"})
_SYNOPSIS = re.compile(
    r"\bsynopsis\b|^(?:protocol|study|trial|clinical study|clinical trial) summary$|"
    r"^summary of (?:the )?protocol$"
)
_SCHEDULE = re.compile(
    r"\bschedules? of (?:activities|events|assessments|procedures|study procedures|study activities|"
    r"visits|evaluations|observations|study assessments)\b|\btime (?:and|&) events?\b|\bflow ?chart\b|"
    r"^(?:study |visit )schedule\b|\bschedule of (?:study )?visits\b|^soa$"
)
_STRICT_SCHEDULE_TAIL = re.compile(r"^(?:\(soa\)|for .*|\(.*\))?$")


def normalise_title(title: str) -> str:
    """Lower-case a heading title, drop a "(continued)" tail, a trailing colon and odd spacing.

    Args:
        title: A heading title, with or without its number.

    Returns:
        The normalised title, e.g. ``"inclusion criteria"``.
    """
    text = title.strip().lower().replace("\u2019", "'")
    if "(" in text:
        text = _CONTINUED.sub("", text).strip()
    text = text.rstrip(":").strip()
    return " ".join(text.split())


_BROAD = re.compile(
    r"^(?:\d+(?:\.\d+)*\.?\s+)?"
    r"(?:(?:investigational|study|trial|clinical) plan|(?:protocol|study|trial) summary)$"
)


def is_broad_heading(title: str) -> bool:
    """True for chapter-level headings that classify only loosely.

    "Investigational Plan" holds the design but also the population, treatments and
    assessments; "Protocol Summary" holds the synopsis but also the schema and the schedule.
    When such a chapter contains a specific heading of its kind, the specific one is the better
    section.
    """
    return _BROAD.match(normalise_title(title)) is not None


def _words(text: str) -> list[str]:
    return [w for w in _NON_WORD.split(text) if w]


def classify_heading(title: str, *, strict: bool = False) -> SectionKind | None:
    """The section kind a heading title announces, if any.

    A heading whose words the text layer split ("Ex clusion Criteria") is recognised too: when
    the title as printed classifies as nothing but, with its letters run together, names a key
    section, each single space is tried removed.

    Args:
        title: The heading title, without its number (a leading number is tolerated).
        strict: Require the title to be the heading phrase alone (for lines of body text that
            are not otherwise known to be headings).

    Returns:
        The kind, or ``None`` when the title is not one of the key sections.
    """
    lower = title.lower()
    if lower.isascii():  # most lines: bytes drop the non-letters several times faster than re.sub
        letters = lower.encode("ascii").translate(None, _NOT_ASCII_LOWER)
        if _ANY_KEY_WORD_BYTES.search(letters) is None and letters != b"soa":
            return None  # cheap test first: this runs on every short line of a document
        compact = letters.decode("ascii")
    else:
        compact = _NON_LETTER.sub("", lower)
        if _ANY_KEY_WORD.search(compact) is None and compact != "soa":
            return None
    kind = _classify(title, strict)
    if kind is not None or " " not in title or len(title) > _MAX_SPLIT_TITLE:
        return kind
    if not any(stem in compact for stem in _KEY_STEMS):
        return None
    if strict and not _strict_retry_can_classify(title, compact):
        return None
    for position in (i for i, ch in enumerate(title) if ch == " "):
        kind = _classify(title[:position] + title[position + 1 :], strict)
        if kind is not None:
            return kind
    return None


def _strict_retry_can_classify(title: str, compact: str) -> bool:
    """False when no title with one space of ``title`` removed can classify in strict mode.

    A sound test, so that lines of body text ("The primary objectives of this study are")
    skip the retries: removing a space at most merges two adjacent words, and a strict rule
    needs either a short title (synopsis: 4 words, eligibility: 5), a schedule phrase (whose
    letters ``compact`` then holds), or every word in a rule's vocabulary, which one merge can
    reach only when the merged word is in it and no other word is out of it. Titles with a
    number or a parenthesis, which normalisation may strip, always get the retries.
    """
    if title.lstrip()[:1].isdigit() or "(" in title:
        return True  # a removed space can change what the number or "(continued)" strip: no shortcut
    words = _words(_prepared(title))
    if len(words) <= _STRICT_MAX_WORDS + 1:
        return True
    if "schedul" in compact or "flowchart" in compact or ("time" in compact and "event" in compact):
        return True
    outside = [w not in _RETRY_VOCABULARY for w in words]
    stray = sum(outside)
    return any(
        stray - outside[k] - outside[k + 1] == 0 and words[k] + words[k + 1] in _RETRY_VOCABULARY
        for k in range(len(words) - 1)
    )


def is_key_phrase(text: str) -> bool:
    """True when a bare line of body text is a key-section heading phrase on its own."""
    return classify_heading(text, strict=True) is not None


def _prepared(title: str) -> str:
    """The title as the rules read it: normalised, without its number."""
    text = normalise_title(title)
    if text[:1].isdigit():
        text = _LEADING_NUMBER.sub("", text)
    if "non" in text:  # "Non-inclusion criteria" (European protocols) are exclusion criteria.
        text = _NON_INCLUSION.sub("exclusion", text)
    return text


def _classify(title: str, strict: bool) -> SectionKind | None:
    text = _prepared(title)
    if not text or len(text) > 120:
        return None
    words = _words(text)
    if not words:
        return None

    for rule in (
        _criteria_kind,
        _synopsis_kind,
        _schedule_kind,
        _objectives_kind,
        _design_kind,
        _eligibility_kind,
    ):
        kind = rule(text, words, strict)
        if kind is not None:
            return kind
    return None


def _criteria_kind(text: str, words: list[str], strict: bool) -> SectionKind | None:
    has_inclusion = _INCLUSION.search(text) is not None
    has_exclusion = _EXCLUSION.search(text) is not None
    if not (has_inclusion or has_exclusion) or _NOT_CRITERIA.search(text) is not None:
        return None
    if strict and not set(words) <= _CRITERIA_WORDS:
        return None
    if has_inclusion and has_exclusion:
        return "eligibility"
    if "criteria" in words or "criterion" in words or len(words) <= 2:
        return "inclusion" if has_inclusion else "exclusion"
    return None


def _synopsis_kind(text: str, words: list[str], strict: bool) -> SectionKind | None:
    if _SYNOPSIS.search(text) is None or "amendment" in words or (strict and len(words) > 4):
        return None
    return "synopsis"


def _schedule_kind(text: str, words: list[str], strict: bool) -> SectionKind | None:
    schedule = _SCHEDULE.search(text)
    if schedule is None or "rationale" in words:
        return None
    if strict and not _STRICT_SCHEDULE_TAIL.match(text[schedule.end() :].strip()):
        return None
    return "schedule_of_activities"


def _objectives_kind(text: str, words: list[str], strict: bool) -> SectionKind | None:
    word_set = set(words)
    if word_set & _OBJECTIVE_WORDS and word_set <= _OBJECTIVE_ALLOWED:
        return "objectives_endpoints"
    # "Outcome Measures" (ClinicalTrials.gov's word for endpoints), "Primary Outcome Measures".
    if {"outcome", "measures"} <= word_set | {
        "measures" if "measure" in word_set else ""
    } and word_set <= _OBJECTIVE_ALLOWED | {"measure"}:
        return "objectives_endpoints"
    return None


def _design_kind(text: str, words: list[str], strict: bool) -> SectionKind | None:
    word_set = set(words)
    if word_set <= _DESIGN_ALLOWED and ("design" in word_set or {"investigational", "plan"} <= word_set):
        return "study_design"
    return None


def _eligibility_kind(text: str, words: list[str], strict: bool) -> SectionKind | None:
    if not strict and _POPULATION_ONLY.match(text):
        return "eligibility"  # a numbered "4.1 Patients" heading
    if _ELIGIBILITY.search(text) is None or (strict and len(words) > _STRICT_MAX_WORDS):
        return None
    if _NOT_POPULATION.search(text) is not None or _NOT_CRITERIA.search(text) is not None:
        return None
    return "eligibility"
