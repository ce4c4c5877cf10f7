"""``agentjobs tenants ...``: create, list, show, configure, rotate the secrets of, and erase tenants.

Admin commands: they talk to Firestore, Cloud Storage and Cloud KMS directly with the operator's
own credentials (or the running local stack's emulators); no function exposes them. Each prints
its target first and refuses a real project unless ``--project`` or the configuration file names
it (:mod:`common.cli.target`).
"""

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from common.cli import exits
from common.cli.context import JsonOption, now

if TYPE_CHECKING:
    from common.config import Settings
    from common.services.tenant_erasure import TenantEraser
    from common.services.tenants import TenantAdmin
    from common.tenants.models import Tenant

app = typer.Typer(
    rich_markup_mode=None,
    help="Manage tenants (admin: acts on the local stack, or on a project you name).",
    no_args_is_help=True,
)
plan_app = typer.Typer(
    rich_markup_mode=None,
    help="Show or set a tenant's usage plan: limits, budget, model permissions.",
    no_args_is_help=True,
)
app.add_typer(plan_app, name="plan")

Grace = Annotated[str, typer.Option(help="How long the previous one stays valid: e.g. 24h, 90m, 2d, 0 (at most 30d).")]
Project = Annotated[
    str | None,
    typer.Option(
        "--project",
        help="Act on this real Google Cloud project (default: the local stack, else `project` in agentjobs.toml).",
        show_default=False,
    ),
]


def _admin(s: "Settings") -> "TenantAdmin":
    from common.adapters.clients import firestore_client
    from common.adapters.firestore_store import FirestoreTenantDirectory
    from common.adapters.secret_ciphers import secret_cipher_factory
    from common.services.tenants import TenantAdmin

    directory = FirestoreTenantDirectory(firestore_client(s.project))
    return TenantAdmin(
        directory,
        clock=now,
        # Chosen only by the commands that encrypt, so the others need no key configured.
        ciphers=lambda: secret_cipher_factory(s)(),  # noqa: PLW0108 - the factory raises without a key
        allow_loopback_callbacks=s.allow_loopback_callbacks,
    )


def _eraser(settings: "Settings") -> "TenantEraser":
    from common.adapters.clients import firestore_client, storage_client
    from common.adapters.firestore_store import (
        FirestoreIdempotencyStore,
        FirestoreRejectionLog,
        FirestoreTenantDirectory,
    )
    from common.adapters.gcs_blobs import GcsBlobStore
    from common.services.erasure import JobEraser
    from common.services.tenant_erasure import TenantEraser

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


def _run[T](project: str | None, action: Callable[["TenantAdmin"], T]) -> T:
    """Announce the target, then run ``action`` on a :class:`TenantAdmin` built for it."""
    from common.cli.target import admin_target, run_admin

    with admin_target(project) as (target, settings):
        return run_admin(target, lambda: action(_admin(settings)))


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _tenant_json(tenant: "Tenant") -> dict[str, Any]:
    return {
        "tenant_id": tenant.tenant_id,
        "name": tenant.name,
        "active": tenant.active,
        "created_at": tenant.created_at.isoformat(),
        "webhook_url": tenant.webhook_url,
        "allowed_models": list(tenant.allowed_models),
        "retention_days": tenant.retention_days,
        "publish_stage_events": tenant.publish_stage_events,
        "webhook_secrets": len(tenant.webhook_secrets),
    }


def _grace(text: str) -> timedelta:
    from common.errors import AgentJobsError
    from common.tenants.rotation import parse_grace

    try:
        return parse_grace(text)
    except AgentJobsError as e:
        exits.fail(f"{e.error_code}: {e.message}", exits.USAGE)


@app.command()
def create(
    tenant_id: Annotated[str, typer.Argument(help="Tenant id: 3-40 lowercase letters, digits, hyphens.")],
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    as_json: JsonOption = False,
    project: Project = None,
) -> None:
    """Create a tenant; print its API key and webhook secret once (stored only hashed / encrypted)."""
    created = _run(project, lambda admin: admin.create(tenant_id, name=name))
    if as_json:
        _echo_json(
            {
                "tenant_id": created.tenant.tenant_id,
                "api_key": created.api_key,
                "webhook_secret": created.webhook_secret,
            }
        )
        return
    typer.echo(f"tenant: {created.tenant.tenant_id}")
    typer.echo(f"api key (shown once): {created.api_key}")
    typer.echo(f"webhook secret (shown once): {created.webhook_secret}")


