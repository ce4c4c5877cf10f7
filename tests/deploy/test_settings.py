"""Every setting of common/config.py that a deployment sets is set on exactly the functions that read it.

Driven by :func:`common.config.setting_infos`, so a new setting fails here until Terraform sets it:
plain settings as environment variables (``local.function_env``), secret ones as Secret Manager
secret environment variables (``local.secret_env``), prefix ones from a map variable
(``local.prefix_env``).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from common.config import ALL_FUNCTIONS, SettingInfo, Settings, setting_infos
from tests.deploy.conftest import FULL_VARIABLES
from tests.support.terraform import TerraformModule, evaluate

# Secret variables no Settings field reads: the provider SDK reads them itself (openai reads
# OPENAI_API_KEY when AGENTJOBS_MODEL_API_KEY is empty).
SDK_SECRETS: dict[str, tuple[str, ...]] = {"OPENAI_API_KEY": ("run_agent",)}

# Settings whose deployment default differs from the local stack's on purpose.
DEPLOYMENT_DEFAULTS = {"SENTRY_ENVIRONMENT": "production"}


def _deployed(function: str) -> list[SettingInfo]:
    return [i for i in setting_infos() if i.deployed and function in i.functions]


@pytest.mark.parametrize("function", ALL_FUNCTIONS)
def test_each_function_gets_exactly_the_plain_settings_it_reads(tf: TerraformModule, function: str):
    expected = {i.env for i in _deployed(function) if not i.secret and not i.prefix}
    declared = set(tf.locals["function_env"][function])
    assert declared == expected, (
        f"{function}: missing {sorted(expected - declared)}, unexpected {sorted(declared - expected)}"
    )


@pytest.mark.parametrize("function", ALL_FUNCTIONS)
def test_each_function_gets_exactly_the_secrets_it_reads(tf_values: dict[str, Any], function: str):
    expected = {i.env for i in _deployed(function) if i.secret}
    expected |= {env for env, readers in SDK_SECRETS.items() if function in readers}
    # With every secret versioned (FULL_VARIABLES), what Terraform exposes is what the function reads.
    assert set(tf_values["function_secrets"][function]) == expected
    assert tf_values["function_secrets"][function] == {
        env: FULL_VARIABLES["secret_versions"][env] for env in expected
    }, "each secret is exposed at the version chosen in secret_versions"


def test_secret_readers_and_grants_follow_the_settings(tf_values: dict[str, Any]):
    expected = {i.env: set(i.functions) for i in setting_infos() if i.deployed and i.secret}
    expected |= {env: set(readers) for env, readers in SDK_SECRETS.items()}
    assert {env: set(s["readers"]) for env, s in tf_values["secret_env"].items()} == expected
    granted = {(pair["env"], pair["function"]) for pair in tf_values["secret_readers"]}
    assert granted == {(env, fn) for env, readers in expected.items() for fn in readers}


def test_secret_versions_accepts_exactly_the_declared_secrets(tf: TerraformModule, tf_values: dict[str, Any]):
    (validation,) = tf.variables["secret_versions"]["validation"]
    listed = set(re.findall(r'"([A-Z][A-Z0-9_]+)"', validation["condition"]))
    assert listed == set(tf_values["secret_env"])


def test_unversioned_secrets_are_not_exposed(tmp_path):
    values = evaluate(
        {"secrets": "local.function_secrets"},
        tmp_path,
        {"project_id": "agentjobs-test-1", "secret_versions": {"SENTRY_DSN": "4"}},
    )
    assert values["secrets"] == {
        "submit": {"SENTRY_DSN": "4"},
        "status": {"SENTRY_DSN": "4"},
        "run_agent": {"SENTRY_DSN": "4"},
        "notify": {"SENTRY_DSN": "4"},
    }


@pytest.mark.parametrize("function", ALL_FUNCTIONS)
def test_prefix_settings_come_from_a_map_variable(tf_values: dict[str, Any], function: str):
    prefixes = {i.env for i in _deployed(function) if i.prefix}
    readers = {p: set(s["readers"]) for p, s in tf_values["prefix_env"].items()}
    assert readers == {i.env: set(i.functions) for i in setting_infos() if i.deployed and i.prefix}
    # agent_models = {criteria-evaluator = ...} becomes AGENTJOBS_MODEL__CRITERIA_EVALUATOR;
    # judge_sample_rates = {acme = 0.1} becomes AGENTJOBS_JUDGE_SAMPLE_RATE__ACME=0.1.
    examples = {"AGENTJOBS_JUDGE_SAMPLE_RATE__": ("ACME", "0.1")}
    expected = {
        p + examples.get(p, ("CRITERIA_EVALUATOR", "openai/gpt-4o"))[0]: examples.get(p, ("", "openai/gpt-4o"))[1]
        for p in prefixes
    }
    assert tf_values["function_prefix_env"][function] == expected


def test_the_functions_are_configured_from_that_wiring(tf: TerraformModule):
    function = tf.resource("google_cloudfunctions2_function", "function")
    (service,) = function["service_config"]
    assert service["environment_variables"] == (
        "${{for name, value in merge(local.function_env[each.key], local.function_prefix_env[each.key], "
        'local.server_env[each.key]) : name => value if value != ""}}'
    )
    # functions-framework's own setting: gunicorn threads match the request concurrency, so an
    # open event stream does not take one of only 4 threads.
    assert tf.locals["server_env"] == (
        "${{for name, fn in local.functions : name => {THREADS = tostring(fn.concurrency)}}}"
    )
    (dynamic,) = service["dynamic"]
    secrets = dynamic["secret_environment_variables"]
    assert secrets["for_each"] == "${local.function_secrets[each.key]}"
    assert secrets["content"] == [
        {
            "key": "${secret_environment_variables.key}",
            "project_id": "${var.project_id}",
            "secret": "${google_secret_manager_secret.secret[secret_environment_variables.key].secret_id}",
            "version": "${secret_environment_variables.value}",
        }
    ]
    grant = tf.resource("google_secret_manager_secret_iam_member", "reader")
    assert grant["for_each"] == '${{for pair in local.secret_readers : "${pair.env}/${pair.function}" => pair}}'


_VARIABLE = re.compile(r"\$\{(?:tostring\()?var\.([a-z0-9_]+)\)?\}")


def test_tuning_defaults_equal_the_settings_defaults(tf: TerraformModule):
    """A deployment behaves like the local stack unless a variable is set (drift guard)."""
    defaults = Settings.from_env({})
    infos = {i.env: i for i in setting_infos()}
    checked = 0
    for env in tf.locals["function_env"].values():
        for name, value in env.items():
            match = _VARIABLE.fullmatch(value)
            if match is None or name not in infos:
                continue
            variable = tf.variables[match[1]]
            if "default" not in variable:  # required, e.g. project_id
                continue
            expected = DEPLOYMENT_DEFAULTS.get(name, getattr(defaults, infos[name].field))
            default = variable["default"]
            if isinstance(expected, (int, float)) and not isinstance(expected, bool):
                assert float(default) == float(expected), f"var.{match[1]} ({name}): {default} != {expected}"
            else:
                assert default == expected, f"var.{match[1]} ({name}): {default!r} != {expected!r}"
            checked += 1
    assert checked >= 20
