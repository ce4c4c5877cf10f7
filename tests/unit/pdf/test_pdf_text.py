"""common.pdf.text: page texts and line boxes from PDF bytes (PDFium), and the document errors."""

from __future__ import annotations

import io

import pytest
from reportlab.lib import pdfencrypt
from reportlab.pdfgen import canvas

from common.errors import PermanentError
from common.pdf.errors import (
    CorruptDocument,
    DocumentError,
    DocumentTooLarge,
    EmptyDocument,
    EncryptedDocument,
    NotAPdf,
    NoTextLayer,
)
from common.pdf.text import extract_pages, read_pdf
from tests.support.shared_data import protocol_pdf

SECRET = "Zebulon Quirkfeather"


def _text_pdf(pages: list[list[str]]) -> bytes:
    """A minimal, valid PDF whose pages show the given lines in Helvetica."""
    page_ids = [3 + 2 * i for i in range(len(pages))]
    font_id = 3 + 2 * len(pages)
    objects: dict[int, str] = {
        1: "<< /Type /Catalog /Pages 2 0 R >>",
        2: f"<< /Type /Pages /Kids [{' '.join(f'{p} 0 R' for p in page_ids)}] /Count {len(pages)} >>",
        font_id: "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    }
    for page_id, lines in zip(page_ids, pages, strict=True):
        content = "BT /F1 11 Tf 72 720 Td 14 TL " + " ".join(f"({line}) '" for line in lines) + " ET"
        objects[page_id] = (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {page_id + 1} 0 R "
            f"/Resources << /Font << /F1 {font_id} 0 R >> >> >>"
        )
        objects[page_id + 1] = f"<< /Length {len(content)} >>\nstream\n{content}\nendstream"
    out = b"%PDF-1.4\n"
    offsets: dict[int, int] = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += f"{number} 0 obj\n{objects[number]}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for number in sorted(objects):
        out += f"{offsets[number]:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def _blank_pdf(pages: int = 1, *, user_password: str | None = None) -> bytes:
    buffer = io.BytesIO()
    encrypt = (
        pdfencrypt.StandardEncryption(user_password, ownerPassword="owner-secret", canPrint=0)
        if user_password is not None
        else None
    )
    pdf = canvas.Canvas(buffer, pagesize=(612, 792), encrypt=encrypt)
    for _ in range(pages):
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


BODY = [f"{SECRET} must be at least 18 years of age at screening", "and able to give informed consent."]


def test_extracts_text_per_page_in_order() -> None:
    data = _text_pdf([BODY, ["Exclusion criteria apply to every participant in this study"]])
    pages = extract_pages(data)
    assert len(pages) == 2
    assert SECRET in pages[0]
    assert "Exclusion criteria" in pages[1]
    assert SECRET not in pages[1]


def test_read_pdf_returns_outline_of_real_protocol() -> None:
    pdf = read_pdf(protocol_pdf("EliLilly_NCT03421379_Diabetes"))
    assert pdf.page_count == 73
    titles = [entry.title for entry in pdf.outline]
    assert "6.1. Inclusion Criteria" in titles
    entry = next(e for e in pdf.outline if e.title == "6.1. Inclusion Criteria")
    assert "6.1. Inclusion Criteria" in pdf.pages[entry.page - 1]
    assert entry.depth == 1


def test_empty_bytes() -> None:
    with pytest.raises(EmptyDocument) as caught:
        extract_pages(b"")
    assert caught.value.error_code == "empty_document"
    assert isinstance(caught.value, PermanentError)


def test_not_a_pdf() -> None:
    with pytest.raises(NotAPdf) as caught:
        extract_pages(f"{SECRET} wrote this plain text file".encode())
    assert caught.value.error_code == "not_a_pdf"
    assert SECRET not in caught.value.message


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9])
def test_truncated_pdf_is_corrupt(keep: float) -> None:
    data = _text_pdf([BODY])
    with pytest.raises(CorruptDocument) as caught:
        extract_pages(data[: int(len(data) * keep)])
    assert caught.value.error_code == "corrupt_document"
    assert SECRET not in caught.value.message


