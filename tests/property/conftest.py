"""Property-based suite: the four functions as WSGI apps against the session's emulators.

Each app is loaded once per session with ``functions_framework.create_app`` (the integration
suite's ``make_app`` reloads per test, which Hypothesis cannot share across examples). Firestore
is reset once, and the tenants the fuzzers aim at are created once; the store scan at the end
of the suite (``test_store_paths.py``) then sees everything every fuzzer wrote.

Budgets: each target's ``max_examples`` comes from :data:`EXAMPLES`, scaled by
``AGENTJOBS_FUZZ_SCALE`` (default 1) for longer local runs, e.g. ``AGENTJOBS_FUZZ_SCALE=20``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import functions_framework
import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings

from common.adapters.clients import firestore_client, storage_client
from common.adapters.firestore_store import FirestoreTenantDirectory
from common.adapters.gcs_blobs import GcsBlobStore
from common.adapters.secret_ciphers import secret_cipher_factory
from common.config import Settings
from common.devstack.stack import PROJECT_ROOT, StackInfo, reset_firestore
from common.jobs import lifecycle
from common.jobs.models import Job, Source
from common.services.tenants import CreatedTenant, TenantAdmin
from tests.property.strategies import JOB_ID, REAL_DROPS
from tests.support.hostile_pdfs import tiny_protocol_pdf

EXAMPLES = {
    "parse_delivery": 600,
    "parse_bytes": 400,
    "parse_callback_task": 500,
    "document_patterns": 100,
    "run_agent": 250,
    "notify": 150,
    "submit": 120,
    "status": 100,
}
"""Examples per target at scale 1 (about a minute in total on a 2-core machine)."""

SCALE = float(os.environ.get("AGENTJOBS_FUZZ_SCALE", "1"))

FUZZ = settings(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
"""Shared settings: no deadline (emulator latency varies), no example database in the tree."""


def examples(target: str, *, capture: bool = False) -> settings:
    """Settings for one fuzz target with its scaled example budget.

    ``capture``: the test reads ``capsys`` (function-scoped) in every example, which is safe
    because it drains the capture at the start of each example.
    """
    checks = (
        [*FUZZ.suppress_health_check, HealthCheck.function_scoped_fixture] if capture else FUZZ.suppress_health_check
    )
    return settings(FUZZ, max_examples=max(1, int(EXAMPLES[target] * SCALE)), suppress_health_check=checks)


@dataclass
class Functions:
    """The four functions, their tenants, and the project's Firestore client."""

    info: StackInfo
    apps: dict[str, Flask]
    tenant: CreatedTenant
    other: CreatedTenant
    directory: FirestoreTenantDirectory
    firestore: Any

    def client(self, name: str) -> FlaskClient:
        return self.apps[name].test_client()

    @property
    def bucket(self) -> str:
        return self.info.bucket


def _load(name: str, env: dict[str, str]) -> Flask:
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        source = PROJECT_ROOT / "functions" / name / "main.py"
        return cast(Flask, functions_framework.create_app(target=name, source=str(source), signature_type="http"))


def finished_job(tenant_id: str, job_id: str) -> Job:
    """A job that ended ``success``, without a callback URL."""
    now = datetime.now(UTC)
    job = lifecycle.new_job(
        job_id=job_id, tenant_id=tenant_id, agent="protocol-processor", input={}, source=Source.GCS, now=now
    )
    job = lifecycle.claim(job, token="t", now=now, lease_seconds=60, max_attempts=3)
    return lifecycle.complete(job, token="t", now=now, result={"title": "x"})


@pytest.fixture(scope="session")
def functions(emulators: StackInfo) -> Iterator[Functions]:
    """All four apps, a fresh Firestore, and two tenants (``fuzz-a``, ``fuzz-b``)."""
    reset_firestore(emulators)
    client = firestore_client(emulators.project)
    directory = FirestoreTenantDirectory(client)
    admin = TenantAdmin(
        directory,
        clock=lambda: datetime.now(UTC),
        ciphers=secret_cipher_factory(Settings.from_env()),
        allow_loopback_callbacks=True,
    )
    tenant, other = admin.create("fuzz-a"), admin.create("fuzz-b")
    directory.jobs("fuzz-a").create(finished_job("fuzz-a", JOB_ID))
    inbox = GcsBlobStore(storage_client(emulators.project), emulators.bucket, "fuzz-a")
    for name in ("real-1.pdf", "real-2.pdf"):
        stored = inbox.write(f"inbox/protocol-processor/{name}", tiny_protocol_pdf(), content_type="application/pdf")
        REAL_DROPS.append((stored.uri.split("/", 3)[3], str(stored.generation)))
    env = {
        "AGENTJOBS_PUBLIC_BASE_URL": "https://api.example.com",
        # No callback queue: fuzzed jobs must not flood the Tasks emulator shared with other suites.
        "AGENTJOBS_CALLBACKS_QUEUE": "",
        "AGENTJOBS_BACKEND_RETRY_SECONDS": "1",
        # The criteria evaluator needs a model; without one, submit refuses its jobs (422).
        "AGENTJOBS_MODEL": "openai/gpt-4o-mini",
    }
    apps = {name: _load(name, env) for name in ("submit", "status", "run_agent", "notify")}
    yield Functions(emulators, apps, tenant, other, directory, client)
