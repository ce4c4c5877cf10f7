"""Firestore: every query the code makes has the indexes it needs, and jobs expire by TTL.

The queries are listed here (:data:`QUERIES`). A scan of ``common/`` finds every function that
builds a query (``where``, ``order_by``; collection-group scope when its class calls
``collection_group``) and fails when one is not listed, or is listed with other fields, so a new
query cannot ship without its index. A builder that takes ``(field, value)`` tuples is resolved
at each of its call sites, which name the fields.

Index rules (https://cloud.google.com/firestore/docs/query-data/index-overview): single-field
indexes, automatic for collection scope, serve equality filters alone and a sort or range on one
field alone. An equality filter combined with a sort or range on another field, or sorts and
ranges on several fields, need a composite index: equality fields first, then the others.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from itertools import combinations

from common.devstack.stack import PROJECT_ROOT
from tests.support.terraform import TerraformModule

Field = tuple[str, str]  # (field, "==" | "<" | ... | "ASCENDING" | "DESCENDING")


@dataclass(frozen=True)
class Query:
    """One query the code builds.

    Attributes:
        site: ``path::Qualified.function`` that builds it.
        collection: Collection (group) id.
        scope: ``COLLECTION`` or ``COLLECTION_GROUP``.
        filters: ``(field, operator)`` filters.
        order: ``(field, direction)`` sorts.
        optional_filters: The filters are applied only when the caller asks (so also without them).
    """

    site: str
    collection: str
    scope: str
    filters: tuple[Field, ...]
    order: tuple[Field, ...]
    optional_filters: bool = False


QUERIES = (
    # GET /v1/jobs?status=&agent=&created_after=&page_token=: a tenant's jobs, newest first, with
    # any of the filters; ties broken by document id for the page cursor.
    Query(
        site="common/adapters/firestore_store.py::FirestoreJobStore.list",
        collection="jobs",
        scope="COLLECTION",
        filters=(("status", "=="), ("agent", "=="), ("created_at", ">")),
        order=(("created_at", "DESCENDING"), ("__name__", "DESCENDING")),
        optional_filters=True,
    ),
    # GET /v1/rejections: a tenant's rejected deliveries, newest first.
    Query(
        site="common/adapters/firestore_store.py::FirestoreRejectionLog.list_for_tenant",
        collection="rejections",
        scope="COLLECTION",
        filters=(("tenant_id", "=="),),
        order=(("received_at", "DESCENDING"), ("__name__", "DESCENDING")),
    ),
    # GET /v1/jobs?quality=flagged: a tenant's judged jobs of one quality, newest first.
    Query(
        site="common/adapters/firestore_store.py::FirestoreJobStore._by_quality",
        collection="jobs",
        scope="COLLECTION",
        filters=(("quality", "=="), ("agent", "=="), ("created_at", ">")),
        order=(("created_at", "DESCENDING"), ("__name__", "DESCENDING")),
        optional_filters=True,
    ),
    # The sweeper, across every tenant's jobs.
    Query(
        site="common/adapters/firestore_store.py::FirestoreJobSweep.stale_pending",
        collection="jobs",
        scope="COLLECTION_GROUP",
        filters=(("status", "=="), ("updated_at", "<")),
        order=(("updated_at", "ASCENDING"),),
    ),
    Query(
        site="common/adapters/firestore_store.py::FirestoreJobSweep.expired_leases",
        collection="jobs",
        scope="COLLECTION_GROUP",
        filters=(("status", "=="), ("lease_expires_at", "<")),
        order=(("lease_expires_at", "ASCENDING"),),
    ),
    Query(
        site="common/adapters/firestore_store.py::FirestoreJobSweep.stuck_callbacks",
        collection="jobs",
        scope="COLLECTION_GROUP",
        filters=(("callback_status", "=="), ("callback_updated_at", "<")),
        order=(("callback_updated_at", "ASCENDING"),),
    ),
    # Expired jobs: only where no TTL policy deletes them (AGENTJOBS_SWEEP_EXPIRED_JOBS, local
    # stack only, not deployed). A collection-group range on one field.
    Query(
        site="common/adapters/firestore_store.py::FirestoreJobSweep.expired",
        collection="jobs",
        scope="COLLECTION_GROUP",
        filters=(("expires_at", "<"),),
        order=(("expires_at", "ASCENDING"),),
    ),
    # The sweeper: usage-plan reservations left open (their job ended without settling).
    Query(
        site="common/adapters/firestore_plans.py::FirestorePlanLedger.open_reservations",
        collection="plan_reservations",
        scope="COLLECTION_GROUP",
        filters=(("state", "=="), ("created_at", "<")),
        order=(("created_at", "ASCENDING"),),
    ),
    # Erasure and rotation: equality on one field, served by single-field indexes.
    Query(
        site="common/adapters/firestore_store.py::FirestoreTenantDirectory.api_keys",
        collection="api_keys",
        scope="COLLECTION",
        filters=(("tenant_id", "=="),),
        order=(),
    ),
    # GET /v1/jobs/{id}/events: a job's event pages after a seq (single-field index, automatic).
    Query(
        site="common/adapters/firestore_store.py::FirestoreJobStore.events",
        collection="events",
        scope="COLLECTION",
        filters=(("last_seq", ">"),),
        order=(("last_seq", "ASCENDING"),),
    ),
    Query(
        site="common/adapters/firestore_store.py::FirestoreIdempotencyStore.forget_job",
        collection="idempotency",
        scope="COLLECTION",
        filters=(("job_id", "=="),),
        order=(),
    ),
    Query(
        site="common/adapters/firestore_store.py::FirestoreRejectionLog.delete_for_tenant",
        collection="rejections",
        scope="COLLECTION",
        filters=(("tenant_id", "=="),),
        order=(),
    ),
    # agentjobs tenants list: every tenant in document-id order (built-in index).
    Query(
        site="common/adapters/firestore_store.py::FirestoreTenantDirectory.list_tenants",
        collection="tenants",
        scope="COLLECTION",
        filters=(),
        order=(("__name__", "ASCENDING"),),
    ),
    # GET /v1/usage: a tenant's day documents in a range, a range on one field (single-field index).
    Query(
        site="common/adapters/firestore_usage.py::FirestoreUsageReader.days",
        collection="usage",
        scope="COLLECTION",
        filters=(("day", ">="), ("day", "<=")),
        order=(("day", "ASCENDING"),),
    ),
)

_QUERY_METHODS = {"where", "order_by"}

# A field is a string literal, or ``param[0]`` inside a query builder that takes ``(field, value)``
# tuples; such a builder is resolved at each of its call sites.
Ref = tuple[str, str]  # ("literal", field) | ("param", parameter name)


def _field(node: ast.expr | None) -> Ref:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return ("literal", node.value)
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        return ("param", node.value.id)
    return ("literal", "?")


def _direction(call: ast.Call) -> str:
    for keyword in call.keywords:
        if keyword.arg == "direction":
            return "DESCENDING" if ast.unparse(keyword.value).upper().endswith("DESCENDING") else "ASCENDING"
    return "ASCENDING"


def _filters(call: ast.Call) -> list[tuple[Ref, str]]:
    found: list[tuple[Ref, str]] = []
    for node in ast.walk(call):
        if isinstance(node, ast.Call) and ast.unparse(node.func).endswith("FieldFilter") and len(node.args) >= 2:
            op = node.args[1]
            found.append((_field(node.args[0]), str(op.value) if isinstance(op, ast.Constant) else "?"))
    return found


@dataclass
class _Builder:
    cls: str
    function: str
    params: list[str]
    filters: list[tuple[Ref, str]]
    order: list[tuple[Ref, str]]


def _scan() -> dict[str, tuple[str, set[Field], set[Field]]]:
    """``path::Class.function`` -> (scope, filters, sorts) of every query the code builds.

    Scope is ``COLLECTION_GROUP`` when the builder's class calls ``collection_group``.
    """
    queries: dict[str, tuple[str, set[Field], set[Field]]] = {}
    for path in sorted((PROJECT_ROOT / "common").rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        queries |= _scan_module(tree, path.relative_to(PROJECT_ROOT).as_posix())
    return queries


def _scan_module(tree: ast.Module, relative: str) -> dict[str, tuple[str, set[Field], set[Field]]]:
    builders: dict[tuple[str, str], _Builder] = {}
    groups: set[str] = set()
    calls: list[tuple[str, str, ast.Call]] = []

    def visit(node: ast.AST, cls: str, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, child.name, "")
                continue
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                params = [a.arg for a in child.args.args if a.arg not in {"self", "cls"}]
                builders.setdefault((cls, child.name), _Builder(cls, child.name, params, [], []))
                visit(child, cls, child.name)
                continue
            if isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute):
                builder = builders.get((cls, function))
                if child.func.attr == "collection_group":
                    groups.add(cls)
                elif child.func.attr in _QUERY_METHODS and builder is not None:
                    if child.func.attr == "order_by":
                        builder.order.append((_field(child.args[0] if child.args else None), _direction(child)))
                    else:
                        builder.filters.extend(_filters(child))
                calls.append((cls, function, child))
            visit(child, cls, function)

    visit(tree, "", "")
    queries: dict[str, tuple[str, set[Field], set[Field]]] = {}
    for builder in builders.values():
        if not builder.filters and not builder.order:
            continue
        scope = "COLLECTION_GROUP" if builder.cls in groups else "COLLECTION"
        refs = [ref for ref, _ in builder.filters + builder.order]
        if all(kind == "literal" for kind, _ in refs):
            site = f"{relative}::{builder.cls}.{builder.function}"
            queries[site] = (scope, _bind(builder, {}), _bind(builder, {}, order=True))
            continue
        for cls, caller, call in calls:
            if cls != builder.cls or not isinstance(call.func, ast.Attribute) or call.func.attr != builder.function:
                continue
            fields = {
                param: _field(arg.elts[0] if isinstance(arg, ast.Tuple) and arg.elts else None)[1]
                for param, arg in zip(builder.params, call.args, strict=False)
            }
            site = f"{relative}::{cls}.{caller}"
            queries[site] = (scope, _bind(builder, fields), _bind(builder, fields, order=True))
    return queries


def _bind(builder: _Builder, fields: dict[str, str], *, order: bool = False) -> set[Field]:
    items = builder.order if order else builder.filters
    return {(fields.get(name, "?") if kind == "param" else name, op) for (kind, name), op in items}


def test_every_query_in_the_code_is_listed():
    listed = {q.site: (q.scope, set(q.filters), set(q.order)) for q in QUERIES}
    assert _scan() == listed, "list each query in QUERIES (with its fields) so its index is checked"


def _needed_indexes(query: Query) -> set[tuple[str, str, tuple[Field, ...]]]:
    # Optional filters: any subset of them may be applied.
    variants = (
        [c for n in range(len(query.filters) + 1) for c in combinations(query.filters, n)]
        if query.optional_filters
        else [query.filters]
    )
    # Every index ends with the document id in the direction of its last field: an order on
    # __name__ (the cursor's tie-breaker) needs nothing of its own.
    order = [o for o in query.order if o[0] != "__name__"]
    directions = dict(order)
    needed: set[tuple[str, str, tuple[Field, ...]]] = set()
    for filters in variants:
        equality = [f for f, op in filters if op == "=="]
        ranged = [(f, directions.get(f, "ASCENDING")) for f, op in filters if op != "=="]
        sorted_fields = [*ranged, *(o for o in order if o[0] not in {f for f, _ in ranged})]
        single_field = not sorted_fields or (not equality and len({f for f, _ in sorted_fields}) == 1)
        if single_field and (query.scope == "COLLECTION" or len(equality) + len(sorted_fields) <= 1):
            continue
        fields = tuple((f, "ASCENDING") for f in equality) + tuple(sorted_fields)
        needed.add((query.collection, query.scope, fields))
    return needed


def test_composite_indexes_are_exactly_those_the_queries_need(tf: TerraformModule):
    needed = set().union(*(_needed_indexes(q) for q in QUERIES))
    declared = {
        (
            body["collection"],
            body["query_scope"],
            tuple((f["field_path"], f["order"]) for f in body["fields"]),
        )
        for body in tf.of_type("google_firestore_index").values()
    }
    assert declared == needed
    for body in tf.of_type("google_firestore_index").values():
        assert body["database"] == "${google_firestore_database.default.name}"


def test_index_rules_on_known_shapes():
    def needs(filters, order, optional=False, scope="COLLECTION"):
        return bool(_needed_indexes(Query("x", "jobs", scope, filters, order, optional)))

    assert not needs((("status", "=="),), ())
    assert not needs((("status", "=="), ("agent", "==")), ())  # index merging
    assert not needs((), (("created_at", "DESCENDING"),))
    assert not needs((("created_at", "<"),), (("created_at", "DESCENDING"),))
    assert needs((("status", "=="),), (("created_at", "DESCENDING"),))
    assert needs((("status", "=="), ("lease_until", "<")), ())
    assert needs((), (("status", "ASCENDING"), ("created_at", "DESCENDING")))
    assert needs((("status", "=="),), (), scope="COLLECTION_GROUP") is False
    assert needs((("status", "=="),), (("updated_at", "ASCENDING"),), scope="COLLECTION_GROUP")
    for a, b in combinations(["status", "agent"], 2):
        assert needs(((a, "=="),), ((b, "ASCENDING"),))


def test_jobs_and_idempotency_keys_expire_by_ttl_on_expires_at(tf: TerraformModule):
    fields = tf.of_type("google_firestore_field")
    ttl = [body for body in fields.values() if "ttl_config" in body]
    assert {(policy["collection"], policy["field"]) for policy in ttl} == {
        ("jobs", "expires_at"),
        ("idempotency", "expires_at"),
        ("plan_reservations", "expires_at"),
        ("rate_windows", "expires_at"),
        ("events", "expires_at"),  # a job's events expire with it (issue 12)
    }
    assert all(policy["database"] == "${google_firestore_database.default.name}" for policy in ttl)


def test_the_database_is_native_and_erasure_is_final(tf: TerraformModule):
    database = tf.resource("google_firestore_database", "default")
    assert (database["name"], database["type"]) == ("(default)", "FIRESTORE_NATIVE")
    # Point-in-time recovery would keep erased jobs readable for 7 days.
    assert database["point_in_time_recovery_enablement"] == "POINT_IN_TIME_RECOVERY_DISABLED"
    assert database["delete_protection_state"] == "DELETE_PROTECTION_ENABLED"
