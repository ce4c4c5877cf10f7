"""Hypothesis strategies for hostile deliveries, tasks and values.

Each field is mostly well-formed and sometimes hostile (:func:`mostly`), so that generation gets
past the envelope into the services (jobs created, run and failed) while every field still meets
near misses (unicode digits, ``/`` in ids, reserved Firestore names) and garbage (lone
surrogates, control characters, deep nesting, 65-bit integers, oversize fields).

Two markers check what leaves the process:

* :data:`CANARY` rides in client strings that are not content (ids, event types, agent names,
  field names), always in a form no id grammar accepts: it must never be stored, logged or echoed;
* :data:`CONTENT` rides in content (file names, input values, labels): it may be stored in the
  tenant's job, and must never be logged or echoed.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from hypothesis import strategies as st

from common.jobs.ids import gcs_job_id, new_job_id

CANARY = "Zq7canary"
CONTENT = "Qx4content"
TENANTS = ("fuzz-a", "fuzz-b")
AGENTS = ("protocol-processor", "criteria-evaluator")
BUCKET = "agentjobs-dev"
JOB_ID = gcs_job_id(BUCKET, "tenants/fuzz-a/inbox/protocol-processor/x.pdf", 1)
"""A finished job of ``fuzz-a`` (created by the ``functions`` fixture), so valid tasks reach delivery."""


def mostly(
    valid: st.SearchStrategy[Any], hostile: st.SearchStrategy[Any], *, tenths: int = 7
) -> st.SearchStrategy[Any]:
    """``valid`` in ``tenths``/10 of draws, else ``hostile`` (shrinks towards ``valid``)."""
    return st.integers(0, 9).flatmap(lambda i: valid if i < tenths else hostile)


# -- leaves -----------------------------------------------------------------------------------

NASTY_TEXT = st.sampled_from(
    [
        "",
        " ",
        "²",
        "٣",
        "①",
        "𝟗",
        "9" * 30,
        "-1",
        "1e400",
        "0x10",
        "\ud800",
        "a\udfffb",
        "\x00",
        "a\x00b",
        "line\nbreak",
        "\r\n",
        "\x1b[31m",
        "\u202e",
        "\ufeff",
        "a/b",
        "../x",
        ".",
        "..",
        "__x__",
        "__name__",
        "%2F",
        "a\\b",
        f"A/jobs/{JOB_ID}",
        f"fuzz-a/jobs/{JOB_ID}",
        "fuzz-a/../fuzz-b",
        "tenants/fuzz-a",
        "FUZZ-A",
        "fuzz-a ",
        "x" * 300,
        "x" * 5000,
        "<script>",
        "${jndi:x}",
        "é" * 10,
        "https://[",
        "https://a]b/x",
        "https://a:99999/x",
        "https://u:p@example.com/x",
        "https://" + "é" * 70 + ".com/x",
        "https://a\x00b/x",
        "http://127.0.0.1:9/x",
    ]
)
"""Strings that broke (or could break) a parser, a path, a URL check or a log line."""

TEXT = st.one_of(NASTY_TEXT, st.text(max_size=30), st.text(alphabet=st.characters(codec="utf-8"), max_size=8))
CANARY_TEXT = st.builds(
    lambda sep, tail: f"{CANARY}{sep}{tail}",
    st.sampled_from(["/", " ", "\n", "\x00", "é", "\ud800", "/jobs/"]),
    st.text(max_size=6),
)
"""Invalid ids (no grammar accepts them) that carry the canary."""
CONTENT_TEXT = mostly(st.builds(lambda s: f"{CONTENT} {s}", st.text(max_size=20)), TEXT, tenths=5)
"""Content: document names, input values, labels."""
HOSTILE_IDS = st.one_of(
    NASTY_TEXT, CANARY_TEXT, st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_/.", min_size=1, max_size=50)
)
MESSAGE_IDS = mostly(st.integers(1, 10**12).map(str), st.one_of(HOSTILE_IDS, st.integers(), st.none()))
NUMBERS = st.one_of(
    st.integers(min_value=-(2**64), max_value=2**64),
    st.sampled_from([10**30, -(10**30), 2**63, 2**63 - 1, 0, -1]),
    st.floats(allow_nan=False),
)
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, TEXT)


def json_values(max_leaves: int = 8) -> st.SearchStrategy[Any]:
    """JSON-like values with hostile keys and leaves (no NaN: ``json.dumps`` would emit it)."""
    keys = st.one_of(TEXT, st.sampled_from(["", "__name__", "__x__", "x" * 2000]))
    return st.recursive(
        SCALARS,
        lambda children: st.lists(children, max_size=3) | st.dictionaries(keys, children, max_size=3),
        max_leaves=max_leaves,
    )


def dumps(value: Any) -> bytes:
    """JSON bytes as a hostile client would send them: surrogates escaped, infinities allowed."""
    return json.dumps(value, allow_nan=True).encode()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


DEEP = st.sampled_from(
    [
        b"[" * 100_000,
        b'{"a":' * 50_000,
        b"[" * 30 + b"]" * 30,
        b'{"a":' * 30 + b"1" + b"}" * 30,
        b"1" + b"0" * 5000,
        b"-" + b"9" * 400,
        b"1e400",
        b"NaN",
        b'"\\ud800"',
        b"\xff\xfe",
        b"",
    ]
)
"""Bodies that break naive parsers: deep nesting, huge numbers, non-JSON constants, bad UTF-8."""

UNSTORABLE = st.sampled_from(
    [
        json.loads('{"a":' * 25 + "1" + "}" * 25),
        json.loads("[" * 25 + "]" * 25),
        {"big": 10**30},
        {"": "x"},
        {"__name__": 1},
        {"k": "\ud800"},
        {"x" * 2000: 1},
        {"x": "y" * 300_000},
        {"inf": float("inf")},
    ]
)
"""Decoded values that are valid JSON but cannot be stored."""

# -- payloads ---------------------------------------------------------------------------------

# Object names are content (file names): they may be stored in the tenant's job, never logged.
TENANT_SEGMENTS = mostly(
    st.sampled_from([*TENANTS, "ghost-tenant"]),
    st.one_of(NASTY_TEXT, st.sampled_from([f"{CONTENT}/", f"{CONTENT}\x00", f"{CONTENT} x"])),
)
OBJECT_NAMES = mostly(
    st.builds(
        lambda tenant, agent, name: f"tenants/{tenant}/inbox/{agent}/{name}",
        TENANT_SEGMENTS,
        mostly(st.sampled_from(AGENTS), st.one_of(NASTY_TEXT, st.just("summariser"))),
        mostly(st.builds(lambda s: f"{CONTENT}{s}.pdf", st.text(max_size=10)), TEXT),
    ),
    st.one_of(
        st.sampled_from(["tenants/fuzz-a/results/x.json", "tenants/fuzz-a/inbox/p.pdf", "other/x", "tenants/"]),
        TEXT,
    ),
    tenths=8,
)
GENERATIONS = mostly(
    st.integers(min_value=1, max_value=2**63 - 1).map(str),
    st.one_of(st.integers(min_value=-(2**70), max_value=2**70), NASTY_TEXT, st.none()),
)
BUCKETS = mostly(st.just(BUCKET), st.one_of(st.just("other-bucket"), NASTY_TEXT), tenths=8)


REAL_DROPS: list[tuple[str, str]] = []
"""``(object name, generation)`` of protocols in ``fuzz-a``'s inbox, uploaded by the ``functions``
fixture, so that some events run a job to ``success`` (and their redeliveries find it finished)."""


@st.composite
def gcs_resources(draw: st.DrawFn) -> dict[str, Any]:
    """A GCS object resource (JSON API v1), perhaps with hostile fields."""
    resource: dict[str, Any] = {"bucket": draw(BUCKETS), "name": draw(OBJECT_NAMES), "generation": draw(GENERATIONS)}
    if REAL_DROPS and draw(st.integers(0, 5)) == 0:
        resource["name"], resource["generation"] = draw(st.sampled_from(REAL_DROPS))
    if draw(st.booleans()):
        resource["size"] = draw(mostly(st.integers(0, 10**9).map(str), st.one_of(NUMBERS, NASTY_TEXT)))
    if draw(st.booleans()):
        resource["contentType"] = draw(mostly(st.just("application/pdf"), TEXT))
    if draw(st.integers(0, 4)) == 0:
        resource[draw(TEXT)] = draw(json_values(4))
    return resource


CRITERIA_INPUT = st.fixed_dictionaries(
    {
        "criteria": mostly(
            st.builds(lambda c: f"Inclusion Criteria:\n- {c}\nExclusion Criteria:\n- none", CONTENT_TEXT), TEXT
        ),
        "patient_profile": mostly(st.lists(CONTENT_TEXT, min_size=1, max_size=3), json_values(3)),
    }
)
PROTOCOL_INPUT = st.fixed_dictionaries(
    {"file_uri": mostly(OBJECT_NAMES.map(lambda n: f"gs://{BUCKET}/{n}"), TEXT)},
    optional={"generation": NUMBERS},
)
AGENT_INPUT = mostly(st.one_of(CRITERIA_INPUT, PROTOCOL_INPUT), st.one_of(UNSTORABLE, json_values()))


@st.composite
def upstream_requests(draw: st.DrawFn) -> dict[str, Any]:
    """An upstream job request body ``{agent, input, ...}`` with hostile fields."""
    request: dict[str, Any] = {
        "agent": draw(mostly(st.sampled_from([*AGENTS, "summariser"]), st.one_of(CANARY_TEXT, NASTY_TEXT, NUMBERS))),
        "input": draw(AGENT_INPUT),
    }
    optional = {
        "callback_url": mostly(
            st.sampled_from(["https://example.com/hook", "http://127.0.0.1:9/x", "http://10.0.0.8/x"]),
            st.one_of(TEXT, NUMBERS),
        ),
        "idempotency_key": mostly(st.text("abcdef0123", min_size=1, max_size=8), st.one_of(HOSTILE_IDS, NUMBERS)),
        "metadata": mostly(
            st.dictionaries(st.sampled_from(["batch", "site", "k.1"]), CONTENT_TEXT, max_size=3),
            st.one_of(st.dictionaries(TEXT, TEXT, max_size=3), json_values(4)),
        ),
        "model": mostly(st.just("openai/gpt-4o-mini"), TEXT),
        f"{CANARY}/extra": json_values(2),
    }
    for key, strategy in optional.items():
        if draw(st.integers(0, 3)) == 0:
            request[key] = draw(strategy)
    return request


JOB_MESSAGES = mostly(
    st.fixed_dictionaries(
        {
            "tenant_id": mostly(st.sampled_from(TENANTS), st.one_of(CANARY_TEXT, NASTY_TEXT)),
            "job_id": mostly(st.sampled_from([JOB_ID, new_job_id()]), HOSTILE_IDS),
        }
    ),
    json_values(6),
)


def attribute_maps(kind: str) -> st.SearchStrategy[Any]:
    """Pub/Sub message attributes for one kind of message."""
    by_kind: dict[str, st.SearchStrategy[Any]] = {
        "gcs": st.fixed_dictionaries(
            {
                "eventType": mostly(st.just("OBJECT_FINALIZE"), st.one_of(st.just("OBJECT_DELETE"), CANARY_TEXT)),
                "bucketId": BUCKETS,
                "objectId": OBJECT_NAMES,
                "objectGeneration": GENERATIONS.map(str),
            },
            optional={"payloadFormat": st.sampled_from(["JSON_API_V1", "NONE"])},
        ),
        "job": st.fixed_dictionaries(
            {"kind": st.just("job.queued")}, optional={"tenant_id": st.one_of(st.sampled_from(TENANTS), CANARY_TEXT)}
        ),
        "request": st.fixed_dictionaries(
            {"tenant_id": mostly(st.sampled_from([*TENANTS, "ghost-tenant"]), st.one_of(CANARY_TEXT, NASTY_TEXT))},
            optional={f"{CANARY}/attr": CANARY_TEXT},
        ),
        "sweep": st.just({"kind": "sweep"}),
    }
    return mostly(by_kind[kind], st.one_of(st.dictionaries(TEXT, TEXT, max_size=3), json_values(3)), tenths=9)


PAYLOADS: dict[str, st.SearchStrategy[Any]] = {
    "gcs": mostly(gcs_resources(), json_values(4), tenths=8),
    "job": JOB_MESSAGES,
    "request": mostly(upstream_requests(), json_values(), tenths=9),
    "sweep": st.just({}),
}


def message_data(kind: str) -> st.SearchStrategy[Any]:
    """The ``data`` field of a Pub/Sub message: base64 of a payload, else garbage or not base64."""
    return mostly(
        PAYLOADS[kind].map(lambda p: b64(dumps(p))),
        st.one_of(DEEP.map(b64), st.binary(max_size=32).map(b64), TEXT, NUMBERS, st.none()),
        tenths=9,
    )


KINDS = st.sampled_from(["gcs", "gcs", "job", "request", "request", "request", "sweep"])


@st.composite
def pubsub_messages(draw: st.DrawFn) -> dict[str, Any]:
    """A Pub/Sub message object as push and Eventarc carry it."""
    kind = draw(KINDS)
    message: dict[str, Any] = {"data": draw(message_data(kind)), "attributes": draw(attribute_maps(kind))}
    message[draw(mostly(st.just("messageId"), st.sampled_from(["message_id", "id"])))] = draw(MESSAGE_IDS)
    if draw(st.booleans()):
        message["publishTime"] = draw(mostly(st.just("2026-01-01T00:00:00Z"), TEXT))
    return message


# -- envelopes --------------------------------------------------------------------------------

HEADER_SAFE = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=40
)
"""Header values a WSGI test client can send (latin-1, no CR/LF)."""


def header_safe(value: str) -> str:
    """``value`` as a WSGI client can send it: latin-1, no line breaks."""
    # A space keeps a canary-carrying id invalid (an underscore would make some valid).
    return value.replace("\n", " ").replace("\r", " ").encode("latin-1", "replace").decode("latin-1")


CE_TYPES = mostly(
    st.sampled_from(
        [
            "google.cloud.storage.object.v1.finalized",
            "google.cloud.pubsub.topic.v1.messagePublished",
            "google.cloud.storage.object.v1.deleted",
        ]
    ),
    st.one_of(st.just(f"com.example.{CANARY}"), HEADER_SAFE),
    tenths=8,
)
DEAD_LETTER_ATTRIBUTES = st.fixed_dictionaries(
    {}, optional={"CloudPubSubDeadLetterSourceDeliveryCount": mostly(st.just("10"), TEXT)}
)


@st.composite
def push_envelopes(draw: st.DrawFn) -> tuple[dict[str, str], bytes]:
    """A Pub/Sub push request (or something shaped almost like one)."""
    envelope: dict[str, Any] = {"message": draw(mostly(pubsub_messages(), json_values(3), tenths=9))}
    if draw(st.booleans()):
        envelope["subscription"] = draw(mostly(st.just("projects/p/subscriptions/s"), CANARY_TEXT))
    if draw(st.integers(0, 3)) == 0:
        envelope["deliveryAttempt"] = draw(NUMBERS)
    return {"Content-Type": "application/json"}, dumps(envelope)


@st.composite
def binary_cloudevents(draw: st.DrawFn) -> tuple[dict[str, str], bytes]:
    """A CloudEvent in binary mode: ``ce-*`` headers and the data as the body."""
    headers = {"ce-specversion": draw(mostly(st.just("1.0"), st.sampled_from(["0.3", ""]), tenths=9))}
    for name, strategy in (
        ("ce-type", CE_TYPES),
        ("ce-id", mostly(st.integers(1, 10**9).map(lambda i: f"evt-{i}"), st.one_of(HEADER_SAFE, CANARY_TEXT))),
        ("ce-source", mostly(st.just(f"//storage.googleapis.com/projects/_/buckets/{BUCKET}"), HEADER_SAFE)),
        ("ce-subject", HEADER_SAFE),
    ):
        if draw(st.integers(0, 9)):
            headers[name] = header_safe(draw(strategy))
    headers["Content-Type"] = draw(mostly(st.just("application/json"), st.sampled_from(["text/plain", ""])))
    event_type = headers.get("ce-type", "")
    data = (
        st.fixed_dictionaries({"message": pubsub_messages(), "subscription": st.just("s")}).map(dumps)
        if "pubsub" in event_type
        else gcs_resources().map(dumps)
    )
    return headers, draw(mostly(data, st.one_of(DEEP, st.binary(max_size=64)), tenths=9))


@st.composite
def structured_cloudevents(draw: st.DrawFn) -> tuple[dict[str, str], bytes]:
    """A CloudEvent in structured mode: the whole event is the JSON body."""
    event_type = draw(CE_TYPES)
    event: dict[str, Any] = {}
    for name, strategy in (
        ("specversion", mostly(st.just("1.0"), SCALARS, tenths=9)),
        ("type", mostly(st.just(event_type), SCALARS, tenths=9)),
        ("id", mostly(st.integers(1, 10**9).map(str), st.one_of(CANARY_TEXT, SCALARS))),
        ("source", mostly(st.just("//pubsub.googleapis.com/x"), SCALARS, tenths=9)),
    ):
        event[name] = draw(strategy)
    data = draw(st.fixed_dictionaries({"message": pubsub_messages()}) if "pubsub" in event_type else gcs_resources())
    if draw(st.booleans()):
        event["data"] = draw(mostly(st.just(data), json_values(3), tenths=9))
    else:
        event["data_base64"] = draw(mostly(st.just(b64(dumps(data))), TEXT, tenths=9))
    body = draw(mostly(st.just(dumps(event)), DEEP, tenths=9))
    return {"Content-Type": "application/cloudevents+json; charset=utf-8"}, body


RAW = st.tuples(
    st.fixed_dictionaries({}, optional={"Content-Type": st.sampled_from(["application/json", "text/plain"])}),
    st.one_of(DEEP, st.binary(max_size=100), json_values().map(dumps)),
)

DELIVERIES = st.one_of(
    push_envelopes(), push_envelopes(), push_envelopes(), binary_cloudevents(), structured_cloudevents(), RAW
)
"""Any HTTP delivery to ``run_agent``: ``(headers, body)``."""
PATHS = mostly(st.just("/"), st.sampled_from(["/dead-letter", "/dead-letter/"]), tenths=8)

# -- callback tasks ---------------------------------------------------------------------------

TASKS = mostly(
    st.fixed_dictionaries(
        {
            "tenant_id": mostly(st.sampled_from(TENANTS), st.one_of(CANARY_TEXT, NASTY_TEXT, NUMBERS)),
            "job_id": mostly(st.sampled_from([JOB_ID, new_job_id()]), HOSTILE_IDS),
            "event": mostly(st.sampled_from(["job.completed", "job.failed"]), CANARY_TEXT),
        }
    ),
    json_values(6),
)
"""Cloud Tasks payloads for ``notify``: mostly well-formed, then near misses and garbage."""
RETRY_COUNTS = st.one_of(
    st.none(), st.integers(0, 30).map(str), st.sampled_from(["²", "9" * 30, "-1", "", " 1", "0x1"]), HEADER_SAFE
)
"""``X-CloudTasks-TaskRetryCount`` values a WSGI client can send."""
TASK_NAMES = st.one_of(st.none(), st.integers(1, 10**6).map(lambda i: f"task-{i}"), HEADER_SAFE)
"""``X-CloudTasks-TaskName`` values."""
