"""``agentjobs tenants prices ...``: a tenant's model price overrides (negotiated rates, self-hosted models).

Admin commands, like the rest of ``agentjobs tenants``: they write the tenant's record in
Firestore with the operator's credentials (or the running dev stack's emulator).
"""

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from common.cli import exits
from common.cli.context import JsonOption, now

if TYPE_CHECKING:
    from common.costs.models import PriceOverride
    from common.ports import SecretCipher
    from common.services.tenants import TenantAdmin
    from common.tenants.models import Tenant

__all__ = ["app"]

app = typer.Typer(
    rich_markup_mode=None,
    help="Price overrides: a tenant's own USD per million tokens for a model, used before list prices.",
    no_args_is_help=True,
)
Project = Annotated[
    str | None,
    typer.Option(
        "--project",
        help="Act on this real Google Cloud project (default: the local stack, else `project` in agentjobs.toml).",
        show_default=False,
    ),
]

Usd = Annotated[str, typer.Option(help="USD per million tokens, e.g. 0.15.", show_default=False)]
OptionalUsd = Annotated[str | None, typer.Option(help="USD per million tokens (default: the input price).")]


def _run[T](project: str | None, action: Callable[["TenantAdmin"], T]) -> T:
    from common.adapters.clients import firestore_client
    from common.adapters.firestore_store import FirestoreTenantDirectory
    from common.cli.target import admin_target, run_admin
    from common.services.tenants import TenantAdmin

    def no_cipher() -> "SecretCipher":  # price overrides encrypt nothing
        raise AssertionError("price overrides need no cipher")

    with admin_target(project) as (target, settings):
        return run_admin(
            target,
            lambda: action(
                TenantAdmin(FirestoreTenantDirectory(firestore_client(settings.project)), clock=now, ciphers=no_cipher)
            ),
        )


def _since(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        exits.fail("--from must be a date or time in ISO 8601, e.g. 2026-01-01 or 2026-01-01T00:00Z", exits.USAGE)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _override_doc(o: "PriceOverride") -> dict[str, str | None]:
    return {
        "model": f"{o.provider}/{o.model}",
        "input_usd_per_mtok": str(o.input_usd_per_mtok),
        "output_usd_per_mtok": str(o.output_usd_per_mtok),
        "cache_read_usd_per_mtok": None if o.cache_read_usd_per_mtok is None else str(o.cache_read_usd_per_mtok),
        "cache_write_usd_per_mtok": None if o.cache_write_usd_per_mtok is None else str(o.cache_write_usd_per_mtok),
        "effective_from": None if o.effective_from is None else o.effective_from.isoformat(),
    }


def _print(tenant: "Tenant", as_json: bool = False) -> None:
    rows = [_override_doc(o) for o in tenant.price_overrides]
    if as_json:
        typer.echo(json.dumps({"tenant_id": tenant.tenant_id, "price_overrides": rows}, indent=2))
        return
    if not rows:
        typer.echo(f"{tenant.tenant_id}: no price overrides (list prices from genai-prices apply)")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{tenant.tenant_id}: price overrides (USD per million tokens)", title_justify="left")
    for column in ("model", "input", "output", "cache read", "cache write", "from"):
        table.add_column(column, justify="left" if column in ("model", "from") else "right")
    for r in rows:
        table.add_row(
            r["model"],
            r["input_usd_per_mtok"],
            r["output_usd_per_mtok"],
            r["cache_read_usd_per_mtok"] or "= input",
            r["cache_write_usd_per_mtok"] or "= input",
            r["effective_from"] or "always",
        )
    Console().print(table)


@app.command("set")
def set_price(
    tenant_id: str,
    model: Annotated[str, typer.Argument(help="provider/model, or provider/* for every model of a provider.")],
    input_: Annotated[str, typer.Option("--input-usd", help="USD per million input tokens.", show_default=False)],
    output: Annotated[str, typer.Option("--output-usd", help="USD per million output tokens.", show_default=False)],
    cache_read: OptionalUsd = None,
    cache_write: OptionalUsd = None,
    from_: Annotated[
        str | None, typer.Option("--from", help="Applies to calls from this UTC date/time (default: always).")
    ] = None,
    project: Project = None,
) -> None:
    """Set a tenant's price for a model; replaces the one with the same model and --from."""
    from common.costs.overrides import InvalidPriceOverride, parse_price_override

    try:
        override = parse_price_override(
            model,
            input_usd_per_mtok=input_,
            output_usd_per_mtok=output,
            cache_read_usd_per_mtok=cache_read,
            cache_write_usd_per_mtok=cache_write,
            effective_from=_since(from_),
        )
    except InvalidPriceOverride as e:
        exits.fail(f"{e.error_code}: {e.message}", exits.USAGE)
    _print(_run(project, lambda admin: admin.set_price_override(tenant_id, override)))


@app.command("show")
def show(
    tenant_id: str,
    as_json: JsonOption = False,
    project: Project = None,
) -> None:
    """Show a tenant's price overrides."""
    _print(_run(project, lambda admin: admin.get(tenant_id)), as_json)


@app.command("clear")
def clear(
    tenant_id: str,
    model: Annotated[str | None, typer.Argument(help="provider/model (or provider/*) to remove.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Remove every override of the tenant.")] = False,
    project: Project = None,
) -> None:
    """Remove a tenant's overrides of one model (every --from), or all of them with --all."""
    if (model is None) == (not all_):
        exits.fail("give a provider/model or --all", exits.USAGE)
    _print(_run(project, lambda admin: admin.clear_price_overrides(tenant_id, model)))
