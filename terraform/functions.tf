# The four Cloud Functions (2nd gen) and how they are built.
#
# Packaging: each function deploys alone from a zip that holds functions/<key>/main.py and
# requirements.txt at its root, next to the shared common/ package (only its *.py files: no
# tests, caches, virtual environments or local state). Built by the archive provider's
# archive_file data source, not by a build script: it needs nothing but Terraform on the
# deployer's machine, works the same on every OS, and its output hash makes the upload (and so
# the redeploy) happen only when a file changed. tests/deploy/test_packaging.py builds the same
# archive from the same two locals below and serves each one from a fresh virtual environment.

locals {
  source_root = abspath("${path.module}/..")
  build_dir   = "${path.root}/.terraform/agentjobs-build"

  # Files of functions/<key>/ that go to the root of its archive.
  function_source_files = ["main.py", "requirements.txt"]
  # Files of the repository root that go to every archive, under the same path.
  shared_source_patterns = ["common/**/*.py"]

  shared_sources = sort(distinct(flatten([
    for pattern in local.shared_source_patterns : tolist(fileset(local.source_root, pattern))
  ])))

  source_hash    = sha256(join(",", [for f in local.shared_sources : filesha256("${local.source_root}/${f}")]))
  sentry_release = var.sentry_release != "" ? var.sentry_release : "agentjobs@${substr(local.source_hash, 0, 12)}"

  run_agent_timeout_seconds = 3600

  # Sizing, explicit for each function.
  functions = {
    # Short I/O-bound requests (auth lookup, one Firestore write, one publish): many share an
    # instance. 60 s is far above a normal request and stops a stuck one early.
    submit = {
      cpu             = "1"
      memory          = "512Mi"
      concurrency     = 40
      timeout_seconds = 60
      ingress         = "ALLOW_ALL"
    }
    # Like submit, but an offloaded result (up to several MiB of JSON) may be read into memory
    # per request, hence more memory. An event stream (GET /v1/jobs/{id}/events) stays open up
    # to sse_max_seconds and then ends itself with a retry: hint, before the request timeout.
    status = {
      cpu             = "1"
      memory          = "1Gi"
      concurrency     = 40
      timeout_seconds = var.sse_max_seconds + 30
      ingress         = "ALLOW_ALL"
    }
    # One job per instance: PDF text extraction is CPU-bound and a 50 MiB document takes several
    # times its size in memory, and a run may hold the instance for up to max_run_seconds. The
    # timeout is the longest an HTTP-triggered 2nd-gen function may run (60 min) and must exceed
    # both the lease and AGENTJOBS_MAX_RUN_SECONDS (checked below).
    run_agent = {
      cpu             = "1"
      memory          = "2Gi"
      concurrency     = 1
      timeout_seconds = local.run_agent_timeout_seconds
      ingress         = "ALLOW_INTERNAL_ONLY"
    }
    # Each callback mostly waits on the receiver (AGENTJOBS_CALLBACK_TIMEOUT_SECONDS at most), so
    # many share an instance; 60 s leaves room for the wait plus two Firestore calls.
    notify = {
      cpu             = "1"
      memory          = "512Mi"
      concurrency     = 20
      timeout_seconds = 60
      ingress         = "ALLOW_INTERNAL_ONLY"
    }
  }

  # Read by functions-framework, not by us: THREADS sizes its gunicorn thread pool (default 4 x
  # CPUs) to the request concurrency. An open event stream holds a thread for up to
  # sse_max_seconds; with 4 threads a status instance would serve 4 streams at a time, however
  # many requests Cloud Run sends it.
  server_env = { for name, fn in local.functions : name => { THREADS = tostring(fn.concurrency) } }

  # Environment of each function: every setting of common/config.py that it reads (deployed
  # ones), and nothing else. Empty values are left out, which the functions read as the default.
  function_env = {
    submit = {
      AGENTJOBS_PROJECT                   = var.project_id
      AGENTJOBS_JOB_EVENTS_TOPIC          = google_pubsub_topic.topic["agentjobs-job-events"].name
      AGENTJOBS_BUCKET                    = google_storage_bucket.data.name
      AGENTJOBS_JOBS_TOPIC                = google_pubsub_topic.topic["agentjobs-jobs"].name
      AGENTJOBS_PUBLIC_BASE_URL           = local.public_base_url
      AGENTJOBS_MAX_REQUEST_BYTES         = tostring(var.max_request_bytes)
      AGENTJOBS_MAX_INLINE_DOCUMENT_BYTES = tostring(var.max_inline_document_bytes)
      AGENTJOBS_MAX_DOCUMENT_BYTES        = tostring(var.max_document_bytes)
      AGENTJOBS_UPLOAD_URL_SECONDS        = tostring(var.upload_url_seconds)
      AGENTJOBS_SIGNING_SERVICE_ACCOUNT   = google_service_account.function["submit"].email
      AGENTJOBS_MODEL                     = var.default_model
      AGENTJOBS_AUTH_CACHE_SECONDS        = tostring(var.auth_cache_seconds)
      AGENTJOBS_RETENTION_DAYS            = tostring(var.retention_days)
      SENTRY_ENVIRONMENT                  = var.sentry_environment
      SENTRY_RELEASE                      = local.sentry_release
      SENTRY_TRACES_SAMPLE_RATE           = tostring(var.sentry_traces_sample_rate)
      LOGFIRE_BASE_URL                    = var.logfire_base_url
      OTEL_EXPORTER_OTLP_ENDPOINT         = var.otlp_endpoint
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT  = var.otlp_traces_endpoint
    }
    status = {
      AGENTJOBS_PROJECT                  = var.project_id
      AGENTJOBS_JOB_EVENTS_TOPIC         = google_pubsub_topic.topic["agentjobs-job-events"].name
      AGENTJOBS_SSE_MAX_SECONDS          = tostring(var.sse_max_seconds)
      AGENTJOBS_SSE_POLL_SECONDS         = tostring(var.sse_poll_seconds)
      AGENTJOBS_SSE_KEEPALIVE_SECONDS    = tostring(var.sse_keepalive_seconds)
      AGENTJOBS_BUCKET                   = google_storage_bucket.data.name
      AGENTJOBS_JOBS_TOPIC               = google_pubsub_topic.topic["agentjobs-jobs"].name
      AGENTJOBS_CALLBACKS_QUEUE          = google_cloud_tasks_queue.callbacks.id
      AGENTJOBS_NOTIFY_URL               = local.function_urls["notify"]
      AGENTJOBS_TASKS_SERVICE_ACCOUNT    = google_service_account.tasks_invoker.email
      AGENTJOBS_MAX_ATTEMPTS             = tostring(var.max_attempts)
      AGENTJOBS_PUBLIC_BASE_URL          = local.public_base_url
      AGENTJOBS_BACKEND_RETRY_SECONDS    = tostring(var.backend_retry_seconds)
      AGENTJOBS_AUTH_CACHE_SECONDS       = tostring(var.auth_cache_seconds)
      SENTRY_ENVIRONMENT                 = var.sentry_environment
      SENTRY_RELEASE                     = local.sentry_release
      SENTRY_TRACES_SAMPLE_RATE          = tostring(var.sentry_traces_sample_rate)
      LOGFIRE_BASE_URL                   = var.logfire_base_url
      OTEL_EXPORTER_OTLP_ENDPOINT        = var.otlp_endpoint
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = var.otlp_traces_endpoint
    }
    run_agent = {
      AGENTJOBS_PROJECT                              = var.project_id
      AGENTJOBS_JOB_EVENTS_TOPIC                     = google_pubsub_topic.topic["agentjobs-job-events"].name
      AGENTJOBS_BUCKET                               = google_storage_bucket.data.name
      AGENTJOBS_JOBS_TOPIC                           = google_pubsub_topic.topic["agentjobs-jobs"].name
      AGENTJOBS_CALLBACKS_QUEUE                      = google_cloud_tasks_queue.callbacks.id
      AGENTJOBS_NOTIFY_URL                           = local.function_urls["notify"]
      AGENTJOBS_TASKS_SERVICE_ACCOUNT                = google_service_account.tasks_invoker.email
      AGENTJOBS_MAX_ATTEMPTS                         = tostring(var.max_attempts)
      AGENTJOBS_BACKEND_RETRY_SECONDS                = tostring(var.backend_retry_seconds)
      AGENTJOBS_LEASE_SECONDS                        = tostring(var.lease_seconds)
      AGENTJOBS_HEARTBEAT_SECONDS                    = tostring(var.heartbeat_seconds)
      AGENTJOBS_MAX_RUN_SECONDS                      = tostring(var.max_run_seconds)
      AGENTJOBS_SWEEP_PENDING_AFTER_SECONDS          = tostring(var.sweep_pending_after_seconds)
      AGENTJOBS_SWEEP_CALLBACK_AFTER_SECONDS         = tostring(var.sweep_callback_after_seconds)
      AGENTJOBS_SWEEP_FAILING_CALLBACK_AFTER_SECONDS = tostring(var.sweep_failing_callback_after_seconds)
      AGENTJOBS_INLINE_RESULT_BYTES                  = tostring(var.inline_result_bytes)
      AGENTJOBS_MAX_DOCUMENT_BYTES                   = tostring(var.max_document_bytes)
      AGENTJOBS_MODEL                                = var.default_model
      AGENTJOBS_MODEL_BASE_URL                       = var.model_base_url
      AGENTJOBS_MODEL_TIMEOUT_SECONDS                = tostring(var.model_timeout_seconds)
      AGENTJOBS_JUDGE_SAMPLE_RATE                    = tostring(var.judge_sample_rate)
      AGENTJOBS_JUDGE_ALERT_WINDOW                   = tostring(var.judge_alert_window)
      AGENTJOBS_JUDGE_ALERT_PASS_RATE                = tostring(var.judge_alert_pass_rate)
      AGENTJOBS_RETENTION_DAYS                       = tostring(var.retention_days)
      SENTRY_ENVIRONMENT                             = var.sentry_environment
      SENTRY_RELEASE                                 = local.sentry_release
      SENTRY_TRACES_SAMPLE_RATE                      = tostring(var.sentry_traces_sample_rate)
      LOGFIRE_BASE_URL                               = var.logfire_base_url
      OTEL_EXPORTER_OTLP_ENDPOINT                    = var.otlp_endpoint
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT             = var.otlp_traces_endpoint
    }
    notify = {
      AGENTJOBS_PROJECT                  = var.project_id
      AGENTJOBS_JOB_EVENTS_TOPIC         = google_pubsub_topic.topic["agentjobs-job-events"].name
      AGENTJOBS_PUBLIC_BASE_URL          = local.public_base_url
      AGENTJOBS_CALLBACK_TIMEOUT_SECONDS = tostring(var.callback_timeout_seconds)
      AGENTJOBS_CALLBACK_MAX_ATTEMPTS    = tostring(local.callbacks_queue.max_attempts)
      AGENTJOBS_AUTH_CACHE_SECONDS       = tostring(var.auth_cache_seconds)
      AGENTJOBS_KMS_KEY                  = google_kms_crypto_key.webhook_secrets.id
      SENTRY_ENVIRONMENT                 = var.sentry_environment
      SENTRY_RELEASE                     = local.sentry_release
      SENTRY_TRACES_SAMPLE_RATE          = tostring(var.sentry_traces_sample_rate)
      LOGFIRE_BASE_URL                   = var.logfire_base_url
      OTEL_EXPORTER_OTLP_ENDPOINT        = var.otlp_endpoint
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = var.otlp_traces_endpoint
    }
  }

  # Prefix settings: one variable per entry, e.g. AGENTJOBS_MODEL__CRITERIA_EVALUATOR.
  prefix_env = {
    AGENTJOBS_MODEL__ = {
      readers = ["submit", "run_agent"]
      values  = var.agent_models
    }
    AGENTJOBS_JUDGE_MODEL__ = {
      readers = ["run_agent"]
      values  = var.judge_models
    }
    AGENTJOBS_JUDGE_SAMPLE_RATE__ = {
      readers = ["run_agent"]
      values  = { for tenant, rate in var.judge_sample_rates : tenant => tostring(rate) }
    }
  }
  function_prefix_env = {
    for key in keys(local.function_names) : key => merge([
      for prefix, setting in local.prefix_env : {
        for name, value in setting.values : "${prefix}${upper(replace(name, "-", "_"))}" => value
      } if contains(setting.readers, key)
    ]...)
  }
}

