"""Telemetry tests share the process-wide facade; each test starts and ends with none initialised."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import common.telemetry as telemetry


@pytest.fixture(autouse=True)
def _fresh_telemetry() -> Iterator[None]:
    telemetry.shutdown()
    yield
    telemetry.shutdown()
