"""What the protocol processor's model mode sends, against the whole document. No network, no model.

For every PDF in ``../shared/data/protocols/`` (relative to the project root), runs the page
selection the model mode uses (:func:`common.agents.protocol_processor.page_selection.select_pages`)
and prints:

* pages selected / total, and which pages for which reason;
* estimated tokens of the selected pages vs the whole document, and the fraction. Both use the
  same estimator, ``ceil(chars / 4)`` per page as sent (marker line plus text);
* the estimated tokens of the full request (system prompt + user prompt + answer schema), which
  is what a provider would count as input, give or take its tokenizer.

Usage::

    uv run --no-sync python benchmarks/protocol_tokens.py [--max-pages N] [--max-tokens N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = (ROOT / ".." / "shared" / "data" / "protocols").resolve()


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from common.agents.protocol_processor.page_selection import (
        DEFAULT_MAX_PAGES,
        DEFAULT_MAX_TOKENS,
        PageReason,
        estimate_tokens,
        format_pages,
        page_texts,
        select_pages,
    )
    from common.agents.protocol_processor.prompt import SYSTEM_PROMPT, SummaryAnswer, build_prompt
    from common.pdf.layout import document_from_pdf
    from common.pdf.text import read_pdf
    from common.protocols.sections import locate_sections

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-pages", type=int, default=DEFAULT_MAX_PAGES, help="page cap")
    parser.add_argument("--max-tokens", type=int, default=DEFAULT_MAX_TOKENS, help="estimated-token cap")
    args = parser.parse_args()

    pdfs = sorted(DATA.glob("*.pdf"))
    if not pdfs:
        print(f"no PDF under {DATA}", file=sys.stderr)
        return 1
    schema_tokens = estimate_tokens(json.dumps(SummaryAnswer.model_json_schema()))
    print(f"caps: {args.max_pages} pages, {args.max_tokens} estimated tokens; estimator ceil(chars / 4)")
    print(
        f"{'protocol':34} {'pages':>9} {'page %':>7} {'selected':>9} {'document':>9} {'token %':>8} "
        f"{'request':>8} {'strategy':>11} {'select s':>9}"
    )
    details: list[str] = []
    for pdf_path in pdfs:
        pdf = read_pdf(pdf_path.read_bytes())
        doc = document_from_pdf(pdf)
        sections = locate_sections(doc)
        started = time.perf_counter()
        selection = select_pages(doc, sections, max_pages=args.max_pages, max_tokens=args.max_tokens)
        seconds = time.perf_counter() - started
        prompt = build_prompt(page_texts(doc), selection)
        request = estimate_tokens(SYSTEM_PROMPT) + estimate_tokens(prompt) + schema_tokens
        n = len(selection.pages)
        strategy = selection.strategy + ("+cut" if selection.truncated else "")
        print(
            f"{pdf_path.stem[:34]:34} {n:>4}/{selection.page_count:<4} {100 * n / selection.page_count:6.1f}% "
            f"{selection.selected_tokens:>9} {selection.document_tokens:>9} {100 * selection.fraction:7.1f}% "
            f"{request:>8} {strategy:>11} {seconds:9.3f}"
        )
        by_reason: dict[PageReason, list[int]] = {}
        for page, reason in selection.reasons.items():
            by_reason.setdefault(reason, []).append(page)
        details.append(
            f"{pdf_path.stem}: " + "; ".join(f"{reason} {format_pages(pages)}" for reason, pages in by_reason.items())
        )
    print()
    print("pages by reason (first rule that chose each page):")
    for line in details:
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
