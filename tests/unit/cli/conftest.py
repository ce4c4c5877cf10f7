"""CLI tests run with no stack, no configuration file and no API settings from the developer's shell."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

_CLEARED = (
    "AGENTJOBS_API_URL",
    "AGENTJOBS_SUBMIT_URL",
    "AGENTJOBS_API_KEY",
    "AGENTJOBS_TENANT",
    "AGENTJOBS_CONFIG",
    "AGENTJOBS_PROJECT",
    "GOOGLE_CLOUD_PROJECT",
    "FIRESTORE_EMULATOR_HOST",
    "STORAGE_EMULATOR_HOST",
    "PUBSUB_EMULATOR_HOST",
    "AGENTJOBS_MODEL_API_KEY",
    "AGENTJOBS_MODEL_BASE_URL",
    "OPENAI_API_KEY",
)


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name in _CLEARED:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AGENTJOBS_DEV_DIR", str(tmp_path / "no-stack"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    yield tmp_path
