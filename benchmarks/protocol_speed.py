"""Speed and memory of the offline protocol processor, as a ratio against a PDFium floor.

For every PDF in ``../shared/data/protocols/`` (relative to the project root), in one run:

* **floor**: ``pypdfium2`` opening the PDF and extracting every page's text, nothing else;
* **processor**: :func:`common.agents.protocol_processor.rules.extract_summary`, from PDF bytes to
  :class:`~common.agents.protocol_processor.models.ProtocolSummary`.

Each is timed ``--samples`` times (default 11), interleaved so machine noise hits both alike,
after one warm-up run; the report gives the median of each, the ratio of the medians, the
per-stage medians, and the goal (ratio <= 2.0). Peak RSS is measured per protocol in a fresh
subprocess that runs the processor once (``VmHWM`` of that child, which includes the
interpreter and its imports; the interpreter alone is reported beside it).

Usage::

    uv run python benchmarks/protocol_speed.py [--samples 11]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = (ROOT / ".." / "shared" / "data" / "protocols").resolve()
GOAL = 2.0

# VmHWM (the peak resident set of this process's memory map), not ru_maxrss: Linux keeps
# ru_maxrss across execve, so a child would report its parent's peak.
_RSS_PROBE = """
import sys
sys.path.insert(0, sys.argv[1])
data = open(sys.argv[2], "rb").read()
if sys.argv[3] == "processor":
    from common.agents.protocol_processor.rules import extract_summary
    extract_summary(data)
status = open("/proc/self/status").read()
print(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))
"""


def _floor(data: bytes) -> None:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    try:
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            textpage.get_text_range()
            textpage.close()
            page.close()
    finally:
        document.close()


def _peak_rss_mib(pdf: Path, mode: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", _RSS_PROBE, str(ROOT), str(pdf), mode], capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip()) / 1024  # kB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=11, help="timed runs of each (>= 11 on a noisy machine)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from common.agents.protocol_processor.rules import STAGES, extract_summary

    pdfs = sorted(DATA.glob("*.pdf"))
    if not pdfs:
        print(f"no PDF under {DATA}", file=sys.stderr)
        return 1
    print(f"{args.samples} samples each, medians; goal: processor <= {GOAL:.1f}x the PDFium floor")
    print(f"{'protocol':34} {'pages':>5} {'floor s':>8} {'proc s':>8} {'ratio':>6} {'goal':>5} {'peak RSS MiB':>13}")
    details: list[str] = []
    worst = 0.0
    for pdf in pdfs:
        data = pdf.read_bytes()
        _floor(data)
        extract_summary(data)  # warm-up: imports, PDFium init, regex compilation
        floors: list[float] = []
        runs: list[float] = []
        stages: dict[str, list[float]] = {name: [] for name in STAGES}
        pages = 0
        for _ in range(args.samples):
            started = time.perf_counter()
            _floor(data)
            floors.append(time.perf_counter() - started)
            started = time.perf_counter()
            summary = extract_summary(data, on_stage=lambda name, seconds, into=stages: into[name].append(seconds))
            runs.append(time.perf_counter() - started)
            pages = summary.page_count
        floor, proc = statistics.median(floors), statistics.median(runs)
        ratio = proc / floor
        worst = max(worst, ratio)
        rss = _peak_rss_mib(pdf, "processor")
        print(
            f"{pdf.stem[:34]:34} {pages:5d} {floor:8.3f} {proc:8.3f} {ratio:5.2f}x "
            f"{'ok' if ratio <= GOAL else 'MISS':>5} {rss:13.1f}"
        )
        details.append(
            f"{pdf.stem[:34]:34} "
            + " ".join(f"{name}={statistics.median(v):.4f}s" for name, v in stages.items() if v)
            + f"  (floor min {min(floors):.4f}s, processor min {min(runs):.4f}s)"
        )
    baseline = _peak_rss_mib(pdfs[0], "none")
    print(f"\npeak RSS of the interpreter alone (same probe, no processing): {baseline:.1f} MiB")
    print("stage medians:")
    print("\n".join(details))
    print(f"\nworst ratio {worst:.2f}x: {'meets' if worst <= GOAL else 'misses'} the {GOAL:.1f}x goal")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
