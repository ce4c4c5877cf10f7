"""Small PDFs written byte by byte, including hostile ones that PDF libraries will not produce.

:func:`lone_surrogate_protocol_pdf` is a one-page protocol whose font's ``/ToUnicode`` CMap maps
the byte ``~`` to U+D800. pypdf decodes CMaps with ``surrogatepass``, so the extracted text holds
an unpaired surrogate wherever ``~`` was drawn: in the title and in criteria. Such text cannot
be encoded as UTF-8 (issue 13, reproduction 1).
"""

from __future__ import annotations

__all__ = ["lone_surrogate_protocol_pdf", "text_protocol_pdf", "tiny_protocol_pdf"]

_LINES = (
    "A Phase 2 Study of Drug X~ in Adults",
    "Protocol Number: ABC-123~",
    "1 Introduction",
    "This study tests drug X~ in adults.",
    "5 Study Population",
    "5.1 Inclusion Criteria",
    "1. Adults aged 18 years or older~",
    "2. Signed informed consent",
    "5.2 Exclusion Criteria",
    "1. Pregnancy or breastfeeding~",
    "2. Known allergy to drug X",
)

_TO_UNICODE = b"""/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CMapName /LoneSurrogate def
/CMapType 2 def
1 begincodespacerange
<00> <FF>
endcodespacerange
1 beginbfrange
<20> <7D> <0020>
endbfrange
1 beginbfchar
<7E> <D800>
endbfchar
endcmap
CMapName currentdict /CMap defineresource pop
end
end"""


def _stream(data: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def lone_surrogate_protocol_pdf() -> bytes:
    """A valid one-page PDF whose extracted text contains U+D800 (see the module docstring)."""
    return _protocol_pdf(_LINES)


def tiny_protocol_pdf() -> bytes:
    """The same one-page protocol without the surrogate: the agent extracts it in milliseconds."""
    return _protocol_pdf(tuple(line.replace("~", "") for line in _LINES))


def text_protocol_pdf(word: str) -> bytes:
    """The tiny protocol with ``word`` (ASCII letters and digits) in its title, introduction and criteria."""
    lines = tuple(line.replace("~", "") for line in _LINES)
    return _protocol_pdf(
        tuple(line.replace("drug X", f"drug {word}").replace("or older", f"or older {word}") for line in lines)
    )


def _protocol_pdf(lines: tuple[str, ...]) -> bytes:
    content = "\n".join(["BT", "/F1 11 Tf", "14 TL", "72 740 Td", *(f"({line}) Tj T*" for line in lines), "ET"])
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        _stream(content.encode("latin-1")),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 6 0 R >>",
        _stream(_TO_UNICODE),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
