"""Fuzz of the real ``run_agent`` and ``notify`` apps against the emulators.

Properties, for every generated delivery or task:

* nothing escapes the error mapping: the answer is a 2xx ack (nothing generated here can succeed
  by being redelivered);
* nothing is acked without a record: a ``rejected`` answer names a failed job of a tenant or left
  a rejection record (written during this request, with the answer's code); ``ran`` and
  ``already_finished`` name a job that is terminal; only well-formed deliveries that ask for
  nothing are ``ignored``;
* no client string that is not content (:data:`CANARY`) and no content (:data:`CONTENT`) appears
  in an answer or a log line.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from google.cloud.firestore_v1.base_query import FieldFilter
from hypothesis import event, given

from common.config import Settings
from common.messaging.deliveries import DeadLettered, Ignored, ObjectFinalized, SweepTick
from common.messaging.parse import parse_delivery
from tests.property.conftest import Functions, examples
from tests.property.strategies import CANARY, CONTENT, DELIVERIES, PATHS, RETRY_COUNTS, TASK_NAMES, TASKS, TENANTS

pytestmark = pytest.mark.property

TERMINAL = {"success", "failed"}


def rejections_since(functions: Functions, since: datetime) -> list[dict[str, Any]]:
    query = functions.firestore.collection("rejections").where(filter=FieldFilter("received_at", ">=", since))
    return [s.to_dict() for s in query.stream()]


def find_job(functions: Functions, job_id: str):
    for tenant_id in TENANTS:
        job = functions.directory.jobs(tenant_id).get(job_id)
        if job is not None:
            return job
    return None


def assert_no_canary(text: str, *, where: str) -> None:
    assert CANARY not in text, f"a client string that is not content reached {where}"
    assert CONTENT not in text, f"content reached {where}"


@pytest.fixture(scope="module")
def max_input_bytes() -> int:
    return Settings.from_env().max_request_bytes


@examples("run_agent", capture=True)
@given(delivery=DELIVERIES, path=PATHS)
def test_run_agent_acks_every_delivery_with_a_record(functions, max_input_bytes, capsys, delivery, path):
    headers, body = delivery
    capsys.readouterr()
    since = datetime.now(UTC)
    response = functions.client("run_agent").post(path, data=body, headers=headers)
    logs = capsys.readouterr()
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()
    assert_no_canary(response.get_data(as_text=True), where="the answer")
    assert_no_canary(logs.out + logs.err, where="the logs")

    parsed = parse_delivery(headers, body, path=path, max_input_bytes=max_input_bytes)
    outcome, job_id = answer["outcome"], answer.get("job_id")
    event(f"{type(parsed).__name__} -> {outcome} {answer.get('status') or ''} {answer.get('code') or ''}".strip())
    if outcome == "rejected":
        if job_id is not None:
            job = find_job(functions, job_id)
            assert job is not None and job.status.value in TERMINAL, (answer, job)
        else:
            records = rejections_since(functions, since)
            assert any(r["code"] == answer["code"] for r in records), (answer, records)
            for record in records:
                assert_no_canary(repr(record), where="a rejection record")
    elif outcome in ("ran", "already_finished"):
        job = find_job(functions, job_id)
        assert job is not None and job.status.value in TERMINAL, (answer, job)
    elif outcome == "ignored":
        assert isinstance(parsed, (Ignored, ObjectFinalized)), (answer, parsed)
    elif outcome == "swept":
        assert isinstance(parsed, SweepTick), (answer, parsed)
    else:
        pytest.fail(f"unexpected outcome {answer}")
    if isinstance(parsed, DeadLettered):
        assert outcome == "rejected", answer


@examples("notify", capture=True)
@given(payload=TASKS, retry_count=RETRY_COUNTS, task_name=TASK_NAMES)
def test_notify_acks_every_task_that_can_never_be_delivered_with_a_record(
    functions, capsys, payload, retry_count, task_name
):
    headers = {} if retry_count is None else {"X-CloudTasks-TaskRetryCount": retry_count}
    if task_name is not None:
        headers["X-CloudTasks-TaskName"] = task_name
    capsys.readouterr()
    since = datetime.now(UTC)
    body = json.dumps(payload).encode()
    response = functions.client("notify").post("/", data=body, headers=headers, content_type="application/json")
    logs = capsys.readouterr()
    assert response.status_code == 200, response.get_data(as_text=True)
    assert_no_canary(response.get_data(as_text=True), where="the answer")
    assert_no_canary(logs.out + logs.err, where="the logs")
    answer = response.get_json()
    event(f"{answer['outcome']} {answer.get('code') or ''}".strip())
    if answer["outcome"] == "rejected":
        records = rejections_since(functions, since)
        assert any(r["code"] == answer["code"] for r in records), (answer, records)
