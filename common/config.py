"""Settings, read once per cold start from environment variables.

Every setting is declared once, on :class:`Settings`, with its environment variable, the
functions that read it and a description. That one declaration drives :meth:`Settings.from_env`,
the README's settings table and the Terraform wiring test (every variable a function reads is
set on that function), so the three cannot drift apart.

Every setting has a default that works on the local stack; production values come from the
Terraform-managed function configuration. Emulator hosts use Google's own variables
(``FIRESTORE_EMULATOR_HOST``, ``PUBSUB_EMULATOR_HOST``, ``STORAGE_EMULATOR_HOST``), which the
client libraries read themselves.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from common.boundary.input_limits import MAX_JOB_INPUT_BYTES
from common.errors import PermanentError

__all__ = [
    "ALL_FUNCTIONS",
    "INLINE_DOCUMENT_BYTES",
    "MAX_JOB_INPUT_BYTES",
    "REQUEST_BYTES",
    "ConfigError",
    "FunctionName",
    "SettingInfo",
    "Settings",
    "setting_infos",
]

FunctionName = Literal["submit", "run_agent", "status", "notify"]
ALL_FUNCTIONS: tuple[FunctionName, ...] = ("submit", "run_agent", "status", "notify")
_API: tuple[FunctionName, ...] = ("submit", "status")
_STORES: tuple[FunctionName, ...] = ("submit", "run_agent", "status")

INLINE_DOCUMENT_BYTES = 4 * 1024 * 1024
"""Default largest inline (base64) document of a submit body, decoded (bytes)."""
REQUEST_BYTES = (INLINE_DOCUMENT_BYTES + 2) // 3 * 4 + MAX_JOB_INPUT_BYTES
"""Default submit body limit: the inline document's base64 text plus 256 KiB for everything else (bytes)."""


class ConfigError(PermanentError):
    """A setting has an invalid value."""

    code = "invalid_configuration"


@dataclass(frozen=True, slots=True)
class SettingInfo:
    """How one setting is read and who reads it.

    Attributes:
        field: Attribute name on :class:`Settings`.
        env: The environment variable (for prefix settings, the prefix).
        functions: The functions that read it; Terraform must set it on exactly these.
        doc: One line for the README's settings table.
        secret: Never printed; deployed from Secret Manager.
        fallback_env: A second variable read when ``env`` is unset.
        prefix: When set, ``env`` is a prefix and this names what follows it (``"AGENT"``,
            ``"TENANT"``): every variable ``{env}<NAME>`` contributes one entry.
        deployed: Whether a deployment sets it (``False`` for local-stack-only settings).
    """

    field: str
    env: str
    functions: tuple[FunctionName, ...]
    doc: str
    secret: bool = False
    fallback_env: str | None = None
    prefix: str | None = None
    deployed: bool = True


def _setting(
    default: Any,
    env: str,
    functions: tuple[FunctionName, ...],
    doc: str,
    *,
    secret: bool = False,
    fallback_env: str | None = None,
    prefix: str | None = None,
    deployed: bool = True,
) -> Any:
    info = {"env": env, "functions": functions, "doc": doc, "secret": secret, "fallback_env": fallback_env}
    info |= {"prefix": prefix, "deployed": deployed}
    if isinstance(default, dict):
        return field(default_factory=dict[str, str], repr=not secret, metadata=info)
    return field(default=default, repr=not secret, metadata=info)


