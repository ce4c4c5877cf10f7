# Inputs. Defaults of runtime settings equal the defaults in common/config.py (tests/deploy checks
# that), so a deployment behaves like the local stack unless a value is chosen here.

variable "project_id" {
  description = "Google Cloud project id to deploy into."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a Google Cloud project id: 6-30 lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "region" {
  description = "Region of the functions, the Cloud Tasks queue, the Cloud Scheduler job, the KMS key and (by default) the bucket and Firestore, e.g. europe-west1."
  type        = string
  default     = "europe-west1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a Google Cloud region such as europe-west1 or us-central1 (not a zone, not a multi-region)."
  }
}

variable "firestore_location" {
  description = "Firestore location: a region (e.g. europe-west1) or a multi-region (eur3, nam5). Null uses var.region. Cannot change after creation."
  type        = string
  default     = null

  validation {
    condition     = var.firestore_location == null || can(regex("^([a-z]+-[a-z]+[0-9]+|eur3|nam5)$", var.firestore_location))
    error_message = "firestore_location must be a region such as europe-west1, or eur3 or nam5."
  }
}

variable "bucket_name" {
  description = "Name of the tenants' bucket (inboxes, uploads, offloaded results). Null uses \"<project_id>-agentjobs\"."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_name == null || can(regex("^[a-z0-9][a-z0-9_.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be 3-63 lowercase letters, digits, '-', '_' or '.', starting and ending with a letter or digit."
  }
}

variable "retention_days" {
  description = "Days a job and its blobs are kept: the default retention of a tenant (AGENTJOBS_RETENTION_DAYS) and the age at which the bucket's lifecycle rule deletes blobs, so it is also the longest retention any tenant gets."
  type        = number
  default     = 30

  validation {
    condition     = var.retention_days >= 1 && var.retention_days <= 3650 && floor(var.retention_days) == var.retention_days
    error_message = "retention_days must be a whole number of days from 1 to 3650."
  }
}

variable "instances" {
  description = "Minimum and maximum instances per function. min > 0 keeps warm instances (no cold start, billed while idle); max caps cost and the load on Firestore and the model provider."
  type = object({
    submit    = optional(object({ min = optional(number, 0), max = optional(number, 20) }), {})
    status    = optional(object({ min = optional(number, 0), max = optional(number, 20) }), {})
    run_agent = optional(object({ min = optional(number, 0), max = optional(number, 50) }), {})
    notify    = optional(object({ min = optional(number, 0), max = optional(number, 10) }), {})
  })
  default = {}

  validation {
    condition = alltrue([
      for f in values(var.instances) : f.min >= 0 && f.max >= 1 && f.min <= f.max && f.max <= 1000 && floor(f.min) == f.min && floor(f.max) == f.max
    ])
    error_message = "Each function needs whole numbers with 0 <= min <= max, 1 <= max <= 1000."
  }
}

variable "labels" {
  description = "Labels added to every resource that takes labels."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.labels : can(regex("^[a-z][a-z0-9_-]{0,62}$", k)) && can(regex("^[a-z0-9_-]{0,63}$", v))])
    error_message = "Label keys must start with a lowercase letter; keys and values use lowercase letters, digits, '_' and '-' (at most 63)."
  }
}

variable "public_base_url" {
  description = "Base URL clients use for the status API (links in responses and callbacks), e.g. a custom domain. Empty uses the status function's own URL."
  type        = string
  default     = ""

  validation {
    condition     = var.public_base_url == "" || can(regex("^https://[^/?#]+(/[^?#]*)?[^/]$", var.public_base_url))
    error_message = "public_base_url must be an https URL without query, fragment or trailing slash, or empty."
  }
}

variable "admin_members" {
  description = "IAM members who run the admin CLI (agentjobs tenants ...) against this deployment, e.g. [\"group:platform@example.com\"]. They get encrypt/decrypt on the webhook-secrets key; Firestore access they need from their own project role (e.g. roles/datastore.user)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for m in var.admin_members : can(regex("^(user|group|serviceAccount|domain):", m))])
    error_message = "admin_members must be IAM members such as user:a@example.com, group:g@example.com or serviceAccount:sa@project.iam.gserviceaccount.com."
  }
}

