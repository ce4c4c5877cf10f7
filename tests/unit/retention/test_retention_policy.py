"""Retention arithmetic, and that every place that creates a job gives it an expiry."""

import ast
from datetime import UTC, datetime, timedelta

import pytest

from common.devstack.stack import PROJECT_ROOT
from common.errors import UnprocessableEntity
from common.retention import policy

T0 = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)


def test_expiry_is_creation_plus_whole_days():
    assert policy.expiry(T0, 30) == datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    assert policy.expiry(T0, 1) - T0 == timedelta(days=1)


@pytest.mark.parametrize(("tenant", "deployment", "expected"), [(None, 30, 30), (7, 30, 7), (90, 30, 30), (30, 30, 30)])
def test_the_deployment_retention_is_the_default_and_the_ceiling(tenant, deployment, expected):
    assert policy.effective_days(tenant, deployment) == expected


@pytest.mark.parametrize("days", [0, -1, 3651, True])
def test_retention_outside_1_to_3650_days_is_refused(days):
    with pytest.raises(UnprocessableEntity) as info:
        policy.validate_days(days)
    assert info.value.error_code == "invalid_retention"


def test_expired_at_and_after_the_expiry_only():
    assert not policy.expired(None, T0)
    assert not policy.expired(T0 + timedelta(seconds=1), T0)
    assert policy.expired(T0, T0)
    assert policy.expired(T0 - timedelta(days=1), T0)


def test_every_job_the_code_creates_gets_an_expiry():
    """Each call of lifecycle.new_job in common/ passes expires_at (submit, and each intake path)."""
    calls = []
    for path in sorted((PROJECT_ROOT / "common").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and ast.unparse(node.func) in ("lifecycle.new_job", "new_job"):
                calls.append((path.relative_to(PROJECT_ROOT).as_posix(), node))
    sites = {path for path, _ in calls}
    assert {"common/services/submit.py", "common/services/intake.py"} <= sites
    missing = [f"{path}:{node.lineno}" for path, node in calls if "expires_at" not in {k.arg for k in node.keywords}]
    assert not missing, f"jobs created without an expiry at {missing}"
