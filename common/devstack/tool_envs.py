"""Locked tool environments for emulators that cannot share the project's environment.

The Cloud Tasks emulator (``gcloud-tasks-emulator``) pins an old protobuf, so it runs in its own
virtual environment at ``.agentjobs/tools/tasks-emulator``, installed from the hash-pinned
``tools/tasks-emulator/requirements.txt``. ``make setup`` builds it once (it needs the package
index that one time); afterwards ``agentjobs dev up`` works offline.

Run ``python -m common.devstack.tool_envs`` to build what is missing.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["TASKS_EMULATOR_SERVER", "ensure_tasks_emulator", "tasks_emulator_python"]

_ROOT = Path(__file__).resolve().parents[2]
_REQUIREMENTS = _ROOT / "tools" / "tasks-emulator" / "requirements.txt"
TASKS_EMULATOR_SERVER = _ROOT / "tools" / "tasks-emulator" / "serve.py"
"""The launcher that runs the emulator with production queue semantics (see its docstring)."""
_ENV = _ROOT / ".agentjobs" / "tools" / "tasks-emulator"


def tasks_emulator_python() -> Path | None:
    """The tool environment's interpreter, when the environment is built for the current lock file."""
    python = _ENV / "bin" / "python"
    stamp = _ENV / ".requirements.sha256"
    if not python.exists() or not stamp.exists() or stamp.read_text() != _digest():
        return None
    return python


def ensure_tasks_emulator() -> Path:
    """Build the tool environment if it is missing or stale; returns its interpreter.

    Raises:
        RuntimeError: ``uv`` is not available or the install failed (the message says what to run).
    """
    python = tasks_emulator_python()
    if python is not None:
        return python
    uv = [sys.executable, "-m", "uv"] if _has_uv_module() else [shutil.which("uv") or "uv"]
    try:
        subprocess.run([*uv, "venv", "--quiet", "--allow-existing", str(_ENV)], check=True, cwd=_ROOT)
        subprocess.run(
            [
                *uv,
                "pip",
                "install",
                "--quiet",
                "--python",
                str(_ENV / "bin" / "python"),
                "--require-hashes",
                "-r",
                str(_REQUIREMENTS),
            ],
            check=True,
            cwd=_ROOT,
        )
    except (OSError, subprocess.CalledProcessError) as e:
        raise RuntimeError(
            "could not build the Cloud Tasks emulator's tool environment; "
            "run `make setup` with access to the package index"
        ) from e
    (_ENV / ".requirements.sha256").write_text(_digest())
    return _ENV / "bin" / "python"


def _digest() -> str:
    return hashlib.sha256(_REQUIREMENTS.read_bytes()).hexdigest()


def _has_uv_module() -> bool:
    import importlib.util

    return importlib.util.find_spec("uv") is not None


if __name__ == "__main__":
    print(ensure_tasks_emulator())