variable "secret_versions" {
  description = "Which Secret Manager secrets the functions read, and which version: env variable => version number (or \"latest\"). Add a version to the secret first (gcloud secrets versions add), then list it here; an unlisted secret is not exposed and its setting stays unset (Sentry/Logfire off, no model key). Pinned numbers make a rotation an explicit apply that rolls out new instances."
  type        = map(string)
  default     = {}

  validation {
    condition = alltrue([
      for env, version in var.secret_versions :
      contains(["AGENTJOBS_MODEL_API_KEY", "OPENAI_API_KEY", "SENTRY_DSN", "LOGFIRE_TOKEN", "OTEL_EXPORTER_OTLP_HEADERS"], env) && can(regex("^([1-9][0-9]*|latest)$", version))
    ])
    error_message = "secret_versions keys must be AGENTJOBS_MODEL_API_KEY, OPENAI_API_KEY, SENTRY_DSN, LOGFIRE_TOKEN or OTEL_EXPORTER_OTLP_HEADERS, and values a version number or \"latest\"."
  }
}

# --- Models -------------------------------------------------------------------------------

variable "default_model" {
  description = "AGENTJOBS_MODEL: default provider/model for LLM agents, e.g. openai/gpt-4o-mini. Empty runs the agents offline (rules only)."
  type        = string
  default     = ""

  validation {
    condition     = var.default_model == "" || can(regex("^[a-z0-9-]+/[^\\s]+$", var.default_model))
    error_message = "default_model must look like provider/model, or be empty."
  }
}

variable "agent_models" {
  description = "Per-agent model, agent name => provider/model, e.g. { criteria-evaluator = \"openai/gpt-4o\" }. Each becomes AGENTJOBS_MODEL__<AGENT> (upper-cased, '-' to '_')."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for agent, model in var.agent_models : can(regex("^[a-z0-9-]{1,64}$", agent)) && can(regex("^[a-z0-9-]+/[^\\s]+$", model))])
    error_message = "agent_models keys must be agent names (lowercase letters, digits, '-') and values provider/model."
  }
}

variable "model_base_url" {
  description = "AGENTJOBS_MODEL_BASE_URL: base URL of an OpenAI-compatible server (vLLM, Ollama); empty uses the provider's own endpoint."
  type        = string
  default     = ""

  validation {
    condition     = var.model_base_url == "" || can(regex("^https://", var.model_base_url))
    error_message = "model_base_url must be an https URL, or empty."
  }
}

variable "model_timeout_seconds" {
  description = "AGENTJOBS_MODEL_TIMEOUT_SECONDS: timeout of one model call (s)."
  type        = number
  default     = 120

  validation {
    condition     = var.model_timeout_seconds > 0 && var.model_timeout_seconds <= 900
    error_message = "model_timeout_seconds must be in (0, 900]."
  }
}

# --- Judges (run_agent) ----------------------------------------------------------------------

variable "judge_models" {
  description = "Per-agent LLM judge model, agent name => provider/model, separate from the agent's own model. Each becomes AGENTJOBS_JUDGE_MODEL__<AGENT>. Empty: deterministic judges only."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for agent, model in var.judge_models : can(regex("^[a-z0-9-]{1,64}$", agent)) && can(regex("^[a-z0-9-]+/[^\\s]+$", model))])
    error_message = "judge_models keys must be agent names (lowercase letters, digits, '-') and values provider/model."
  }
}

variable "judge_sample_rate" {
  description = "AGENTJOBS_JUDGE_SAMPLE_RATE: share of successful jobs the LLM judge sees, 0 to 1."
  type        = number
  default     = 1

  validation {
    condition     = var.judge_sample_rate >= 0 && var.judge_sample_rate <= 1
    error_message = "judge_sample_rate must be in [0, 1]."
  }
}

