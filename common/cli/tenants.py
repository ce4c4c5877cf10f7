"""``agentjobs tenants ...``: create, configure, rotate the secrets of, and erase tenants.

Admin commands: they talk to Firestore, Cloud Storage and Cloud KMS directly with the operator's
own credentials (or the running dev stack's emulators); no function exposes them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from common.cli.context import cloud_env, now
from common.errors import AgentJobsError

if TYPE_CHECKING:
    from common.config import Settings
    from common.services.tenant_erasure import TenantEraser
    from common.services.tenants import TenantAdmin

app = typer.Typer(help="Manage tenants.", no_args_is_help=True)
plan_app = typer.Typer(
    help="Show or set a tenant's usage plan: limits, budget, model permissions.", no_args_is_help=True
)
app.add_typer(plan_app, name="plan")
console = Console()

Grace = Annotated[str, typer.Option(help="How long the previous one stays valid: e.g. 24h, 90m, 2d, 0 (at most 30d).")]


def _admin(settings: Settings | None = None) -> TenantAdmin:
    from common.adapters.clients import firestore_client
    from common.adapters.firestore_store import FirestoreTenantDirectory
    from common.adapters.secret_ciphers import secret_cipher_factory
    from common.config import Settings
    from common.services.tenants import TenantAdmin

    s = settings or Settings.from_env()
    directory = FirestoreTenantDirectory(firestore_client(s.project))
    return TenantAdmin(
        directory,
        clock=now,
        # Chosen only by the commands that encrypt, so the others need no key configured.
        ciphers=lambda: secret_cipher_factory(s)(),  # noqa: PLW0108 - the factory raises without a key
        allow_loopback_callbacks=s.allow_loopback_callbacks,
    )


def _eraser() -> TenantEraser:
    from common.adapters.clients import firestore_client, storage_client
    from common.adapters.firestore_store import (
        FirestoreIdempotencyStore,
        FirestoreRejectionLog,
        FirestoreTenantDirectory,
    )
    from common.adapters.gcs_blobs import GcsBlobStore
    from common.config import Settings
    from common.services.erasure import JobEraser
    from common.services.tenant_erasure import TenantEraser

    settings = Settings.from_env()
    firestore = firestore_client(settings.project)
    storage = storage_client(settings.project)
    directory = FirestoreTenantDirectory(firestore)

    def blobs_for(tenant_id: str) -> GcsBlobStore:
        return GcsBlobStore(storage, settings.bucket, tenant_id)

    jobs = JobEraser(
        tenants=directory,
        blobs_for=blobs_for,
        idempotency_for=lambda tenant_id: FirestoreIdempotencyStore(firestore, tenant_id),
        bucket=settings.bucket,
        clock=now,
    )
    return TenantEraser(tenants=directory, rejections=FirestoreRejectionLog(firestore), blobs_for=blobs_for, jobs=jobs)


def _run[T](action: Callable[[], T]) -> T:
    """Run an admin action with the stack's environment; print its error and exit 1 on failure."""
    with cloud_env():
        try:
            return action()
        except AgentJobsError as e:
            console.print(f"[red]{e.error_code}: {e.message}[/red]")
            raise typer.Exit(1) from e


def _grace(text: str) -> timedelta:
    from common.tenants.rotation import parse_grace

    try:
        return parse_grace(text)
    except AgentJobsError as e:
        console.print(f"[red]{e.error_code}: {e.message}[/red]")
        raise typer.Exit(2) from e


@app.command()
def create(
    tenant_id: Annotated[str, typer.Argument(help="Tenant id: 3-40 lowercase letters, digits, hyphens.")],
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
) -> None:
    """Create a tenant; print its API key and webhook secret once (stored only hashed / encrypted)."""
    created = _run(lambda: _admin().create(tenant_id, name=name))
    console.print(f"tenant: {created.tenant.tenant_id}")
    console.print(f"api key (shown once): {created.api_key}", highlight=False)
    console.print(f"webhook secret (shown once): {created.webhook_secret}", highlight=False)


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
    tenant = _run(lambda: _admin().set_webhook(tenant_id, None if clear else url))
    console.print(f"{tenant.tenant_id}: webhook_url={tenant.webhook_url}")


@app.command("allow-models")
def allow_models(
    tenant_id: str,
    models: Annotated[list[str], typer.Argument(help="provider/model ids a request may select.")],
) -> None:
    """Replace the tenant's model allow-list."""
    tenant = _run(lambda: _admin().set_allowed_models(tenant_id, models))
    console.print(f"{tenant.tenant_id}: allowed_models={list(tenant.allowed_models)}")


def _set_active(tenant_id: str, active: bool) -> None:
    tenant = _run(lambda: _admin().set_active(tenant_id, active))
    console.print(f"{tenant.tenant_id}: active={tenant.active}")


@app.command()
def deactivate(tenant_id: str) -> None:
    """Deactivate a tenant: its API keys stop working (within the key cache TTL) and its deliveries are rejected."""
    _set_active(tenant_id, False)


@app.command()
def activate(tenant_id: str) -> None:
    """Activate a deactivated tenant again."""
    _set_active(tenant_id, True)


