"""``agentjobs tenants prices ...``: a tenant's model price overrides (negotiated rates, self-hosted models).

Admin commands, like the rest of ``agentjobs tenants``: they write the tenant's record in
Firestore with the operator's credentials (or the running dev stack's emulator).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from common.cli.context import cloud_env, now
from common.errors import AgentJobsError

if TYPE_CHECKING:
    from common.costs.models import PriceOverride
    from common.ports import SecretCipher
    from common.services.tenants import TenantAdmin
    from common.tenants.models import Tenant

__all__ = ["app"]

app = typer.Typer(
    help="Price overrides: a tenant's own USD per million tokens for a model, used before list prices.",
    no_args_is_help=True,
)
console = Console()

Usd = Annotated[str, typer.Option(help="USD per million tokens, e.g. 0.15.", show_default=False)]
OptionalUsd = Annotated[str | None, typer.Option(help="USD per million tokens (default: the input price).")]


def _run[T](action: Callable[[TenantAdmin], T]) -> T:
    from common.adapters.clients import firestore_client
    from common.adapters.firestore_store import FirestoreTenantDirectory
    from common.services.tenants import TenantAdmin

    def no_cipher() -> SecretCipher:  # price overrides encrypt nothing
        raise AssertionError("price overrides need no cipher")

    with cloud_env() as (settings, _):
        admin = TenantAdmin(
            FirestoreTenantDirectory(firestore_client(settings.project)),
            clock=now,
            ciphers=no_cipher,
        )
        try:
            return action(admin)
        except AgentJobsError as e:
            console.print(f"[red]{e.error_code}: {e.message}[/red]")
            raise typer.Exit(1) from e


def _since(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        console.print("[red]--from must be a date or time in ISO 8601, e.g. 2026-01-01 or 2026-01-01T00:00Z[/red]")
        raise typer.Exit(2) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _override_doc(o: PriceOverride) -> dict[str, str | None]:
    return {
        "model": f"{o.provider}/{o.model}",
        "input_usd_per_mtok": str(o.input_usd_per_mtok),
        "output_usd_per_mtok": str(o.output_usd_per_mtok),
        "cache_read_usd_per_mtok": None if o.cache_read_usd_per_mtok is None else str(o.cache_read_usd_per_mtok),
        "cache_write_usd_per_mtok": None if o.cache_write_usd_per_mtok is None else str(o.cache_write_usd_per_mtok),
        "effective_from": None if o.effective_from is None else o.effective_from.isoformat(),
    }


def _print(tenant: Tenant, as_json: bool = False) -> None:
    rows = [_override_doc(o) for o in tenant.price_overrides]
    if as_json:
        typer.echo(json.dumps({"tenant_id": tenant.tenant_id, "price_overrides": rows}, indent=2))
        return
    if not rows:
        console.print(f"{tenant.tenant_id}: no price overrides (list prices from genai-prices apply)")
        return
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
    console.print(table)


@app.command("set")
def set_price(
    tenant_id: str,
    model: Annotated[str, typer.Argument(help="provider/model, or provider/* for every model of a provider.")],
    input_: Annotated[str, typer.Option("--input", help="USD per million input tokens.", show_default=False)],
    output: Annotated[str, typer.Option("--output", help="USD per million output tokens.", show_default=False)],
    cache_read: OptionalUsd = None,
    cache_write: OptionalUsd = None,
    from_: Annotated[
        str | None, typer.Option("--from", help="Applies to calls from this UTC date/time (default: always).")
    ] = None,
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
        console.print(f"[red]{e.error_code}: {e.message}[/red]")
        raise typer.Exit(2) from e
    _print(_run(lambda admin: admin.set_price_override(tenant_id, override)))


@app.command("show")
def show(
    tenant_id: str,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show a tenant's price overrides."""
    _print(_run(lambda admin: admin.get(tenant_id)), as_json)


@app.command("clear")
def clear(
    tenant_id: str,
    model: Annotated[str | None, typer.Argument(help="provider/model (or provider/*) to remove.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Remove every override of the tenant.")] = False,
) -> None:
    """Remove a tenant's overrides of one model (every --from), or all of them with --all."""
    if (model is None) == (not all_):
        console.print("[red]give a provider/model or --all[/red]")
        raise typer.Exit(2)
    _print(_run(lambda admin: admin.clear_price_overrides(tenant_id, model)))
