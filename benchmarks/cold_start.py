"""Cold start of each function, as a ratio against the floor of the Google libraries it needs.

Each sample is a fresh interpreter that loads ``functions/{name}/main.py`` the way
functions-framework does (import + module-level init: settings, clients, services) and reports
the seconds that took. Interpreter start-up itself is excluded from both sides. Beside each
function, the same run measures its floor, the bare imports it cannot avoid:

* status, notify:  functions_framework + google.cloud.firestore
* submit:          functions_framework + google.cloud.firestore + google.cloud.pubsub_v1
* run_agent:       functions_framework + google.cloud.firestore + google.cloud.storage

Submit loads pydantic and the agent's input model on its first submit request, not at start-up;
the row "+ first submit's agent" times start-up plus that load (reported, no budget).

Samples are interleaved (floor, function, floor, function, ...) so machine noise hits both
alike; the medians' ratio is what the budget is about.

With ``--telemetry`` it also measures each function with Sentry and OTLP configured
(``SENTRY_DSN`` and ``OTEL_EXPORTER_OTLP_ENDPOINT`` pointing at 127.0.0.1): the function's
module load, which initialises telemetry itself (``common.telemetry.init(name)`` at module
level, once per cold start). Its floor adds ``sentry_sdk`` and the OpenTelemetry SDK (``opentelemetry.sdk.trace``)
imported bare, in the same run; budget 1.3x for every function. It also lists the pydantic plugin
entry points installed (logfire registers one that loads ~280 modules on the first model
definition; budget: none installed). It also reports which LLM provider SDKs
each function has imported after start-up (budget: none, with or without a model configured),
and which ones building the provider of a first ``openai/...`` job pulls in (budget: mirascope
and openai only). Exit status 1 when a budget is broken.

Usage: ``uv run python benchmarks/cold_start.py [--samples 9] [--json]``.
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
PROVIDER_MODULES = (
    "mirascope",
    "openai",
    "anthropic",
    "google.genai",
    "mistralai",
    "groq",
    "cohere",
    "boto3",
    "ollama",
)
FLOORS = {
    "status": ["functions_framework", "google.cloud.firestore"],
    "notify": ["functions_framework", "google.cloud.firestore"],
    "submit": ["functions_framework", "google.cloud.firestore", "google.cloud.pubsub_v1"],
    "run_agent": ["functions_framework", "google.cloud.firestore", "google.cloud.storage"],
}
BUDGETS = {"status": 1.3, "submit": 1.3}
TELEMETRY_FLOOR = ["sentry_sdk", "opentelemetry.sdk.trace"]
TELEMETRY_BUDGET = 1.3
TELEMETRY_ENV = {
    "SENTRY_DSN": "http://0123456789abcdef@127.0.0.1:9/1",
    "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9",
}

_LOAD_FUNCTION = """
import importlib.util, json, sys, time
t0 = time.perf_counter()
spec = importlib.util.spec_from_file_location("main", {source!r})
module = importlib.util.module_from_spec(spec)
sys.modules["main"] = module
spec.loader.exec_module(module)
{timed_then}
elapsed = time.perf_counter() - t0
{then}
providers = sorted(m for m in {providers!r} if m in sys.modules)
sys.stdout.write(json.dumps({{"seconds": elapsed, "providers": providers}}) + "\\n")
"""

_LOAD_FLOOR = """
import importlib, json, time
t0 = time.perf_counter()
for name in {modules!r}:
    importlib.import_module(name)
