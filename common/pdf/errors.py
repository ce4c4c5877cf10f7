"""Errors raised for documents that can never be processed.

All derive from :class:`~common.errors.PermanentError`: retrying cannot help, the job fails with
the error's ``code``. Messages describe the problem in general terms and never quote document
text.
"""

from __future__ import annotations

from common.errors import PermanentError

__all__ = [
    "CorruptDocument",
    "DocumentError",
    "DocumentTooLarge",
    "EmptyDocument",
    "EncryptedDocument",
    "NoTextLayer",
    "NotAPdf",
]


class DocumentError(PermanentError):
    """Base of every error about an input document."""

    code = "document_error"


class EmptyDocument(DocumentError):
    """The document has zero bytes."""

    code = "empty_document"


class DocumentTooLarge(DocumentError):
    """The document exceeds the byte or page limit."""

    code = "document_too_large"


class NotAPdf(DocumentError):
    """The bytes do not start with a PDF header (``%PDF-``)."""

    code = "not_a_pdf"


class CorruptDocument(DocumentError):
    """The PDF is damaged: the parser failed to read its structure or a page."""

    code = "corrupt_document"


class EncryptedDocument(DocumentError):
    """The PDF is encrypted and cannot be opened without a password."""

    code = "encrypted_document"


class NoTextLayer(DocumentError):
    """The PDF has (almost) no extractable text, typically a scan without OCR."""

    code = "no_text_layer"
