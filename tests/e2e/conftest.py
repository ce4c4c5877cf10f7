"""End-to-end fixtures: the whole local stack (emulators + the four functions as processes),
with the criteria evaluator pointed at a scripted OpenAI-compatible model server."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from common.adapters.clients import firestore_client, storage_client
from common.adapters.firestore_store import FirestoreTenantDirectory
from common.adapters.gcs_blobs import GcsBlobStore
from common.adapters.secret_ciphers import secret_cipher_factory
from common.config import Settings
from common.devstack.stack import StackInfo, StackSettings, start_stack, stop_stack
from common.services.tenants import CreatedTenant, TenantAdmin
from tests.support.scripted_llm import Answer, Json, ScriptedLLM, ScriptedRequest

MODEL = "openai/gpt-4o-mini:completions"
_CRITERION = re.compile(r"^(?P<index>\d+)\. \[(?P<type>inclusion|exclusion)\] (?P<text>.*)$", re.MULTILINE)


@dataclass
class CriteriaScript:
    """Answers each criterion named in the prompt with a status looked up by its text."""

    statuses: dict[str, str] = field(default_factory=dict[str, str])
    default: str = "insufficient_information"

    def __call__(self, request: ScriptedRequest) -> Answer:
        assessments = [
            {
                "criterion_index": int(m["index"]),
                "explanation": "scripted",
                "evidence": [0],
                "status": self.statuses.get(m["text"].strip(), self.default),
            }
            for m in _CRITERION.finditer(request.prompt)
        ]
        return Json({"assessments": assessments})


# Fast recovery, so fault tests take seconds: a 4 s lease renewed every second, a sweep every
# second that requeues jobs pending for 3 s.
FAST_RECOVERY = {
    "AGENTJOBS_LEASE_SECONDS": "4",
    "AGENTJOBS_HEARTBEAT_SECONDS": "1",
    "AGENTJOBS_SWEEP_PENDING_AFTER_SECONDS": "3",
    "AGENTJOBS_SWEEP_CALLBACK_AFTER_SECONDS": "5",
}


@dataclass
class Stack:
    info: StackInfo
    llm: ScriptedLLM
    script: CriteriaScript
    admin: TenantAdmin
    directory: FirestoreTenantDirectory
    extra_env: dict[str, str] = field(default_factory=dict[str, str])

    def tenant(self, prefix: str = "e2e") -> CreatedTenant:
        return self.admin.create(f"{prefix}-{time.monotonic_ns() % 10**9}")

    def blobs(self, tenant_id: str) -> GcsBlobStore:
        return GcsBlobStore(storage_client(self.info.project), self.info.bucket, tenant_id)

    def url(self, function: str, path: str) -> str:
        return self.info.endpoints[function] + path

    def wait_job(self, api_key: str, job_id: str, *, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            response = httpx.get(
                self.url("status", f"/v1/jobs/{job_id}"), headers={"Authorization": f"Bearer {api_key}"}
            )
            if response.status_code == 200 and response.json()["status"] in ("success", "failed"):
                return response.json()
            if time.monotonic() > deadline:
                raise AssertionError(f"job {job_id} not finished: {response.status_code} {response.text[:300]}")
            time.sleep(0.1)

    def wait_for(self, predicate: Callable[[], Any], *, timeout: float = 30) -> Any:
        deadline = time.monotonic() + timeout
        while not (value := predicate()):
            if time.monotonic() > deadline:
                raise AssertionError("condition not reached in time")
            time.sleep(0.1)
        return value


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    script = CriteriaScript()
    with ScriptedLLM(script) as llm:
        state_dir = tmp_path_factory.mktemp("stack")
        extra_env = {
            "AGENTJOBS_MODEL__CRITERIA_EVALUATOR": MODEL,
            "AGENTJOBS_MODEL_BASE_URL": llm.base_url,
            "AGENTJOBS_MODEL_API_KEY": "test-key",
            **FAST_RECOVERY,
        }
        info = start_stack(StackSettings(extra_env=extra_env, sweep_every_seconds=1), state_dir=state_dir)
        try:
            with info.client_env():
                directory = FirestoreTenantDirectory(firestore_client(info.project))
                admin = TenantAdmin(
                    directory,
                    clock=lambda: datetime.now(UTC),
                    ciphers=secret_cipher_factory(Settings.from_env()),
                    allow_loopback_callbacks=True,
                )
                yield Stack(info, llm, script, admin, directory, extra_env)
        finally:
            stop_stack(state_dir)