print(json.dumps({{"seconds": time.perf_counter() - t0, "providers": []}}))
"""

# Clients are lazy; pointing them at emulator hosts keeps init free of credential lookups.
_ENV = {
    "FIRESTORE_EMULATOR_HOST": "127.0.0.1:1",
    "PUBSUB_EMULATOR_HOST": "127.0.0.1:1",
    "STORAGE_EMULATOR_HOST": "http://127.0.0.1:1",
    "AGENTJOBS_PROJECT": "bench",
    # As deployed; notify builds its KMS client on the first callback, not at start-up.
    "AGENTJOBS_KMS_KEY": "projects/bench/locations/l/keyRings/r/cryptoKeys/k",
}


def sample(code: str, extra_env: dict[str, str] | None = None) -> dict[str, object]:
    env = {**os.environ, **_ENV, **(extra_env or {})}
    env.pop("AGENTJOBS_MODEL", None) if extra_env is None or "AGENTJOBS_MODEL" not in extra_env else None
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    # Telemetry's start-up log lines share stdout; the result is the last line with "seconds".
    return next(json.loads(line) for line in reversed(out.stdout.strip().splitlines()) if '"seconds"' in line)


def measure(
    name: str,
    samples: int,
    extra_env: dict[str, str] | None = None,
    then: str = "",
    *,
    floor_extra: list[str] | None = None,
    timed_then: str = "",
) -> dict[str, object]:
    source = str(ROOT / "functions" / name / "main.py")
    function_code = _LOAD_FUNCTION.format(source=source, providers=PROVIDER_MODULES, then=then, timed_then=timed_then)
    floor_modules = FLOORS[name] + (floor_extra or [])
    floor_code = _LOAD_FLOOR.format(modules=floor_modules)
    sample(function_code, extra_env)  # warm the OS file cache once; not counted
    function_times: list[float] = []
    floor_times: list[float] = []
    providers: set[str] = set()
    for _ in range(samples):
        floor_times.append(float(sample(floor_code)["seconds"]))  # type: ignore[arg-type]
        result = sample(function_code, extra_env)
        function_times.append(float(result["seconds"]))  # type: ignore[arg-type]
        providers |= set(result["providers"])  # type: ignore[arg-type]
    function_median = statistics.median(function_times)
    floor_median = statistics.median(floor_times)
    return {
        "function": name,
        "floor_modules": floor_modules,
        "function_median_s": round(function_median, 4),
        "floor_median_s": round(floor_median, 4),
        "ratio": round(function_median / floor_median, 3),
        "budget": BUDGETS.get(name),
        "llm_modules_imported": sorted(providers),
        "samples": samples,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=9)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--telemetry", action="store_true", help="also measure with Sentry and OTLP configured")
    parser.add_argument("--only-telemetry", action="store_true", help="measure only the telemetry rows")
    args = parser.parse_args()
    if args.only_telemetry:
        rows = telemetry_rows(args.samples)
        return report(rows, args.json)
    rows = [measure(name, args.samples) for name in ("status", "submit", "run_agent", "notify")]
    # Submit defers pydantic and the agent's input model to the first submit request: show what
    # that first request adds (no budget; what a cold instance's first job pays in total).
    first_submit = "from common.agents.registry import load_agent\nload_agent('protocol-processor')"
    first = measure("submit", args.samples, timed_then=first_submit)
    rows.append({**first, "function": "  + first submit's agent", "budget": None})
    openai_env = {"AGENTJOBS_MODEL": "openai/gpt-4o-mini"}
    rows.append({**measure("run_agent", args.samples, openai_env), "function": "run_agent (openai model)"})
    # After start-up, build the provider the first openai job would use (no network) and list
    # which provider SDKs that pulled in: only mirascope and openai may appear.
    build_provider = (
        "from common.llm.mirascope_adapter import MirascopeModel\n"
        "MirascopeModel(base_url='http://127.0.0.1:1/v1', api_key='bench')._provider('openai/gpt-4o-mini')"
    )
    first_job = measure("run_agent", 1, openai_env, then=build_provider)
    rows.append({**first_job, "function": "  + first openai job", "ratio": None, "floor_median_s": None})
    if args.telemetry:
        rows += telemetry_rows(args.samples)
    return report(rows, args.json)


def telemetry_rows(samples: int) -> list[dict[str, object]]:
    """Each function's load (telemetry initialised by it) with Sentry and OTLP configured, vs floor + SDKs."""
    rows: list[dict[str, object]] = []
    for name in ("status", "submit", "run_agent", "notify"):
        row = measure(name, samples, TELEMETRY_ENV, floor_extra=TELEMETRY_FLOOR)
        rows.append({**row, "function": f"{name} (sentry+otlp)", "budget": TELEMETRY_BUDGET})
    from importlib.metadata import entry_points

    plugins = sorted(ep.value for ep in entry_points(group="pydantic"))
    rows.append(
        {
            "function": "pydantic plugins installed",
            "function_median_s": float(len(plugins)),
            "floor_median_s": None,
            "ratio": None,
            "budget": None,
            "llm_modules_imported": plugins,
            "samples": 0,
        }
    )
    return rows


def report(rows: list[dict[str, object]], as_json: bool) -> int:
    if as_json:
        print(json.dumps(rows, indent=2))
    else:
        print(f"{'function':<26}{'median s':>10}{'floor s':>10}{'ratio':>8}{'budget':>8}  LLM modules at start-up")
        for row in rows:
            budget = f"{row['budget']:.2f}" if row["budget"] else "-"
            floor = f"{row['floor_median_s']:>10.3f}" if row["floor_median_s"] is not None else f"{'-':>10}"
            ratio = f"{row['ratio']:>8.3f}" if row["ratio"] is not None else f"{'-':>8}"
            modules = ", ".join(row["llm_modules_imported"]) or "none"  # type: ignore[arg-type]
            print(f"{row['function']:<26}{row['function_median_s']:>10.3f}{floor}{ratio}{budget:>8}  {modules}")
    over = [r for r in rows if r["budget"] and float(r["ratio"]) > float(r["budget"])]  # type: ignore[arg-type]
    allowed = {"  + first openai job": {"mirascope", "openai"}, "pydantic plugins installed": set()}
    leaked = [r for r in rows if set(r["llm_modules_imported"]) - allowed.get(str(r["function"]), set())]  # type: ignore[arg-type]
    return 1 if over or leaked else 0


if __name__ == "__main__":
    raise SystemExit(main())
