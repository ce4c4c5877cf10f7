"""Fuzz of the two push parsers, in process: they never raise, and what they return is bounded.

``parse_delivery`` (run_agent) must turn any bytes into exactly one typed message whose ids all
match the id grammar and whose reasons quote nothing the message supplied; ``parse_callback_task``
(notify) must either return a task with valid ids or raise ``malformed_task``.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from common.boundary.ids import MAX_UINT64, IdKind, is_valid_id
from common.boundary.json_input import check_storable
from common.boundary.text import printable_ascii, valid_label_key, valid_text
from common.errors import InvalidRequest
from common.messaging.deliveries import (
    DeadLettered,
    Delivery,
    Ignored,
    InvalidJobRequest,
    JobQueued,
    JobRequest,
    ObjectFinalized,
    Rejected,
    SweepTick,
)
from common.messaging.parse import parse_delivery
from common.services.notify import EVENTS, parse_callback_task
from tests.property.conftest import examples
from tests.property.strategies import CANARY, DELIVERIES, PATHS, RETRY_COUNTS, TASKS

pytestmark = pytest.mark.property

MAX_INPUT_BYTES = 256 * 1024


def event_id_ok(value: str) -> bool:
    return value == "" or is_valid_id(IdKind.EVENT, value)


def assert_bounded(delivery: Delivery, *, nested: bool = False) -> None:
    """Every id valid, every client string bounded, no reason quoting the message."""
    match delivery:
        case ObjectFinalized():
            assert is_valid_id(IdKind.EVENT, delivery.event_id) or delivery.event_id == ""
            assert delivery.bucket.isascii() and len(delivery.bucket) <= 222
            assert "\n" not in delivery.name and "\r" not in delivery.name
            assert len(delivery.name.encode("utf-8")) <= 1024
            assert 0 <= delivery.generation <= MAX_UINT64
            assert delivery.size is None or 0 <= delivery.size <= MAX_UINT64
            assert delivery.content_type is None or (
                delivery.content_type.isascii() and len(delivery.content_type) <= 256
            )
        case JobQueued():
            assert is_valid_id(IdKind.TENANT, delivery.tenant_id) and is_valid_id(IdKind.JOB, delivery.job_id)
            assert event_id_ok(delivery.event_id)
        case JobRequest():
            assert is_valid_id(IdKind.TENANT, delivery.tenant_id) and is_valid_id(IdKind.AGENT, delivery.agent)
            assert is_valid_id(IdKind.EVENT, delivery.message_id)
            check_storable(delivery.input)
            assert len(json.dumps(delivery.input, ensure_ascii=False).encode()) <= MAX_INPUT_BYTES
            assert delivery.idempotency_key is None or printable_ascii(delivery.idempotency_key, max_chars=255)
            assert all(valid_label_key(k) and valid_text(v, max_chars=512) for k, v in delivery.metadata.items())
            assert delivery.callback_url is None or valid_text(delivery.callback_url, max_chars=2048)
            assert delivery.model is None or valid_text(delivery.model, max_chars=200)
        case InvalidJobRequest():
            assert is_valid_id(IdKind.TENANT, delivery.tenant_id) and is_valid_id(IdKind.AGENT, delivery.agent)
            assert is_valid_id(IdKind.EVENT, delivery.message_id)
            assert delivery.idempotency_key is None or printable_ascii(delivery.idempotency_key, max_chars=255)
            assert_constant(delivery.code, delivery.reason)
        case Rejected():
            assert event_id_ok(delivery.event_id)
            assert delivery.tenant_id is None or is_valid_id(IdKind.TENANT, delivery.tenant_id)
            assert_constant(delivery.code, delivery.reason)
        case Ignored():
            assert event_id_ok(delivery.event_id)
            assert_constant("ignored", delivery.reason)
        case SweepTick():
            assert event_id_ok(delivery.event_id)
        case DeadLettered():
            assert not nested, "a dead-letter delivery wraps one plain delivery"
            assert event_id_ok(delivery.event_id)
            assert delivery.delivery_attempts is None or 0 <= delivery.delivery_attempts <= 10_000
            assert_bounded(delivery.original, nested=True)


def assert_constant(code: str, reason: str) -> None:
    assert CANARY not in code and CANARY not in reason
    assert code.isascii() and len(code) <= 64 and len(reason) <= 300
    reason.encode("utf-8")  # no lone surrogate from the message


@examples("parse_delivery")
@given(DELIVERIES, PATHS)
def test_parse_delivery_never_raises_and_bounds_every_id_and_reason(delivery, path):
    headers, body = delivery
    parsed = parse_delivery(headers, body, path=path, max_input_bytes=MAX_INPUT_BYTES)
    assert isinstance(parsed, Delivery)
    assert isinstance(parsed, DeadLettered) == (path.rstrip("/") == "/dead-letter")
    assert_bounded(parsed)


@examples("parse_bytes")
@given(st.dictionaries(st.text(max_size=20), st.text(max_size=200), max_size=6), st.binary(max_size=300))
def test_parse_delivery_accepts_any_headers_and_bytes(headers, body):
    assert_bounded(parse_delivery(headers, body))


@examples("parse_callback_task")
@given(TASKS, RETRY_COUNTS)
def test_parse_callback_task_returns_valid_ids_or_a_malformed_task_error(payload, retry_count):
    try:
        task = parse_callback_task(payload, retry_count=retry_count)
    except InvalidRequest as e:
        assert e.error_code == "malformed_task"
        assert CANARY not in e.message
        return
    assert is_valid_id(IdKind.TENANT, task.tenant_id) and is_valid_id(IdKind.JOB, task.job_id)
    assert task.event in EVENTS and 1 <= task.attempt <= 1_000_001
