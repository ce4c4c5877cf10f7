import pytest

from common.jobs.ids import gcs_job_id, is_job_id, new_job_id, request_job_id
from common.jobs.inbox import NotADrop, parse_inbox_path


def test_gcs_job_id_is_deterministic_and_generation_sensitive():
    a = gcs_job_id("b", "tenants/acme/inbox/protocol-processor/p.pdf", "1")
    assert a == gcs_job_id("b", "tenants/acme/inbox/protocol-processor/p.pdf", 1)
    assert a != gcs_job_id("b", "tenants/acme/inbox/protocol-processor/p.pdf", "2")
    assert a != gcs_job_id("c", "tenants/acme/inbox/protocol-processor/p.pdf", "1")
    assert is_job_id(a)


def test_id_parts_cannot_be_shifted_into_each_other():
    assert request_job_id("ab", "c", "k") != request_job_id("a", "bc", "k")


def test_request_ids_are_scoped_by_tenant_and_agent():
    assert request_job_id("acme", "criteria-evaluator", "k1") == request_job_id("acme", "criteria-evaluator", "k1")
    assert request_job_id("acme", "criteria-evaluator", "k1") != request_job_id("other", "criteria-evaluator", "k1")
    assert request_job_id("acme", "criteria-evaluator", "k1") != request_job_id("acme", "protocol-processor", "k1")


def test_random_ids_are_unique_and_well_formed():
    ids = {new_job_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(is_job_id(i) for i in ids)
    assert not is_job_id("../etc") and not is_job_id("JOB_AAAA")


def test_inbox_path_decodes_tenant_agent_and_filename():
    drop = parse_inbox_path("tenants/acme/inbox/protocol-processor/2026/p.pdf")
    assert (drop.tenant_id, drop.agent, drop.filename) == ("acme", "protocol-processor", "2026/p.pdf")


@pytest.mark.parametrize(
    "name",
    [
        "tenants/acme/results/job_x.json",
        "tenants/acme/inbox/protocol-processor/",
        "tenants/acme/inbox/p.pdf",
        "elsewhere/acme/inbox/protocol-processor/p.pdf",
        "p.pdf",
    ],
)
def test_objects_outside_an_inbox_are_not_drops(name):
    with pytest.raises(NotADrop):
        parse_inbox_path(name)