@dataclass(frozen=True, slots=True)
class Settings:
    """Runtime settings. Each attribute documents its variable through :func:`setting_infos`.

    Units: every ``*_seconds`` is seconds, every ``*_bytes`` is bytes.
    """

    project: str = _setting(
        "agentjobs-dev",
        "AGENTJOBS_PROJECT",
        ALL_FUNCTIONS,
        "Google Cloud project id.",
        fallback_env="GOOGLE_CLOUD_PROJECT",
    )
    bucket: str = _setting(
        "agentjobs-dev", "AGENTJOBS_BUCKET", _STORES, "Bucket holding tenant inboxes, uploads and large results."
    )
    jobs_topic: str = _setting(
        "agentjobs-jobs",
        "AGENTJOBS_JOBS_TOPIC",
        ("submit", "run_agent", "status"),
        "Topic of job messages (submit and a retry publish; the sweeper republishes).",
    )
    job_events_topic: str = _setting(
        "agentjobs-job-events",
        "AGENTJOBS_JOB_EVENTS_TOPIC",
        ALL_FUNCTIONS,
        "Topic job events are published to (outcomes always, other events per tenant); empty disables publishing.",
    )
    sse_max_seconds: float = _setting(
        300.0,
        "AGENTJOBS_SSE_MAX_SECONDS",
        ("status",),
        "Longest a GET /v1/jobs/{id}/events stream stays open before it ends with a retry: hint (s).",
    )
    sse_poll_seconds: float = _setting(
        0.5,
        "AGENTJOBS_SSE_POLL_SECONDS",
        ("status",),
        "How often an open event stream looks for new events in Firestore (s); each look is one read.",
    )
    sse_keepalive_seconds: float = _setting(
        15.0,
        "AGENTJOBS_SSE_KEEPALIVE_SECONDS",
        ("status",),
        "Quiet time after which an event stream sends a keep-alive comment (s).",
    )
    callbacks_queue: str = _setting(
        "",
        "AGENTJOBS_CALLBACKS_QUEUE",
        ("run_agent", "status"),
        "Cloud Tasks queue for callbacks: projects/P/locations/L/queues/Q; empty disables callbacks.",
    )
    notify_url: str = _setting(
        "", "AGENTJOBS_NOTIFY_URL", ("run_agent", "status"), "URL of notify, the Cloud Tasks target."
    )
    tasks_emulator_host: str = _setting(
        "",
        "CLOUD_TASKS_EMULATOR_HOST",
        ("run_agent", "status"),
        "host:port of a Cloud Tasks emulator (local stack only).",
        deployed=False,
    )
    tasks_service_account: str = _setting(
        "",
        "AGENTJOBS_TASKS_SERVICE_ACCOUNT",
        ("run_agent", "status"),
        "Service account whose OIDC token Cloud Tasks attaches when calling notify.",
    )
    public_base_url: str = _setting(
        "",
        "AGENTJOBS_PUBLIC_BASE_URL",
        ("submit", "status", "notify"),
        "Base URL of the status API, for links in responses and callbacks.",
    )
    max_attempts: int = _setting(
        5,
        "AGENTJOBS_MAX_ATTEMPTS",
        ("run_agent", "status"),
        "Claims of one job before it fails with attempts_exhausted; a failed job may be retried until then.",
    )
    backend_retry_seconds: float = _setting(
        30.0,
        "AGENTJOBS_BACKEND_RETRY_SECONDS",
        ("run_agent", "status"),
        "How long one storage read may retry transient errors before the delivery is retried (s).",
    )
    lease_seconds: float = _setting(
        30.0,
        "AGENTJOBS_LEASE_SECONDS",
        ("run_agent",),
        "How long an attempt may go without a heartbeat before another worker may take it over (s).",
    )
    heartbeat_seconds: float = _setting(
        10.0,
        "AGENTJOBS_HEARTBEAT_SECONDS",
        ("run_agent",),
        "How often a running attempt renews its lease (s); well below the lease.",
    )
    max_run_seconds: float = _setting(
        1800.0,
        "AGENTJOBS_MAX_RUN_SECONDS",
        ("run_agent",),
        "Longest one attempt may run; then its lease is no longer renewed (s). Below the function timeout.",
    )
    sweep_pending_after_seconds: float = _setting(
        120.0,
        "AGENTJOBS_SWEEP_PENDING_AFTER_SECONDS",
        ("run_agent",),
        "The sweeper republishes a pending job untouched this long: its message may be lost (s).",
    )
    sweep_callback_after_seconds: float = _setting(
        300.0,
        "AGENTJOBS_SWEEP_CALLBACK_AFTER_SECONDS",
        ("run_agent",),
        "The sweeper re-enqueues a callback still pending this long after the job finished (s).",
    )
    sweep_failing_callback_after_seconds: float = _setting(
        7 * 3600.0,
        "AGENTJOBS_SWEEP_FAILING_CALLBACK_AFTER_SECONDS",
        ("run_agent",),
        "The sweeper re-enqueues a failing callback with no attempt this long: longer than the queue's "
        "largest retry delay, so its task must be lost (s).",
    )
    inline_result_bytes: int = _setting(
        512 * 1024,
        "AGENTJOBS_INLINE_RESULT_BYTES",
        ("run_agent",),
        "Results larger than this go to the bucket with a pointer in the job (bytes).",
    )
    max_document_bytes: int = _setting(
        50 * 1024 * 1024,
        "AGENTJOBS_MAX_DOCUMENT_BYTES",
        ("run_agent", "submit"),
        "Largest input document accepted, and the largest upload URL submit signs (bytes).",
    )
    upload_url_seconds: float = _setting(
        900.0, "AGENTJOBS_UPLOAD_URL_SECONDS", ("submit",), "Lifetime of a signed upload URL (POST /v1/uploads) (s)."
    )
    signing_service_account: str = _setting(
        "",
        "AGENTJOBS_SIGNING_SERVICE_ACCOUNT",
        ("submit",),
        "Service account that signs upload URLs through IAM signBlob (submit's own); empty: the "
        "default credentials' account.",
    )
    dev_signing_key: str = _setting(
        "",
        "AGENTJOBS_DEV_SIGNING_KEY",
        ("submit",),
        "Dev only: PEM RSA key signing upload URLs where there is no IAM. The local stack generates one.",
        secret=True,
        deployed=False,
    )
    max_inline_document_bytes: int = _setting(
        INLINE_DOCUMENT_BYTES,
        "AGENTJOBS_MAX_INLINE_DOCUMENT_BYTES",
        ("submit",),
        "Largest PDF a submit body may carry inline as document_base64 (bytes, decoded); larger ones "
        "go through POST /v1/uploads.",
    )
    max_request_bytes: int = _setting(
        REQUEST_BYTES,
        "AGENTJOBS_MAX_REQUEST_BYTES",
        ("submit",),
        "Largest HTTP request body accepted by submit (bytes): an inline document in base64 plus 256 KiB.",
    )
    default_model: str = _setting(
        "",
        "AGENTJOBS_MODEL",
        ("submit", "run_agent"),
        "Default provider/model for LLM agents, e.g. openai/gpt-4o-mini; empty = offline.",
    )
    agent_models: dict[str, str] = _setting(  # noqa: RUF009 - _setting returns a dataclasses.field
        {},
        "AGENTJOBS_MODEL__",
        ("submit", "run_agent"),
        "Per-agent model: AGENTJOBS_MODEL__CRITERIA_EVALUATOR (agent upper-cased, - becomes _).",
        prefix="AGENT",
    )
    model_base_url: str = _setting(
        "",
        "AGENTJOBS_MODEL_BASE_URL",
        ("run_agent",),
        "Base URL of an OpenAI-compatible server (Ollama, vLLM).",
    )
    model_api_key: str = _setting(
        "",
        "AGENTJOBS_MODEL_API_KEY",
        ("run_agent",),
        "API key for that server (or the provider's own variable, e.g. OPENAI_API_KEY).",
        secret=True,
    )
    model_timeout_seconds: float = _setting(
        120.0, "AGENTJOBS_MODEL_TIMEOUT_SECONDS", ("run_agent",), "Timeout of one model call (s)."
    )
    judge_models: dict[str, str] = _setting(  # noqa: RUF009 - _setting returns a dataclasses.field
        {},
        "AGENTJOBS_JUDGE_MODEL__",
        ("run_agent",),
        "Per-agent LLM judge model, separate from the agent's: AGENTJOBS_JUDGE_MODEL__CRITERIA_EVALUATOR; "
        "unset = deterministic judges only.",
        prefix="AGENT",
    )
    judge_sample_rate: float = _setting(
        1.0,
        "AGENTJOBS_JUDGE_SAMPLE_RATE",
        ("run_agent",),
        "Share of successful jobs the LLM judge sees, 0.0 to 1.0 (deterministic judges see every job).",
    )
    judge_sample_rates: dict[str, str] = _setting(  # noqa: RUF009 - _setting returns a dataclasses.field
        {},
        "AGENTJOBS_JUDGE_SAMPLE_RATE__",
        ("run_agent",),
        "Per-tenant LLM judge rate: AGENTJOBS_JUDGE_SAMPLE_RATE__ACME=0.1 (tenant upper-cased, - becomes _).",
        prefix="TENANT",
    )
    judge_alert_window: int = _setting(
        20,
        "AGENTJOBS_JUDGE_ALERT_WINDOW",
        ("run_agent",),
        "Jobs per tenant, agent and judge over which the rolling pass rate is computed.",
    )
    judge_alert_pass_rate: float = _setting(
        0.8,
        "AGENTJOBS_JUDGE_ALERT_PASS_RATE",
        ("run_agent",),
        "One Sentry alert when a judge's pass rate over the window drops below this, 0.0 to 1.0.",
    )
    allow_loopback_callbacks: bool = _setting(
        False,
        "AGENTJOBS_DEV_ALLOW_LOOPBACK_CALLBACKS",
        ("submit", "run_agent", "notify"),
        "Dev only: accept http://127.0.0.1 callback URLs. The local stack sets it.",
        deployed=False,
    )
    callback_timeout_seconds: float = _setting(
        10.0, "AGENTJOBS_CALLBACK_TIMEOUT_SECONDS", ("notify",), "Timeout of one callback delivery (s)."
    )
    callback_max_attempts: int = _setting(
        16,
        "AGENTJOBS_CALLBACK_MAX_ATTEMPTS",
        ("notify",),
        "The callbacks queue's max attempts: when that attempt fails, the callback is abandoned.",
    )
    auth_cache_seconds: float = _setting(
        60.0,
        "AGENTJOBS_AUTH_CACHE_SECONDS",
        ("submit", "status", "notify"),
        "How long an API key and its tenant are cached per instance: a deleted or deactivated tenant's "
        "keys stop working within this time (s).",
    )
    retention_days: int = _setting(
        30,
        "AGENTJOBS_RETENTION_DAYS",
        ("submit", "run_agent"),
        "Retention of a job and its blobs (days): the default, and the ceiling of a tenant's own.",
    )
    kms_key: str = _setting(
        "",
        "AGENTJOBS_KMS_KEY",
        ("notify",),
        "Cloud KMS key encrypting tenant webhook secrets: projects/P/locations/L/keyRings/R/cryptoKeys/K "
        "(the admin CLI reads it too).",
    )
    local_secret_key: str = _setting(
        "",
        "AGENTJOBS_LOCAL_SECRET_KEY",
        ("notify",),
        "Dev only: AES-256 key (base64url) encrypting webhook secrets when no KMS key is set. "
        "The local stack generates one.",
        secret=True,
        deployed=False,
    )
    sweep_expired_jobs: bool = _setting(
        False,
        "AGENTJOBS_SWEEP_EXPIRED_JOBS",
        ("run_agent",),
        "The sweeper deletes expired jobs and their blobs (the local stack, which has no TTL, sets it; "
        "Firestore's TTL and the bucket's lifecycle rule do this in production).",
        deployed=False,
    )
    sentry_dsn: str = _setting(
        "",
        "SENTRY_DSN",
        ALL_FUNCTIONS,
        "Sentry DSN for errors and performance; empty disables Sentry.",
        secret=True,
    )
    sentry_environment: str = _setting(
        "", "SENTRY_ENVIRONMENT", ALL_FUNCTIONS, "Sentry environment, e.g. production; empty = Sentry's default."
    )
    sentry_release: str = _setting("", "SENTRY_RELEASE", ALL_FUNCTIONS, "Release reported to Sentry, e.g. a git sha.")
    sentry_traces_sample_rate: float = _setting(
        1.0,
        "SENTRY_TRACES_SAMPLE_RATE",
        ALL_FUNCTIONS,
        "Share of requests and deliveries sent to Sentry as transactions, 0.0 to 1.0.",
    )
    logfire_token: str = _setting(
        "",
        "LOGFIRE_TOKEN",
        ALL_FUNCTIONS,
        "Logfire write token: traces and metrics go to Logfire over OTLP/HTTP; empty disables.",
        secret=True,
    )
    logfire_base_url: str = _setting(
        "",
        "LOGFIRE_BASE_URL",
        ALL_FUNCTIONS,
        "Logfire API base URL; empty = the region named in the token (logfire-us/eu.pydantic.dev).",
    )
    otlp_endpoint: str = _setting(
        "",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        ALL_FUNCTIONS,
        "OTLP/HTTP base URL of any OpenTelemetry backend (/v1/traces and /v1/metrics are appended).",
    )
    otlp_traces_endpoint: str = _setting(
        "",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        ALL_FUNCTIONS,
        "OTLP/HTTP traces URL, used as is; overrides OTEL_EXPORTER_OTLP_ENDPOINT for traces.",
    )
    otlp_headers: str = _setting(
        "",
        "OTEL_EXPORTER_OTLP_HEADERS",
        ALL_FUNCTIONS,
        "Headers for the OTLP endpoint, W3C baggage form: key1=value1,key2=value2.",
        secret=True,
    )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read settings from ``env`` (default: ``os.environ``); unset or empty means the default.

        Raises:
            ConfigError: A numeric setting is not a number.
        """
        e = os.environ if env is None else env
        values: dict[str, Any] = {}
        for info in setting_infos():
            if info.prefix:
                values[info.field] = _prefixed(e, info.env)
                continue
            raw = e.get(info.env) or (e.get(info.fallback_env) if info.fallback_env else None)
            if raw:
                values[info.field] = _parse(raw, _types()[info.field], info.env)
        settings = cls(**values)
        if settings.public_base_url.endswith("/"):
            settings = dataclasses.replace(settings, public_base_url=settings.public_base_url.rstrip("/"))
        return settings

    def model_for(self, agent: str) -> str:
        """The configured ``provider/model`` for ``agent``, or ``""`` when none is configured."""
        return self.agent_models.get(agent, self.default_model)

    def judge_model_for(self, agent: str) -> str:
        """The LLM judge's ``provider/model`` for ``agent``, or ``""`` when none is configured."""
        return self.judge_models.get(agent, "")

    def judge_rate_for(self, tenant_id: str) -> float:
        """The share of ``tenant_id``'s jobs the LLM judge sees, clamped to ``[0, 1]``.

        Raises:
            ConfigError: ``AGENTJOBS_JUDGE_SAMPLE_RATE__<TENANT>`` is not a number.
        """
        raw = self.judge_sample_rates.get(tenant_id)
        rate = self.judge_sample_rate if raw is None else _parse(raw, "float", "AGENTJOBS_JUDGE_SAMPLE_RATE__")
        return min(1.0, max(0.0, float(rate)))


