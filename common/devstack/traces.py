"""A local trace UI for the stack: Arize Phoenix, receiving OTLP, in its own tool environment.

Phoenix (PyPI ``arize-phoenix``, pinned in :data:`PHOENIX`) runs through ``uvx`` like the
Cloud Tasks emulator: its ~140 dependencies (pandas, pyarrow, sqlalchemy, provider SDKs...) stay
out of the project environment. It serves the UI and an OTLP/HTTP receiver on one port
(``/v1/traces``; it has no metrics endpoint, so functions get
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` and send no metrics) and stores traces in SQLite under the
stack's state directory.

Measured here (2 cores, PyPI only): the first ``uvx`` run builds the tool environment in ~36 s
(143 packages, one-off, cached by uv); start-up to a ready UI takes ~40-50 s (database
migrations on first start). Phoenix's own telemetry, its agent assistant and that assistant's
web, bash and GitHub tools are switched off, as they would reach the internet.

Phase B wires this into ``agentjobs dev up --traces``: start it with :func:`start_trace_ui`
beside the emulators, wait with :func:`wait_trace_ui`, put :meth:`TraceUI.function_env` into the
functions' environment and print :attr:`TraceUI.ui_url`. ``python -m common.devstack.traces``
starts it, sends one trace through :mod:`common.telemetry`, finds it through Phoenix's REST API,
and stops it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from common.devstack.processes import ManagedProcess, StartupFailed, free_port, start_process, wait_http
from common.devstack.sdk import MissingEmulators

__all__ = [
    "PHOENIX",
    "TraceUI",
    "phoenix_argv",
    "phoenix_env",
    "start_trace_ui",
    "trace_spans",
    "wait_trace_ui",
]

PHOENIX = "arize-phoenix==20.26.1"
PROJECT = "default"


@dataclass(frozen=True, slots=True)
class TraceUI:
    """A running trace UI.

    Attributes:
        process: The process record (stop it with ``stop_process_group(process.pid)``).
        ui_url: Where a developer opens it, e.g. ``http://127.0.0.1:6006``.
        traces_url: Its OTLP/HTTP traces endpoint, ``{ui_url}/v1/traces``.
    """

    process: ManagedProcess
    ui_url: str
    traces_url: str

    def function_env(self) -> dict[str, str]:
        """Environment that points a function's telemetry at this UI (traces only)."""
        return {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": self.traces_url}

    def trace_link(self, trace_id: str) -> str:
        """A link that opens the trace in the UI (Phoenix's ``/redirects/traces/{otel trace id}`` route)."""
        return f"{self.ui_url}/redirects/traces/{trace_id}"


def phoenix_argv(uvx: str) -> list[str]:
    """The command that runs Phoenix's server from its own tool environment."""
    return [uvx, "--quiet", "--from", PHOENIX, "phoenix", "serve"]


def phoenix_env(port: int, grpc_port: int, working_dir: Path) -> dict[str, str]:
    """Phoenix's settings: loopback only, given ports, SQLite in ``working_dir``, nothing phoning home."""
    return {
        "PHOENIX_HOST": "127.0.0.1",
        "PHOENIX_PORT": str(port),
        "PHOENIX_GRPC_PORT": str(grpc_port),
        "PHOENIX_WORKING_DIR": str(working_dir),
        "PHOENIX_TELEMETRY_ENABLED": "false",
        "PHOENIX_DISABLE_AGENT_ASSISTANT": "true",
        "PHOENIX_AGENTS_DISABLE_WEB_ACCESS": "true",
        "PHOENIX_AGENTS_DISABLE_BASH": "true",
        "PHOENIX_AGENTS_DISABLE_GITHUB": "true",
        "PHOENIX_LOG_SQL": "false",
    }


def start_trace_ui(state_dir: Path) -> tuple[TraceUI, subprocess.Popen[bytes]]:
    """Start Phoenix (not yet ready: call :func:`wait_trace_ui`), logging to ``state_dir/logs/traces.log``.

    Raises:
        MissingEmulators: ``uvx`` is not installed.
    """
    uvx = shutil.which("uvx")
    if uvx is None:
        raise MissingEmulators("The trace UI (Arize Phoenix) runs through `uvx`; install uv with `pip install uv`.")
    port, grpc_port = free_port(), free_port()
    working_dir = state_dir / "phoenix"
    working_dir.mkdir(parents=True, exist_ok=True)
    process, popen = start_process(
        "traces",
        phoenix_argv(uvx),
        port=port,
        log_dir=state_dir / "logs",
        env=phoenix_env(port, grpc_port, working_dir),
    )
    ui = f"http://127.0.0.1:{port}"
    return TraceUI(process=process, ui_url=ui, traces_url=f"{ui}/v1/traces"), popen


def wait_trace_ui(ui: TraceUI, popen: subprocess.Popen[bytes] | None, *, timeout: float = 240.0) -> float:
    """Wait until the UI answers; the first run may build the tool environment.

    Returns:
        Seconds waited.

    Raises:
        StartupFailed: Phoenix exited or was not ready within ``timeout`` s (the message names its log).
    """
    return wait_http(ui.process, popen, f"{ui.ui_url}/healthz", timeout=timeout)


def trace_spans(ui: TraceUI, trace_id: str, *, project: str = PROJECT, limit: int = 100) -> list[dict[str, Any]]:
    """Spans of ``trace_id`` that Phoenix has stored, through its REST API (``GET /v1/projects/{p}/spans``)."""
    query = urllib.parse.urlencode({"limit": limit})
    url = f"{ui.ui_url}/v1/projects/{project}/spans?{query}"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback URL we built
            body = cast(dict[str, Any], json.loads(response.read()))
    except urllib.error.HTTPError:
        return []
    spans = cast(list[dict[str, Any]], body.get("data") or [])
    return [s for s in spans if cast(dict[str, Any], s.get("context") or {}).get("trace_id") == trace_id]


def _check() -> int:  # pragma: no cover - a manual, minutes-long check
    import tempfile

    from common.devstack.processes import stop_process_group
    from common.telemetry import TelemetryConfig, init, shutdown
    from common.telemetry.config import OtlpDestination

    with tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        ui, popen = start_trace_ui(Path(tmp))
        try:
            waited = wait_trace_ui(ui, popen)
            print(f"phoenix ready after {waited:.1f} s at {ui.ui_url}")
            destination = OtlpDestination(ui.traces_url, "", {}, "otlp")
            telemetry = init("cli", config=TelemetryConfig(service="cli", otlp=destination))
            with telemetry.delivery("submit") as delivery, telemetry.stage("store"):
                pass
            shutdown()
            spans: list[dict[str, Any]] = []
            for _ in range(50):
                spans = trace_spans(ui, delivery.trace_id)
                if len(spans) >= 2:
                    break
                time.sleep(0.2)
            print(f"trace {delivery.trace_id}: {sorted(str(s.get('name')) for s in spans)}")
            print(f"total {time.monotonic() - started:.1f} s")
            return 0 if len(spans) >= 2 else 1
        except StartupFailed as e:
            print(e)
            print(ui.process.log_path.read_text()[-3000:])
            return 1
        finally:
            stop_process_group(ui.process.pid)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(_check())
