"""PDF text and layout: what a PDF says and where, knowing nothing of protocols.

* :mod:`~common.pdf.text`: text per page, line boxes and the outline (PDFium), document errors
  (:mod:`~common.pdf.errors`);
* :mod:`~common.pdf.glyphs`: glyph-level questions asked lazily (word gaps, superscripts, the
  words and ruling lines of a page);
* :mod:`~common.pdf.layout`: lines without running headers, footers and page-foot footnotes;
  character normalisation; :mod:`~common.pdf.words`: words split by text runs, repaired;
* :mod:`~common.pdf.headings`, :mod:`~common.pdf.toc`: headings and the printed contents;
* :mod:`~common.pdf.list_markers`, :mod:`~common.pdf.list_parser`: numbered and bulleted lists;
* :mod:`~common.pdf.tables`: tables from ruling lines or column gaps, merged cells resolved.

Pure code: nothing here talks to the network or a model. Importing the package is free (PDFium
loads inside the functions that read a PDF); import the sub-modules where they are used.
"""

__all__: list[str] = []