variable "judge_sample_rates" {
  description = "Per-tenant LLM judge rate, tenant id => share 0 to 1, e.g. { acme = 0.1 }. Each becomes AGENTJOBS_JUDGE_SAMPLE_RATE__<TENANT>."
  type        = map(number)
  default     = {}

  validation {
    condition     = alltrue([for tenant, rate in var.judge_sample_rates : can(regex("^[a-z][a-z0-9-]{1,38}[a-z0-9]$", tenant)) && rate >= 0 && rate <= 1])
    error_message = "judge_sample_rates keys must be tenant ids and values in [0, 1]."
  }
}

variable "judge_alert_window" {
  description = "AGENTJOBS_JUDGE_ALERT_WINDOW: jobs per tenant, agent and judge in the rolling pass rate."
  type        = number
  default     = 20

  validation {
    condition     = var.judge_alert_window >= 1 && var.judge_alert_window <= 1000
    error_message = "judge_alert_window must be from 1 to 1000."
  }
}

variable "judge_alert_pass_rate" {
  description = "AGENTJOBS_JUDGE_ALERT_PASS_RATE: one Sentry alert when a judge's rolling pass rate drops below this, 0 to 1."
  type        = number
  default     = 0.8

  validation {
    condition     = var.judge_alert_pass_rate >= 0 && var.judge_alert_pass_rate <= 1
    error_message = "judge_alert_pass_rate must be in [0, 1]."
  }
}

# --- Job execution (run_agent) ---------------------------------------------------------------

variable "max_attempts" {
  description = "AGENTJOBS_MAX_ATTEMPTS: claims of one job before it fails with attempts_exhausted."
  type        = number
  default     = 5

  validation {
    condition     = var.max_attempts >= 1 && var.max_attempts <= 20 && floor(var.max_attempts) == var.max_attempts
    error_message = "max_attempts must be a whole number from 1 to 20."
  }
}

variable "lease_seconds" {
  description = "AGENTJOBS_LEASE_SECONDS: how long a running attempt may go without a heartbeat before the sweeper or a redelivery takes the job over (s). Below run_agent's 3600 s timeout."
  type        = number
  default     = 30

  validation {
    condition     = var.lease_seconds >= 10 && var.lease_seconds < 3600
    error_message = "lease_seconds must be at least 10 and below run_agent's timeout of 3600 s."
  }
}

variable "heartbeat_seconds" {
  description = "AGENTJOBS_HEARTBEAT_SECONDS: how often a running job renews its lease (s); at most half the lease."
  type        = number
  default     = 10

  validation {
    condition     = var.heartbeat_seconds >= 1 && var.heartbeat_seconds <= 600
    error_message = "heartbeat_seconds must be from 1 to 600."
  }
}

variable "max_run_seconds" {
  description = "AGENTJOBS_MAX_RUN_SECONDS: longest one attempt may run before its lease is no longer renewed (s). Below run_agent's 3600 s timeout, leaving time to store the result."
  type        = number
  default     = 1800

  validation {
    condition     = var.max_run_seconds >= 60 && var.max_run_seconds <= 3300
    error_message = "max_run_seconds must be from 60 to 3300 (run_agent's timeout is 3600 s)."
  }
}

variable "sweep_pending_after_seconds" {
  description = "AGENTJOBS_SWEEP_PENDING_AFTER_SECONDS: the sweeper republishes a pending job untouched this long, as its message may be lost (s)."
  type        = number
  default     = 120

  validation {
    condition     = var.sweep_pending_after_seconds >= 30 && var.sweep_pending_after_seconds <= 86400
    error_message = "sweep_pending_after_seconds must be from 30 to 86400."
  }
}

variable "sweep_callback_after_seconds" {
  description = "AGENTJOBS_SWEEP_CALLBACK_AFTER_SECONDS: the sweeper re-enqueues a callback still pending this long after its job finished (s)."
  type        = number
  default     = 300

  validation {
    condition     = var.sweep_callback_after_seconds >= 60 && var.sweep_callback_after_seconds <= 86400
    error_message = "sweep_callback_after_seconds must be from 60 to 86400."
  }
}

