"""The judges run inside run_agent: what they import is required, and the eval framework stays out."""

from __future__ import annotations

from tests.unit.deploy.test_function_requirements import DISTRIBUTIONS, imported_at_start, required


def test_judging_a_protocol_job_imports_only_what_run_agent_requires(shared_data):
    pdf = shared_data / "protocols" / "EliLilly_NCT03421379_Diabetes.pdf"
    judge = (
        "from common.agents.protocol_processor.rules import extract_summary_and_pages\n"
        "from common.agents.protocol_processor.models import ProtocolProcessorInput\n"
        "from common.judges.base import Subject\n"
        "from common.judges.registry import deterministic_judges\n"
        f"summary, pages = extract_summary_and_pages(open({str(pdf)!r}, 'rb').read())\n"
        "subject = Subject(ProtocolProcessorInput(file_uri='gs://b/tenants/a/p.pdf'), summary, pages)\n"
        "assert all(j.check(subject).passed for j in deterministic_judges('protocol-processor'))\n"
        "from common.judges.grounding import grounding\n"
        "grounding('text not on the page at all', ['another page'])\n"  # forces the fuzzy fallback
    )
    modules = imported_at_start("run_agent", judge)
    assert "common.judges.protocol" in modules and "rapidfuzz" in modules
    needed = {d for p, d in DISTRIBUTIONS.items() if any(m == p or m.startswith(p + ".") for m in modules)}
    assert needed <= required("run_agent")


def test_run_agent_never_imports_the_eval_framework_nor_the_judges_at_cold_start():
    modules = imported_at_start("run_agent")
    assert not {m for m in modules if m.startswith(("pydantic_evals", "pydantic_ai", "common.evals", "rapidfuzz"))}
    assert "common.judges.protocol" not in modules and "common.judges.criteria" not in modules


def test_the_listing_filters_by_quality():
    import pytest

    from common.api.queries import parse_list_query
    from common.errors import InvalidRequest
    from common.judges.models import Quality

    assert parse_list_query({"quality": "flagged"}).quality is Quality.FLAGGED
    assert parse_list_query({"quality": "passed", "status": "success"}).quality is Quality.PASSED
    for bad in ({"quality": "bad"}, {"quality": ""}):
        with pytest.raises(InvalidRequest):
            parse_list_query(bad)
