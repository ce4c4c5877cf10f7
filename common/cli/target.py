"""Which Google project an admin command acts on, said out loud, and never a real one by accident.

Admin commands (``agentjobs tenants ...``) talk to Firestore, Cloud Storage and Cloud KMS with
the operator's credentials. The target is, in order:

1. ``--project PROJECT``: that real project (or the emulators, if ``*_EMULATOR_HOST`` is set);
2. the running local stack (``agentjobs dev up``): its emulators;
3. emulators named by ``FIRESTORE_EMULATOR_HOST`` in the environment;
4. ``project = "..."`` in the configuration file (:mod:`common.cli.config_file`): that project.

Anything else is refused (exit 2): application-default credentials alone never select a project.
Every command prints its target on stderr before it acts. Expected conditions (nothing listening
on the emulator port, no credentials, permission denied) end with one line and exit code 1, 2 or
4, never a traceback.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from common.cli import exits
from common.cli.config_file import ConfigFileError, load_config

if TYPE_CHECKING:
    from common.config import Settings

__all__ = ["Target", "admin_target", "resolve_target", "run_admin"]

_EMULATOR_VARS = ("FIRESTORE_EMULATOR_HOST", "STORAGE_EMULATOR_HOST", "PUBSUB_EMULATOR_HOST")


@dataclass(frozen=True, slots=True)
class Target:
    """Where an admin command acts.

    Attributes:
        local: Emulators (``True``) or a real Google Cloud project.
        project: The project id.
        description: One line for the user, e.g. ``local stack (emulators, project agentjobs-dev)``.
        env: Environment exported while the command acts.
        probe: ``host:port`` that must accept a connection first (the Firestore emulator).
    """

    local: bool
    project: str
    description: str
    env: dict[str, str] = field(default_factory=dict[str, str])
    probe: str = ""


def resolve_target(project: str | None, state_dir: Path | None = None) -> Target:
    """The target for ``--project`` (``None`` when not given), per the module's rules.

    Raises:
        typer.Exit: Code 2 when no target is named and no local stack runs, or the configuration
            file is invalid.
    """
    from common.devstack.stack import default_state_dir, load_stack

    emulator = os.environ.get("FIRESTORE_EMULATOR_HOST", "")
    if project:
        if emulator:
            return Target(
                True,
                project,
                f"emulators at {emulator} (FIRESTORE_EMULATOR_HOST), project {project}",
                _project_env(project),
                probe=emulator,
            )
        return Target(False, project, f"Google Cloud project {project} (named by --project)", _project_env(project))
    directory = state_dir or default_state_dir()
    info = load_stack(directory)
    if info is not None:
        return Target(
            True,
            info.project,
            f"local stack (emulators, project {info.project}, started from {directory})",
            dict(info.env),
            probe=info.env.get("FIRESTORE_EMULATOR_HOST", ""),
        )
    if emulator:
        named = os.environ.get("AGENTJOBS_PROJECT") or os.environ.get("GOOGLE_CLOUD_PROJECT") or "agentjobs-dev"
        return Target(
            True, named, f"emulators at {emulator} (FIRESTORE_EMULATOR_HOST), project {named}", probe=emulator
        )
    try:
        config = load_config()
    except ConfigFileError as e:
        exits.fail(str(e), exits.USAGE)
    if config.project:
        return Target(
            False,
            config.project,
            f"Google Cloud project {config.project} (from {config.path})",
            _project_env(config.project),
        )
    exits.fail(
        f"No target: no local stack is running (looked in {directory}) and no project is named.\n"
        "Start the local stack with `agentjobs dev up`, or name a real project with --project PROJECT "
        'or `project = "PROJECT"` in ./agentjobs.toml.',
        exits.USAGE,
    )


def _project_env(project: str) -> dict[str, str]:
    return {"AGENTJOBS_PROJECT": project, "GOOGLE_CLOUD_PROJECT": project}


def _answers(host_port: str, timeout: float = 1.0) -> bool:
    host, _, port = host_port.rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout):
            return True
    except (OSError, ValueError):
        return False


@contextlib.contextmanager
def _exported(env: dict[str, str]) -> Generator[None]:
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def admin_target(project: str | None, state_dir: Path | None = None) -> Generator[tuple[Target, Settings]]:
    """Resolve and announce the target, export its environment, and yield settings read from it.

    Raises:
        typer.Exit: Code 2 (no target), 4 (nothing answers at the emulator).
    """
    target = resolve_target(project, state_dir)
    exits.note(f"target: {target.description}")
    if target.probe and not _answers(target.probe):
        exits.fail(
            f"Nothing answers at {target.probe} (the Firestore emulator). "
            "Start the local stack with `agentjobs dev up`.",
            exits.UNREACHABLE,
        )
    with _exported(target.env):
        from common.config import Settings

        yield target, Settings.from_env()


def run_admin[T](target: Target, action: Callable[[], T]) -> T:
    """Run ``action``; map expected failures to one line and an exit code instead of a traceback.

    Raises:
        typer.Exit: 1 when the action failed (an agentjobs error, permission denied), 4 when the
            target could not be reached or there are no usable credentials.
    """
    from common.errors import AgentJobsError, TransientError

    try:
        return action()
    except AgentJobsError as e:
        cause = _google_cause(e)
        if cause is not None:
            _fail_google(target, cause)
        code = exits.UNREACHABLE if isinstance(e, TransientError) else exits.FAILED
        exits.fail(f"{e.error_code}: {e.message}", code)
    except Exception as e:
        cause = _google_cause(e)
        if cause is None:
            raise
        _fail_google(target, cause)


def _google_cause(error: BaseException) -> BaseException | None:
    """The first ``google.auth`` / ``google.api_core`` exception in ``error``'s chain."""
    seen: BaseException | None = error
    while seen is not None:
        if type(seen).__module__.startswith(("google.auth", "google.api_core")):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _fail_google(target: Target, error: BaseException) -> NoReturn:
    name = type(error).__name__
    where = target.description
    if name in {"DefaultCredentialsError", "RefreshError", "TransportError"}:
        exits.fail(
            f"No usable Google credentials for {where} ({name}). Run `gcloud auth application-default login`, "
            "or use the local stack: `agentjobs dev up`.",
            exits.UNREACHABLE,
        )
    if name in {"PermissionDenied", "Forbidden", "Unauthenticated", "Unauthorized"}:
        exits.fail(f"Permission denied on {where} ({name}).", exits.FAILED)
    if name in {"ServiceUnavailable", "RetryError", "DeadlineExceeded"}:
        exits.fail(f"{where} did not answer ({name}).", exits.UNREACHABLE)
    exits.fail(f"{where} refused the request ({name}).", exits.FAILED)