data "archive_file" "function" {
  for_each = local.function_names

  type             = "zip"
  output_path      = "${local.build_dir}/${each.key}.zip"
  output_file_mode = "0644"

  dynamic "source" {
    for_each = toset(local.function_source_files)
    content {
      filename = source.value
      content  = file("${local.source_root}/functions/${each.key}/${source.value}")
    }
  }

  dynamic "source" {
    for_each = toset(local.shared_sources)
    content {
      filename = source.value
      content  = file("${local.source_root}/${source.value}")
    }
  }
}

resource "google_storage_bucket_object" "source" {
  for_each = data.archive_file.function

  bucket       = google_storage_bucket.sources.name
  name         = "${each.key}/${each.value.output_md5}.zip"
  source       = each.value.output_path
  content_type = "application/zip"
}

# Function images, with old ones cleaned up (Cloud Functions otherwise keeps every build).
resource "google_artifact_registry_repository" "functions" {
  project       = var.project_id
  location      = var.region
  repository_id = "agentjobs-functions"
  description   = "Images built from the agentjobs function sources."
  format        = "DOCKER"
  labels        = local.common_labels

  cleanup_policy_dry_run = false

  # checkov:skip=CKV_GCP_84:Images hold only the open-source function code and public packages, never tenant data; Google-managed encryption suffices.

  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 5
    }
  }

  cleanup_policies {
    id     = "delete-old"
    action = "DELETE"
    condition {
      tag_state  = "ANY"
      older_than = "2592000s"
    }
  }

  depends_on = [google_project_service.enabled]
}

