import pytest

from common.api.auth import Authenticator, bearer_token
from common.api.queries import ListJobsQuery, parse_list_query
from common.errors import InvalidRequest, Unauthenticated
from common.jobs.models import JobStatus
from common.tenants.models import hash_api_key
from tests.support.fakes import InMemoryTenantDirectory


def test_list_query_defaults_and_values():
    assert parse_list_query({}) == ListJobsQuery(None, 20)
    assert parse_list_query({"status": "failed", "limit": "5"}) == ListJobsQuery(JobStatus.FAILED, 5)


@pytest.mark.parametrize(
    "args",
    [
        {"status": "done"},
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "-1"},
        {"limit": "abc"},
        {"limit": "1e3"},
        {"sort": "x"},
    ],
)
def test_malformed_query_parameters_are_400(args):
    with pytest.raises(InvalidRequest) as info:
        parse_list_query(args)
    assert info.value.http_status == 400
    assert info.value.error_code == "invalid_parameter"


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer   ", "Basic abc", "token abc"])
def test_missing_bearer_credentials(header):
    with pytest.raises(Unauthenticated) as info:
        bearer_token(header)
    assert info.value.error_code == "missing_api_key"


def test_authenticator_maps_keys_to_tenants_and_caches_hits():
    directory = InMemoryTenantDirectory()
    directory.keys[hash_api_key("aj_good")] = "acme"
    clock = [0.0]
    auth = Authenticator(directory, ttl_seconds=10, monotonic=lambda: clock[0])
    assert auth.authenticate("Bearer aj_good") == "acme"
    assert auth.authenticate("bearer aj_good") == "acme"
    del directory.keys[hash_api_key("aj_good")]
    assert auth.authenticate("Bearer aj_good") == "acme"  # cached
    clock[0] = 11
    with pytest.raises(Unauthenticated) as info:
        auth.authenticate("Bearer aj_good")
    assert info.value.error_code == "invalid_api_key"
