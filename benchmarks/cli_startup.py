"""CLI start-up: ``agentjobs --help`` and subcommands' help, as ratios against floors measured in the same run.

Each sample is a fresh process, timed from spawn to exit, so interpreter start-up is on both
sides. Samples are interleaved (floor, cli, floor, cli, ...) so machine noise hits both alike;
the budget is on the ratio of the medians, 1.5x:

* ``agentjobs --help`` against ``python -c "import typer"`` (the issue's criterion);
* a group's or subcommand's ``--help`` against a one-command Typer app's ``sub --help``: Typer 0.29 builds
  pydantic ``TypeAdapter``s for a command's parameters as soon as it parses them, so any
  subcommand costs pydantic's import; that floor has the same cost, Typer configured as
  ``agentjobs`` configures it (plain help, no rich tracebacks), and nothing of ours.

Exit status 1 when a budget is broken.

Usage: ``uv run python benchmarks/cli_startup.py [--samples 15] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FLOOR = [sys.executable, "-c", "import typer"]
_ONE_COMMAND_APP = """
import typer
app = typer.Typer(rich_markup_mode=None, pretty_exceptions_enable=False)  # as agentjobs configures it
@app.callback()
def main() -> None: ...
@app.command()
def sub(name: str = typer.Option("x", help="A name.")) -> None: ...
app()
"""
SUB_FLOOR = [sys.executable, "-c", _ONE_COMMAND_APP, "sub", "--help"]
SCRIPT = str(Path(sys.executable).parent / "agentjobs")
COMMANDS = {
    "agentjobs --help": ([SCRIPT, "--help"], FLOOR),
    "agentjobs dev --help": ([SCRIPT, "dev", "--help"], SUB_FLOOR),
    "agentjobs submit --help": ([SCRIPT, "submit", "--help"], SUB_FLOOR),
    "agentjobs tenants list --help": ([SCRIPT, "tenants", "list", "--help"], SUB_FLOOR),
    "agentjobs mcp serve --help": ([SCRIPT, "mcp", "serve", "--help"], SUB_FLOOR),  # fastmcp loads only when serving
}
BUDGET = 1.5


def _run(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.samples < 11:
        parser.error("--samples must be at least 11")
    for argv, floor_argv in COMMANDS.values():  # warm the file cache
        _run(argv)
        _run(floor_argv)
    report: dict[str, dict[str, Any]] = {}
    failed = False
    for name, (argv, floor_argv) in COMMANDS.items():
        floor: list[float] = []
        cli: list[float] = []
        for _ in range(args.samples):
            floor.append(_run(floor_argv))
            cli.append(_run(argv))
        ratio = statistics.median(cli) / statistics.median(floor)
        report[name] = {
            "floor": "import typer" if floor_argv is FLOOR else "one-command typer app",
            "floor_median_s": round(statistics.median(floor), 4),
            "cli_median_s": round(statistics.median(cli), 4),
            "ratio": round(ratio, 3),
            "budget": BUDGET,
            "samples": args.samples,
        }
        failed |= ratio > BUDGET
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for name, row in report.items():
            verdict = "ok" if row["ratio"] <= BUDGET else "OVER BUDGET"
            print(
                f"{name:<30} {row['cli_median_s'] * 1000:7.1f} ms  floor ({row['floor']}) "
                f"{row['floor_median_s'] * 1000:7.1f} ms  ratio {row['ratio']:.2f}x  (budget {BUDGET}x) {verdict}"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
