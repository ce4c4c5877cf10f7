"""``agentjobs submit --file`` (upload with only an API key), ``jobs cancel | retry`` and ``rejections list``
run as a user runs them, against the local stack."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from common.devstack.stack import PROJECT_ROOT
from tests.support.hostile_pdfs import tiny_protocol_pdf

AGENTJOBS = Path(sys.executable).parent / "agentjobs"


def cli(stack, key: str, *args: str) -> subprocess.CompletedProcess[str]:
    # No Google credentials and no emulator hosts: the CLI talks to the API only.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), "AGENTJOBS_API_KEY": key, "COLUMNS": "200"}
    env |= {"AGENTJOBS_SUBMIT_URL": stack.url("submit", ""), "AGENTJOBS_API_URL": stack.url("status", "")}
    return subprocess.run(
        [str(AGENTJOBS), *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, check=False, env=env
    )


def uploads(stack, tenant_id: str) -> list[str]:
    bucket = stack.blobs(tenant_id)._bucket
    return [b.name for b in bucket.list_blobs(prefix=f"tenants/{tenant_id}/uploads/")]


def test_submit_file_uploads_with_the_api_key_alone_and_a_failed_submit_removes_it(stack, tmp_path):
    tenant = stack.tenant("cli-upload")
    pdf = tmp_path / "My protocol.pdf"
    pdf.write_bytes(tiny_protocol_pdf())
    done = cli(stack, tenant.api_key, "submit", "protocol-processor", "--file", str(pdf))
    assert done.returncode == 0, done.stdout + done.stderr
    job_id = done.stdout.split()[1]
    job = stack.wait_job(tenant.api_key, job_id)
    assert job["status"] == "success", job.get("error")
    [stored] = uploads(stack, tenant.tenant.tenant_id)
    assert "My protocol" not in stored  # the file name is never part of the object

    refused = cli(stack, tenant.api_key, "submit", "criteria-evaluator", "--file", str(pdf))
    assert refused.returncode == 1 and "422" in refused.stdout + refused.stderr
    assert uploads(stack, tenant.tenant.tenant_id) == [stored]  # the failed submission's upload is gone


def test_retry_cancel_and_rejections_from_the_cli(stack, tmp_path):
    tenant = stack.tenant("cli-control")
    bogus = tmp_path / "notes.pdf"
    bogus.write_bytes(b"%PDF-1.4\nnot really a PDF\n")
    done = cli(stack, tenant.api_key, "submit", "protocol-processor", "--file", str(bogus))
    assert done.returncode == 0, done.stdout + done.stderr
    job_id = done.stdout.split()[1]
    assert stack.wait_job(tenant.api_key, job_id)["status"] == "failed"

    retried = cli(stack, tenant.api_key, "jobs", "retry", job_id)
    assert retried.returncode == 0 and f"{job_id} pending" in retried.stdout, retried.stdout + retried.stderr
    again = stack.wait_job(tenant.api_key, job_id)
    assert again["status"] == "failed" and again["attempts"] == 2 and again["retries"] == 1

    refused = cli(stack, tenant.api_key, "jobs", "cancel", job_id)
    assert refused.returncode == 1 and "409 job_not_cancellable" in refused.stderr and not refused.stdout
    listed = cli(stack, tenant.api_key, "rejections", "list")
    assert listed.returncode == 0 and "no rejected deliveries" in listed.stdout
