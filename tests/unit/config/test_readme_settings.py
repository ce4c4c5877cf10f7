"""The README's settings table is generated from common/config.py and lists every variable the code reads."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.readme import README, updated

ROOT = Path(__file__).resolve().parents[3]
# Variables of ours (and the observability SDKs' and emulators' that we read ourselves), as string literals.
_READ = re.compile(
    r"[\"'](AGENTJOBS_[A-Z0-9_]+|SENTRY_[A-Z0-9_]+|LOGFIRE_[A-Z0-9_]+|OTEL_[A-Z0-9_]+|[A-Z_]+_EMULATOR_HOST|[A-Z]+_API_KEY)[\"']"
)


def test_settings_table_is_generated_from_config():
    text = README.read_text()
    assert text == updated(text), "README settings table is stale: run `uv run python -m tests.support.readme`"


def test_every_variable_the_code_reads_is_in_the_readme():
    text = README.read_text()
    names: set[str] = set()
    for folder in ("common", "functions"):
        for path in (ROOT / folder).rglob("*.py"):
            names |= set(_READ.findall(path.read_text()))
    assert len(names) > 40  # the scan sees the settings
    assert sorted(n for n in names if n not in text) == []
