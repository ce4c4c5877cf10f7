from datetime import UTC, datetime

import pytest

from common.api.auth import Authenticator, bearer_token
from common.api.queries import ListJobsQuery, parse_list_query
from common.errors import InvalidRequest, Unauthenticated
from common.jobs.models import JobStatus
from common.tenants.models import ApiKey, Tenant, hash_api_key
from tests.support.fakes import InMemoryTenantDirectory


def test_list_query_defaults_and_values():
    assert parse_list_query({}) == ListJobsQuery(status=None, limit=20)
    assert parse_list_query({"status": "failed", "limit": "5"}) == ListJobsQuery(status=JobStatus.FAILED, limit=5)


@pytest.mark.parametrize(
    "args",
    [
        {"status": "done"},
        {"status": ""},
        {"limit": ""},
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "-1"},
        {"limit": "abc"},
        {"limit": "1e3"},
        {"limit": "²"},
        {"limit": "٣"},
        {"limit": "9" * 30},
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


def test_unknown_parameter_names_are_not_echoed():
    with pytest.raises(InvalidRequest) as info:
        parse_list_query({"<script>canary": "1"})
    assert "canary" not in str(info.value.to_dict())


def _directory():
    directory = InMemoryTenantDirectory()
    directory.create(Tenant("acme", "Acme", datetime(2026, 1, 1, tzinfo=UTC)), hash_api_key("aj_good"))
    return directory


def test_authenticator_maps_keys_to_tenants_and_caches_hits():
    directory = _directory()
    clock = [0.0]
    auth = Authenticator(directory, ttl_seconds=10, monotonic=lambda: clock[0])
    assert auth.authenticate("Bearer aj_good").tenant_id == "acme"
    assert auth.authenticate("bearer aj_good").tenant_id == "acme"
    del directory.keys[hash_api_key("aj_good")]
    assert auth.authenticate("Bearer aj_good").tenant_id == "acme"  # cached
    clock[0] = 11
    with pytest.raises(Unauthenticated) as info:
        auth.authenticate("Bearer aj_good")
    assert info.value.error_code == "invalid_api_key"


@pytest.mark.parametrize("change", ["delete", "deactivate"])
def test_deleting_or_deactivating_a_tenant_revokes_its_keys_within_the_cache_ttl(change):
    directory = _directory()
    clock = [0.0]
    auth = Authenticator(directory, ttl_seconds=60, monotonic=lambda: clock[0])
    auth.authenticate("Bearer aj_good")
    if change == "delete":
        del directory.tenants["acme"]
    else:
        directory.save(directory.get("acme").replace(active=False))
    clock[0] = 59.9
    assert auth.authenticate("Bearer aj_good").tenant_id == "acme"  # a warm instance may lag by the TTL
    clock[0] = 60.1
    with pytest.raises(Unauthenticated):
        auth.authenticate("Bearer aj_good")
    fresh = Authenticator(directory, ttl_seconds=60, monotonic=lambda: 0.0)
    with pytest.raises(Unauthenticated):  # a new instance refuses at once
        fresh.authenticate("Bearer aj_good")


def test_a_key_whose_tenant_never_existed_is_refused():
    directory = InMemoryTenantDirectory()
    directory.keys[hash_api_key("aj_orphan")] = ApiKey("ghost", datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.raises(Unauthenticated) as info:
        Authenticator(directory).authenticate("Bearer aj_orphan")
    assert info.value.error_code == "invalid_api_key"


def test_a_rotated_key_works_during_its_grace_period_then_is_refused_by_every_cache():
    from datetime import timedelta

    from common.services.tenants import TenantAdmin

    directory = _directory()
    wall = [datetime(2026, 1, 2, tzinfo=UTC)]
    mono = [0.0]
    from common.adapters.local_cipher import LocalSecretCipher, new_local_key

    cipher = LocalSecretCipher(new_local_key())
    admin = TenantAdmin(directory, clock=lambda: wall[0], ciphers=lambda: cipher)
    auth = Authenticator(directory, ttl_seconds=60, monotonic=lambda: mono[0], clock=lambda: wall[0])
    auth.authenticate("Bearer aj_good")  # cached for 60 s, before the rotation
    rotated = admin.rotate_api_key("acme", grace=timedelta(seconds=30))
    assert rotated.previous_valid_until == wall[0] + timedelta(seconds=30)
    assert auth.authenticate(f"Bearer {rotated.api_key}").tenant_id == "acme"
    wall[0] += timedelta(seconds=10)
    mono[0] += 10
    fresh = Authenticator(directory, ttl_seconds=60, monotonic=lambda: mono[0], clock=lambda: wall[0])
    assert fresh.authenticate("Bearer aj_good").tenant_id == "acme"  # within the grace period
    wall[0] += timedelta(seconds=21)
    mono[0] += 21
    with pytest.raises(Unauthenticated):  # cached after the rotation: the entry ends with the key
        fresh.authenticate("Bearer aj_good")
    # Cached before the rotation, the entry lives its TTL: a grace shorter than the TTL may lag by
    # the difference (the default grace, 24 h, is far longer than the 60 s TTL).
    assert auth.authenticate("Bearer aj_good").tenant_id == "acme"
    wall[0] += timedelta(seconds=30)
    mono[0] += 30
    with pytest.raises(Unauthenticated):
        auth.authenticate("Bearer aj_good")
    assert auth.authenticate(f"Bearer {rotated.api_key}").tenant_id == "acme"
    # A second rotation with no grace retires the second key at once, and deletes the expired first.
    again = admin.rotate_api_key("acme", grace=timedelta(0))
    assert again.previous_valid_until is None
    assert [k for k in directory.keys.values() if k.tenant_id == "acme"] == [
        directory.keys[hash_api_key(again.api_key)]
    ]


def test_status_s_listing_and_job_control_load_no_pydantic_at_cold_start():
    import subprocess
    import sys

    code = (
        "import sys, common.api.queries, common.api.pagination, common.services.job_control, common.services.status;"
        "print(sorted(m for m in ('pydantic', 'google.cloud.storage', 'google.cloud.pubsub_v1') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_submit_s_and_run_agent_s_services_load_no_pydantic_at_cold_start():
    # Both validate with pydantic on their first job; start-up (and /healthz, uploads, auth)
    # must not pay for it: benchmarks/cold_start.py holds them to 1.3x their floor.
    import subprocess
    import sys

    code = (
        "import sys, common.services.submit, common.services.uploads, common.api.auth, common.plans.admission,"
        " common.adapters.firestore_plans, common.adapters.firestore_store,"
        " common.services.execution, common.services.intake, common.services.sweeper;"
        "print(sorted(m for m in ('pydantic', 'google.cloud.storage') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
