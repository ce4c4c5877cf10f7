"""Once `make setup` built it, the Cloud Tasks emulator's environment is used as is: `dev up` never
reaches for the package index (it works offline)."""

from __future__ import annotations

import re

import pytest

from common.devstack import tool_envs


def test_requirements_are_pinned_and_hashed():
    text = tool_envs._REQUIREMENTS.read_text()
    requirements = re.findall(r"^([A-Za-z0-9_.-]+)==[^\s\\]+", text, re.MULTILINE)
    assert requirements, "no pinned requirement"
    assert text.count("--hash=sha256:") >= len(requirements)


def test_a_built_environment_is_reused_without_running_uv(monkeypatch: pytest.MonkeyPatch):
    if tool_envs.tasks_emulator_python() is None:
        pytest.fail("the tool environment is missing: run `make setup`")

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"dev up ran {args!r}: it must not install anything once set up")

    monkeypatch.setattr(tool_envs.subprocess, "run", no_network)
    assert tool_envs.ensure_tasks_emulator() == tool_envs.tasks_emulator_python()
