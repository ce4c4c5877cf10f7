"""Provider SDKs load lazily: checked in fresh interpreters, as import state is per process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
OTHER_PROVIDER_SDKS = ("anthropic", "google.genai", "mlx", "mlx_lm", "xai_sdk")

PROBE = """
import json, sys, time
started = time.perf_counter()
import common.llm.mirascope_adapter as adapter
import common.agents.criteria_evaluator.agent
import_seconds = time.perf_counter() - started
after_import = sorted(m for m in ("mirascope", "openai") if m in sys.modules)

from pydantic import BaseModel
from tests.support.scripted_llm import Json, ScriptedLLM

class Out(BaseModel):
    ok: bool

with ScriptedLLM(lambda _: Json({"ok": True})) as server:
    model = adapter.MirascopeModel(base_url=server.base_url, api_key="k", timeout_seconds=10)
    started = time.perf_counter()
    assert model.generate(model=sys.argv[1], system="s", prompt="p", output=Out).output.ok
    first_call_seconds = time.perf_counter() - started
print(json.dumps({
    "after_import": after_import,
    "after_call": sorted(m for m in ("mirascope", "openai", "anthropic") if m in sys.modules),
    "modules": sorted(sys.modules),
    "import_seconds": import_seconds,
    "first_call_seconds": first_call_seconds,
}))
"""


def probe(model_id: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, model_id],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_the_adapter_or_the_agent_imports_no_model_sdk() -> None:
    result = probe("openai/gpt-4o-mini")
    assert result["after_import"] == []


def test_an_openai_model_imports_openai_and_no_other_provider_sdk() -> None:
    for model_id in ("openai/gpt-4o-mini", "ollama/llama3.1:8b"):
        result = probe(model_id)
        assert result["after_call"] == ["mirascope", "openai"]
        modules = set(result["modules"])  # type: ignore[arg-type]
        loaded = sorted(m for m in modules if any(m == sdk or m.startswith(sdk + ".") for sdk in OTHER_PROVIDER_SDKS))
        assert loaded == [], loaded
