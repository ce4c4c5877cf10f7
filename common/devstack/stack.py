"""The local stack: emulators, the four functions, and the same wiring Terraform makes.

Parts:

* Pub/Sub emulator and Firestore emulator (Google Cloud SDK components);
* fake-gcs-server, publishing real GCS object notifications into the Pub/Sub emulator;
* with ``traces``, a local trace UI (Arize Phoenix, :mod:`common.devstack.traces`) receiving the
  functions' spans over OTLP;
* the Cloud Tasks emulator (PyPI ``gcloud-tasks-emulator``, in its own locked tool environment
  because it pins an old protobuf, started through ``tools/tasks-emulator/serve.py`` so that it
  honours the queue's retry configuration and task-name dedup, as Cloud Tasks does);
* ``status``, ``run_agent``, ``submit`` and ``notify``, each served by functions-framework in its
  own process, as in production;
* a ticker that publishes a sweep tick every few seconds (Cloud Scheduler's job in production);
  the local sweeper also deletes expired jobs and their blobs, which Firestore's TTL policy and the
  bucket's lifecycle rule do in production;
* a fresh AES-256 key for webhook secrets (``AGENTJOBS_LOCAL_SECRET_KEY``, Cloud KMS's stand-in),
* a fresh RSA key signing upload URLs (``AGENTJOBS_DEV_SIGNING_KEY``, IAM signBlob's stand-in),
  in the stack's environment, so the functions and the admin CLI share it and Firestore never
  holds it.

Wiring: exactly :mod:`common.topology`, as Terraform wires it: every topic, and each push
subscription to ``run_agent`` (the dead-letter topic's at ``/dead-letter``), minus the
subscription retry policy, which stalls the emulator; the callbacks queue targets ``notify``
with a faster retry schedule (:data:`LOCAL_CALLBACKS_QUEUE`) so outages recover in seconds.

Ports are picked free; every process logs to ``{state_dir}/logs``; ``state.json`` records what
was started so :func:`stop_stack` stops exactly those process groups.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Generator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Self

from common.devstack.processes import (
    ManagedProcess,
    StartupFailed,
    free_port,
    start_process,
    stop_process_group,
    wait_http,
)
from common.devstack.sdk import MissingEmulators, find_emulators, find_fake_gcs_server
from common.devstack.tool_envs import TASKS_EMULATOR_SERVER, ensure_tasks_emulator
from common.topology import (
    CALLBACKS_QUEUE,
    GCS_NOTIFICATIONS_TOPIC,
    JOBS_TOPIC,
    SUBSCRIPTIONS,
    TOPICS,
    QueueSpec,
)

__all__ = [
    "ALL_FUNCTIONS",
    "LOCAL_CALLBACKS_QUEUE",
    "PROJECT_ROOT",
    "StackInfo",
    "StackSettings",
    "default_state_dir",
    "load_stack",
    "reset_firestore",
    "restart_function",
    "start_stack",
    "stop_stack",
]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ALL_FUNCTIONS = ("status", "run_agent", "submit", "notify")
LOCAL_CALLBACKS_QUEUE = QueueSpec(
    name=CALLBACKS_QUEUE.name,
    max_attempts=100,
    min_backoff_seconds=0.5,
    max_backoff_seconds=10,
    max_doublings=4,
    max_dispatches_per_second=CALLBACKS_QUEUE.max_dispatches_per_second,
    max_concurrent_dispatches=CALLBACKS_QUEUE.max_concurrent_dispatches,
)
"""The callbacks queue on the local stack: production's shape, with delays of seconds instead of hours.