@app.command("list")
def list_tenants(
    limit: Annotated[int, typer.Option("--limit", help="At most this many tenants.")] = 100,
    as_json: JsonOption = False,
    project: Project = None,
) -> None:
    """List tenants by id: active, created, default webhook, allowed models."""
    tenants = _run(project, lambda admin: admin.list_tenants(limit=limit))
    if as_json:
        _echo_json({"tenants": [_tenant_json(t) for t in tenants], "count": len(tenants)})
        return
    if not tenants:
        typer.echo("no tenants (create one with `agentjobs tenants create TENANT`)")
    for t in tenants:
        state = "active" if t.active else "inactive"
        typer.echo(f"{t.tenant_id:<40} {state:<8} {t.created_at:%Y-%m-%d %H:%M}  webhook={t.webhook_url or '-'}")


@app.command()
def show(tenant_id: str, as_json: JsonOption = False, project: Project = None) -> None:
    """Show one tenant: settings, API keys' dates and webhook secrets' count (never a key or secret)."""
    overview = _run(project, lambda admin: admin.show(tenant_id))
    keys = [
        {
            "created_at": k.created_at.isoformat(),
            "expires_at": k.expires_at.isoformat() if k.expires_at else None,
        }
        for k in overview.api_keys
    ]
    data = {**_tenant_json(overview.tenant), "api_keys": keys}
    if as_json:
        _echo_json(data)
        return
    for key, value in data.items():
        if key != "api_keys":
            typer.echo(f"{key + ':':<17} {value}")
    typer.echo("api keys:")
    for k in keys:
        typer.echo(f"  issued {k['created_at']}  " + (f"retires {k['expires_at']}" if k["expires_at"] else "current"))


@app.command("set-webhook")
def set_webhook(
    tenant_id: str,
    url: Annotated[str | None, typer.Argument(help="Default callback URL; omit with --clear.")] = None,
    clear: Annotated[bool, typer.Option(help="Remove the default callback URL.")] = False,
    project: Project = None,
) -> None:
    """Set the tenant's default callback URL (used when a job gives none)."""
    if (url is None) == (not clear):
        exits.fail("give a URL or --clear", exits.USAGE)
    tenant = _run(project, lambda admin: admin.set_webhook(tenant_id, None if clear else url))
    typer.echo(f"{tenant.tenant_id}: webhook_url={tenant.webhook_url}")


@app.command("allow-models")
def allow_models(
    tenant_id: str,
    models: Annotated[list[str], typer.Argument(help="provider/model ids a request may select.")],
    project: Project = None,
) -> None:
    """Replace the tenant's model allow-list."""
    tenant = _run(project, lambda admin: admin.set_allowed_models(tenant_id, models))
    typer.echo(f"{tenant.tenant_id}: allowed_models={list(tenant.allowed_models)}")


def _set_active(tenant_id: str, active: bool, project: str | None) -> None:
    tenant = _run(project, lambda admin: admin.set_active(tenant_id, active))
    typer.echo(f"{tenant.tenant_id}: active={tenant.active}")


@app.command()
def deactivate(tenant_id: str, project: Project = None) -> None:
    """Deactivate a tenant: its API keys stop working (within the key cache TTL) and its deliveries are rejected."""
    _set_active(tenant_id, False, project)


@app.command()
def activate(tenant_id: str, project: Project = None) -> None:
    """Activate a deactivated tenant again."""
    _set_active(tenant_id, True, project)


@app.command("set-retention")
def set_retention(
    tenant_id: str,
    days: Annotated[int | None, typer.Argument(help="Days a new job (and its blobs) is kept, 1-3650.")] = None,
    default: Annotated[bool, typer.Option("--default", help="Use the deployment's AGENTJOBS_RETENTION_DAYS.")] = False,
    project: Project = None,
) -> None:
    """Set how long the tenant's new jobs are kept; the deployment's retention is the ceiling."""
    if (days is None) == (not default):
        exits.fail("give a number of days or --default", exits.USAGE)
    tenant = _run(project, lambda admin: admin.set_retention(tenant_id, None if default else days))
    shown = "deployment default" if tenant.retention_days is None else f"{tenant.retention_days} days"
    typer.echo(f"{tenant.tenant_id}: retention={shown} (capped at AGENTJOBS_RETENTION_DAYS of the functions)")


@app.command("set-stage-events")
def set_stage_events(
    tenant_id: str,
    state: Annotated[str, typer.Argument(help="on: publish every job event; off: only outcomes.")],
    project: Project = None,
) -> None:
    """Choose which of the tenant's job events go to the agentjobs-job-events topic (outcomes always do)."""
    if state not in ("on", "off"):
        exits.fail("give on or off", exits.USAGE)
    tenant = _run(project, lambda admin: admin.set_stage_events(tenant_id, state == "on"))
    typer.echo(f"{tenant.tenant_id}: publish_stage_events={tenant.publish_stage_events}")


