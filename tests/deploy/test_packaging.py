"""Each function deploys alone: its archive, installed like the Cloud Functions buildpack does, serves.

For each function:

1. build the deploy archive from the file lists Terraform computes (``local.function_source_files``
   and ``local.shared_sources``, evaluated by the Terraform CLI, see tests/support/terraform.py);
2. unpack it into an empty folder and check it holds nothing but code (no tests, caches, virtual
   environments, local state or secrets);
3. create a fresh virtual environment and install the archive's ``requirements.txt``, as the
   Python buildpack does with pip. We use ``uv venv`` + ``uv pip install -r`` (pip-compatible
   resolution of the same file) because it reuses the uv cache: it resolves offline from the
   cache first, and asks the package index only when the cache lacks something (a fresh machine);
4. serve it with that environment's ``functions-framework --target=<name>``, from the unpacked
   folder only (nothing of the repository is importable);
5. answer one request that reaches a real backend (the Firestore emulator of the session).

The four run in parallel.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from common.config import ALL_FUNCTIONS
from common.devstack.stack import StackInfo
from tests.support.function_archive import build_function_archive

ALLOWED_TOP_LEVEL = {"main.py", "requirements.txt", "common"}
FORBIDDEN_PARTS = {"tests", "__pycache__", ".venv", ".git", ".agentjobs", ".terraform", "node_modules"}
FORBIDDEN_SUFFIXES = (".pyc", ".pem", ".key", ".p12", ".env", ".tfstate", ".zip", ".pdf")


@dataclass(frozen=True)
class Probe:
    """One request and what a working function answers."""

    method: str
    path: str
    body: bytes
    headers: dict[str, str]
    status: int
    check: Callable[[dict[str, Any]], bool]


def _push(message_id: str) -> bytes:
    # A job request whose body is not JSON: run_agent acks it and records a rejection in Firestore.
    message = {
        "data": base64.b64encode(b"not json").decode(),
        "attributes": {"tenant_id": "packaging-test"},
        "messageId": message_id,
    }
    return json.dumps({"message": message, "subscription": "projects/p/subscriptions/s"}).encode()


def _probes(message_id: str) -> dict[str, Probe]:
    bad_key = {"Authorization": "Bearer aj_not-a-key", "Content-Type": "application/json"}
    return {
        # The key lookup reads Firestore.
        "submit": Probe(
            "POST",
            "/v1/agents/criteria-evaluator/jobs",
            b"{}",
            bad_key,
            401,
            lambda b: b["error"]["code"] == "invalid_api_key",
        ),
        # DELETE reaches authentication (a route it lacked would answer 405).
        "status": Probe(
            "DELETE", "/v1/jobs/job_" + "a" * 26, b"", bad_key, 401, lambda b: b["error"]["code"] == "invalid_api_key"
        ),
        # Writes rejections/{sha256(message id)}.
        "run_agent": Probe(
            "POST",
            "/",
            _push(message_id),
            {"Content-Type": "application/json"},
            200,
            lambda b: b["outcome"] == "rejected",
        ),
        # Reads the job; it does not exist, so the task is acked and dropped.
        "notify": Probe(
            "POST",
            "/",
            json.dumps({"tenant_id": "packaging-test", "job_id": "job_" + "a" * 26, "event": "job.completed"}).encode(),
            {"Content-Type": "application/json"},
            200,
            lambda b: b.get("code") == "job_not_found",
        ),
    }


@pytest.fixture(scope="module")
def archive_inputs(tf_values: dict[str, Any]) -> tuple[list[str], list[str]]:
    return tf_values["function_source_files"], tf_values["shared_sources"]


def _uv() -> str:
    # `uv run` (make test) exports UV; `make setup` pip-installs uv into the base interpreter of
    # the project's venv; else PATH (a pyenv shim there may resolve against the cwd's version).
    beside_python = Path(sys.base_prefix) / "bin" / "uv"
    uv = os.environ.get("UV") or (str(beside_python) if beside_python.exists() else shutil.which("uv"))
    assert uv, "uv is needed to build the fresh virtual environments (make setup installs it)"
    return uv


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _check_contents(names: list[str]) -> None:
    assert {"main.py", "requirements.txt", "common/__init__.py"} <= set(names)
    for name in names:
        parts = name.split("/")
        assert parts[0] in ALLOWED_TOP_LEVEL, f"unexpected {name} in the archive"
        assert not FORBIDDEN_PARTS & set(parts), f"{name} must not be deployed"
        assert not name.endswith(FORBIDDEN_SUFFIXES), f"{name} must not be deployed"
        assert name.endswith(".py") or name == "requirements.txt", f"{name} is not code"


def _deploy_and_call(
    function: str, workdir: Path, inputs: tuple[list[str], list[str]], probe: Probe, env: dict[str, str]
):
    files, shared = inputs
    archive = build_function_archive(
        function, workdir / f"{function}.zip", function_source_files=files, shared_sources=shared
    )
    source = workdir / "source"
    source.mkdir()
    with zipfile.ZipFile(archive) as z:
        _check_contents(z.namelist())
        z.extractall(source)

    venv = workdir / "venv"
    uv = _uv()
    # The interpreter behind this test run (Python 3.13, as the python313 runtime).
    python = str(Path(sys.executable).resolve())
    subprocess.run([uv, "venv", "--quiet", "--python", python, str(venv)], check=True, cwd=source, timeout=120)
    install_args = [uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), "-r", "requirements.txt"]
    # From the uv cache first (no index round trips); from the index when the cache lacks something.
    for extra in (["--offline"], []):
        install = subprocess.run(
            [*install_args, *extra], cwd=source, capture_output=True, text=True, timeout=300, check=False
        )
        if install.returncode == 0:
            break
    assert install.returncode == 0, f"{function}: pip install -r requirements.txt failed:\n{install.stderr[-3000:]}"

    port = _free_port()
    log_path = workdir / "serve.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [str(venv / "bin" / "functions-framework"), f"--target={function}", "--host=127.0.0.1", f"--port={port}"],
            cwd=source,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        return _request(server, port, probe, log_path)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def _request(server: subprocess.Popen[bytes], port: int, probe: Probe, log_path: Path) -> tuple[int, dict[str, Any]]:
    deadline = time.monotonic() + 60
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{probe.path}",
        data=probe.body if probe.method != "GET" else None,
        headers=probe.headers,
        method=probe.method,
    )
    while True:
        if server.poll() is not None:
            raise AssertionError(f"the function exited with {server.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise AssertionError(f"the function never listened:\n{log_path.read_text()[-3000:]}") from None
            time.sleep(0.2)


def test_each_function_deploys_alone_from_its_archive(
    emulators: StackInfo, archive_inputs: tuple[list[str], list[str]], tmp_path: Path
):
    message_id = f"packaging-{uuid.uuid4().hex}"
    probes = _probes(message_id)
    # Only what the deployment sets, plus the emulators: nothing of this checkout leaks in.
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "AGENTJOBS_PROJECT": emulators.project,
        "AGENTJOBS_BUCKET": emulators.bucket,
        # notify's key for webhook secrets, as Terraform sets it (KMS is reached only to decrypt).
        "AGENTJOBS_KMS_KEY": "projects/p/locations/l/keyRings/r/cryptoKeys/webhook-secrets",
        "FIRESTORE_EMULATOR_HOST": emulators.env["FIRESTORE_EMULATOR_HOST"],
        "PUBSUB_EMULATOR_HOST": emulators.env["PUBSUB_EMULATOR_HOST"],
        "STORAGE_EMULATOR_HOST": emulators.env["STORAGE_EMULATOR_HOST"],
    }
    dirs = {f: tmp_path / f for f in ALL_FUNCTIONS}
    for d in dirs.values():
        d.mkdir()
    with ThreadPoolExecutor(max_workers=len(ALL_FUNCTIONS)) as pool:
        futures = {f: pool.submit(_deploy_and_call, f, dirs[f], archive_inputs, probes[f], env) for f in ALL_FUNCTIONS}
        answers = {f: future.result() for f, future in futures.items()}

    for function, (status, body) in answers.items():
        probe = probes[function]
        assert status == probe.status and probe.check(body), f"{function} answered {status} {body}"

    # run_agent's answer was not just a 200: the rejection reached Firestore from the fresh venv.
    from google.cloud import firestore

    doc_id = hashlib.sha256(message_id.encode()).hexdigest()
    record = firestore.Client(project=emulators.project).collection("rejections").document(doc_id).get()
    assert record.exists and record.to_dict()["code"] == "malformed_request"
