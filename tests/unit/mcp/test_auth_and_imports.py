"""HTTP bearer keys are checked with the API (and remembered briefly); fastmcp loads only in `agentjobs mcp`."""

from __future__ import annotations

import ast
import asyncio
import json
import subprocess
import sys
from pathlib import Path

from common.mcp.api import ApiError
from common.mcp.auth import ACCEPTED_FOR_S, ApiKeyVerifier

ROOT = Path(__file__).resolve().parents[3]
MCP_LIBRARIES = ("fastmcp", "mcp", "mcp_types")
GOOD = "aj_" + "k" * 43


class KeyApi:
    calls: list[str] = []

    def __init__(self, key: str) -> None:
        self.key = key

    def list_jobs(self, *, limit: int = 20) -> dict:
        KeyApi.calls.append(self.key)
        if self.key != GOOD:
            raise ApiError(401, "invalid_api_key", "unknown key")
        return {"jobs": [], "count": 0}


def test_a_key_the_api_accepts_is_a_bearer_token_and_is_remembered_for_a_while():
    now = [0.0]
    verifier = ApiKeyVerifier(KeyApi, clock=lambda: now[0])  # type: ignore[arg-type]
    KeyApi.calls = []
    token = asyncio.run(verifier.verify_token(GOOD))
    assert token is not None and token.token == GOOD and GOOD not in token.client_id
    asyncio.run(verifier.verify_token(GOOD))
    assert KeyApi.calls == [GOOD]
    now[0] += ACCEPTED_FOR_S + 1
    asyncio.run(verifier.verify_token(GOOD))
    assert KeyApi.calls == [GOOD, GOOD]


def test_a_key_the_api_refuses_or_that_is_not_a_key_is_refused():
    verifier = ApiKeyVerifier(KeyApi)  # type: ignore[arg-type]
    KeyApi.calls = []
    assert asyncio.run(verifier.verify_token("aj_wrong")) is None
    assert asyncio.run(verifier.verify_token("Bearer-ish junk")) is None
    assert asyncio.run(verifier.verify_token("aj_" + "x" * 500)) is None
    assert KeyApi.calls == ["aj_wrong"]  # malformed tokens never reach the API


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def test_only_the_mcp_server_modules_import_an_mcp_library():
    allowed = {ROOT / "common" / "mcp" / "server.py", ROOT / "common" / "mcp" / "auth.py"}
    offenders = [
        f"{path.relative_to(ROOT)} {name}"
        for base in ("common", "functions")
        for path in (ROOT / base).rglob("*.py")
        if path not in allowed
        for name in _imports(path)
        if name.split(".")[0] in MCP_LIBRARIES
    ]
    assert offenders == []
    # The CLI reaches them only inside the `mcp serve` command: a function-level import.
    tree = ast.parse((ROOT / "common" / "cli" / "mcp.py").read_text())
    top_level = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    assert not [n for n in top_level if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("common.mcp")]


_LOADED = """
import json, sys
{setup}
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {libraries!r})))
"""


def loaded_after(setup: str) -> list[str]:
    probe = _LOADED.format(setup=setup, libraries=MCP_LIBRARIES)
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def test_services_the_cli_and_the_mcp_api_client_load_no_mcp_library():
    services = " ".join(f"import common.services.{p.stem};" for p in (ROOT / "common" / "services").glob("[a-z]*.py"))
    setup = (
        f"{services}\n"
        "import common.mcp.api, common.mcp.follow\n"
        "from common.cli.app import app\n"
        "try:\n    app(['mcp', 'serve', '--help'])\nexcept SystemExit:\n    pass\n"
    )
    assert loaded_after(setup) == []


def test_without_the_extra_mcp_serve_exits_2_naming_it():
    setup = (
        "sys.modules['fastmcp'] = None  # as if agentjobs[mcp] were not installed\n"
        "from common.cli.app import app\n"
        "try:\n    app(['mcp', 'serve', '--api-url', 'http://x', '--submit-url', 'http://x', '--api-key', 'aj_x'])\n"
        "except SystemExit as e:\n    print('exit', e.code)\n"
    )
    probe = _LOADED.format(setup=setup, libraries=MCP_LIBRARIES)
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert "exit 2" in done.stdout
    assert "pip install 'agentjobs[mcp]'" in done.stderr and "Traceback" not in done.stderr