@app.command("rotate-webhook-secret")
def rotate_webhook_secret(tenant_id: str, grace: Grace = "24h", project: Project = None) -> None:
    """Issue a new webhook secret; callbacks are signed with both until the grace period ends."""
    period = _grace(grace)
    rotated = _run(project, lambda admin: admin.rotate_webhook_secret(tenant_id, grace=period))
    typer.echo(f"webhook secret (shown once): {rotated.webhook_secret}")
    if rotated.previous_valid_until is not None:
        typer.echo(f"the previous secret also signs until {rotated.previous_valid_until.isoformat()}")
    else:
        typer.echo("the previous secret no longer signs")


@app.command("rotate-key")
def rotate_key(tenant_id: str, grace: Grace = "24h", project: Project = None) -> None:
    """Issue a new API key; the previous keys keep working until the grace period ends, then answer 401."""
    period = _grace(grace)
    rotated = _run(project, lambda admin: admin.rotate_api_key(tenant_id, grace=period))
    typer.echo(f"api key (shown once): {rotated.api_key}")
    if rotated.previous_valid_until is not None:
        typer.echo(f"the previous key works until {rotated.previous_valid_until.isoformat()}")
    else:
        typer.echo("the previous key no longer works")


@app.command()
def delete(
    tenant_id: str,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    project: Project = None,
) -> None:
    """Erase a tenant: its jobs, results, uploads, keys, idempotency keys, rejection records and record."""
    from common.cli.target import admin_target, run_admin

    with admin_target(project) as (target, settings):
        if not yes:
            typer.confirm(
                f"Erase tenant {tenant_id} and all of its jobs, results and files on {target.description}? "
                "This cannot be undone",
                abort=True,
            )
        erased = run_admin(target, lambda: _eraser(settings).erase(tenant_id))
    typer.echo(
        f"tenant {tenant_id} erased: {erased.documents} documents, {erased.objects} objects, "
        f"{erased.api_keys} api keys, {erased.rejections} rejection records"
    )


def _plan_input(text: str | None, file: Path | None) -> object:
    if (text is None) == (file is None):
        exits.fail("give the plan as --plan JSON or --input FILE", exits.USAGE)
    try:
        return json.loads(text if text is not None else Path(str(file)).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        exits.fail(f"invalid_plan: not readable JSON ({type(e).__name__})", exits.USAGE)


@plan_app.command("set")
def plan_set(
    tenant_id: str,
    plan_text: Annotated[
        str | None, typer.Option("--plan", help="The plan as JSON (see README: Usage plans).", show_default=False)
    ] = None,
    input_file: Annotated[
        Path | None, typer.Option("--input", "-i", help="A file holding the plan as JSON.", show_default=False)
    ] = None,
    project: Project = None,
) -> None:
    """Set the tenant's usage plan. Without model_permissions, the tenant's allow-list carries over."""
    from common.plans.codec import plan_from_doc, plan_to_doc

    doc = _plan_input(plan_text, input_file)

    def action(admin: "TenantAdmin") -> object:
        plan = plan_from_doc(doc)
        if isinstance(doc, dict) and "model_permissions" not in doc:
            plan = plan.replace(model_permissions=admin.get(tenant_id).model_permissions)
        return admin.set_plan(tenant_id, plan).plan

    plan = _run(project, action)
    assert plan is not None
    _echo_json(plan_to_doc(plan))  # pyright: ignore[reportArgumentType]


@plan_app.command("clear")
def plan_clear(tenant_id: str, project: Project = None) -> None:
    """Remove the tenant's plan: no limits, and its allow-list is allowed_models again."""
    _run(project, lambda admin: admin.set_plan(tenant_id, None))
    typer.echo(f"{tenant_id}: no usage plan")


@plan_app.command("show")
def plan_show(tenant_id: str, as_json: JsonOption = False, project: Project = None) -> None:
    """Print the tenant's plan and this period's budget: limit, spent, reserved, remaining, overrun."""
    from common.cli.target import admin_target, run_admin
    from common.plans.codec import plan_to_doc

    with admin_target(project) as (target, settings):

        def action() -> dict[str, object]:
            from common.adapters.clients import firestore_client
            from common.adapters.firestore_plans import FirestorePlanLedger
            from common.plans.usage import plan_report

            tenant = _admin(settings).get(tenant_id)
            ledger = FirestorePlanLedger(firestore_client(settings.project))
            report: dict[str, object] = {
                "tenant_id": tenant_id,
                "plan": None if tenant.plan is None else plan_to_doc(tenant.plan),
            }
            return report | plan_report(tenant, ledger, now=now())

        report = run_admin(target, action)
    if as_json:
        _echo_json(report)
        return
    for key, value in report.items():
        typer.echo(f"{key + ':':<17} {json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else value}")
