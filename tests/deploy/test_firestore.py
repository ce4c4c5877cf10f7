"""Firestore: every query the code makes has the indexes it needs, and jobs expire by TTL.

The queries are listed here (:data:`QUERIES`). A scan of ``common/`` finds every call that builds
a query (``where``, ``order_by``, ``collection_group``) and fails when a function that builds one
is not listed, or is listed with other fields, so a new query cannot ship without its index.

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
    # GET /v1/jobs?status=&limit=: a tenant's jobs, newest first, optionally of one status.
    Query(
        site="common/adapters/firestore_store.py::FirestoreJobStore.list",
        collection="jobs",
        scope="COLLECTION",
        filters=(("status", "=="),),
        order=(("created_at", "DESCENDING"),),
        optional_filters=True,
    ),
)

_QUERY_METHODS = {"where", "order_by", "collection_group"}


def _string(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _direction(call: ast.Call) -> str:
    for keyword in call.keywords:
        if keyword.arg == "direction":
            text = ast.unparse(keyword.value)
            return "DESCENDING" if text.endswith("DESCENDING") or "descending" in text.lower() else "ASCENDING"
    return "ASCENDING"


def _scan() -> dict[str, tuple[set[Field], set[Field], set[str]]]:
    """Qualified function -> (filters, sorts, collection groups) of the query calls inside it."""
    sites: dict[str, tuple[set[Field], set[Field], set[str]]] = {}
    for path in sorted((PROJECT_ROOT / "common").rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        relative = path.relative_to(PROJECT_ROOT).as_posix()

        def visit(node: ast.AST, scope: tuple[str, ...], relative: str = relative) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    visit(child, (*scope, child.name))
                    continue
                if (
                    isinstance(child, ast.Call)
                    and isinstance(child.func, ast.Attribute)
                    and child.func.attr in _QUERY_METHODS
                ):
                    filters, order, groups = sites.setdefault(f"{relative}::{'.'.join(scope)}", (set(), set(), set()))
                    first = _string(child.args[0]) if child.args else None
                    if child.func.attr == "order_by":
                        order.add((first or "?", _direction(child)))
                    elif child.func.attr == "collection_group":
                        groups.add(first or "?")
                    else:
                        filters.update(_filters(child))
                visit(child, scope)

        visit(tree, ())
    return sites


def _filters(call: ast.Call) -> set[Field]:
    found: set[Field] = set()
    for node in ast.walk(call):
        if isinstance(node, ast.Call) and ast.unparse(node.func).endswith("FieldFilter") and len(node.args) >= 2:
            found.add((_string(node.args[0]) or "?", _string(node.args[1]) or "?"))
    if not found and len(call.args) >= 2:  # the positional where(field, op, value) form
        found.add((_string(call.args[0]) or "?", _string(call.args[1]) or "?"))
    return found


def test_every_query_in_the_code_is_listed():
    listed = {q.site: (set(q.filters), set(q.order)) for q in QUERIES}
    found = {site: (filters, order) for site, (filters, order, _) in _scan().items()}
    assert found == listed, "list each query in QUERIES (with its fields) so its index is checked"
    groups = {site for site, (_, _, g) in _scan().items() if g}
    assert groups == {q.site for q in QUERIES if q.scope == "COLLECTION_GROUP"}


def _needed_indexes(query: Query) -> set[tuple[str, str, tuple[Field, ...]]]:
    variants = [query.filters, ()] if query.optional_filters else [query.filters]
    needed: set[tuple[str, str, tuple[Field, ...]]] = set()
    for filters in variants:
        equality = [f for f, op in filters if op == "=="]
        ranged = [(f, "ASCENDING") for f, op in filters if op != "=="]
        sorted_fields = [*ranged, *(o for o in query.order if o[0] not in {f for f, _ in ranged})]
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


def test_jobs_expire_by_ttl_on_expires_at(tf: TerraformModule):
    fields = tf.of_type("google_firestore_field")
    ttl = [body for body in fields.values() if "ttl_config" in body]
    assert len(ttl) == 1
    (policy,) = ttl
    assert (policy["collection"], policy["field"]) == ("jobs", "expires_at")
    assert policy["database"] == "${google_firestore_database.default.name}"


def test_the_database_is_native_and_erasure_is_final(tf: TerraformModule):
    database = tf.resource("google_firestore_database", "default")
    assert (database["name"], database["type"]) == ("(default)", "FIRESTORE_NATIVE")
    # Point-in-time recovery would keep erased jobs readable for 7 days.
    assert database["point_in_time_recovery_enablement"] == "POINT_IN_TIME_RECOVERY_DISABLED"
    assert database["delete_protection_state"] == "DELETE_PROTECTION_ENABLED"