def setting_infos() -> tuple[SettingInfo, ...]:
    """Every setting, in declaration order: its variable, readers and description."""
    return tuple(SettingInfo(field=f.name, **f.metadata) for f in dataclasses.fields(Settings))


def _types() -> dict[str, str]:
    # With postponed annotations, field types are strings such as "int" or "dict[str, str]".
    return {f.name: str(f.type) for f in dataclasses.fields(Settings)}


def _parse(raw: str, type_name: str, name: str) -> Any:
    match type_name:
        case "int":
            try:
                return int(raw.strip())
            except ValueError as e:
                raise ConfigError(f"{name} must be an integer") from e
        case "float":
            try:
                return float(raw.strip())
            except ValueError as e:
                raise ConfigError(f"{name} must be a number") from e
        case "bool":
            return raw.strip().lower() in {"1", "true", "yes", "on"}
        case _:
            return raw


def _prefixed(env: Mapping[str, str], prefix: str) -> dict[str, str]:
    # AGENTJOBS_MODEL__CRITERIA_EVALUATOR=openai/gpt-4o-mini -> {"criteria-evaluator": "openai/gpt-4o-mini"}
    return {
        name[len(prefix) :].lower().replace("_", "-"): value
        for name, value in env.items()
        if name.startswith(prefix) and value
    }
