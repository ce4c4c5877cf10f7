"""Import and set-up cost of the tracing SDKs we could ship, in fresh interpreters.

Answers issue 6's question "the ``logfire`` SDK, or the OpenTelemetry SDK with an OTLP exporter
pointed at Logfire?" with numbers. Each variant is timed in a fresh interpreter (start-up excluded),
``--samples`` times, interleaved, and reported as medians and modules loaded:

* ``floor``:         functions_framework + google.cloud.firestore; every variant includes it.
* ``otel_sdk``:      ``opentelemetry.sdk.trace`` imported bare (part of the issue's floor).
* ``otlp_http``:     the OpenTelemetry SDK + OTLP/HTTP span exporter, a TracerProvider with a
  batch processor built (what ``common.telemetry`` does with ``LOGFIRE_TOKEN`` or ``OTEL_*``).
* ``sentry``:        ``sentry_sdk`` imported and initialised the way ``common.telemetry`` does it.
* ``logfire``:       ``import logfire; logfire.configure(...)`` (needs an interpreter with logfire;
  ``logfire_floor`` is the floor in that interpreter).
* ``pydantic_model`` / ``pydantic_model_plugins_off``: defining one pydantic model in an
  interpreter where logfire is installed, with and without ``PYDANTIC_DISABLE_PLUGINS=__all__``:
  logfire registers a pydantic plugin entry point that pydantic loads on the first model.

The project does not install logfire (see :mod:`common.telemetry.traces` for why), so the logfire
variants need a throwaway environment::

    uv venv -p .venv/bin/python /tmp/lf && VIRTUAL_ENV=/tmp/lf uv pip install logfire \
        opentelemetry-exporter-otlp-proto-http sentry-sdk pydantic
    uv run python benchmarks/telemetry_sdks.py --logfire-python /tmp/lf/bin/python

Usage: ``uv run python benchmarks/telemetry_sdks.py [--samples 11] [--logfire-python PATH]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_TIMED = """
import json, sys, time
t0 = time.perf_counter()
{body}
print(json.dumps({{"seconds": time.perf_counter() - t0, "modules": len(sys.modules)}}))
"""

# Every variant is timed on top of the floor of status/notify (functions_framework + Firestore),
# which already loads protobuf, so the figures show what a function would add.
FLOOR = "import functions_framework, google.cloud.firestore\n"
VARIANTS = {
    "floor": "",
    "otel_sdk": "import opentelemetry.sdk.trace",
    "otlp_http": (
        "from opentelemetry.sdk.trace import TracerProvider\n"
        "from opentelemetry.sdk.trace.export import BatchSpanProcessor\n"
        "from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter\n"
        "p = TracerProvider()\n"
        "p.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint='http://127.0.0.1:1/v1/traces')))\n"
    ),
    "sentry": (
        "import sentry_sdk\n"
        "sentry_sdk.init(dsn='http://k@127.0.0.1:1/1', default_integrations=False,"
        " auto_enabling_integrations=False, integrations=[], traces_sample_rate=1.0)\n"
    ),
}
LOGFIRE_VARIANTS = {
    "logfire": (
        "import logfire\n"
        "logfire.configure(token='pylf_v1_us_00000000000000000000000000000000000000000000',"
        " send_to_logfire=True, console=False, inspect_arguments=False)\n"
    ),
    "logfire_floor": "",
    "pydantic_model": "import pydantic\nclass M(pydantic.BaseModel):\n    x: int\n",
    "pydantic_model_plugins_off": "import pydantic\nclass M(pydantic.BaseModel):\n    x: int\n",
}


def sample(python: str, body: str, env: dict[str, str] | None = None) -> dict[str, float]:
    out = subprocess.run(
        [python, "-c", _TIMED.format(body=FLOOR + body)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=11)
    parser.add_argument("--logfire-python", default="", help="an interpreter with logfire installed")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    plan: list[tuple[str, str, str, dict[str, str]]] = [(n, sys.executable, b, {}) for n, b in VARIANTS.items()]
    if args.logfire_python:
        for name, body in LOGFIRE_VARIANTS.items():
            env = {"PYDANTIC_DISABLE_PLUGINS": "__all__"} if name.endswith("plugins_off") else {}
            plan.append((name, args.logfire_python, body, env))
    for _, python, body, env in plan:  # warm the OS file cache and .pyc files; not counted
        sample(python, body, env)
    times: dict[str, list[float]] = {name: [] for name, *_ in plan}
    modules: dict[str, int] = {}
    for _ in range(args.samples):
        for name, python, body, env in plan:
            result = sample(python, body, env)
            times[name].append(result["seconds"])
            modules[name] = int(result["modules"])
    rows = [
        {"variant": name, "median_s": round(statistics.median(t), 4), "modules": modules[name], "samples": len(t)}
        for name, t in times.items()
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(f"{'variant':<30}{'median s':>10}{'modules':>9}")
        for row in rows:
            print(f"{row['variant']:<30}{row['median_s']:>10.3f}{row['modules']:>9}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
