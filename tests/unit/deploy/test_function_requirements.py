"""Each function deploys alone: its requirements.txt must cover what its entry point imports."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from common.devstack.stack import PROJECT_ROOT

# Import name prefix -> distribution that provides it.
DISTRIBUTIONS = {
    "functions_framework": "functions-framework",
    "flask": "functions-framework",
    "google.cloud.firestore": "google-cloud-firestore",
    "google.cloud.pubsub": "google-cloud-pubsub",
    "google.cloud.storage": "google-cloud-storage",
    "google.cloud.tasks": "google-cloud-tasks",
    "google.cloud.kms": "google-cloud-kms",
    "pydantic": "pydantic",
    "pypdfium2": "pypdfium2",
    "standardwebhooks": "standardwebhooks",
    "mirascope": "mirascope",
    "typer": "typer",
    "rich": "typer",
    "httpx": "httpx",
    "sentry_sdk": "sentry-sdk",
    "opentelemetry.sdk": "opentelemetry-sdk",
    "opentelemetry.exporter.otlp.proto.http": "opentelemetry-exporter-otlp-proto-http",
    "genai_prices": "genai-prices",
    "rapidfuzz": "rapidfuzz",
    "pydantic_evals": "pydantic-evals",
}
TELEMETRY = {"sentry-sdk", "opentelemetry-sdk", "opentelemetry-exporter-otlp-proto-http"}
TELEMETRY_ENV = {
    "SENTRY_DSN": "http://0123456789abcdef@127.0.0.1:9/1",
    "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9",
}

_PROBE = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("main", sys.argv[1])
module = importlib.util.module_from_spec(spec)
sys.modules["main"] = module
spec.loader.exec_module(module)
if len(sys.argv) > 2:
    exec(sys.argv[2])
sys.stdout.write(json.dumps(sorted(sys.modules)) + "\\n")  # one write: telemetry threads log too
"""


def imported_at_start(function: str, then: str = "", extra_env: dict[str, str] | None = None) -> set[str]:
    env = (extra_env or {}) | {
        # As deployed: notify refuses to start without a key for webhook secrets.
        "AGENTJOBS_KMS_KEY": "projects/p/locations/l/keyRings/r/cryptoKeys/k",
        "FIRESTORE_EMULATOR_HOST": "127.0.0.1:1",
        "PUBSUB_EMULATOR_HOST": "127.0.0.1:1",
        "STORAGE_EMULATOR_HOST": "http://127.0.0.1:1",
    }
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            _PROBE,
            str(PROJECT_ROOT / "functions" / function / "main.py"),
            *([then] if then else []),
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**env, "PATH": "/usr/bin:/bin"},
        cwd=PROJECT_ROOT,
    )
    # Telemetry's start-up log lines (JSON objects) share stdout with the module list (a JSON list).
    return set(next(json.loads(line) for line in reversed(out.stdout.splitlines()) if line.startswith("[")))


def required(function: str) -> set[str]:
    lines = (PROJECT_ROOT / "functions" / function / "requirements.txt").read_text().splitlines()
    names = set()
    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        if line:
            names.add(line.split("[", 1)[0].split(">", 1)[0].split("=", 1)[0].split("<", 1)[0].strip())
    return names


@pytest.mark.parametrize("function", ["status", "submit", "run_agent", "notify"])
def test_requirements_cover_cold_start_imports(function: str):
    modules = imported_at_start(function)
    needed = {
        dist
        for prefix, dist in DISTRIBUTIONS.items()
        if any(m == prefix or m.startswith(prefix + ".") for m in modules)
    }
    assert needed <= required(function), f"{function} imports {needed - required(function)} but does not require it"


@pytest.mark.parametrize("function", ["status", "submit", "run_agent", "notify"])
def test_functions_never_import_the_cli_or_dev_tooling(function: str):
    modules = imported_at_start(function)
    assert not {m for m in modules if m.startswith(("common.cli", "common.devstack", "common.mcp", "typer", "rich"))}
    assert not {m for m in modules if m.split(".")[0] in {"fastmcp", "mcp", "mcp_types"}}  # ~2.6 s to import


def test_status_imports_no_llm_code_even_when_serving_openapi():
    serve_openapi = "from common.api.openapi import openapi_document; openapi_document()"
    modules = imported_at_start("status", serve_openapi)
    assert "common.api.openapi" in modules
    # The pure model port (common.llm.port) may load with the agents' schemas; no SDK or adapter may.
    sdk = ("mirascope", "openai", "anthropic", "google.genai", "common.llm.mirascope_adapter")
    assert not {m for m in modules if m.startswith(sdk)}


def test_run_agent_without_a_model_imports_no_llm_sdk_even_after_running_jobs(shared_data):
    pdf = shared_data / "protocols" / "CDISC_Pilot_Study.pdf"
    run_offline = (
        "from common.agents.registry import load_agent\n"
        "from common.agents.protocol_processor.rules import extract_summary\n"
        "load_agent('criteria-evaluator'); load_agent('protocol-processor')\n"
        f"assert extract_summary(open({str(pdf)!r}, 'rb').read()).inclusion_criteria\n"
    )
    modules = imported_at_start("run_agent", run_offline)
    assert "common.agents.protocol_processor.rules" in modules
    assert "pypdfium2" in modules  # the job ran on PDFium
    assert not {m for m in modules if m.startswith(("mirascope", "openai", "anthropic", "google.genai"))}


def test_run_agent_cold_start_imports_no_pdf_library():
    # PDFium (and its ctypes bindings) load when a protocol job runs, never at cold start.
    modules = imported_at_start(
        "run_agent", "from common.agents.registry import load_agent\nload_agent('protocol-processor')"
    )
    assert not {m for m in modules if m.startswith(("pypdfium2", "pypdf", "pdfplumber", "pdfminer"))}


@pytest.mark.parametrize("function", ["status", "submit", "run_agent", "notify"])
def test_every_function_requires_the_telemetry_sdks(function: str):
    assert required(function) >= TELEMETRY


def test_requirements_cover_telemetry_with_sentry_and_otlp_configured():
    modules = imported_at_start(
        "run_agent", "import common.telemetry; common.telemetry.init('run_agent')", TELEMETRY_ENV
    )
    assert "sentry_sdk" in modules and "opentelemetry.sdk.trace" in modules and "logfire" not in modules
    needed = {
        dist
        for prefix, dist in DISTRIBUTIONS.items()
        if any(m == prefix or m.startswith(prefix + ".") for m in modules)
    }
    assert needed <= required("run_agent")


def test_notify_loads_no_key_service_or_cipher_at_cold_start():
    # Cloud KMS (and the local AES-GCM cipher) load on the first callback's decryption only.
    modules = imported_at_start("notify")
    assert "common.services.webhook_secrets" in modules
    assert not {m for m in modules if m.startswith(("google.cloud.kms", "common.adapters.kms_cipher"))}
    # (google-auth loads parts of cryptography itself; the AEAD cipher module is ours to load.)
    assert not {
        m
        for m in modules
        if m.startswith(("common.adapters.local_cipher", "cryptography.hazmat.primitives.ciphers.aead"))
    }


def test_notify_requires_the_kms_client_it_loads_on_first_use():
    # What KmsSecretCipher's first decryption imports (building the client needs credentials).
    first_decrypt = "import common.adapters.kms_cipher\nfrom google.cloud import kms"
    modules = imported_at_start("notify", first_decrypt)
    assert "google.cloud.kms" in modules
    assert "google-cloud-kms" in required("notify")
