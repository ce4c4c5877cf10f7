"""common.pdf: word repair from glyph gaps, footnote separation, symbol-font bullets, ruled tables."""

from __future__ import annotations

import itertools
from collections.abc import Collection, Sequence

from hypothesis import given
from hypothesis import strategies as st

from common.pdf.document import Document, Line, LineBox
from common.pdf.glyphs import Rule, Word
from common.pdf.layout import build_document, join_lines, normalise_line
from common.pdf.tables import (
    _coverages,  # pyright: ignore[reportPrivateUsage]
    _covered,  # pyright: ignore[reportPrivateUsage]
    find_ruled_table,
    find_unruled_table,
)
from common.pdf.words import repair_lines


class FakeGlyphs:
    """Glyph answers keyed by PDFium character index: the gap around a space, superscripts."""

    def __init__(self, gaps: dict[int, float], raised: set[int]) -> None:
        self.gaps = gaps
        self.raised = raised

    def space_gaps(self, page: int, indexes: Sequence[int]) -> list[float | None]:
        return [self.gaps.get(index, 0.3) for index in indexes]

    def is_superscript(self, page: int, index: int) -> bool:
        return index in self.raised


def _line(raw: str, char_start: int = 100) -> Line:
    return Line(text=normalise_line(raw), page=3, x=72.0, top=100.0, size=10.0, char_start=char_start, raw=raw)


def test_split_words_are_joined_only_where_the_glyphs_touch() -> None:
    raw = "reported accordin g to the unkn own scale"
    split_g = raw.index("n g") + 1
    split_own = raw.index("n own") + 1
    glyphs = FakeGlyphs({100 + split_g: 0.01, 100 + split_own: 0.04}, set())
    doc = Document(lines=(_line(raw),), page_count=3)
    fixed = repair_lines(doc, [0], glyphs)
    assert fixed.lines[0].text == "reported according to the unknown scale"
    assert fixed.lines[0].page == 3


def test_superscript_footnote_number_stuck_to_a_word_is_removed() -> None:
    raw = "as required by local regulations and the conduct1 of the study"
    digit = raw.index("1")
    glyphs = FakeGlyphs({}, {100 + digit})
    fixed = repair_lines(Document(lines=(_line(raw),), page_count=3), [0], glyphs)
    assert fixed.lines[0].text == "as required by local regulations and the conduct of the study"
    # A digit set like its word ("HbA1c", "COVID19") stays.
    kept = repair_lines(
        Document(lines=(_line("values of cohort2 and HbA1c"),), page_count=3), [0], FakeGlyphs({}, set())
    )
    assert kept.lines[0].text == "values of cohort2 and HbA1c"


def test_without_glyphs_nothing_changes() -> None:
    doc = Document(lines=(_line("accordin g"),), page_count=3)
    assert repair_lines(doc, [0], None) is doc


def test_private_use_bullets_ligatures_and_pdfium_hyphens_are_normalised() -> None:
    doc = build_document(["\uf0b7 Patients with \ufb01brosis\n\uf0a7 double\ufffeblind treatment\n\ue001 other bullet"])
    assert [line.text for line in doc.lines] == [
        "\u2022 Patients with fibrosis",
        "\u25aa double-blind treatment",
        "\u2022 other bullet",
    ]


def _box(x: float, top: float, size: float) -> LineBox:
    return LineBox(x, top, top + size, size, False, 0)


def test_footnotes_at_the_page_foot_are_separated_from_the_body() -> None:
    page = "5. Participants must give written informed consent.\nNo other text follows.\n1 Local rules may differ.\na See Appendix 2."
    boxes = (_box(72, 100, 10), _box(72, 114, 10), _box(72, 700, 8), _box(72, 710, 8))
    doc = build_document([page, "Body\ntext"], boxes=[boxes, None], page_heights=[792.0, 792.0])
    assert [line.text for line in doc.lines if line.page == 1] == [
        "5. Participants must give written informed consent.",
        "No other text follows.",
    ]
    assert [line.text for line in doc.footnotes] == ["1 Local rules may differ.", "a See Appendix 2."]


