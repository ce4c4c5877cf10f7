"""``agentjobs tenants ...``: create tenants and set their callback settings."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from common.cli.context import cloud_env, now
from common.errors import AgentJobsError

app = typer.Typer(help="Manage tenants.", no_args_is_help=True)
console = Console()


def _admin():
    from common.adapters.clients import firestore_client
    from common.adapters.firestore_store import FirestoreTenantDirectory
    from common.config import Settings
    from common.services.tenants import TenantAdmin

    settings = Settings.from_env()
    directory = FirestoreTenantDirectory(firestore_client(settings.project))
    return TenantAdmin(directory, clock=now, allow_loopback_callbacks=settings.allow_loopback_callbacks)


@app.command()
def create(
    tenant_id: Annotated[str, typer.Argument(help="Tenant id: 3-40 lowercase letters, digits, hyphens.")],
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
) -> None:
    """Create a tenant and print its API key once (only its hash is stored)."""
    with cloud_env():
        try:
            created = _admin().create(tenant_id, name=name)
        except AgentJobsError as e:
            console.print(f"[red]{e.error_code}: {e.message}[/red]")
            raise typer.Exit(1) from e
    console.print(f"tenant: {created.tenant.tenant_id}")
    console.print(f"api key (shown once): {created.api_key}", highlight=False)
    console.print(f"webhook secret: {created.tenant.webhook_secret}", highlight=False)


@app.command("set-webhook")
def set_webhook(
    tenant_id: str,
    url: Annotated[str | None, typer.Argument(help="Default callback URL; omit with --clear.")] = None,
    clear: Annotated[bool, typer.Option(help="Remove the default callback URL.")] = False,
) -> None:
    """Set the tenant's default callback URL (used when a job gives none)."""
    if (url is None) == (not clear):
        console.print("[red]give a URL or --clear[/red]")
        raise typer.Exit(2)
    with cloud_env():
        try:
            tenant = _admin().set_webhook(tenant_id, None if clear else url)
        except AgentJobsError as e:
            console.print(f"[red]{e.error_code}: {e.message}[/red]")
            raise typer.Exit(1) from e
    console.print(f"{tenant.tenant_id}: webhook_url={tenant.webhook_url}")


@app.command("allow-models")
def allow_models(
    tenant_id: str,
    models: Annotated[list[str], typer.Argument(help="provider/model ids a request may select.")],
) -> None:
    """Replace the tenant's model allow-list."""
    with cloud_env():
        try:
            tenant = _admin().set_allowed_models(tenant_id, models)
        except AgentJobsError as e:
            console.print(f"[red]{e.error_code}: {e.message}[/red]")
            raise typer.Exit(1) from e
    console.print(f"{tenant.tenant_id}: allowed_models={list(tenant.allowed_models)}")


def _set_active(tenant_id: str, active: bool) -> None:
    with cloud_env():
        try:
            tenant = _admin().set_active(tenant_id, active)
        except AgentJobsError as e:
            console.print(f"[red]{e.error_code}: {e.message}[/red]")
            raise typer.Exit(1) from e
    console.print(f"{tenant.tenant_id}: active={tenant.active}")


@app.command()
def deactivate(tenant_id: str) -> None:
    """Deactivate a tenant: its API keys stop working (within the key cache TTL) and its deliveries are rejected."""
    _set_active(tenant_id, False)


@app.command()
def activate(tenant_id: str) -> None:
    """Activate a deactivated tenant again."""
    _set_active(tenant_id, True)
