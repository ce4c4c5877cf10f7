"""Telemetry overhead per job on the local stack, as a ratio against the same run with telemetry off.

Two local stacks run side by side (emulators + the four functions each, no sweep ticker), the
criteria evaluator pointed at one scripted OpenAI-compatible server that answers at once (a
zero-latency model):

* **off**: no telemetry setting (the no-op facade);
* **on**: ``SENTRY_DSN`` to a local Sentry envelope receiver (traces sample rate 1.0) and
  ``OTEL_EXPORTER_OTLP_ENDPOINT`` to a local OTLP receiver: every request and delivery opens a
  transaction and spans, prices its model calls, records metrics and flushes both exporters
  before answering.

Per job, on each stack: ``POST /v1/agents/criteria-evaluator/jobs`` with a callback URL, then
wait for the signed callback (submit → Pub/Sub → run_agent → model → store → Cloud Tasks →
notify → webhook). Measured: the wall time from the submit request to the callback's arrival,
and the CPU seconds the four function processes spent meanwhile (``/proc/<pid>/stat``; the
next job starts after both flushes had time to finish, so each job's flush is counted). Jobs
alternate between the stacks (off, on, off, on, ...) so machine noise hits both alike, after
``--warmup`` jobs each (first-job imports: mirascope, genai-prices). The report gives medians
and the on/off ratios; the budget (issue 6) is 1.10 on the wall time.

Usage: ``uv run python benchmarks/telemetry_overhead.py [--samples 11] [--warmup 2] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from common.devstack.stack import StackInfo, StackSettings, start_stack, stop_stack  # noqa: E402
from common.webhooks.receiver import WebhookReceiver  # noqa: E402
from tests.e2e.conftest import MODEL, CriteriaScript  # noqa: E402
from tests.support.otlp_receiver import OtlpReceiver  # noqa: E402
from tests.support.scripted_llm import ScriptedLLM  # noqa: E402
from tests.support.sentry_receiver import SentryReceiver  # noqa: E402

BUDGET = 1.10
FUNCTIONS = ("submit", "run_agent", "notify", "status")
_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(info: StackInfo) -> float:
    """CPU seconds used so far by every process of the four functions' process groups (gunicorn's workers too)."""
    groups = {p.pid for p in info.processes if p.name in FUNCTIONS}
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # exited meanwhile
            continue
        if int(fields[2]) in groups:  # pgrp: each function was started in its own session
            total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    return total / _TICKS


class Side:
    """One stack, its tenant and its webhook receiver."""

    def __init__(self, name: str, info: StackInfo, receiver: WebhookReceiver, api_key: str):
        self.name = name
        self.info = info
        self.receiver = receiver
        self.api_key = api_key
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def job(self, record: bool) -> None:
        body = {
            "criteria": [{"type": "inclusion", "text": "Adults aged 18 years or older"}],
            "patient_profile": ["A 54-year-old man."],
            "callback_url": self.receiver.url,
        }
        seen = len(self.receiver.received)
        cpu = _cpu_seconds(self.info)
        started = time.perf_counter()
        response = httpx.post(
            self.info.endpoints["submit"] + "/v1/agents/criteria-evaluator/jobs",
            json=body,
            headers={"Authorization": f"Bearer {self.api_key}"},
            timeout=30,
        )
        response.raise_for_status()
        deadline = time.monotonic() + 60
        while len(self.receiver.received) <= seen:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name}: no callback for {response.json()['job_id']}")
            time.sleep(0.002)
        wall = time.perf_counter() - started
        time.sleep(0.3)  # let run_agent's and notify's flushes finish before reading CPU
        if record:
            self.wall.append(wall)
            self.cpu.append(_cpu_seconds(self.info) - cpu)


@contextmanager
def _stack(name: str, llm_url: str, env: dict[str, str]) -> Iterator[Side]:
    from common.adapters.clients import firestore_client
    from common.adapters.firestore_store import FirestoreTenantDirectory
    from common.adapters.secret_ciphers import secret_cipher_factory
    from common.config import Settings
    from common.services.tenants import TenantAdmin

    state_dir = Path(tempfile.mkdtemp(prefix=f"bench-telemetry-{name}-"))
    extra = {
        "AGENTJOBS_MODEL__CRITERIA_EVALUATOR": MODEL,
        "AGENTJOBS_MODEL_BASE_URL": llm_url,
        "AGENTJOBS_MODEL_API_KEY": "bench",
        **env,
    }
    info = start_stack(StackSettings(extra_env=extra, sweep_every_seconds=0), state_dir=state_dir)
    try:
        with info.client_env():
            admin = TenantAdmin(
                FirestoreTenantDirectory(firestore_client(info.project)),
                clock=lambda: datetime.now(UTC),
                ciphers=secret_cipher_factory(Settings.from_env()),
                allow_loopback_callbacks=True,
            )
            created = admin.create(f"bench-{name}")
        with WebhookReceiver(secret=created.webhook_secret) as receiver:
            yield Side(name, info, receiver, created.api_key)
    finally:
        stop_stack(state_dir)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=11)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    script = CriteriaScript(statuses={"Adults aged 18 years or older": "met"})
    with ExitStack() as stack:
        llm = stack.enter_context(ScriptedLLM(script))
        sentry = stack.enter_context(SentryReceiver())
        otlp = stack.enter_context(OtlpReceiver())
        off = stack.enter_context(_stack("off", llm.base_url, {}))
        on = stack.enter_context(
            _stack("on", llm.base_url, {"SENTRY_DSN": sentry.dsn, "OTEL_EXPORTER_OTLP_ENDPOINT": otlp.endpoint})
        )
        for i in range(args.warmup + args.samples):
            for side in (off, on) if i % 2 == 0 else (on, off):
                side.job(record=i >= args.warmup)
        exported = {"sentry_items": len(sentry.items), "otlp_spans": len(otlp.spans())}
    row = {
        "samples": args.samples,
        "off_wall_median_s": statistics.median(off.wall),
        "on_wall_median_s": statistics.median(on.wall),
        "wall_ratio": statistics.median(on.wall) / statistics.median(off.wall),
        "off_cpu_median_s": statistics.median(off.cpu),
        "on_cpu_median_s": statistics.median(on.cpu),
        "cpu_ratio": statistics.median(on.cpu) / statistics.median(off.cpu),
        "budget": BUDGET,
        **exported,
    }
    if args.json:
        print(json.dumps(row, indent=2))
    else:
        print(f"jobs per side: {args.samples} (+{args.warmup} warm-up), alternating")
        print(f"{'':<22}{'off':>10}{'on':>10}{'ratio':>8}{'budget':>8}")
        print(
            f"{'wall submit→callback':<22}{row['off_wall_median_s']:>10.3f}{row['on_wall_median_s']:>10.3f}"
            f"{row['wall_ratio']:>8.3f}{BUDGET:>8.2f}"
        )
        print(
            f"{'CPU s, 4 functions':<22}{row['off_cpu_median_s']:>10.3f}{row['on_cpu_median_s']:>10.3f}"
            f"{row['cpu_ratio']:>8.3f}{'-':>8}"
        )
        print(f"exported while on: {exported['sentry_items']} Sentry items, {exported['otlp_spans']} spans")
    return 0 if row["wall_ratio"] <= BUDGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
