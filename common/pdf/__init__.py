"""Document handling for protocol PDFs: text extraction, layout clean-up, sections and criteria.

Pure code: nothing here talks to the network or a model. Importing the package is free; import
the sub-modules (``pdf_text``, ``layout``, ``sections``, ``criteria``, ``protocol_fields``) where
they are used.
"""

__all__: list[str] = []
