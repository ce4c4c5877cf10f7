"""layout: running headers/footers, artefact repairs, joining wrapped lines."""

from __future__ import annotations

from common.pdf.document import Line, blank_line, line_of
from common.pdf.layout import build_document, collapse_spaces, is_plain, join_lines, normalise_chars, normalise_line

_WORDS = [
    "screening",
    "dosing",
    "safety",
    "efficacy",
    "follow-up",
    "analysis",
    "consent",
    "ethics",
    "storage",
]


def _body(n: int) -> list[str]:
    topic = _WORDS[(n - 1) % len(_WORDS)]
    return [f"This page describes {topic} procedures.", f"Patients return for {topic} visits."]


def _pages(count: int, body: list[list[str]] | None = None) -> list[str]:
    pages: list[str] = []
    for n in range(1, count + 1):
        lines = [f"ABC-123(a) Clinical Study Protocol Page {n}", "Compound X"]
        lines += body[n - 1] if body else _body(n)
        lines += ["Confidential", f"{n} of {count}"]
        pages.append("\n".join(lines))
    return pages


def test_running_headers_and_footers_are_removed() -> None:
    doc = build_document(_pages(6))
    texts = [line.text for line in doc.lines if line.text]
    assert texts[:2] == _body(1)
    assert not any("Clinical Study Protocol Page" in t for t in texts)
    assert "Confidential" not in texts
    assert "Compound X" not in texts
    assert not any(t.endswith("of 6") for t in texts)
    assert len(texts) == 12


def test_lines_keep_their_pages() -> None:
    doc = build_document(_pages(4))
    pages = {line.text: line.page for line in doc.lines if line.text}
    assert pages[_body(3)[0]] == 3
    assert doc.page_count == 4


def test_body_line_repeated_on_few_pages_is_kept() -> None:
    body = [["Vital signs", *_body(n)] if n < 3 else _body(n) for n in range(1, 11)]
    doc = build_document(_pages(10, body))
    assert sum(1 for line in doc.lines if line.text == "Vital signs") == 2


def test_truncated_header_on_the_cover_page_is_removed() -> None:
    pages = _pages(5)
    pages[0] = "ABC-123(a) Clinical Study Protocol\nA Study of Something in Someone\nSponsor"
    doc = build_document(pages)
    texts = [line.text for line in doc.lines if line.page == 1 and line.text]
    assert texts == ["A Study of Something in Someone", "Sponsor"]


def test_few_pages_are_left_alone() -> None:
    doc = build_document(["Header\nBody one", "Header\nBody two"])
    assert [line.text for line in doc.lines] == ["Header", "Body one", "Header", "Body two"]


def test_lone_bracket_is_joined_to_its_label() -> None:
    doc = build_document(["[5] have a body mass index of 18.5\n[\n6] have a hemoglobin A1c value\n(\na) nested"])
    texts = [line.text for line in doc.lines]
    assert texts == ["[5] have a body mass index of 18.5", "[6] have a hemoglobin A1c value", "(a) nested"]


def test_lone_bracket_across_a_blank_line() -> None:
    doc = build_document(["[\n\n12] are employees"])
    assert [line.text for line in doc.lines] == ["[12] are employees"]


def test_whitespace_and_ligatures_are_normalised() -> None:
    doc = build_document(["  e\ufb03cacy\u00a0and   safety\t"])
    assert doc.lines[0].text == "efficacy and safety"
    assert doc.lines[0].indent == 2
    assert normalise_chars("\ufb01rst\u2002line ") == "first line"


def test_join_lines_keeps_hyphenated_compounds() -> None:
    assert (
        join_lines(["randomized, double-", "blind, placebo-controlled"])
        == "randomized, double-blind, placebo-controlled"
    )
    assert join_lines(["(first-", "pass) metabolism"]) == "(first-pass) metabolism"


def test_join_lines_soft_hyphen_and_split_units() -> None:
    assert join_lines(["treat\u00ad", "ment arm"]) == "treatment arm"
    assert join_lines(["Single 3", "-mg dose"]) == "Single 3-mg dose"
    assert join_lines(["from Day", "-2 to discharge"]) == "from Day -2 to discharge"


def test_join_lines_skips_blanks_and_collapses_spaces() -> None:
    assert join_lines(["a  b", "", "  c "]) == "a b c"
    assert join_lines([]) == ""


def test_a_plain_page_needs_only_its_spaces_collapsed() -> None:
    # is_plain() lists the whitespace str.isspace() accepts; a missing one would let a line
    # through with, say, a thin space kept. All of them, and every mapped character, are in
    # the Basic Multilingual Plane.
    for code in range(0x10000):
        char = chr(code)
        needs_more = (char.isspace() and char not in " \r\n") or normalise_line(f"a{char}b") not in {f"a{char}b", "a b"}
        if needs_more or 0xE000 <= code <= 0xF8FF:
            assert not is_plain(f"text{char}text"), hex(code)
    page = "Inclusion  criteria \r\n1. Adults aged 18 or over.\r\n"
    assert is_plain(page)
    assert all(normalise_line(line) == collapse_spaces(line) for line in page.split("\r\n"))


def test_fast_line_builders_fill_the_fields_in_order() -> None:
    # line_of() and blank_line() skip Line's __new__; a reordered field would go unnoticed.
    assert line_of(("Text", 3, 0, 72.0, 90.5, 11.0, True, 40, " Text")) == Line(
        text="Text", page=3, indent=0, x=72.0, top=90.5, size=11.0, bold=True, char_start=40, raw=" Text"
    )
    assert blank_line(4) == Line(text="", page=4)
    assert blank_line(4, "Unplaced") == Line(text="Unplaced", page=4)
