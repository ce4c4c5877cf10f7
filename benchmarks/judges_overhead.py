"""Cost of the deterministic judges on a successful protocol job, as a ratio of the job's own time.

For every PDF in ``../shared/data/protocols/`` (relative to the project root), in one run:

* **job**: the protocol processor's offline run, from PDF bytes to its summary and page texts
  (:func:`common.agents.protocol_processor.rules.extract_summary_and_pages`): the agent's part of
  a job, without download or Firestore writes, so the ratio is an upper bound of the overhead;
* **judges**: :meth:`common.services.judging.JobJudging.judge` on that output, offline judges
  only (no judge model): grounding of every criterion on its cited page, section overlap,
  duplicates.

Each is timed ``--samples`` times (default 11), interleaved, after one warm-up run; the report
gives the medians, the ratio judges / job, and the goal (ratio <= 5%). The first judgement of a
process also loads rapidfuzz (only when a chunk is not found verbatim); it is reported apart, as
``first``, measured in a fresh subprocess.

Usage::

    uv run python benchmarks/judges_overhead.py [--samples 11]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = (ROOT / ".." / "shared" / "data" / "protocols").resolve()
GOAL = 0.05

_FIRST = """
import sys, time
sys.path[:0] = [sys.argv[1], sys.argv[1] + "/benchmarks"]
from judges_overhead import judge_once, run_job
summary, pages = run_job(open(sys.argv[2], "rb").read())
started = time.perf_counter()
judge_once(summary, pages)
print(time.perf_counter() - started)
"""


def run_job(data: bytes):
    from common.agents.protocol_processor.rules import extract_summary_and_pages

    return extract_summary_and_pages(data)


def judge_once(summary, pages) -> None:
    from common.agents.base import AgentResult
    from common.agents.protocol_processor.models import ProtocolProcessorInput
    from common.config import Settings
    from common.jobs.models import Job, JobStatus, Source
    from common.services.judging import JobJudging

    now = datetime.now(UTC)
    job = Job("job_bench", "bench", "protocol-processor", JobStatus.RUNNING, {}, Source.HTTPS, now, now)
    payload = ProtocolProcessorInput(file_uri="gs://bench/tenants/bench/p.pdf")
    judgements, quality = JobJudging(settings=Settings(), clock=lambda: now).judge(
        job, payload, AgentResult(summary, source_pages=pages)
    )
    assert quality.value == "passed", [(j.judge, j.reason) for j in judgements]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=11)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    pdfs = sorted(p for p in DATA.glob("*.pdf"))
    if not pdfs:
        print(f"no PDF under {DATA}", file=sys.stderr)
        return 1
    print(f"{'protocol':40} {'job (s)':>9} {'judges (ms)':>12} {'ratio':>7} {'first (ms)':>11}  goal <= {GOAL:.0%}")
    worst = 0.0
    for pdf in pdfs:
        data = pdf.read_bytes()
        summary, pages = run_job(data)
        judge_once(summary, pages)  # warm-up
        jobs: list[float] = []
        judges: list[float] = []
        for _ in range(args.samples):
            started = time.perf_counter()
            summary, pages = run_job(data)
            jobs.append(time.perf_counter() - started)
            started = time.perf_counter()
            judge_once(summary, pages)
            judges.append(time.perf_counter() - started)
        first = float(
            subprocess.run(
                [sys.executable, "-c", _FIRST, str(ROOT), str(pdf)], capture_output=True, text=True, check=True
            ).stdout.strip()
        )
        job_s, judge_s = statistics.median(jobs), statistics.median(judges)
        ratio = judge_s / job_s
        worst = max(worst, ratio)
        print(f"{pdf.stem[:40]:40} {job_s:9.3f} {judge_s * 1000:12.1f} {ratio:7.1%} {first * 1000:11.1f}")
    print(f"worst ratio {worst:.1%}: {'OK' if worst <= GOAL else 'OVER GOAL'}")
    return 0 if worst <= GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())
