"""The id grammar and bounded JSON: example cases and properties (Hypothesis)."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.boundary.ids import IdKind, InvalidId, event_ref, is_valid_id, parse_uint, require_id
from common.boundary.json_input import check_storable, loads_bounded
from common.boundary.text import scrub_unencodable
from common.errors import InvalidRequest, PayloadTooLarge
from common.jobs.ids import gcs_job_id, new_job_id, request_job_id

FORBIDDEN_SEGMENTS = ("", ".", "..", "__x__", "a/b", "A", "a b", "a\nb", "é" * 4, "x" * 41)


@pytest.mark.parametrize("value", FORBIDDEN_SEGMENTS)
def test_tenant_ids_that_could_escape_a_path_are_invalid(value):
    assert not is_valid_id(IdKind.TENANT, value)
    with pytest.raises(InvalidId) as info:
        require_id(IdKind.TENANT, value, field="tenant_id")
    assert info.value.error_code == "invalid_tenant_id"
    assert info.value.message == "malformed tenant id in tenant_id"  # the value is never echoed


def test_derived_job_ids_match_the_grammar():
    for job_id in (new_job_id(), gcs_job_id("b", "n", 1), request_job_id("acme", "a", "k")):
        assert is_valid_id(IdKind.JOB, job_id)


@given(st.text(max_size=60))
def test_any_valid_id_is_a_safe_path_segment(value):
    for kind in IdKind:
        if is_valid_id(kind, value):
            assert value.isascii() and "/" not in value and value not in (".", "..") and "\n" not in value
            assert not (value.startswith("__") and value.endswith("__"))


@given(st.one_of(st.text(max_size=300), st.integers(), st.none(), st.binary(max_size=20)))
def test_event_refs_are_always_valid_ids_or_empty(raw):
    ref = event_ref(raw)
    assert ref == "" or is_valid_id(IdKind.EVENT, ref)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12", 12), (12, 12), ("²", None), ("٣", None), ("-1", None), ("1e3", None), ("9" * 19, None), (True, None)],
)
def test_parse_uint_accepts_only_ascii_digits_in_range(raw, expected):
    assert parse_uint(raw) == expected


@given(st.text(max_size=25))
def test_parse_uint_never_raises(raw):
    value = parse_uint(raw)
    assert value is None or 0 <= value <= 2**63 - 1


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=20,
)


@settings(max_examples=200)
@given(JSON)
def test_loads_bounded_either_parses_storable_json_or_raises_a_client_error(value):
    text = json.dumps(value)
    try:
        parsed = loads_bounded(text.encode(), max_bytes=10_000)
    except (InvalidRequest, PayloadTooLarge) as e:
        assert e.http_status in (400, 413)
        return
    check_storable(parsed)
    assert parsed == json.loads(text)


@settings(max_examples=300)
@given(st.binary(max_size=200))
def test_loads_bounded_never_raises_anything_else_on_arbitrary_bytes(data):
    with contextlib.suppress(InvalidRequest, PayloadTooLarge):
        loads_bounded(data, max_bytes=100)


def test_nesting_is_bounded_below_firestores_limit():
    ok = '{"a":' * 16 + "1" + "}" * 16
    with pytest.raises(InvalidRequest) as info:
        loads_bounded(ok.replace('{"a":', '{"a":{"b":', 1) + "}", max_bytes=10_000)
    assert info.value.error_code == "json_too_deep"
    assert loads_bounded('{"a":' * 15 + "1" + "}" * 15, max_bytes=10_000)


@given(st.text(max_size=40))
def test_scrubbed_text_always_encodes(text):
    scrubbed = scrub_unencodable({"k": [text, "\ud800" + text]})
    json.dumps(scrubbed, ensure_ascii=False).encode("utf-8")