@app.command("set-retention")
def set_retention(
    tenant_id: str,
    days: Annotated[int | None, typer.Argument(help="Days a new job (and its blobs) is kept, 1-3650.")] = None,
    default: Annotated[bool, typer.Option("--default", help="Use the deployment's AGENTJOBS_RETENTION_DAYS.")] = False,
) -> None:
    """Set how long the tenant's new jobs are kept; the deployment's retention is the ceiling."""
    if (days is None) == (not default):
        console.print("[red]give a number of days or --default[/red]")
        raise typer.Exit(2)
    tenant = _run(lambda: _admin().set_retention(tenant_id, None if default else days))
    shown = "deployment default" if tenant.retention_days is None else f"{tenant.retention_days} days"
    console.print(f"{tenant.tenant_id}: retention={shown} (capped at AGENTJOBS_RETENTION_DAYS of the functions)")


@app.command("rotate-webhook-secret")
def rotate_webhook_secret(tenant_id: str, grace: Grace = "24h") -> None:
    """Issue a new webhook secret; callbacks are signed with both until the grace period ends."""
    period = _grace(grace)
    rotated = _run(lambda: _admin().rotate_webhook_secret(tenant_id, grace=period))
    console.print(f"webhook secret (shown once): {rotated.webhook_secret}", highlight=False)
    if rotated.previous_valid_until is not None:
        console.print(f"the previous secret also signs until {rotated.previous_valid_until.isoformat()}")
    else:
        console.print("the previous secret no longer signs")


@app.command("rotate-key")
def rotate_key(tenant_id: str, grace: Grace = "24h") -> None:
    """Issue a new API key; the previous keys keep working until the grace period ends, then answer 401."""
    period = _grace(grace)
    rotated = _run(lambda: _admin().rotate_api_key(tenant_id, grace=period))
    console.print(f"api key (shown once): {rotated.api_key}", highlight=False)
    if rotated.previous_valid_until is not None:
        console.print(f"the previous key works until {rotated.previous_valid_until.isoformat()}")
    else:
        console.print("the previous key no longer works")


@app.command()
def delete(
    tenant_id: str,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase a tenant: its jobs, results, uploads, keys, idempotency keys, rejection records and record."""
    if not yes:
        typer.confirm(
            f"Erase tenant {tenant_id} and all of its jobs, results and files? This cannot be undone",
            abort=True,
        )

    erased = _run(lambda: _eraser().erase(tenant_id))
    console.print(
        f"tenant {tenant_id} erased: {erased.documents} documents, {erased.objects} objects, "
        f"{erased.api_keys} api keys, {erased.rejections} rejection records"
    )


def _plan_input(text: str | None, file: str | None) -> object:
    import json
    from pathlib import Path

    if (text is None) == (file is None):
        console.print("[red]give the plan as --json or --file[/red]")
        raise typer.Exit(2)
    try:
        return json.loads(text if text is not None else Path(str(file)).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        console.print(f"[red]invalid_plan: not readable JSON ({type(e).__name__})[/red]")
        raise typer.Exit(2) from e


@plan_app.command("set")
def plan_set(
    tenant_id: str,
    json_text: Annotated[str | None, typer.Option("--json", help="The plan as JSON (see README: Usage plans).")] = None,
    file: Annotated[str | None, typer.Option("--file", help="A file holding the plan as JSON.")] = None,
) -> None:
    """Set the tenant's usage plan. Without model_permissions, the tenant's allow-list carries over."""
    from common.plans.codec import plan_from_doc, plan_to_doc

    doc = _plan_input(json_text, file)

    def action() -> object:
        admin = _admin()
        plan = plan_from_doc(doc)
        if isinstance(doc, dict) and "model_permissions" not in doc:
            plan = plan.replace(model_permissions=admin.get(tenant_id).model_permissions)
        return admin.set_plan(tenant_id, plan).plan

    plan = _run(action)
    import json

    assert plan is not None
    console.print_json(json.dumps(plan_to_doc(plan)))  # pyright: ignore[reportArgumentType]


@plan_app.command("clear")
def plan_clear(tenant_id: str) -> None:
    """Remove the tenant's plan: no limits, and its allow-list is allowed_models again."""
    _run(lambda: _admin().set_plan(tenant_id, None))
    console.print(f"{tenant_id}: no usage plan")


@plan_app.command("show")
def plan_show(tenant_id: str) -> None:
    """Print the tenant's plan and this period's budget: limit, spent, reserved, remaining, overrun."""
    import json

    from common.plans.codec import plan_to_doc

    def action() -> dict[str, object]:
        from common.adapters.clients import firestore_client
        from common.adapters.firestore_plans import FirestorePlanLedger
        from common.config import Settings
        from common.plans.usage import plan_report

        admin = _admin()
        tenant = admin.get(tenant_id)
        ledger = FirestorePlanLedger(firestore_client(Settings.from_env().project))
        report: dict[str, object] = {
            "tenant_id": tenant_id,
            "plan": None if tenant.plan is None else plan_to_doc(tenant.plan),
        }
        return report | plan_report(tenant, ledger, now=now())

    console.print_json(json.dumps(_run(action)))