def test_small_print_without_a_footnote_marker_stays_in_the_body() -> None:
    page = "Body line one.\nTable note in small type at the foot."
    boxes = (_box(72, 100, 10), _box(72, 700, 8))
    doc = build_document([page], boxes=[boxes], page_heights=[792.0])
    assert len(doc.lines) == 2 and not doc.footnotes


def test_a_closing_mark_alone_on_a_line_joins_the_previous_word() -> None:
    assert join_lines(["signing the informed consent", "."]) == "signing the informed consent."
    assert join_lines(["values", ") and more"]) == "values) and more"


def _word(text: str, x0: float, top: float, sup: str = "") -> Word:
    return Word(text=text, x0=x0, x1=x0 + 6 * len(text), top=top, bottom=top + 9, size=8.0, sup=sup)


def _grid(xs: list[float], ys: list[float], *, missing_vertical: Collection[tuple[float, int]] = ()) -> list[Rule]:
    rules = [Rule(x0=xs[0], top=y - 0.25, x1=xs[-1], bottom=y + 0.25) for y in ys]
    for x in xs:
        for band in range(len(ys) - 1):
            if (x, band) not in missing_vertical:
                rules.append(Rule(x0=x - 0.25, top=ys[band], x1=x + 0.25, bottom=ys[band + 1]))
    return rules


def test_ruled_table_resolves_a_header_spanning_two_columns() -> None:
    xs = [50.0, 150.0, 200.0, 250.0, 300.0]
    ys = [100.0, 115.0, 130.0, 145.0]
    # No rule between columns 2 and 3 in the first band: "Period 1" spans them.
    rules = _grid(xs, ys, missing_vertical={(250.0, 0)})
    words = [
        _word("Screening", 152, 103),
        _word("Period", 205, 103),
        _word("1", 245, 103),
        _word("Day", 152, 118),
        _word("-1", 178, 118),
        _word("Day", 205, 118),
        _word("1", 228, 118),
        _word("Day", 255, 118),
        _word("2", 280, 118),
        _word("Vitals", 52, 133),
        _word("X", 170, 133, sup="a"),
        _word("X", 270, 133),
    ]
    table = find_ruled_table(1, words, rules)
    assert table is not None
    assert (table.row_count, table.column_count) == (3, 4)
    header = table.row_cells(0)
    assert [c.text for c in header] == ["", "Screening", "Period 1"]
    assert header[2].column_span == 2
    assert table.cell(0, 2) is table.cell(0, 3)
    assert table.cell(2, 1).text == "X" and table.cell(2, 1).sups == ("a",)


def test_unruled_table_columns_from_gaps() -> None:
    rows = [
        ("Visit", ["1", "2", "3"]),
        ("Week", ["-2", "0", "4"]),
        ("Consent", ["X", "", ""]),
        ("Vitals", ["X", "X", "X"]),
    ]
    words: list[Word] = []
    for r, (label, cells) in enumerate(rows):
        top = 100 + 14 * r
        words.append(_word(label, 50, top))
        words.extend(_word(cell, 200 + 50 * k, top) for k, cell in enumerate(cells) if cell)
    table = find_unruled_table(1, words, top=95, bottom=160)
    assert table is not None
    assert table.column_count == 4 and table.row_count == 4
    assert [c.text for c in table.row_cells(1)] == ["Week", "-2", "0", "4"]
    assert table.cell(2, 1).text == "X" and table.cell(2, 2).text == ""


@given(
    points=st.lists(st.floats(min_value=0, max_value=100), max_size=12, unique=True),
    bounds=st.lists(st.floats(min_value=-5, max_value=105), min_size=2, max_size=10),
)
def test_coverage_sweep_equals_coverage_per_interval(points: list[float], bounds: list[float]) -> None:
    ends = sorted(points)
    spans = [(ends[i], ends[i + 1]) for i in range(0, len(ends) - 1, 2)]  # sorted and disjoint
    bounds = sorted(bounds)
    expected = [_covered(spans, start, end) for start, end in itertools.pairwise(bounds)]
    assert _coverages(spans, bounds) == expected
