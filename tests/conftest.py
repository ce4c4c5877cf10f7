"""Shared fixtures: the real shared data, and the emulator stack (started once per session, only if asked for)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from common.devstack.stack import PROJECT_ROOT, StackInfo, StackSettings, start_stack, stop_stack

SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _fresh_default_model() -> None:
    """The process-wide model port reads settings once; tests change them, so start each clean.

    Agents are cached per process too and keep the model port they were built with.
    """
    from common.agents.registry import load_agent
    from common.llm.default import default_model

    default_model.cache_clear()
    load_agent.cache_clear()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``; fails (never skips) when missing."""
    if not (SHARED_DATA / "protocols").is_dir():
        pytest.fail(f"shared data not found at {SHARED_DATA}; the tests need ../shared/data beside the project root")
    return SHARED_DATA


@pytest.fixture(scope="session")
def emulators(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackInfo]:
    """Pub/Sub, Firestore, fake-gcs-server and Cloud Tasks emulators, no functions, env exported.

    Fails (never skips) when an emulator is missing: the message says what to install.
    """
    state_dir = tmp_path_factory.mktemp("emulators")
    info = start_stack(StackSettings(functions=()), state_dir=state_dir)
    try:
        with info.client_env():
            yield info
    finally:
        stop_stack(state_dir)
