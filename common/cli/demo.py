"""``agentjobs demo``: the whole path on the real local stack, with no API keys.

1. start the stack (emulators + the four functions);
2. create a tenant, point its webhook at a local receiver that verifies signatures;
3. upload a real protocol PDF into the tenant's inbox;
4. wait for the job through the status API and print a readable summary;
5. wait for the signed callback and verify it with ``standardwebhooks``;
6. stop everything.
"""

from __future__ import annotations

import os
import secrets
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from common.cli.render import cost_line, print_protocol_summary, print_timings
from common.devstack.processes import StartupFailed
from common.devstack.sdk import MissingEmulators
from common.devstack.stack import PROJECT_ROOT, StackInfo, StackSettings, start_stack, stop_stack
from common.webhooks.receiver import WebhookReceiver

__all__ = ["run_demo", "shared_data_dir"]

console = Console()
_DEMO_PDF = "protocols/CDISC_Pilot_Study.pdf"


def shared_data_dir() -> Path:
    """``$AGENTJOBS_SHARED_DATA``, else ``../shared/data`` beside the project root."""
    return Path(os.environ.get("AGENTJOBS_SHARED_DATA") or PROJECT_ROOT.parent / "shared" / "data")


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _wait_job(status_url: str, api_key: str, *, timeout: float) -> tuple[dict[str, Any], float | None]:
    """Poll the status API until the job is terminal; returns ``(job, seconds until first seen)``."""
    headers = {"Authorization": f"Bearer {api_key}"}
    started = time.monotonic()
    first_seen: float | None = None
    with httpx.Client(timeout=10) as client:
        while True:
            response = client.get(status_url, headers=headers)
            if response.status_code == 200:
                job: dict[str, Any] = response.json()
                if first_seen is None:
                    first_seen = time.monotonic() - started
                if job["status"] in ("success", "failed", "cancelled", "deleted"):
                    return job, first_seen
            elif response.status_code != 404:
                raise RuntimeError(f"status API answered {response.status_code}: {response.text[:200]}")
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"job not finished after {timeout:.0f} s")
            time.sleep(0.1)


def run_demo(*, keep: bool = False, timeout: float = 180.0, traces: bool = False) -> int:
    """Run the demo; returns the process exit code (0 on success).

    Args:
        keep: Leave the stack running afterwards.
        timeout: Longest wait for the job (s).
        traces: Also start the local trace UI (Phoenix) and print the job's trace URL.
    """
    pdf = shared_data_dir() / _DEMO_PDF
    if not pdf.exists():
        console.print(f"[red]missing demo input {pdf} (set AGENTJOBS_SHARED_DATA)[/red]")
        return 2
    state_dir = PROJECT_ROOT / ".agentjobs" / "demo"
    stop_stack(state_dir)  # a previous demo that was interrupted
    try:
        with console.status("starting the local stack (emulators + 4 functions)..."):
            info = start_stack(StackSettings(traces=traces), state_dir=state_dir)
    except (MissingEmulators, StartupFailed) as e:
        console.print(f"[red]{e}[/red]")
        return 1
    console.print(f"[green]stack up in {info.startup_seconds:.1f} s[/green]; logs in {state_dir / 'logs'}")
    try:
        return _run(info, pdf, timeout)
    finally:
        if keep:
            console.print(f"stack left running; stop it with: agentjobs dev down --state-dir {state_dir}")
        else:
            stop_stack(state_dir)
            console.print("stack stopped")


def _run(info: StackInfo, pdf: Path, timeout: float) -> int:
    from common.adapters.clients import firestore_client, storage_client
    from common.adapters.firestore_store import FirestoreTenantDirectory
    from common.adapters.gcs_blobs import GcsBlobStore
    from common.adapters.secret_ciphers import secret_cipher_factory
    from common.config import Settings
    from common.jobs.ids import gcs_job_id
    from common.services.tenants import TenantAdmin

    with info.client_env(), WebhookReceiver() as receiver:
        directory = FirestoreTenantDirectory(firestore_client(info.project))
        ciphers = secret_cipher_factory(Settings.from_env())
        admin = TenantAdmin(directory, clock=lambda: datetime.now(UTC), ciphers=ciphers, allow_loopback_callbacks=True)
        tenant_id = f"demo-{secrets.token_hex(3)}"
        created = admin.create(tenant_id, name="Demo tenant")
        receiver.secret = created.webhook_secret
        admin.set_webhook(tenant_id, receiver.url)
        console.print(f"tenant [bold]{tenant_id}[/bold] created; webhook -> {receiver.url}")

        blobs = GcsBlobStore(storage_client(info.project), info.bucket, tenant_id)
        uploaded_at = datetime.now(UTC)
        stored = blobs.write(f"inbox/protocol-processor/{pdf.name}", pdf.read_bytes(), content_type="application/pdf")
        console.print(f"uploaded {pdf.name} ({pdf.stat().st_size:,} bytes) -> {stored.uri}")

        job_id = gcs_job_id(info.bucket, stored.uri.split("/", 3)[3], stored.generation)
        status_url = f"{info.endpoints['status']}/v1/jobs/{job_id}"
        with console.status(f"waiting for job {job_id}..."):
            job, _ = _wait_job(status_url, created.api_key, timeout=timeout)

        created_at, started_at = _parse_time(job["created_at"]), _parse_time(job["started_at"])
        finished_at = _parse_time(job["finished_at"])
        console.rule(f"job {job_id}: {job['status']}")
        if job["status"] != "success":
            console.print(f"[red]{job.get('error')}[/red]")
            return 1
        print_protocol_summary(console, job["result"])
        print_timings(
            console,
            {
                "stack up": info.startup_seconds,
                "upload -> job created": (created_at - uploaded_at).total_seconds(),
                "job created -> running": (started_at - created_at).total_seconds(),
                "running -> done": (finished_at - started_at).total_seconds(),
                **{f"  agent: {k}": v for k, v in job.get("timings", {}).items() if k not in ("queued",)},
            },
        )
        console.print(cost_line(job), highlight=False)
        console.print(f"status URL: {status_url}  (Authorization: Bearer <api key>)", highlight=False)
        trace: dict[str, Any] = job.get("trace") or {}
        trace_id = trace.get("trace_id")
        if "traces" in info.endpoints and trace_id:
            console.print(f"trace: {info.endpoints['traces']}/redirects/traces/{trace_id}", highlight=False)

        deliveries = receiver.wait_for(1, timeout=30)
        if not deliveries or not deliveries[0].verified or deliveries[0].payload is None:
            console.print("[red]no verified callback arrived within 30 s[/red]")
            return 1
        callback = deliveries[0]
        console.print(
            f"[green]callback verified[/green] (standardwebhooks, webhook-id {callback.headers.get('webhook-id')}): "
            f"{receiver.dumps(callback.payload or {})}",
            highlight=False,
        )
        return 0
