"""Fixtures for the deployment checks: the parsed Terraform module and values Terraform computes.

Nothing here needs the Google provider, network or credentials: python-hcl2 parses the HCL, and
the Terraform CLI evaluates the locals that depend only on variables (see tests/support/terraform.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.terraform import TerraformModule, evaluate, parse_module

# Variables that switch every optional wire on: all secrets versioned, one per-agent model.
FULL_VARIABLES: dict[str, Any] = {
    "project_id": "agentjobs-test-1",
    "secret_versions": {
        "AGENTJOBS_MODEL_API_KEY": "1",
        "OPENAI_API_KEY": "latest",
        "SENTRY_DSN": "3",
        "LOGFIRE_TOKEN": "2",
        "OTEL_EXPORTER_OTLP_HEADERS": "1",
    },
    "agent_models": {"criteria-evaluator": "openai/gpt-4o"},
    "judge_models": {"criteria-evaluator": "openai/gpt-4o"},
    "judge_sample_rates": {"acme": 0.1},
}

_EVALUATED = (
    "callbacks_queue",
    "dead_letter_topic",
    "dead_lettered_subscriptions",
    "function_names",
    "function_prefix_env",
    "function_secrets",
    "function_source_files",
    "functions",
    "max_delivery_attempts",
    "prefix_env",
    "secret_env",
    "secret_readers",
    "shared_sources",
    "subscriptions",
    "sweep_schedule",
    "sweep_topic",
    "topics",
)


@pytest.fixture(scope="session")
def tf() -> TerraformModule:
    """The root module under terraform/, parsed."""
    return parse_module()


@pytest.fixture(scope="session")
def tf_values(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Values Terraform computes for :data:`FULL_VARIABLES`: the pure locals, and ``instances``."""
    expressions = {name: f"local.{name}" for name in _EVALUATED} | {"instances": "var.instances"}
    return evaluate(expressions, tmp_path_factory.mktemp("tf-eval"), FULL_VARIABLES)
