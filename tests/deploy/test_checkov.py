"""checkov finds no failed check in terraform/, and every skip sits inline with its reason.

checkov runs from its own locked tool environment (tools/checkov, built by ``make setup``): it
pins many libraries, and its bc-python-hcl2 would shadow the python-hcl2 these tests use. It
scans the module through terraform/examples/basic, so module resources are reported as
``module.agentjobs.*``.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from common.devstack.stack import PROJECT_ROOT
from tests.support.terraform import TERRAFORM_DIR

CHECKOV = PROJECT_ROOT / "tools" / "checkov" / ".venv" / "bin" / "checkov"

# Every accepted skip: (check, resource) -> what the inline reason must say. A new skip fails here
# until it is reviewed and listed.
ACCEPTED_SKIPS = {
    ("CKV_GCP_62", "google_storage_bucket.data"): "object names",
    ("CKV_GCP_62", "google_storage_bucket.sources"): "source archives",
    ("CKV_GCP_78", "google_storage_bucket.data"): "Erasure",
    ("CKV_GCP_84", "google_artifact_registry_repository.functions"): "never tenant data",
    **{
        ("CKV_GCP_124", f'google_cloudfunctions2_function.function["{f}"]'): "ALLOW_INTERNAL_ONLY"
        for f in ("submit", "status", "run_agent", "notify")
    },
}


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    assert CHECKOV.exists(), (
        f"{CHECKOV} is missing: run `make tools` (make test runs it) to build checkov's tool environment"
    )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
    }
    result = subprocess.run(
        [
            str(CHECKOV),
            "--directory",
            str(TERRAFORM_DIR),
            "--framework",
            "terraform",
            "secrets",
            "--output",
            "json",
            "--skip-download",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr[-2000:]
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    terraform = [r for r in reports if r["check_type"] == "terraform"]
    assert len(terraform) == 1, [r.get("check_type") for r in reports]
    failed = [c for r in reports for c in r["results"].get("failed_checks", [])]
    return {"summary": terraform[0]["summary"], "results": terraform[0]["results"], "failed": failed}


def test_no_failed_checks(report: dict[str, Any]):
    failures = [f"{c['check_id']} {c['resource']} ({c['file_path']})" for c in report["failed"]]
    assert not failures, "\n".join(failures)
    summary = report["summary"]
    assert summary["parsing_errors"] == 0
    assert summary["passed"] >= 40, "checkov scanned far fewer resources than the module declares"


def test_every_skip_is_inline_reviewed_and_reasoned(report: dict[str, Any]):
    skipped = {
        (c["check_id"], c["resource"].removeprefix("module.agentjobs.")): c["check_result"].get("suppress_comment", "")
        for c in report["results"].get("skipped_checks", [])
    }
    assert set(skipped) == set(ACCEPTED_SKIPS)
    for key, reason in skipped.items():
        assert ACCEPTED_SKIPS[key] in reason and len(reason) > 40, f"{key}: weak reason {reason!r}"


def test_skips_live_in_the_code_not_in_a_config_file():
    assert not list(TERRAFORM_DIR.rglob(".checkov.y*ml"))
    assert not (PROJECT_ROOT / ".checkov.yaml").exists() and not (PROJECT_ROOT / ".checkov.yml").exists()
    inline = sum(p.read_text().count("checkov:skip=") for p in Path(TERRAFORM_DIR).rglob("*.tf"))
    # One annotation per resource block; a for_each block's annotation covers all its instances.
    assert inline == len({(check, resource.split("[")[0]) for check, resource in ACCEPTED_SKIPS})
