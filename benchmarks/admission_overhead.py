"""Admission overhead at submit: p50/p95 of a submit with a usage plan against one without, same run.

Starts the emulators (Firestore, Pub/Sub, fake-gcs-server; no functions), loads
``functions/submit/main.py`` through functions-framework, and times requests of two tenants in
the same run, interleaved (plain, planned, plain, ...): ``plain`` has no plan (the floor: the
submit path as before plans), ``planned`` has a budget and a concurrency limit, so each request
estimates the job's worst case and reserves it (one extra commit of two documents). The API-key
caches are warmed first. Budget: the planned p50 and p95 are at most 1.2x the plain ones.

Usage: ``uv run python benchmarks/admission_overhead.py [--samples 41] [--json]``. Exit status 1
when the budget is broken.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from flask import Flask

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BUDGET = 1.2
AGENT = "criteria-evaluator"
MODEL = "openai/gpt-4o-mini:completions"
INPUT = {"criteria": [{"type": "inclusion", "text": "Age 18 or over"}], "patient_profile": ["A 40 year old man."]}


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=41, help="requests per side (>= 11)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    samples = max(11, args.samples)

    import os

    import functions_framework

    from common.adapters.clients import firestore_client
    from common.adapters.firestore_store import FirestoreTenantDirectory
    from common.adapters.secret_ciphers import secret_cipher_factory
    from common.config import Settings
    from common.devstack.stack import StackSettings, start_stack, stop_stack
    from common.plans.models import Budget, BudgetPeriod, Limits, UsagePlan
    from common.services.tenants import TenantAdmin

    state = Path(tempfile.mkdtemp(prefix="bench-admission-"))
    info = start_stack(StackSettings(functions=()), state_dir=state)
    try:
        with info.client_env():
            os.environ["AGENTJOBS_MODEL"] = MODEL
            from datetime import UTC, datetime

            directory = FirestoreTenantDirectory(firestore_client(info.project))
            admin = TenantAdmin(
                directory,
                clock=lambda: datetime.now(UTC),
                ciphers=secret_cipher_factory(Settings.from_env()),
                allow_loopback_callbacks=True,
            )
            plain, planned = admin.create("plain"), admin.create("planned")
            plan = UsagePlan(
                budget=Budget(BudgetPeriod.MONTH, Decimal(1_000_000)),
                default_limits=Limits(max_concurrent_jobs=100_000),
            )
            admin.set_plan("planned", plan)
            flask_app = cast(
                "Flask",
                functions_framework.create_app(
                    target="submit", source=str(ROOT / "functions/submit/main.py"), signature_type="http"
                ),
            )
            app = flask_app.test_client()

            def once(key: str) -> float:
                started = time.perf_counter()
                response = app.post(f"/v1/agents/{AGENT}/jobs", json=INPUT, headers={"Authorization": f"Bearer {key}"})
                elapsed = time.perf_counter() - started
                assert response.status_code == 202, response.get_json()
                return elapsed * 1000

            for _ in range(3):  # warm the API-key cache, the price table, the clients
                once(plain.api_key)
                once(planned.api_key)
            times: dict[str, list[float]] = {"plain": [], "planned": []}
            for _ in range(samples):
                times["plain"].append(once(plain.api_key))
                times["planned"].append(once(planned.api_key))
    finally:
        stop_stack(state)

    report = {
        side: {"p50_ms": round(statistics.median(v), 2), "p95_ms": round(_quantile(v, 0.95), 2), "samples": len(v)}
        for side, v in times.items()
    }
    ratios = {q: round(report["planned"][f"{q}_ms"] / report["plain"][f"{q}_ms"], 3) for q in ("p50", "p95")}
    ok = all(r <= BUDGET for r in ratios.values())
    if args.json:
        print(json.dumps({"report": report, "ratios": ratios, "budget": BUDGET, "ok": ok}))
    else:
        for side, r in report.items():
            print(f"{side:8s} p50 {r['p50_ms']:7.2f} ms  p95 {r['p95_ms']:7.2f} ms  ({r['samples']} samples)")
        print(
            f"ratio    p50 {ratios['p50']:.3f}x  p95 {ratios['p95']:.3f}x  (budget {BUDGET}x): {'ok' if ok else 'OVER'}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
