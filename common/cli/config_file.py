"""The CLI's own configuration file: which real project and which API the CLI talks to.

Looked up in this order, the first that exists wins:

1. ``$AGENTJOBS_CONFIG`` (a path);
2. ``./agentjobs.toml`` (the current directory);
3. ``$XDG_CONFIG_HOME/agentjobs/config.toml`` (default ``~/.config/agentjobs/config.toml``).

Keys (all optional)::

    project = "my-project"                       # the real project admin commands may act on
    api_url = "https://status-xyz.a.run.app"     # the status API (job resources)
    submit_url = "https://submit-xyz.a.run.app"  # the submit API

    [dev]
    model = "openai/gpt-4o-mini"                 # the model `agentjobs dev up` gives the functions

Command-line flags and environment variables win over the file. The functions never read it.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

__all__ = ["CliConfig", "ConfigFileError", "config_path", "load_config"]


class ConfigFileError(ValueError):
    """The configuration file is not valid TOML or has a key of the wrong type."""


@dataclass(frozen=True, slots=True)
class CliConfig:
    """What the configuration file says.

    Attributes:
        path: The file read, or ``None`` when there is none.
        project: The real Google Cloud project admin commands may act on.
        api_url: Base URL of the status API.
        submit_url: Base URL of the submit API.
        dev_model: ``provider/model`` that ``agentjobs dev up`` sets as ``AGENTJOBS_MODEL``.
    """

    path: Path | None = None
    project: str = ""
    api_url: str = ""
    submit_url: str = ""
    dev_model: str = ""


def config_path() -> Path | None:
    """The configuration file in effect, or ``None`` when none exists."""
    explicit = os.environ.get("AGENTJOBS_CONFIG")
    if explicit:
        return Path(explicit)
    local = Path.cwd() / "agentjobs.toml"
    if local.is_file():
        return local
    xdg = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "agentjobs" / "config.toml"
    return xdg if xdg.is_file() else None


def _text(table: dict[str, Any], key: str, path: Path) -> str:
    value = table.get(key, "")
    if not isinstance(value, str):
        raise ConfigFileError(f"{path}: {key} must be a string")
    return value


def load_config() -> CliConfig:
    """Read the configuration file in effect.

    Raises:
        ConfigFileError: It is missing (when named by ``$AGENTJOBS_CONFIG``), not TOML, or a key
            has the wrong type.
    """
    path = config_path()
    if path is None:
        return CliConfig()
    try:
        data = tomllib.loads(path.read_text())
    except OSError as e:
        raise ConfigFileError(f"cannot read {path}: {e.strerror}") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigFileError(f"{path} is not valid TOML: {e}") from e
    dev = data.get("dev", {})
    if not isinstance(dev, dict):
        raise ConfigFileError(f"{path}: [dev] must be a table")
    return CliConfig(
        path=path,
        project=_text(data, "project", path),
        api_url=_text(data, "api_url", path).rstrip("/"),
        submit_url=_text(data, "submit_url", path).rstrip("/"),
        dev_model=_text(cast(dict[str, Any], dev), "model", path),
    )
