"""The module's interface: formatted, pinned, typed and validated variables, described outputs, an example.

Variable validation is checked with the real Terraform CLI: the module's variables.tf alone is a
root module that needs no provider, so ``terraform plan`` evaluates every validation rule offline.
"""

from __future__ import annotations

import json
import re
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest

from common.config import Settings
from tests.support.terraform import TERRAFORM_DIR, TerraformModule, parse_module, run_terraform

REQUIRED_OUTPUTS = {"submit_url", "status_url", "bucket", "topics"}


def test_terraform_is_formatted():
    result = run_terraform(TERRAFORM_DIR, "fmt", "-check", "-recursive", "-diff", "-no-color", check=False)
    assert result.returncode == 0, result.stdout


def test_providers_are_pinned_with_an_upper_bound(tf: TerraformModule):
    (block,) = tf.terraform
    assert re.fullmatch(r">= 1\.\d+\.\d+", block["required_version"])
    (providers,) = block["required_providers"]
    assert set(providers) == {"google", "archive"}
    for name, spec in providers.items():
        assert spec["source"] == f"hashicorp/{name}"
        assert re.fullmatch(r">= [\d.]+, < [\d.]+", spec["version"]), f"{name} needs a lower and an upper bound"


def test_every_variable_is_typed_described_and_every_number_validated(tf: TerraformModule):
    for name, variable in tf.variables.items():
        assert variable.get("type"), f"var.{name} has no type"
        assert len(variable.get("description", "")) > 20, f"var.{name} needs a description"
        if variable["type"] == "${number}" or name in {"project_id", "region", "instances"}:
            assert variable.get("validation"), f"var.{name} has no validation"


def test_every_output_is_described(tf: TerraformModule):
    assert set(tf.outputs) >= REQUIRED_OUTPUTS
    for name, output in tf.outputs.items():
        assert len(output.get("description", "")) > 10, f"output {name} needs a description"


def test_the_example_calls_the_module_and_passes_its_outputs_on():
    example = parse_module(TERRAFORM_DIR / "examples" / "basic")
    assert (TERRAFORM_DIR / "examples" / "basic" / "terraform.tfvars.example").is_file()
    main = (TERRAFORM_DIR / "examples" / "basic" / "main.tf").read_text()
    assert re.search(r'module "agentjobs" \{\s+source = "\.\./\.\."', main)
    assert "project_id" in example.variables and "default" not in example.variables["project_id"]
    assert set(example.outputs) >= REQUIRED_OUTPUTS


def test_run_agent_timeout_exceeds_the_lease_and_the_longest_run(tf: TerraformModule):
    timeout = tf.locals["run_agent_timeout_seconds"]
    assert timeout == 3600, "an HTTP-triggered 2nd-gen function may run 60 min"
    assert tf.locals["functions"]["run_agent"]["timeout_seconds"] == "${local.run_agent_timeout_seconds}"
    defaults = Settings.from_env({})
    for value in (
        defaults.lease_seconds,
        defaults.max_run_seconds,
        tf.variables["lease_seconds"]["default"],
        tf.variables["max_run_seconds"]["default"],
    ):
        assert value < timeout
    conditions = [
        p["condition"]
        for p in tf.resource("google_cloudfunctions2_function", "function")["lifecycle"][0]["precondition"]
    ]
    assert any("var.max_run_seconds < local.run_agent_timeout_seconds" in c for c in conditions)
    assert any("var.lease_seconds < local.run_agent_timeout_seconds" in c for c in conditions)


@pytest.fixture(scope="module")
def variables_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("tf-variables")
    shutil.copy(TERRAFORM_DIR / "variables.tf", workdir / "variables.tf")
    run_terraform(workdir, "init", "-input=false", "-no-color")
    return workdir


def _plan(workdir: Path, **variables: Any) -> tuple[int, str]:
    var_file = workdir / f"case-{uuid.uuid4().hex}.tfvars.json"
    var_file.write_text(json.dumps({"project_id": "agentjobs-test-1", **variables}))
    args = ("plan", "-input=false", "-no-color", "-lock=false", f"-var-file={var_file.name}")
    result = run_terraform(workdir, *args, check=False)
    return result.returncode, re.sub(r"\s+", " ", result.stdout + result.stderr)


def test_defaults_and_sensible_values_pass(variables_only: Path):
    assert _plan(variables_only)[0] == 0
    code, out = _plan(
        variables_only,
        region="us-central1",
        retention_days=1,
        instances={"run_agent": {"min": 1, "max": 5}},
        secret_versions={"SENTRY_DSN": "3", "OPENAI_API_KEY": "latest"},
        agent_models={"criteria-evaluator": "openai/gpt-4o"},
        firestore_location="eur3",
    )
    assert code == 0, out


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"retention_days": 0}, "retention_days must be a whole number of days from 1"),
        ({"retention_days": 1.5}, "retention_days must be a whole number of days from 1"),
        ({"region": "europe"}, "region must be a Google Cloud region"),
        ({"region": "europe-west1-b"}, "region must be a Google Cloud region"),
        ({"project_id": "Bad_Project"}, "project_id must be a Google Cloud project id"),
        ({"instances": {"submit": {"min": 3, "max": 2}}}, "0 <= min <= max"),
        ({"instances": {"run_agent": {"max": 0}}}, "0 <= min <= max"),
        ({"instances": {"notify": {"min": -1}}}, "0 <= min <= max"),
        ({"lease_seconds": 3600}, "below run_agent's timeout"),
        ({"max_run_seconds": 3599}, "max_run_seconds must be from 60 to 3300"),
        ({"secret_versions": {"AWS_SECRET": "1"}}, "secret_versions keys must be"),
        ({"secret_versions": {"SENTRY_DSN": "0"}}, "secret_versions keys must be"),
        ({"sentry_traces_sample_rate": 1.5}, "sentry_traces_sample_rate must be between 0 and 1"),
        ({"agent_models": {"Criteria Evaluator": "openai/gpt-4o"}}, "agent_models keys must be agent names"),
        ({"public_base_url": "http://api.example.com"}, "public_base_url must be an https URL"),
    ],
)
def test_bad_values_are_rejected_with_a_clear_message(variables_only: Path, variables: dict[str, Any], message: str):
    code, out = _plan(variables_only, **variables)
    assert code != 0 and message in out, out


def test_blobs_are_deleted_at_their_jobs_expiry_and_never_after_the_ceiling(tf: TerraformModule):
    rules = tf.resource("google_storage_bucket", "data")["lifecycle_rule"]
    deletes = [r["condition"][0] for r in rules if r["action"][0]["type"] == "Delete"]
    assert {"age": "${var.retention_days}"} in deletes
    assert {"days_since_custom_time": 0} in deletes  # run_agent sets customTime to the job's expires_at
