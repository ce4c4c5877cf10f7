"""One flag name means one thing everywhere; every API command takes the same connection flags;
every command is in the README; `agentjobs --help` loads no SDK."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import typer

from common.cli.app import app
from tests.support.readme import README


# Typer vendors its own click: walk the tree by duck typing instead of importing it.
def _commands(group: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, (*prefix, name))
        else:
            yield (*prefix, name), command


def _options(command: Any) -> dict[str, Any]:
    return {opt: p for p in command.params if p.param_type_name == "option" for opt in p.opts}


ROOT = typer.main.get_command(app)
COMMANDS = dict(_commands(ROOT))


def test_every_api_command_takes_api_key_and_api_url():
    api = {path for path in COMMANDS if path[0] in ("jobs", "status", "submit", "rejections")}
    assert {("status",), ("submit",), ("jobs", "list"), ("jobs", "delete")} <= api
    for path in api:
        options = _options(COMMANDS[path])
        assert {"--api-key", "--api-url"} <= set(options), path
        assert "AGENTJOBS_API_KEY" in (options["--api-key"].help or ""), path


def test_json_always_means_print_json_and_every_listing_has_it():
    for path, command in COMMANDS.items():
        option = _options(command).get("--json")
        if option is not None:
            assert option.is_flag and "Print JSON" in (option.help or ""), path
        if path[-1] in ("list", "show", "status"):
            assert option is not None, f"{' '.join(path)} lists but has no --json"


def test_submit_and_agents_run_take_the_same_inputs():
    submit, run = _options(COMMANDS[("submit",)]), _options(COMMANDS[("agents", "run")])
    for flag in ("--input", "-i", "--file", "--json"):
        assert flag in submit and flag in run, flag
    assert submit["--input"] is submit["-i"]


def test_every_admin_command_takes_project():
    for path, command in COMMANDS.items():
        if path[0] == "tenants":
            assert "--project" in _options(command), path


def test_readme_lists_every_command():
    text = README.read_text()
    table = text[text.index("### The CLI") : text.index("**Flags mean one thing everywhere.**")]
    rows = [line for line in table.splitlines() if line.startswith("| `agentjobs ")]
    for path in COMMANDS:
        head, leaf = f"| `agentjobs {path[0]}", path[-1]
        assert any(row.startswith(head) and re.search(rf"\b{re.escape(leaf)}\b", row) for row in rows), path


def test_help_loads_no_sdk():
    probe = (
        "import sys\n"
        "before = set(sys.modules)  # the interpreter's .pth files already add the google.cloud namespace\n"
        "from common.cli.app import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = ('httpx', 'google.cloud', 'google.auth', 'pydantic', 'rich', 'common.agents', 'mirascope', 'fastmcp', 'mcp')\n"
        "print(__import__('json').dumps(sorted(m for m in set(sys.modules) - before if m.startswith(heavy))))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.splitlines()[-1]) == []
