"""Read the Terraform module in ``terraform/`` without the Google provider.

Two views, both offline:

* :func:`parse_module` parses every ``*.tf`` file with python-hcl2. Literals come back as Python
  values, expressions as strings (``"${var.region}"``), blocks as lists of dicts.
* :func:`evaluate_locals` asks Terraform itself for the values of *pure* locals, those computed
  from variables, other pure locals and functions such as ``fileset``: it writes them, with the
  module's ``variables.tf``, into a scratch root module that needs no provider, applies it and
  reads the outputs. Locals that reference a resource or data source cannot be evaluated this way
  and raise :class:`ValueError`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2
from hcl2.utils import SerializationOptions

from common.devstack.stack import PROJECT_ROOT

__all__ = [
    "TERRAFORM_DIR",
    "TerraformModule",
    "evaluate",
    "evaluate_locals",
    "expression",
    "parse_module",
    "run_terraform",
    "terraform_binary",
]

TERRAFORM_DIR = PROJECT_ROOT / "terraform"
_PLAIN = SerializationOptions(with_comments=False, explicit_blocks=False, strip_string_quotes=True)
_LOCAL_REF = re.compile(r"\blocal\.([A-Za-z_][A-Za-z0-9_]*)")
_IMPURE_REF = re.compile(r"(?<![\w.])(?:google_[a-z0-9_]+|data|module)\.[A-Za-z_]")


@dataclass(frozen=True)
class TerraformModule:
    """A parsed module.

    Attributes:
        locals: Local name -> value (literals as Python values, expressions as ``"${...}"``).
        resources: ``(type, name)`` -> body.
        data: ``(type, name)`` -> body of data sources.
        variables: Variable name -> body.
        outputs: Output name -> body.
        terraform: The ``terraform {}`` blocks.
    """

    locals: dict[str, Any]
    resources: dict[tuple[str, str], dict[str, Any]]
    data: dict[tuple[str, str], dict[str, Any]]
    variables: dict[str, dict[str, Any]]
    outputs: dict[str, dict[str, Any]]
    terraform: list[dict[str, Any]]

    def resource(self, type_: str, name: str) -> dict[str, Any]:
        """One resource's body; ``KeyError`` naming it when absent."""
        try:
            return self.resources[(type_, name)]
        except KeyError:
            raise KeyError(f"terraform declares no {type_}.{name}") from None

    def of_type(self, type_: str) -> dict[str, dict[str, Any]]:
        """Every resource of ``type_``, by name."""
        return {name: body for (t, name), body in self.resources.items() if t == type_}


def _tf_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.tf"))


def parse_module(directory: Path = TERRAFORM_DIR) -> TerraformModule:
    """Parse the ``*.tf`` files of ``directory`` (not its sub-folders)."""
    module = TerraformModule({}, {}, {}, {}, {}, [])
    for path in _tf_files(directory):
        with path.open() as f:
            parsed: dict[str, Any] = hcl2.load(f, serialization_options=_PLAIN)
        for block in parsed.get("locals", []):
            duplicate = set(block) & set(module.locals)
            assert not duplicate, f"local {duplicate} declared twice"
            module.locals.update(block)
        for kind, target in (("resource", module.resources), ("data", module.data)):
            for block in parsed.get(kind, []):
                for type_, named in block.items():
                    for name, body in named.items():
                        assert (type_, name) not in target, f"{kind} {type_}.{name} declared twice"
                        target[(type_, name)] = body
        for kind, target in (("variable", module.variables), ("output", module.outputs)):
            for block in parsed.get(kind, []):
                target.update(block)
        module.terraform.extend(parsed.get("terraform", []))
    return module


def expression(value: Any) -> str:
    """The text of an expression value: ``"${var.region}"`` -> ``"var.region"``."""
    assert isinstance(value, str) and value.startswith("${") and value.endswith("}"), f"not an expression: {value!r}"
    return value[2:-1]


def terraform_binary() -> str:
    """Path of the ``terraform`` CLI; fails (never skips) when it is missing."""
    path = shutil.which("terraform")
    assert path, "terraform is not on PATH; install Terraform >= 1.5 (see README, Development)"
    return path


def _raw_locals(directory: Path) -> dict[str, Any]:
    # The default serialisation keeps quotes and block markers, so hcl2.dumps can write it back.
    merged: dict[str, Any] = {}
    for path in _tf_files(directory):
        with path.open() as f:
            for block in hcl2.load(f).get("locals", []):
                merged.update({k: v for k, v in block.items() if k != "__is_block__"})
    return merged


def _closure(names: Iterable[str], raw: Mapping[str, Any]) -> dict[str, Any]:
    needed: dict[str, Any] = {}
    pending = list(names)
    while pending:
        name = pending.pop()
        if name in needed:
            continue
        if name not in raw:
            raise KeyError(f"terraform declares no local {name}")
        text = json.dumps(raw[name])
        if _IMPURE_REF.search(text):
            raise ValueError(f"local.{name} references a resource, data source or module; it cannot be evaluated")
        needed[name] = raw[name]
        pending.extend(_LOCAL_REF.findall(text))
    return needed


def evaluate(
    expressions: Mapping[str, str],
    workdir: Path,
    variables: Mapping[str, Any] | None = None,
    directory: Path = TERRAFORM_DIR,
) -> dict[str, Any]:
    """Evaluate expressions over the module's variables and pure locals with the real Terraform CLI.

    Args:
        expressions: Name -> expression, e.g. ``{"sources": "local.shared_sources"}``; the locals
            they reference (and their dependencies) come along.
        workdir: An empty scratch directory for the root module and its state.
        variables: Values for the module's variables (``project_id`` at least).
        directory: The module.

    Returns:
        Name -> value, as ``terraform output -json`` gives it.

    Raises:
        ValueError: A local depends on a resource, data source or module.
        subprocess.CalledProcessError: Terraform rejected the configuration or a variable.
    """
    referenced = {name for text in expressions.values() for name in _LOCAL_REF.findall(text)}
    closure = _closure(referenced, _raw_locals(directory))
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copy(directory / "variables.tf", workdir / "variables.tf")
    if closure:
        text = hcl2.dumps({"locals": [{**closure, "__is_block__": True}]})
        # path.module/path.root are the only context the scratch copy would change.
        for name in ("path.module", "path.root"):
            text = text.replace(name, json.dumps(str(directory)))
        (workdir / "locals.tf").write_text(text)
    (workdir / "outputs.tf").write_text(
        "".join(f'output "{name}" {{\n  value = {text}\n}}\n' for name, text in expressions.items())
    )
    (workdir / "terraform.tfvars.json").write_text(json.dumps(dict(variables or {})))
    run_terraform(workdir, "init", "-input=false", "-no-color")
    run_terraform(workdir, "apply", "-auto-approve", "-input=false", "-no-color")
    outputs = json.loads(run_terraform(workdir, "output", "-json").stdout)
    return {name: outputs[name]["value"] for name in expressions}


def evaluate_locals(
    names: Iterable[str],
    workdir: Path,
    variables: Mapping[str, Any] | None = None,
    directory: Path = TERRAFORM_DIR,
) -> dict[str, Any]:
    """:func:`evaluate` for plain locals: local name -> value."""
    return evaluate({name: f"local.{name}" for name in names}, workdir, variables, directory)


def run_terraform(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``terraform -chdir=workdir args...`` offline (no version check), capturing output."""
    env = {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"}
    return subprocess.run(
        [terraform_binary(), f"-chdir={workdir}", *args],
        capture_output=True,
        text=True,
        check=check,
        env=env,
        timeout=120,
    )