resource "google_cloudfunctions2_function" "function" {
  for_each = local.functions

  project     = var.project_id
  location    = var.region
  name        = local.function_names[each.key]
  description = "agentjobs ${each.key}"
  labels      = local.common_labels

  build_config {
    runtime           = "python313"
    entry_point       = each.key
    service_account   = google_service_account.builder.id
    docker_repository = google_artifact_registry_repository.functions.id

    source {
      storage_source {
        bucket = google_storage_bucket.sources.name
        object = google_storage_bucket_object.source[each.key].name
      }
    }
  }

  service_config {
    service_account_email            = google_service_account.function[each.key].email
    available_cpu                    = each.value.cpu
    available_memory                 = each.value.memory
    max_instance_request_concurrency = each.value.concurrency
    timeout_seconds                  = each.value.timeout_seconds
    min_instance_count               = var.instances[each.key].min
    max_instance_count               = var.instances[each.key].max
    all_traffic_on_latest_revision   = true

    # submit and status are the public API. run_agent and notify accept only internal traffic:
    # Pub/Sub push and Cloud Tasks in the same project count as internal, the internet does not.
    ingress_settings = each.value.ingress
    # checkov:skip=CKV_GCP_124:submit and status must take internet traffic (API-key auth in the function); run_agent and notify are ALLOW_INTERNAL_ONLY, asserted per function by tests/deploy/test_iam.py.

    environment_variables = {
      for name, value in merge(
        local.function_env[each.key], local.function_prefix_env[each.key], local.server_env[each.key]
      ) : name => value if value != ""
    }

    dynamic "secret_environment_variables" {
      for_each = local.function_secrets[each.key]
      content {
        key        = secret_environment_variables.key
        project_id = var.project_id
        secret     = google_secret_manager_secret.secret[secret_environment_variables.key].secret_id
        version    = secret_environment_variables.value
      }
    }
  }

  lifecycle {
    precondition {
      condition     = var.lease_seconds < local.run_agent_timeout_seconds && var.max_run_seconds < local.run_agent_timeout_seconds
      error_message = "lease_seconds and max_run_seconds must stay below run_agent's timeout (3600 s)."
    }
    precondition {
      condition     = var.heartbeat_seconds * 2 <= var.lease_seconds
      error_message = "heartbeat_seconds must be at most half of lease_seconds, so one missed heartbeat does not lose the lease."
    }
  }

  depends_on = [
    google_project_iam_member.builder_logs,
    google_artifact_registry_repository_iam_member.builder_pushes_images,
    google_storage_bucket_iam_member.builder_reads_sources,
    google_secret_manager_secret_iam_member.reader,
  ]
}
