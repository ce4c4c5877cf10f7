"""Integration fixtures: each function through ``functions_framework.create_app`` against the emulators."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import functions_framework
import pytest
from flask import Flask
from flask.testing import FlaskClient

from common.adapters.clients import firestore_client, storage_client
from common.adapters.firestore_store import FirestoreTenantDirectory
from common.adapters.gcs_blobs import GcsBlobStore
from common.adapters.secret_ciphers import secret_cipher_factory
from common.config import Settings
from common.devstack.stack import PROJECT_ROOT, StackInfo, reset_firestore
from common.services.tenants import CreatedTenant, TenantAdmin


@pytest.fixture(autouse=True)
def _clean_firestore(request: pytest.FixtureRequest) -> Iterator[None]:
    if "emulators" not in request.fixturenames:
        yield
        return
    info: StackInfo = request.getfixturevalue("emulators")
    reset_firestore(info)
    # Session fixtures export their emulator hosts; one set up later (the e2e stack, when another
    # test directory asked for the emulators first) would otherwise leave this test on its hosts.
    with info.client_env():
        yield


@pytest.fixture
def make_app(emulators: StackInfo, monkeypatch: pytest.MonkeyPatch) -> Callable[..., FlaskClient]:
    """Load ``functions/{name}/main.py`` fresh with extra env and return a Flask test client."""

    def make(name: str, **env: str) -> FlaskClient:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        source = PROJECT_ROOT / "functions" / name / "main.py"
        app = cast(Flask, functions_framework.create_app(target=name, source=str(source), signature_type="http"))
        return app.test_client()

    return make


@pytest.fixture
def directory(emulators: StackInfo) -> FirestoreTenantDirectory:
    return FirestoreTenantDirectory(firestore_client(emulators.project))


@pytest.fixture
def admin(directory: FirestoreTenantDirectory) -> TenantAdmin:
    return TenantAdmin(
        directory,
        clock=lambda: datetime.now(UTC),
        ciphers=secret_cipher_factory(Settings.from_env()),
        allow_loopback_callbacks=True,
    )


@pytest.fixture
def tenant(admin: TenantAdmin) -> CreatedTenant:
    return admin.create("acme")


@pytest.fixture
def other_tenant(admin: TenantAdmin) -> CreatedTenant:
    return admin.create("globex")


@pytest.fixture
def blobs(emulators: StackInfo) -> Callable[[str], GcsBlobStore]:
    client = storage_client(emulators.project)
    return lambda tenant_id: GcsBlobStore(client, emulators.bucket, tenant_id)


def bearer(created: CreatedTenant) -> dict[str, str]:
    return {"Authorization": f"Bearer {created.api_key}"}


def sample_pdf(shared_data: Path) -> bytes:
    return (shared_data / "protocols" / "CDISC_Pilot_Study.pdf").read_bytes()