variable "sweep_failing_callback_after_seconds" {
  description = "AGENTJOBS_SWEEP_FAILING_CALLBACK_AFTER_SECONDS: the sweeper re-enqueues a failing callback with no attempt for this long (s); longer than the callbacks queue's largest retry delay (6 h), so its task must be lost."
  type        = number
  default     = 25200

  validation {
    condition     = var.sweep_failing_callback_after_seconds > 21600 && var.sweep_failing_callback_after_seconds <= 604800
    error_message = "sweep_failing_callback_after_seconds must exceed the queue's largest retry delay (21600 s) and be at most 604800."
  }
}

variable "backend_retry_seconds" {
  description = "AGENTJOBS_BACKEND_RETRY_SECONDS: how long one storage read may retry transient errors before the delivery is retried (s)."
  type        = number
  default     = 30

  validation {
    condition     = var.backend_retry_seconds >= 0 && var.backend_retry_seconds <= 300
    error_message = "backend_retry_seconds must be from 0 to 300."
  }
}

variable "inline_result_bytes" {
  description = "AGENTJOBS_INLINE_RESULT_BYTES: results larger than this go to the bucket with a pointer in the job (bytes). Firestore documents are limited to 1 MiB."
  type        = number
  default     = 524288

  validation {
    condition     = var.inline_result_bytes >= 1024 && var.inline_result_bytes <= 900000
    error_message = "inline_result_bytes must be from 1024 to 900000 (Firestore's document limit is 1 MiB)."
  }
}

variable "max_document_bytes" {
  description = "AGENTJOBS_MAX_DOCUMENT_BYTES: largest input document accepted (bytes). run_agent's memory is sized for the default."
  type        = number
  default     = 52428800

  validation {
    condition     = var.max_document_bytes >= 1024 && var.max_document_bytes <= 209715200
    error_message = "max_document_bytes must be from 1 KiB to 200 MiB."
  }
}

# --- API (submit, status) --------------------------------------------------------------------

variable "max_inline_document_bytes" {
  description = "AGENTJOBS_MAX_INLINE_DOCUMENT_BYTES: largest PDF a submit body may carry inline as document_base64 (bytes, decoded). max_request_bytes must hold its base64 text."
  type        = number
  default     = 4194304

  validation {
    condition     = var.max_inline_document_bytes >= 0 && var.max_inline_document_bytes <= 20971520
    error_message = "max_inline_document_bytes must be from 0 to 20 MiB."
  }
}

variable "upload_url_seconds" {
  description = "AGENTJOBS_UPLOAD_URL_SECONDS: lifetime of a signed upload URL from POST /v1/uploads (s)."
  type        = number
  default     = 900

  validation {
    condition     = var.upload_url_seconds >= 60 && var.upload_url_seconds <= 604800
    error_message = "upload_url_seconds must be from 60 s to 7 days (V4 signing's limit)."
  }
}

variable "max_request_bytes" {
  description = "AGENTJOBS_MAX_REQUEST_BYTES: largest HTTP request body submit accepts (bytes): an inline document's base64 text plus 256 KiB by default."
  type        = number
  default     = 5854552

  validation {
    condition     = var.max_request_bytes >= 1024 && var.max_request_bytes <= 33554432
    error_message = "max_request_bytes must be from 1 KiB to 32 MiB (Cloud Run's request limit)."
  }
}

variable "auth_cache_seconds" {
  description = "AGENTJOBS_AUTH_CACHE_SECONDS: how long submit, status and notify cache an API key and its tenant (s), so how long a deleted or deactivated tenant's keys keep working."
  type        = number
  default     = 60

  validation {
    condition     = var.auth_cache_seconds >= 0 && var.auth_cache_seconds <= 3600
    error_message = "auth_cache_seconds must be from 0 to 3600."
  }
}

# --- Job event streams (status) --------------------------------------------------------------

