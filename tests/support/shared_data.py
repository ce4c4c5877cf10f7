"""Where the real evaluation data lives: ``../shared/data`` beside the project root."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def shared_data_dir() -> Path:
    """``/work/shared/data`` for a project at ``/work/main``; fails (never skips) when missing."""
    path = (PROJECT_ROOT / ".." / "shared" / "data").resolve()
    if not (path / "protocols").is_dir():
        pytest.fail(f"shared data not found at {path}: the tests need ../shared/data beside the project root")
    return path


def protocol_pdf(name: str) -> bytes:
    """The bytes of ``protocols/<name>.pdf``."""
    return (shared_data_dir() / "protocols" / f"{name}.pdf").read_bytes()


def protocol_gold(name: str) -> dict[str, Any]:
    """The reference fields ``protocols/gold/<name>.json``."""
    return json.loads((shared_data_dir() / "protocols" / "gold" / f"{name}.json").read_text(encoding="utf-8"))
