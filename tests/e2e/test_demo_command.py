"""The README's demo command itself, as a user runs it: a fresh stack, a real PDF, exit 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from common.devstack.stack import PROJECT_ROOT


def test_agentjobs_demo_runs_green():
    agentjobs = Path(sys.executable).parent / "agentjobs"
    done = subprocess.run(
        [str(agentjobs), "demo"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )
    out = done.stdout
    assert done.returncode == 0, out[-3000:] + done.stderr[-3000:]
    for expected in (
        "stack up in",
        ": success",
        "inclusion 8",
        "exclusion 23",
        "upload -> job created",
        "running -> done",
        "cost: none (no model calls)",  # protocol-processor runs offline in the demo
        "callback verified",
        "stack stopped",
    ):
        assert expected in out, expected
