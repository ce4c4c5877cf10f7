"""The local stack: loopback only, every function answers /healthz, `dev env` exports what a shell needs."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import httpx

from tests.e2e.conftest import Stack

_LISTEN = "0A"
_LOOPBACK = {"0100007F", "00000000000000000000000001000000", "0000000000000000FFFF00000100007F"}


def _group_pids(groups: set[int]) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) in groups:  # field 5 of stat: the process group
                pids.append(int(entry.name))
    return pids


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        pass
    return inodes


def _listening(inodes: set[str]) -> list[tuple[str, int]]:
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            cols = row.split()
            if cols[3] == _LISTEN and cols[9] in inodes:
                address, port = cols[1].split(":")
                found.append((address, int(port, 16)))
    return found


def test_every_part_listens_on_loopback_only(stack: Stack):
    groups = {p.pid for p in stack.info.processes}
    inodes: set[str] = set()
    for pid in _group_pids(groups):
        inodes |= _socket_inodes(pid)
    sockets = _listening(inodes)
    ports = {int(e.rsplit(":", 1)[1]) for e in stack.info.endpoints.values()}
    assert ports <= {port for _, port in sockets}, "the scan must see every endpoint"
    assert [s for s in sockets if s[0] not in _LOOPBACK] == []


def test_every_function_answers_healthz_without_a_key(stack: Stack):
    for name in ("submit", "status", "run_agent", "notify"):
        response = httpx.get(stack.url(name, "/healthz"))
        assert response.status_code == 200 and response.json() == {"status": "ok"}, name


def test_dev_env_prints_exports_for_the_api_and_the_emulators(stack: Stack):
    done = subprocess.run(
        [str(Path(sys.executable).parent / "agentjobs"), "dev", "env"],
        env={**os.environ, "AGENTJOBS_DEV_DIR": str(stack.info.state_dir)},
        capture_output=True,
        text=True,
        check=True,
    )
    exported = dict(shlex.split(line.removeprefix("export "))[0].split("=", 1) for line in done.stdout.splitlines())
    assert exported["AGENTJOBS_SUBMIT_URL"] == stack.info.endpoints["submit"]
    assert exported["AGENTJOBS_API_URL"] == stack.info.endpoints["status"]
    for key in (
        "FIRESTORE_EMULATOR_HOST",
        "PUBSUB_EMULATOR_HOST",
        "STORAGE_EMULATOR_HOST",
        "CLOUD_TASKS_EMULATOR_HOST",
    ):
        assert exported[key] == stack.info.env[key]
    assert "AGENTJOBS_LOCAL_SECRET_KEY" not in exported
