"""Every identity holds exactly the roles it needs, on exactly the resources it needs them on.

Grants are read from every ``*_iam_member`` resource; authoritative ``*_iam_binding`` and
``*_iam_policy`` resources are not allowed (they would strip grants made outside this module).
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from common import topology
from common.config import ALL_FUNCTIONS, setting_infos
from tests.deploy.test_settings import SDK_SECRETS
from tests.support.terraform import TerraformModule, expression

Grant = tuple[str, tuple[str, ...]]  # (role, target)

PROJECT = ("project",)
JOBS_TOPIC = ("topic", topology.JOBS_TOPIC)
EVENTS_TOPIC = ("topic", topology.JOB_EVENTS_TOPIC)
DATA_BUCKET = ("bucket", "data")

EXPECTED: dict[str, set[Grant]] = {
    # Creates jobs and publishes them; signs upload URLs as itself through IAM signBlob (Token
    # Creator on its own account), which act as it: writes and deletes uploads.
    "submit": {
        ("roles/datastore.user", PROJECT),
        ("roles/pubsub.publisher", JOBS_TOPIC),
        ("roles/pubsub.publisher", EVENTS_TOPIC),
        ("roles/iam.serviceAccountTokenCreator", ("service_account", "submit")),
        ("roles/storage.objectUser", DATA_BUCKET),
    },
    "run_agent": {
        ("roles/datastore.user", PROJECT),
        ("roles/storage.objectAdmin", DATA_BUCKET),
        ("roles/cloudtasks.enqueuer", ("queue", "callbacks")),
        ("roles/iam.serviceAccountUser", ("service_account", "tasks_invoker")),
        ("roles/pubsub.publisher", JOBS_TOPIC),
        ("roles/pubsub.publisher", EVENTS_TOPIC),
    },
    "notify": {
        ("roles/datastore.user", PROJECT),
        ("roles/cloudkms.cryptoKeyDecrypter", ("kms_key", "webhook_secrets")),
        ("roles/pubsub.publisher", EVENTS_TOPIC),
    },
    # Reads jobs and offloaded results; DELETE /v1/jobs/{id} writes the tombstone, deletes the
    # job's idempotency keys and its objects; POST /v1/jobs/{id}:retry publishes the job again;
    # POST /v1/jobs/{id}:cancel on a pending job enqueues its job.cancelled callback.
    "status": {
        ("roles/datastore.user", PROJECT),
        ("roles/storage.objectAdmin", DATA_BUCKET),
        ("roles/pubsub.publisher", JOBS_TOPIC),
        ("roles/cloudtasks.enqueuer", ("queue", "callbacks")),
        ("roles/iam.serviceAccountUser", ("service_account", "tasks_invoker")),
        ("roles/pubsub.publisher", EVENTS_TOPIC),
    },
    "push_invoker": {("roles/run.invoker", ("function", "run_agent"))},
    "tasks_invoker": {("roles/run.invoker", ("function", "notify"))},
    "allUsers": {("roles/run.invoker", ("function", "submit")), ("roles/run.invoker", ("function", "status"))},
    "builder": {
        ("roles/logging.logWriter", PROJECT),
        ("roles/artifactregistry.writer", ("repository", "functions")),
        ("roles/storage.objectViewer", ("bucket", "sources")),
    },
    "pubsub_service_agent": {
        ("roles/pubsub.publisher", ("topic", topology.DEAD_LETTER_TOPIC)),
        *(("roles/pubsub.subscriber", ("subscription", s.name)) for s in topology.SUBSCRIPTIONS if s.dead_letter),
        ("roles/iam.serviceAccountTokenCreator", ("service_account", "push_invoker")),
        ("roles/cloudkms.cryptoKeyEncrypterDecrypter", ("kms_key", "messages")),
    },
    "gcs_service_agent": {("roles/pubsub.publisher", ("topic", topology.GCS_NOTIFICATIONS_TOPIC))},
    "admin_members": {("roles/cloudkms.cryptoKeyEncrypterDecrypter", ("kms_key", "webhook_secrets"))},
}


def _expected_with_secrets() -> dict[str, set[Grant]]:
    expected = {k: set(v) for k, v in EXPECTED.items()}
    readers = {i.env: i.functions for i in setting_infos() if i.deployed and i.secret} | SDK_SECRETS
    for env, functions in readers.items():
        for function in functions:
            expected[function].add(("roles/secretmanager.secretAccessor", ("secret", env)))
    return expected


def _each_keys(body: dict[str, Any], tf_values: dict[str, Any]) -> list[Any]:
    """The instances of a resource: its for_each keys (or values, for pairs), or [None]."""
    if "for_each" not in body:
        return [None]
    text = expression(body["for_each"])
    if text.startswith("toset(["):
        return re.findall(r'"([^"]+)"', text)
    if text == "local.dead_lettered_subscriptions":
        return list(tf_values["dead_lettered_subscriptions"])
    if text == "toset(var.admin_members)":
        return ["var.admin_members"]  # whoever is listed: one principal here
    if text.startswith("{for pair in local.secret_readers"):
        return list(tf_values["secret_readers"])
    raise AssertionError(f"no rule to expand for_each = {text}")


def _resolve(text: str, each: Any, tf_values: dict[str, Any]) -> str:
    """Substitute each.key / each.value.<field> / local.<name> inside an index expression."""
    text = text.replace("[each.key]", f'["{each}"]')
    text = re.sub(r"\[each\.value\.(\w+)\]", lambda m: f'["{each[m[1]]}"]', text)
    return re.sub(r"\[local\.(\w+)\]", lambda m: f'["{tf_values[m[1]]}"]', text)


_PRINCIPALS = {
    r'google_service_account\.function\["(\w+)"\]\.member': None,  # the function's own name
    r"google_service_account\.(push_invoker|tasks_invoker|builder)\.member": None,
    r"local\.pubsub_service_agent": "pubsub_service_agent",
    r"serviceAccount:\$\{data\.google_storage_project_service_account\.gcs\.email_address\}": "gcs_service_agent",
    r"var\.admin_members": "admin_members",
}

_TARGETS = {
    "google_project_iam_member": (r"^", lambda m: PROJECT),
    "google_pubsub_topic_iam_member": (r'google_pubsub_topic\.topic\["([\w-]+)"\]', lambda m: ("topic", m[1])),
    "google_pubsub_subscription_iam_member": (
        r'google_pubsub_subscription\.to_run_agent\["([\w-]+)"\]',
        lambda m: ("subscription", m[1]),
    ),
    "google_storage_bucket_iam_member": (r"google_storage_bucket\.(\w+)\.name", lambda m: ("bucket", m[1])),
    "google_cloud_tasks_queue_iam_member": (r"google_cloud_tasks_queue\.(\w+)\.name", lambda m: ("queue", m[1])),
    "google_service_account_iam_member": (
        r'google_service_account\.(\w+)(?:\["(\w+)"\])?\.name',
        lambda m: ("service_account", m[2] or m[1]),
    ),
    "google_kms_crypto_key_iam_member": (r"google_kms_crypto_key\.(\w+)\.id", lambda m: ("kms_key", m[1])),
    "google_secret_manager_secret_iam_member": (
        r'google_secret_manager_secret\.secret\["(\w+)"\]',
        lambda m: ("secret", m[1]),
    ),
    "google_cloud_run_v2_service_iam_member": (
        r'google_cloudfunctions2_function\.function\["(\w+)"\]\.service_config\[0\]\.service',
        lambda m: ("function", m[1]),
    ),
    "google_artifact_registry_repository_iam_member": (
        r"google_artifact_registry_repository\.(\w+)\.name",
        lambda m: ("repository", m[1]),
    ),
}
_TARGET_ATTRIBUTE = {
    "google_project_iam_member": "project",
    "google_pubsub_topic_iam_member": "topic",
    "google_pubsub_subscription_iam_member": "subscription",
    "google_storage_bucket_iam_member": "bucket",
    "google_cloud_tasks_queue_iam_member": "name",
    "google_service_account_iam_member": "service_account_id",
    "google_kms_crypto_key_iam_member": "crypto_key_id",
    "google_secret_manager_secret_iam_member": "secret_id",
    "google_cloud_run_v2_service_iam_member": "name",
    "google_artifact_registry_repository_iam_member": "repository",
}


def _grants(tf: TerraformModule, tf_values: dict[str, Any]) -> dict[str, set[Grant]]:
    grants: dict[str, set[Grant]] = defaultdict(set)
    for (type_, name), body in tf.resources.items():
        if not type_.endswith("_iam_member"):
            continue
        assert type_ in _TARGETS, f"{type_}.{name}: a grant on a kind of resource this test does not know"
        pattern, target_of = _TARGETS[type_]
        for each in _each_keys(body, tf_values):
            if isinstance(each, dict):  # a secret_readers pair
                target_text = f'google_secret_manager_secret.secret["{each["env"]}"].secret_id'
                member_text = f'${{google_service_account.function["{each["function"]}"].member}}'
            else:
                target_text = _resolve(str(body[_TARGET_ATTRIBUTE[type_]]), each, tf_values)
                member = str(body["member"])
                member_text = each if member == "${each.key}" else _resolve(member, each, tf_values)
            target_match = re.search(pattern, target_text)
            assert target_match, f"{type_}.{name}: cannot read the target of {target_text}"
            grants[_principal(member_text, f"{type_}.{name}")].add((body["role"], target_of(target_match)))
    return dict(grants)


def _principal(member: str, where: str) -> str:
    if member == "allUsers":
        return "allUsers"
    text = member[2:-1] if member.startswith("${") and member.endswith("}") and "${" not in member[2:] else member
    for pattern, fixed in _PRINCIPALS.items():
        match = re.fullmatch(pattern, text)
        if match:
            return fixed or match[1]
    raise AssertionError(f"{where}: unknown member {member}")


def test_every_identity_has_exactly_its_roles(tf: TerraformModule, tf_values: dict[str, Any]):
    assert _grants(tf, tf_values) == _expected_with_secrets()


def test_no_authoritative_iam(tf: TerraformModule):
    authoritative = [f"{t}.{n}" for t, n in tf.resources if t.endswith(("_iam_binding", "_iam_policy"))]
    assert not authoritative


def test_each_function_runs_as_its_own_service_account(tf: TerraformModule, tf_values: dict[str, Any]):
    function = tf.resource("google_cloudfunctions2_function", "function")
    assert (
        function["service_config"][0]["service_account_email"] == "${google_service_account.function[each.key].email}"
    )
    accounts = tf.resource("google_service_account", "function")
    assert accounts["for_each"] == "${local.function_names}"
    assert set(tf_values["function_names"]) == set(ALL_FUNCTIONS)
    assert set(tf_values["functions"]) == set(ALL_FUNCTIONS)


def test_only_the_api_takes_internet_traffic(tf: TerraformModule, tf_values: dict[str, Any]):
    ingress = {name: spec["ingress"] for name, spec in tf_values["functions"].items()}
    assert ingress == {
        "submit": "ALLOW_ALL",
        "status": "ALLOW_ALL",
        "run_agent": "ALLOW_INTERNAL_ONLY",
        "notify": "ALLOW_INTERNAL_ONLY",
    }
    function = tf.resource("google_cloudfunctions2_function", "function")
    assert function["service_config"][0]["ingress_settings"] == "${each.value.ingress}"


def test_callback_tasks_carry_the_tasks_invoker_token(tf: TerraformModule):
    env = tf.locals["function_env"]["run_agent"]
    assert env["AGENTJOBS_TASKS_SERVICE_ACCOUNT"] == "${google_service_account.tasks_invoker.email}"