def test_damaged_body_is_corrupt_with_the_parser_error_as_cause() -> None:
    data = _text_pdf([BODY])
    damaged = b"%PDF-1.4\n" + b"\x00garbage" * 50 + data[-64:]
    with pytest.raises(CorruptDocument) as caught:
        extract_pages(damaged)
    assert caught.value.__cause__ is not None


def test_truncated_real_protocol_is_corrupt() -> None:
    data = protocol_pdf("CDISC_Pilot_Study")
    with pytest.raises(CorruptDocument):
        extract_pages(data[: len(data) // 2])


def test_blank_pages_have_no_text_layer() -> None:
    with pytest.raises(NoTextLayer) as caught:
        extract_pages(_blank_pdf(3))
    assert caught.value.error_code == "no_text_layer"


def test_a_page_number_alone_is_not_a_text_layer() -> None:
    with pytest.raises(NoTextLayer):
        extract_pages(_text_pdf([["Page 1"], ["Page 2"]]))


def test_too_many_bytes() -> None:
    data = _text_pdf([BODY])
    with pytest.raises(DocumentTooLarge) as caught:
        extract_pages(data, max_bytes=len(data) - 1)
    assert caught.value.error_code == "document_too_large"
    assert extract_pages(data, max_bytes=len(data))  # the limit is inclusive


def test_too_many_pages() -> None:
    with pytest.raises(DocumentTooLarge) as caught:
        extract_pages(_text_pdf([BODY, BODY, BODY]), max_pages=2)
    assert caught.value.details["page_count"] == 3


def test_password_protected_pdf() -> None:
    with pytest.raises(EncryptedDocument) as caught:
        extract_pages(_blank_pdf(user_password="letmein"))
    assert caught.value.error_code == "encrypted_document"


def test_owner_password_only_is_opened() -> None:
    # Opens with the empty user password, so the next problem found is the blank page.
    with pytest.raises(NoTextLayer):
        extract_pages(_blank_pdf(user_password=""))


def test_all_errors_share_the_document_base() -> None:
    for error in (EmptyDocument, DocumentTooLarge, NotAPdf, CorruptDocument, EncryptedDocument, NoTextLayer):
        assert issubclass(error, DocumentError)
        assert issubclass(error, PermanentError)
    codes = {
        e.code for e in (EmptyDocument, DocumentTooLarge, NotAPdf, CorruptDocument, EncryptedDocument, NoTextLayer)
    }
    assert len(codes) == 6


def test_page_text_and_glyph_calls_match_pypdfium2() -> None:
    # PdfGlyphs reads pages through raw handles and untyped calls; pypdfium2's helpers are the
    # reference for what they must return.
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as typed

    from common.pdf.pdfium_calls import untyped_pdfium
    from common.pdf.text import open_pdf

    data = _text_pdf([BODY, ["Second page line one", "", "Second page line three"]])
    reference = pdfium.PdfDocument(data)
    try:
        with open_pdf(data, with_outline=False) as pdf:
            assert pdf.glyphs is not None
            for number in (1, 2):
                textpage = reference[number - 1].get_textpage()
                assert pdf.glyphs.text(number) == textpage.get_text_range()
                handle, _ = pdf.glyphs.load(number)
                boxes = [(ctypes.c_double(), ctypes.c_double(), ctypes.c_double(), ctypes.c_double()) for _ in "ab"]
                for index in range(textpage.count_chars()):
                    untyped_pdfium().FPDFText_GetCharBox(handle, index, *map(ctypes.byref, boxes[0]))
                    typed.FPDFText_GetCharBox(textpage, index, *map(ctypes.byref, boxes[1]))
                    assert [v.value for v in boxes[0]] == [v.value for v in boxes[1]]
                    assert untyped_pdfium().FPDFText_GetFontSize(handle, index) == typed.FPDFText_GetFontSize(
                        textpage, index
                    )
            lines = [line for line in pdf.lines[0] if line.text]
            assert [line.text for line in lines] == BODY
            assert all(line.x is not None and line.top is not None and line.size == 11 for line in lines)
            assert lines[0].top is not None and lines[1].top is not None and lines[1].top > lines[0].top
    finally:
        reference.close()


def test_untyped_pdfium_refuses_a_function_with_double_parameters() -> None:
    from common.pdf.pdfium_calls import untyped_pdfium

    with pytest.raises(TypeError, match="c_double"):
        _ = untyped_pdfium().FPDFText_GetBoundedText
