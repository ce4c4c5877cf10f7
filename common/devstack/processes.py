"""Starting, probing and stopping the local stack's processes.

Every process starts in its own session (process group), so stopping it also stops the children
it spawned (the emulators are shell scripts that start a JVM), and nothing else.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ManagedProcess", "StartupFailed", "free_port", "start_process", "stop_process_group", "wait_http"]


class StartupFailed(RuntimeError):
    """A process died or did not become ready in time. The message names its log file."""


@dataclass(frozen=True, slots=True)
class ManagedProcess:
    """A process the stack started.

    Attributes:
        name: Short name, e.g. ``pubsub``.
        pid: Process id, also its process-group id.
        port: The port it serves on.
        log_path: Where its stdout and stderr go.
    """

    name: str
    pid: int
    port: int
    log_path: Path


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_process(
    name: str,
    argv: Sequence[str],
    *,
    port: int,
    log_dir: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> tuple[ManagedProcess, subprocess.Popen[bytes]]:
    """Start ``argv`` in a new session, logging to ``log_dir/{name}.log``.

    Returns:
        The process record and its ``Popen`` handle.
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    with log_path.open("ab") as log_file:
        proc = subprocess.Popen(
            list(argv),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            start_new_session=True,
        )
    return ManagedProcess(name=name, pid=proc.pid, port=port, log_path=log_path), proc


def wait_http(
    process: ManagedProcess,
    popen: subprocess.Popen[bytes] | None,
    url: str,
    *,
    timeout: float = 60.0,
    expect_ok: bool = False,
) -> float:
    """Wait until ``url`` answers any HTTP status (with ``expect_ok``: a 2xx, as ``/healthz`` does).

    Returns:
        Seconds waited.

    Raises:
        StartupFailed: The process exited, or ``timeout`` seconds passed.
    """
    started = time.monotonic()
    while True:
        if popen is not None and popen.poll() is not None:
            raise StartupFailed(f"{process.name} exited with code {popen.returncode}; see {process.log_path}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback URL we built
                return time.monotonic() - started
        except urllib.error.HTTPError:
            if not expect_ok:
                return time.monotonic() - started
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() - started > timeout:
            raise StartupFailed(f"{process.name} did not answer {url} after {timeout:.0f} s; see {process.log_path}")
        time.sleep(0.1)


def stop_process_group(pid: int, *, grace: float = 10.0) -> bool:
    """SIGTERM the process group ``pid``, then SIGKILL it after ``grace`` seconds.

    Returns:
        ``True`` if the group existed.
    """
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    return True
