"""Settings, read once per cold start from environment variables.

Every setting has a default that works on the local stack; production values come from the
Terraform-managed function configuration. Emulator hosts use Google's own variables
(``FIRESTORE_EMULATOR_HOST``, ``PUBSUB_EMULATOR_HOST``, ``STORAGE_EMULATOR_HOST``), which the
client libraries read themselves.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from common.errors import PermanentError

__all__ = ["ConfigError", "Settings"]


class ConfigError(PermanentError):
    """A setting has an invalid value."""

    code = "invalid_configuration"


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as e:
        raise ConfigError(f"{name} must be an integer") from e


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as e:
        raise ConfigError(f"{name} must be a number") from e


def _bool(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _models(env: Mapping[str, str], prefix: str) -> dict[str, str]:
    # AGENTJOBS_MODEL__CRITERIA_EVALUATOR=openai/gpt-4o-mini -> {"criteria-evaluator": "openai/gpt-4o-mini"}
    return {
        name[len(prefix) :].lower().replace("_", "-"): value
        for name, value in env.items()
        if name.startswith(prefix) and value
    }


@dataclass(frozen=True, slots=True)
class Settings:
    """Runtime settings.

    Attributes:
        project: Google Cloud project id (``AGENTJOBS_PROJECT``, else ``GOOGLE_CLOUD_PROJECT``).
        bucket: Bucket holding tenant inboxes and large results (``AGENTJOBS_BUCKET``).
        jobs_topic: Topic that ``submit`` publishes job messages to (``AGENTJOBS_JOBS_TOPIC``).
        callbacks_queue: Full Cloud Tasks queue name for callbacks
            (``AGENTJOBS_CALLBACKS_QUEUE``: ``projects/P/locations/L/queues/Q``).
        notify_url: HTTPS URL of the ``notify`` function, the Cloud Tasks target
            (``AGENTJOBS_NOTIFY_URL``).
        tasks_emulator_host: ``host:port`` of a Cloud Tasks emulator (``CLOUD_TASKS_EMULATOR_HOST``).
        tasks_service_account: Service account whose OIDC token Cloud Tasks attaches when calling
            ``notify`` (``AGENTJOBS_TASKS_SERVICE_ACCOUNT``); empty on the local stack.
        public_base_url: Base URL clients use for the HTTP API, for ``links``
            (``AGENTJOBS_PUBLIC_BASE_URL``).
        max_attempts: Claims of one job before it fails with ``attempts_exhausted``.
        backend_retry_seconds: How long one storage read may retry transient errors before the
            delivery gives up and is redelivered (s).
        lease_seconds: How long an attempt may run before a redelivery may take over (s).
        inline_result_bytes: Larger results go to storage with a pointer in the job (bytes).
        max_document_bytes: Largest input document accepted (bytes).
        max_request_bytes: Largest HTTP request body accepted by ``submit`` (bytes).
        default_model: Default ``provider/model`` for LLM agents (``AGENTJOBS_MODEL``); empty
            means no model is configured (offline mode).
        agent_models: Per-agent overrides from ``AGENTJOBS_MODEL__<AGENT>`` variables.
        model_base_url: Base URL of an OpenAI-compatible server (``AGENTJOBS_MODEL_BASE_URL``).
        model_api_key: API key for that server (``AGENTJOBS_MODEL_API_KEY``). Never logged.
        model_timeout_seconds: Timeout of one model call (s).
        allow_loopback_callbacks: Dev-only: accept ``http://127.0.0.1`` callback URLs
            (``AGENTJOBS_DEV_ALLOW_LOOPBACK_CALLBACKS``). The local stack sets it.
        callback_timeout_seconds: Timeout of one callback delivery (s).
    """

    project: str = "agentjobs-dev"
    bucket: str = "agentjobs-dev"
    jobs_topic: str = "agentjobs-jobs"
    callbacks_queue: str = ""
    notify_url: str = ""
    tasks_emulator_host: str = ""
    tasks_service_account: str = ""
    public_base_url: str = ""
    max_attempts: int = 5
    backend_retry_seconds: float = 30.0
    lease_seconds: float = 900.0
    inline_result_bytes: int = 512 * 1024
    max_document_bytes: int = 50 * 1024 * 1024
    max_request_bytes: int = 256 * 1024
    default_model: str = ""
    agent_models: dict[str, str] = field(default_factory=dict[str, str])
    model_base_url: str = ""
    model_api_key: str = field(default="", repr=False)
    model_timeout_seconds: float = 120.0
    allow_loopback_callbacks: bool = False
    callback_timeout_seconds: float = 10.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read settings from ``env`` (default: ``os.environ``).

        Raises:
            ConfigError: A numeric setting is not a number.
        """
        e = os.environ if env is None else env
        d = cls()  # the defaults (class attributes are slot descriptors, not values)
        return cls(
            project=e.get("AGENTJOBS_PROJECT") or e.get("GOOGLE_CLOUD_PROJECT") or d.project,
            bucket=e.get("AGENTJOBS_BUCKET") or d.bucket,
            jobs_topic=e.get("AGENTJOBS_JOBS_TOPIC") or d.jobs_topic,
            callbacks_queue=e.get("AGENTJOBS_CALLBACKS_QUEUE", ""),
            notify_url=e.get("AGENTJOBS_NOTIFY_URL", ""),
            tasks_emulator_host=e.get("CLOUD_TASKS_EMULATOR_HOST", ""),
            tasks_service_account=e.get("AGENTJOBS_TASKS_SERVICE_ACCOUNT", ""),
            public_base_url=e.get("AGENTJOBS_PUBLIC_BASE_URL", "").rstrip("/"),
            max_attempts=_int(e, "AGENTJOBS_MAX_ATTEMPTS", d.max_attempts),
            backend_retry_seconds=_float(e, "AGENTJOBS_BACKEND_RETRY_SECONDS", d.backend_retry_seconds),
            lease_seconds=_float(e, "AGENTJOBS_LEASE_SECONDS", d.lease_seconds),
            inline_result_bytes=_int(e, "AGENTJOBS_INLINE_RESULT_BYTES", d.inline_result_bytes),
            max_document_bytes=_int(e, "AGENTJOBS_MAX_DOCUMENT_BYTES", d.max_document_bytes),
            max_request_bytes=_int(e, "AGENTJOBS_MAX_REQUEST_BYTES", d.max_request_bytes),
            default_model=e.get("AGENTJOBS_MODEL", ""),
            agent_models=_models(e, "AGENTJOBS_MODEL__"),
            model_base_url=e.get("AGENTJOBS_MODEL_BASE_URL", ""),
            model_api_key=e.get("AGENTJOBS_MODEL_API_KEY", ""),
            model_timeout_seconds=_float(e, "AGENTJOBS_MODEL_TIMEOUT_SECONDS", d.model_timeout_seconds),
            allow_loopback_callbacks=_bool(e, "AGENTJOBS_DEV_ALLOW_LOOPBACK_CALLBACKS"),
            callback_timeout_seconds=_float(e, "AGENTJOBS_CALLBACK_TIMEOUT_SECONDS", d.callback_timeout_seconds),
        )

    def model_for(self, agent: str) -> str:
        """The configured ``provider/model`` for ``agent``, or ``""`` when none is configured."""
        return self.agent_models.get(agent, self.default_model)
