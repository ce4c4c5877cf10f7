"""The trace UI launcher's command and settings (starting Phoenix takes ~1 min: checked by
``python -m common.devstack.traces``, not here)."""

from pathlib import Path

from common.devstack.processes import ManagedProcess
from common.devstack.traces import PHOENIX, TraceUI, phoenix_argv, phoenix_env


def test_phoenix_runs_pinned_in_its_own_tool_environment_on_loopback_without_phoning_home(tmp_path: Path):
    assert phoenix_argv("/usr/bin/uvx") == ["/usr/bin/uvx", "--quiet", "--from", PHOENIX, "phoenix", "serve"]
    assert "==" in PHOENIX
    env = phoenix_env(6006, 4317, tmp_path)
    assert env["PHOENIX_HOST"] == "127.0.0.1" and env["PHOENIX_WORKING_DIR"] == str(tmp_path)
    assert env["PHOENIX_TELEMETRY_ENABLED"] == "false" and env["PHOENIX_DISABLE_AGENT_ASSISTANT"] == "true"


def test_functions_send_traces_only_and_get_a_trace_link(tmp_path: Path):
    ui = TraceUI(
        ManagedProcess("traces", 1, 6006, tmp_path / "t.log"),
        "http://127.0.0.1:6006",
        "http://127.0.0.1:6006/v1/traces",
    )
    assert ui.function_env() == {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:6006/v1/traces"}
    assert ui.trace_link("ab" * 16) == f"http://127.0.0.1:6006/redirects/traces/{'ab' * 16}"