100 attempts at most 10 s apart keep a callback alive through a receiver outage of over 15
minutes, and deliver it within 10 s of recovery."""
_LOCAL_SWEEP_ENV = {
    # Short thresholds so a lost message or a dead worker recovers within seconds locally.
    "AGENTJOBS_SWEEP_PENDING_AFTER_SECONDS": "10",
    "AGENTJOBS_SWEEP_CALLBACK_AFTER_SECONDS": "15",
    "AGENTJOBS_SWEEP_FAILING_CALLBACK_AFTER_SECONDS": "60",
    "AGENTJOBS_CALLBACK_MAX_ATTEMPTS": str(LOCAL_CALLBACKS_QUEUE.max_attempts),
    # No TTL policy on the Firestore emulator and no lifecycle rule on fake-gcs-server.
    "AGENTJOBS_SWEEP_EXPIRED_JOBS": "1",
}


def default_state_dir() -> Path:
    """``$AGENTJOBS_DEV_DIR``, else ``.agentjobs/dev`` in the project root."""
    return Path(os.environ.get("AGENTJOBS_DEV_DIR") or PROJECT_ROOT / ".agentjobs" / "dev")


@dataclass(frozen=True, slots=True)
class StackSettings:
    """What to start.

    Attributes:
        project: Project id used on every emulator.
        bucket: The tenants' bucket.
        functions: Which functions to serve (``()`` for emulators only, as integration tests do).
        with_tasks: Start the Cloud Tasks emulator and the callbacks queue.
        sweep_every_seconds: How often the ticker publishes a sweep tick (s); 0 starts no ticker.
        extra_env: Extra environment for the functions (e.g. model keys); not persisted.
        model: ``AGENTJOBS_MODEL`` for the functions (``provider/model``; empty = offline); kept
            in the stack's environment, so ``dev info`` shows it and restarts keep it.
        traces: Also start the local trace UI and point the functions' OTLP exporter at it.
    """

    project: str = "agentjobs-dev"
    bucket: str = "agentjobs-dev"
    functions: tuple[str, ...] = ALL_FUNCTIONS
    with_tasks: bool = True
    sweep_every_seconds: float = 5.0
    extra_env: Mapping[str, str] = field(default_factory=dict[str, str])
    model: str = ""
    traces: bool = False


@dataclass(slots=True)
class StackInfo:
    """A running stack.

    Attributes:
        state_dir: Where ``state.json`` and ``logs/`` live.
        project: Project id.
        bucket: Bucket name.
        endpoints: Part name -> URL or ``host:port``.
        env: Environment a client needs to reach the stack (emulator hosts, settings).
        processes: What was started, in start order.
        startup_seconds: Wall time of :func:`start_stack` (s).
    """

    state_dir: Path
    project: str
    bucket: str
    endpoints: dict[str, str] = field(default_factory=dict[str, str])
    env: dict[str, str] = field(default_factory=dict[str, str])
    processes: list[ManagedProcess] = field(default_factory=list[ManagedProcess])
    startup_seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """JSON-serialisable form written to ``state.json``."""
        return {
            "state_dir": str(self.state_dir),
            "project": self.project,
            "bucket": self.bucket,
            "endpoints": self.endpoints,
            "env": self.env,
            "processes": [{**asdict(p), "log_path": str(p.log_path)} for p in self.processes],
            "startup_seconds": self.startup_seconds,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StackInfo:
        """Inverse of :meth:`to_json`."""
        return cls(
            state_dir=Path(data["state_dir"]),
            project=data["project"],
            bucket=data["bucket"],
            endpoints=dict(data["endpoints"]),
            env=dict(data["env"]),
            processes=[
                ManagedProcess(name=p["name"], pid=p["pid"], port=p["port"], log_path=Path(p["log_path"]))
                for p in data["processes"]
            ],
            startup_seconds=float(data.get("startup_seconds", 0.0)),
        )

    @contextlib.contextmanager
    def client_env(self) -> Generator[Self]:
        """Temporarily export :attr:`env` into ``os.environ`` (for in-process clients)."""
        saved = {k: os.environ.get(k) for k in self.env}
        os.environ.update(self.env)
        try:
            yield self
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def _state_file(state_dir: Path) -> Path:
    return state_dir / "state.json"


def _write_state(state_dir: Path, info: StackInfo) -> None:
    # It holds the stack's key for webhook secrets (AGENTJOBS_LOCAL_SECRET_KEY): owner-only.
    path = _state_file(state_dir)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(json.dumps(info.to_json(), indent=2))


def load_stack(state_dir: Path | None = None) -> StackInfo | None:
    """The stack recorded in ``state_dir``, if its processes are still alive."""
    path = _state_file(state_dir or default_state_dir())
    if not path.exists():
        return None
    info = StackInfo.from_json(json.loads(path.read_text()))
    if not all(_alive(p.pid) for p in info.processes):
        return None
    return info


def _alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def stop_stack(state_dir: Path | None = None) -> list[str]:
    """Stop the process groups recorded in ``state_dir`` and forget them.

    Returns:
        Names of the parts that were still running.
    """
    path = _state_file(state_dir or default_state_dir())
    if not path.exists():
        return []
    info = StackInfo.from_json(json.loads(path.read_text()))
    stopped = _stop(info.processes)
    path.unlink(missing_ok=True)
    return stopped


def _stop(processes: list[ManagedProcess]) -> list[str]:
    # Functions first, emulators last, so nothing logs connection errors while stopping.
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(_stop_one, reversed(processes)))
    return [name for name, existed in results if existed]


def _stop_one(process: ManagedProcess) -> tuple[str, bool]:
    return process.name, stop_process_group(process.pid)


def reset_firestore(info: StackInfo) -> None:
    """Delete every document in the Firestore emulator (its documented reset endpoint)."""
    host = info.endpoints["firestore"]
    url = f"http://{host}/emulator/v1/projects/{info.project}/databases/(default)/documents"
    req = urllib.request.Request(url, method="DELETE")
    with urllib.request.urlopen(req, timeout=10):  # noqa: S310 - loopback emulator URL
        pass


def start_stack(settings: StackSettings | None = None, *, state_dir: Path | None = None) -> StackInfo:
    """Start the stack and wait until every part is ready.

    On any failure, everything already started is stopped before the error propagates.

    Returns:
        The running stack, also written to ``{state_dir}/state.json``.

    Raises:
        MissingEmulators: An emulator is not installed (the message says what to install).
        StartupFailed: A part died or was not ready in time (the message names its log).
    """
    s = settings or StackSettings()
    state_dir = state_dir or default_state_dir()
    if load_stack(state_dir) is not None:
        raise StartupFailed(f"a stack is already running from {state_dir}; stop it with `agentjobs dev down`")
    emulators = find_emulators()
    fake_gcs = find_fake_gcs_server()
    tasks_python: Path | None = None
    if s.with_tasks:
        try:
            tasks_python = ensure_tasks_emulator()
        except RuntimeError as e:
            raise MissingEmulators(str(e)) from e

    log_dir = state_dir / "logs"
    if log_dir.exists():
        shutil.rmtree(log_dir)
    started = time.monotonic()
    info = StackInfo(state_dir=state_dir, project=s.project, bucket=s.bucket)
    popens: dict[str, subprocess.Popen[bytes]] = {}

    def launch(name: str, argv: list[str], port: int, env: Mapping[str, str] | None = None) -> ManagedProcess:
        process, popen = start_process(name, argv, port=port, log_dir=log_dir, env=env, cwd=PROJECT_ROOT)
        info.processes.append(process)
        popens[name] = popen
        return process

    try:
        trace_ui = None
        if s.traces:  # first: it takes the longest to start (tens of seconds)
            from common.devstack.traces import start_trace_ui

            trace_ui, popens["traces"] = start_trace_ui(state_dir)
            info.processes.append(trace_ui.process)
        ports = {name: free_port() for name in ("pubsub", "firestore", "storage", "tasks", *s.functions)}
        pubsub = launch(
            "pubsub",
            [str(emulators.pubsub), "--host=127.0.0.1", f"--port={ports['pubsub']}"],
            ports["pubsub"],
        )
        firestore = launch(
            "firestore",
            [str(emulators.firestore), "start", "--host=127.0.0.1", f"--port={ports['firestore']}"],
            ports["firestore"],
        )
        waits: list[tuple[ManagedProcess, str]] = [
            (pubsub, f"http://127.0.0.1:{pubsub.port}/"),
            (firestore, f"http://127.0.0.1:{firestore.port}/"),
        ]
        if tasks_python is not None:
            tasks = launch(
                "tasks",
                [str(tasks_python), str(TASKS_EMULATOR_SERVER), f"--port={ports['tasks']}"],
                ports["tasks"],
            )
            info.endpoints["tasks"] = f"127.0.0.1:{tasks.port}"
        _wait_all(waits, popens)
        info.endpoints |= {"pubsub": f"127.0.0.1:{pubsub.port}", "firestore": f"127.0.0.1:{firestore.port}"}
        from common.adapters.gcs_signer import new_dev_signing_key
        from common.adapters.local_cipher import new_local_key

        info.env |= {
            "AGENTJOBS_LOCAL_SECRET_KEY": new_local_key(),
            "AGENTJOBS_DEV_SIGNING_KEY": new_dev_signing_key(),
            "AGENTJOBS_PROJECT": s.project,
            "GOOGLE_CLOUD_PROJECT": s.project,
            "AGENTJOBS_BUCKET": s.bucket,
            "AGENTJOBS_JOBS_TOPIC": JOBS_TOPIC,
            "PUBSUB_EMULATOR_HOST": info.endpoints["pubsub"],
            "FIRESTORE_EMULATOR_HOST": info.endpoints["firestore"],
            "STORAGE_EMULATOR_HOST": f"http://127.0.0.1:{ports['storage']}",
            "AGENTJOBS_DEV_ALLOW_LOOPBACK_CALLBACKS": "1",
        }
        if s.model:
            info.env["AGENTJOBS_MODEL"] = s.model
        with info.client_env():
            from common.adapters import provisioning

            for topic in TOPICS:
                provisioning.ensure_topic(s.project, topic)
            storage = launch(
                "storage",
                [
                    str(fake_gcs),
                    "-scheme=http",
                    "-host=127.0.0.1",
                    # Signed upload URLs name the emulator's own host: accept them there.
                    "-public-host=127.0.0.1",
                    f"-port={ports['storage']}",
                    "-backend=memory",
                    f"-event.pubsub-project-id={s.project}",
                    f"-event.pubsub-topic={GCS_NOTIFICATIONS_TOPIC}",
                    "-event.list=finalize",
                ],
                ports["storage"],
                env={"PUBSUB_EMULATOR_HOST": info.endpoints["pubsub"]},
            )
            wait_http(storage, popens["storage"], f"http://127.0.0.1:{storage.port}/storage/v1/b", timeout=30)
            info.endpoints["storage"] = f"http://127.0.0.1:{storage.port}"
            provisioning.ensure_bucket(s.project, s.bucket)

            if s.with_tasks:
                queue = f"projects/{s.project}/locations/local/queues/{LOCAL_CALLBACKS_QUEUE.name}"
                info.env |= {
                    "CLOUD_TASKS_EMULATOR_HOST": info.endpoints["tasks"],
                    "AGENTJOBS_CALLBACKS_QUEUE": queue,
                }
                wait_http_tasks(info, popens)
                provisioning.ensure_queue(queue, LOCAL_CALLBACKS_QUEUE, emulator_host=info.endpoints["tasks"])

            function_urls = {name: f"http://127.0.0.1:{ports[name]}" for name in s.functions}
            if "status" in function_urls:
                info.env["AGENTJOBS_PUBLIC_BASE_URL"] = function_urls["status"]
            if "notify" in function_urls:
                info.env["AGENTJOBS_NOTIFY_URL"] = function_urls["notify"] + "/"
            if trace_ui is not None:
                from common.devstack.traces import wait_trace_ui

                wait_trace_ui(trace_ui, popens["traces"])
                info.endpoints["traces"] = trace_ui.ui_url
                info.env |= trace_ui.function_env()
            function_env = {**info.env, **_LOCAL_SWEEP_ENV, **s.extra_env}
            function_waits: list[tuple[ManagedProcess, str]] = []
            for name in s.functions:
                process = launch(name, _function_argv(name, ports[name]), ports[name], env=function_env)
                function_waits.append((process, function_urls[name] + "/healthz"))
                info.endpoints[name] = function_urls[name]
            _wait_all(function_waits, popens, timeout=120, expect_ok=True)  # every function answers /healthz

            if "run_agent" in function_urls:
                for spec in SUBSCRIPTIONS:
                    provisioning.ensure_push_subscription(
                        s.project,
                        spec,
                        endpoint=function_urls["run_agent"] + spec.push_path,
                        with_retry_policy=False,
                    )
                if s.sweep_every_seconds > 0:
                    launch(
                        "ticker",
                        [
                            sys.executable,
                            "-m",
                            "common.devstack.ticker",
                            f"--project={s.project}",
                            f"--every={s.sweep_every_seconds}",
                        ],
                        0,
                        env=info.env,
                    )
    except BaseException:
        _stop(info.processes)
        raise
    info.startup_seconds = time.monotonic() - started
    state_dir.mkdir(parents=True, exist_ok=True)
    _write_state(state_dir, info)
    return info


def restart_function(
    info: StackInfo, name: str, *, extra_env: Mapping[str, str] | None = None, kill: bool = True
) -> ManagedProcess:
    """Stop one function's process (SIGKILL by default, as a crash) and start it again on its port.

    Args:
        info: The running stack.
        name: ``status``, ``run_agent``, ``submit`` or ``notify``.
        extra_env: The ``StackSettings.extra_env`` the stack was started with (not persisted,
            as it may hold keys).
        kill: SIGKILL at once (a crash) instead of SIGTERM with a grace period.

    Returns:
        The new process; ``info`` and its ``state.json`` are updated.

    Raises:
        StartupFailed: It did not answer ``/healthz`` in time.
    """
    old = next(p for p in info.processes if p.name == name)
    stop_process_group(old.pid, grace=0.0 if kill else 10.0)
    process, popen = start_process(
        name,
        _function_argv(name, old.port),
        port=old.port,
        log_dir=old.log_path.parent,
        env={**info.env, **_LOCAL_SWEEP_ENV, **(extra_env or {})},
        cwd=PROJECT_ROOT,
    )
    wait_http(process, popen, f"http://127.0.0.1:{old.port}/healthz", timeout=120, expect_ok=True)
    info.processes[info.processes.index(old)] = process
    _write_state(info.state_dir, info)
    return process


def _function_argv(name: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "functions_framework",
        f"--target={name}",
        f"--source={PROJECT_ROOT / 'functions' / name / 'main.py'}",
        "--host=127.0.0.1",
        f"--port={port}",
    ]


def wait_http_tasks(info: StackInfo, popens: Mapping[str, subprocess.Popen[bytes]], timeout: float = 120.0) -> None:
    """Wait for the Cloud Tasks emulator, a gRPC server: probe it with ListQueues.

    The first start may take a while: ``uvx`` builds the emulator's tool environment once.
    """
    from common.adapters.cloud_tasks import tasks_client

    process = next(p for p in info.processes if p.name == "tasks")
    client: Any = tasks_client(info.endpoints["tasks"])
    deadline = time.monotonic() + timeout
    while True:
        popen = popens.get("tasks")
        if popen is not None and popen.poll() is not None:
            raise StartupFailed(f"tasks exited with code {popen.returncode}; see {process.log_path}")
        try:
            client.list_queues(parent=f"projects/{info.project}/locations/local", timeout=2)
            return
        except Exception:
            if time.monotonic() > deadline:
                raise StartupFailed(f"tasks was not ready after {timeout:.0f} s; see {process.log_path}") from None
            time.sleep(0.2)


def _wait_all(
    waits: list[tuple[ManagedProcess, str]],
    popens: Mapping[str, subprocess.Popen[bytes]],
    timeout: float = 90.0,
    *,
    expect_ok: bool = False,
) -> None:
    with ThreadPoolExecutor(max_workers=max(1, len(waits))) as pool:
        futures = [
            pool.submit(wait_http, p, popens.get(p.name), url, timeout=timeout, expect_ok=expect_ok) for p, url in waits
        ]
        for future in futures:
            future.result()