variable "sse_max_seconds" {
  description = "AGENTJOBS_SSE_MAX_SECONDS: longest an event stream (GET /v1/jobs/{id}/events) stays open before it ends with a retry: hint (s). The status function's timeout is this plus 30 s."
  type        = number
  default     = 300

  validation {
    condition     = var.sse_max_seconds >= 10 && var.sse_max_seconds <= 3000
    error_message = "sse_max_seconds must be from 10 to 3000 (the status timeout is this plus 30 s, at most 3600)."
  }
}

variable "sse_poll_seconds" {
  description = "AGENTJOBS_SSE_POLL_SECONDS: how often an open event stream looks for new events (s); each look is one Firestore read."
  type        = number
  default     = 0.5

  validation {
    condition     = var.sse_poll_seconds >= 0.1 && var.sse_poll_seconds <= 10
    error_message = "sse_poll_seconds must be from 0.1 to 10."
  }
}

variable "sse_keepalive_seconds" {
  description = "AGENTJOBS_SSE_KEEPALIVE_SECONDS: quiet time after which an event stream sends a keep-alive comment (s)."
  type        = number
  default     = 15

  validation {
    condition     = var.sse_keepalive_seconds >= 1 && var.sse_keepalive_seconds <= 60
    error_message = "sse_keepalive_seconds must be from 1 to 60."
  }
}

# --- Callbacks (notify) ----------------------------------------------------------------------

variable "callback_timeout_seconds" {
  description = "AGENTJOBS_CALLBACK_TIMEOUT_SECONDS: timeout of one callback delivery (s). notify's function timeout leaves room for it."
  type        = number
  default     = 10

  validation {
    condition     = var.callback_timeout_seconds > 0 && var.callback_timeout_seconds <= 30
    error_message = "callback_timeout_seconds must be in (0, 30]."
  }
}

# --- Telemetry -------------------------------------------------------------------------------

variable "sentry_environment" {
  description = "SENTRY_ENVIRONMENT reported with errors and traces."
  type        = string
  default     = "production"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{1,64}$", var.sentry_environment))
    error_message = "sentry_environment must be 1-64 letters, digits, '_', '.' or '-'."
  }
}

variable "sentry_release" {
  description = "SENTRY_RELEASE. Empty uses \"agentjobs@<hash of the deployed source>\", the same for all four functions."
  type        = string
  default     = ""

  validation {
    condition     = length(var.sentry_release) <= 200 && !can(regex("[\\s/]", var.sentry_release))
    error_message = "sentry_release must be at most 200 characters, without whitespace or '/'."
  }
}

variable "sentry_traces_sample_rate" {
  description = "SENTRY_TRACES_SAMPLE_RATE: share of requests and deliveries sent to Sentry as transactions, 0.0-1.0."
  type        = number
  default     = 1

  validation {
    condition     = var.sentry_traces_sample_rate >= 0 && var.sentry_traces_sample_rate <= 1
    error_message = "sentry_traces_sample_rate must be between 0 and 1."
  }
}

variable "logfire_base_url" {
  description = "LOGFIRE_BASE_URL: Logfire's API base URL; empty uses the region named in the LOGFIRE_TOKEN secret."
  type        = string
  default     = ""

  validation {
    condition     = var.logfire_base_url == "" || can(regex("^https://[^\\s]+$", var.logfire_base_url))
    error_message = "logfire_base_url must be empty or an https URL."
  }
}

variable "otlp_endpoint" {
  description = "OTEL_EXPORTER_OTLP_ENDPOINT: OTLP/HTTP base URL of any OpenTelemetry backend; empty sends nothing (unless Logfire is set)."
  type        = string
  default     = ""

  validation {
    condition     = var.otlp_endpoint == "" || can(regex("^https?://[^\\s]+$", var.otlp_endpoint))
    error_message = "otlp_endpoint must be empty or an http(s) URL."
  }
}

variable "otlp_traces_endpoint" {
  description = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: OTLP/HTTP traces URL, used as is; overrides otlp_endpoint for traces."
  type        = string
  default     = ""

  validation {
    condition     = var.otlp_traces_endpoint == "" || can(regex("^https?://[^\\s]+$", var.otlp_traces_endpoint))
    error_message = "otlp_traces_endpoint must be empty or an http(s) URL."
  }
}
