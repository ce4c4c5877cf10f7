"""SSE latency: from a job's state change to the event stream's client receiving it (p50/p95).

Starts the emulators and the ``status`` function as a process (functions-framework, as the local
stack serves it), then for each sample: creates a job, opens ``GET /v1/jobs/{id}/events`` with
httpx (after ``created``), waits a random fraction of the poll interval so the change lands at
a random point of the stream's poll cycle, claims the job through the job store (the ``running``
event commits with the claim) and times from the moment that commit returned to the moment
the client read the event's ``id:`` line. The stream polls Firestore every
``AGENTJOBS_SSE_POLL_SECONDS``; the floor is half of it (the expected wait for the next poll).

Usage: ``.venv/bin/python benchmarks/sse_latency.py [--samples 21] [--poll 0.5] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import queue
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=21, help="state changes to time (>= 11)")
    parser.add_argument("--poll", type=float, default=0.5, help="AGENTJOBS_SSE_POLL_SECONDS of the status function")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    samples = max(11, args.samples)

    from datetime import UTC, datetime

    import httpx

    from common.adapters.clients import firestore_client
    from common.adapters.firestore_store import FirestoreTenantDirectory
    from common.adapters.secret_ciphers import secret_cipher_factory
    from common.config import Settings
    from common.devstack.stack import StackSettings, start_stack, stop_stack
    from common.jobs import lifecycle
    from common.jobs.ids import new_job_id
    from common.jobs.models import Source
    from common.services.tenants import TenantAdmin

    state_dir = Path(tempfile.mkdtemp(prefix="sse-latency-"))
    env = {"AGENTJOBS_SSE_POLL_SECONDS": str(args.poll), "AGENTJOBS_JOB_EVENTS_TOPIC": ""}
    info = start_stack(
        StackSettings(functions=("status",), with_tasks=False, sweep_every_seconds=0, extra_env=env),
        state_dir=state_dir,
    )
    latencies: list[float] = []
    try:
        with info.client_env():
            directory = FirestoreTenantDirectory(firestore_client(info.project))
            admin = TenantAdmin(
                directory,
                clock=lambda: datetime.now(UTC),
                ciphers=secret_cipher_factory(Settings.from_env()),
                allow_loopback_callbacks=True,
            )
            created = admin.create(f"bench-{time.monotonic_ns() % 10**9}")
            tenant_id = created.tenant.tenant_id
            store = directory.jobs(tenant_id)
            url = info.endpoints["status"]
            headers = {"Authorization": f"Bearer {created.api_key}", "Last-Event-ID": "1"}
            for n in range(samples + 1):  # the first warms the function and its caches
                now = datetime.now(UTC)
                job = lifecycle.new_job(
                    job_id=new_job_id(), tenant_id=tenant_id, agent="echo", input={}, source=Source.HTTPS, now=now
                )
                store.create(job)
                received: queue.Queue[tuple[int, float]] = queue.Queue()
                opened = threading.Event()

                def read(
                    job_id: str = job.job_id,
                    inbox: queue.Queue[tuple[int, float]] = received,
                    ready: threading.Event = opened,
                ) -> None:
                    with httpx.stream("GET", f"{url}/v1/jobs/{job_id}/events", headers=headers, timeout=30) as r:
                        ready.set()
                        for line in r.iter_lines():
                            if line.startswith("id: "):
                                inbox.put((int(line[4:]), time.monotonic()))
                                return

                reader = threading.Thread(target=read, daemon=True)
                reader.start()
                opened.wait(10)
                time.sleep(random.uniform(0, args.poll) + 0.05)
                store.update(
                    job.job_id,
                    lambda j: lifecycle.claim(j, token="t", now=datetime.now(UTC), lease_seconds=30, max_attempts=3),
                )
                changed = time.monotonic()
                seq, at = received.get(timeout=30)
                assert seq == 2, seq
                if n:
                    latencies.append(at - changed)
                reader.join(timeout=5)
    finally:
        stop_stack(state_dir)
    p50, p95 = _quantile(latencies, 0.5), _quantile(latencies, 0.95)
    report = {
        "samples": len(latencies),
        "poll_seconds": args.poll,
        "p50_ms": round(p50 * 1000, 1),
        "p95_ms": round(p95 * 1000, 1),
        "floor_ms": round(args.poll / 2 * 1000, 1),
        "p50_vs_floor": round(p50 / (args.poll / 2), 2),
    }
    print(json.dumps(report) if args.json else "\n".join(f"{k}: {v}" for k, v in report.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
