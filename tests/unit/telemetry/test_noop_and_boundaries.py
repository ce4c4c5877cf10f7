"""With nothing configured the facade loads no SDK; only common/telemetry may import one."""

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SDKS = ("sentry_sdk", "opentelemetry", "logfire")

_PROBE = """
import json, sys
import common.telemetry as telemetry
from common.config import Settings
t = telemetry.init("run_agent", Settings.from_env({}))
with t.delivery("run_agent", carrier={"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}):
    t.tag(telemetry.JobTags(job_id="job_a", attempt=1))
    with t.stage("download"):
        pass
    t.record_stage("extract_text", 0.1)
    with t.model_call(provider="openai", request_model="gpt-4o-mini"):
        pass
    carrier = t.inject({})
    t.record_job(agent="a", status="success", duration_s=1.0)
    t.report(ValueError("x"), final_attempt=True)
print(json.dumps({"carrier": carrier, "sdks": sorted(m for m in sys.modules if m.split(".")[0] in SDKS)}))
""".replace("SDKS", repr(SDKS))


def test_nothing_configured_is_a_noop_that_imports_no_sdk_but_keeps_the_trace():
    out = subprocess.run(
        [sys.executable, "-c", _PROBE],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin"},
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["sdks"] == []
    # The incoming trace continues through an uninstrumented hop (new span id, same trace id).
    assert result["carrier"]["traceparent"].startswith("00-0af7651916cd43dd8448eb211c80319c-")
    assert "b7ad6b7169203331" not in result["carrier"]["traceparent"]


def test_only_common_telemetry_imports_telemetry_sdks():
    offenders = []
    for base in ("common", "functions"):
        for path in (ROOT / base).rglob("*.py"):
            if path.is_relative_to(ROOT / "common" / "telemetry"):
                continue
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                names: list[str] = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names = [node.module]
                offenders += [
                    f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)} {n}"
                    for n in names
                    if n.split(".")[0] in SDKS
                ]
    assert offenders == []


def test_no_pydantic_plugin_is_installed_and_logfire_is_not():
    # logfire registers a pydantic plugin that loads ~280 modules on the first model definition
    # (+0.7 s, benchmarks/telemetry_sdks.py); we export to Logfire over plain OTLP instead.
    import importlib.util
    from importlib.metadata import entry_points

    assert [ep.value for ep in entry_points(group="pydantic")] == []
    assert importlib.util.find_spec("logfire") is None
