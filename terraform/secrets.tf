# Secret Manager: one secret per secret setting, exposed as a secret environment variable to
# exactly the functions that read it (tests/deploy checks readers against common/config.py).
#
# Terraform creates the secrets, never their values, so no secret reaches the Terraform state.
# An operator adds a version (gcloud secrets versions add) and then lists the variable in
# var.secret_versions; until then the setting stays unset and the feature off.

locals {
  secret_env = {
    AGENTJOBS_MODEL_API_KEY = {
      secret_id = "agentjobs-model-api-key"
      readers   = ["run_agent"]
    }
    # Read by the openai SDK itself (mirascope's openai provider), not by common/config.py.
    OPENAI_API_KEY = {
      secret_id = "agentjobs-openai-api-key"
      readers   = ["run_agent"]
    }
    SENTRY_DSN = {
      secret_id = "agentjobs-sentry-dsn"
      readers   = ["submit", "status", "run_agent", "notify"]
    }
    LOGFIRE_TOKEN = {
      secret_id = "agentjobs-logfire-token"
      readers   = ["submit", "status", "run_agent", "notify"]
    }
    # e.g. "authorization=Bearer ..." for an OTLP backend that needs a key.
    OTEL_EXPORTER_OTLP_HEADERS = {
      secret_id = "agentjobs-otlp-headers"
      readers   = ["submit", "status", "run_agent", "notify"]
    }
  }

  secret_readers = flatten([
    for env, secret in local.secret_env : [for function in secret.readers : { env = env, function = function }]
  ])

  # Function => { env => version } of the secrets it reads that have a version to expose.
  function_secrets = {
    for key in keys(local.function_names) : key => {
      for env, secret in local.secret_env : env => var.secret_versions[env]
      if contains(secret.readers, key) && contains(keys(var.secret_versions), env)
    }
  }
}

resource "google_secret_manager_secret" "secret" {
  for_each = local.secret_env

  project   = var.project_id
  secret_id = each.value.secret_id
  labels    = local.common_labels

  replication {
    user_managed {
      replicas {
        location = var.region
      }
    }
  }

  depends_on = [google_project_service.enabled]
}
