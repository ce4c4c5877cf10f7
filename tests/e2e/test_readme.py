"""The README runs verbatim: its marked shell blocks, in order, in one bash session, against the stack.

A block runs when the line before its fence is ``<!-- runs: tests/e2e/test_readme.py -->``; adding
a runnable example to the README is adding that line. The session starts in an empty folder with
``protocol.pdf`` in it, ``AGENTJOBS_DEV_DIR`` pointing at the session's stack (so ``dev up``
finds it running), and a model for in-process ``agents run`` (the scripted server). ``uv run``
is uv itself, offline and frozen, against this checkout: a block that needed the package index
would fail here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from common.devstack.stack import PROJECT_ROOT
from common.tenants.models import hash_api_key
from tests.e2e.conftest import MODEL, Stack
from tests.support.protocol_pdfs import CriteriaList, Heading, Item, Protocol, render_protocol
from tests.support.readme import README, runnable_blocks


def _uv() -> str | None:
    """The real uv binary (pyenv's shim needs the project's folder to find it)."""
    found = subprocess.run(
        ["python3", "-c", "import uv; print(uv.find_uv_bin())"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if found.returncode == 0 and found.stdout.strip():
        return found.stdout.strip()
    return shutil.which("uv")


def _shim(folder: Path) -> Path:
    folder.mkdir()
    uv = _uv()
    run = (
        f'exec {uv} run --frozen --offline --quiet --project {PROJECT_ROOT} "$@"'
        if uv
        else f'exec {Path(sys.executable).parent}/"$@"'  # no uv here: the locked environment's own scripts
    )
    script = folder / "uv"
    script.write_text(f'#!/bin/sh\n[ "$1" = run ] && shift\n{run}\n')
    script.chmod(0o755)
    return folder


def _protocol_pdf() -> bytes:
    protocol = Protocol(
        title="A Phase 2 Study of Readmeximab in Adults With Asthma",
        protocol_id="RDM-2",
        sponsor="Readme Pharma",
        blocks=(
            Heading("5. Study Population"),
            Heading("5.1. Inclusion Criteria", level=2),
            CriteriaList("inclusion", (Item("Age 18 to 65 years."), Item("Asthma for at least 12 months."))),
            Heading("5.2. Exclusion Criteria", level=2),
            CriteriaList("exclusion", (Item("Pregnancy."), Item("Current smoker."))),
        ),
    )
    return render_protocol(protocol).pdf


def test_readme_shell_blocks_run_in_order(stack: Stack, tmp_path: Path):
    blocks = runnable_blocks(README.read_text())
    assert len(blocks) >= 6, "the README lost its runnable blocks"
    session = tmp_path / "session"
    session.mkdir()
    (session / "protocol.pdf").write_bytes(_protocol_pdf())
    shim = _shim(tmp_path / "bin")
    script = "set -euo pipefail\n" + "\n".join(
        f'echo "### README block {i + 1} ($SECONDS s)"\n{b}' for i, b in enumerate(blocks)
    )
    env = {
        "PATH": f"{shim}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
        "AGENTJOBS_DEV_DIR": str(stack.info.state_dir),
        "UV_OFFLINE": "1",
        "PIP_NO_INDEX": "1",
        "UV_CACHE_DIR": os.environ.get("UV_CACHE_DIR", str(Path.home() / ".cache" / "uv")),
        # For the in-process `agents run`: the README says to put a model in the shell.
        "AGENTJOBS_MODEL__CRITERIA_EVALUATOR": MODEL,
        "AGENTJOBS_MODEL_BASE_URL": stack.llm.base_url,
        "AGENTJOBS_MODEL_API_KEY": "test-key",
    }
    done = subprocess.run(
        ["bash", "-c", script], cwd=session, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    output = done.stdout + done.stderr
    print(*(line for line in done.stdout.splitlines() if line.startswith("### README block")), sep="\n")
    assert done.returncode == 0, done.stdout[-3000:] + "\n--- stderr ---\n" + done.stderr[-3000:]
    assert "Traceback" not in output
    # What the blocks printed is what the README says they do.
    assert "target: local stack" in done.stderr
    assert "api key (shown once)" in done.stdout  # rotate-key
    assert "verified  job.completed" in done.stdout or "verified  job." in done.stdout, done.stdout[-3000:]
    assert '"status": "success"' in (session / "job.json").read_text()
    assert "RDM-2" in (session / "summary.json").read_text() or "Readmeximab" in (session / "summary.json").read_text()
    assert "erased" in done.stdout  # tenants delete
    # Keys are shown once (into acme.json here) and stored hashed: `tenants show` printed neither.
    key = json.loads((session / "acme.json").read_text())["api_key"]
    assert key not in output and hash_api_key(key) not in output
    assert stack.directory.get("acme") is None
