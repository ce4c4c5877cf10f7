# The callbacks queue: run_agent enqueues one task per callback, Cloud Tasks calls notify with an
# OIDC token of tasks-invoker. Retries follow common/topology.py's CALLBACKS_QUEUE (tests/deploy
# checks it): exponential backoff from 5 s, doubling up to 12 times, capped at 6 h, 16 attempts in
# about 23 hours, like the Standard Webhooks retry schedule. notify reads the same max_attempts
# (AGENTJOBS_CALLBACK_MAX_ATTEMPTS) to mark a callback abandoned after the last one.

locals {
  callbacks_queue = {
    name                      = "agentjobs-callbacks"
    max_attempts              = 16
    min_backoff_seconds       = 5
    max_backoff_seconds       = 21600
    max_doublings             = 12
    max_dispatches_per_second = 50
    max_concurrent_dispatches = 100
  }
}

resource "google_cloud_tasks_queue" "callbacks" {
  project  = var.project_id
  name     = local.callbacks_queue.name
  location = var.region

  rate_limits {
    max_dispatches_per_second = local.callbacks_queue.max_dispatches_per_second
    max_concurrent_dispatches = local.callbacks_queue.max_concurrent_dispatches
  }

  retry_config {
    max_attempts       = local.callbacks_queue.max_attempts
    min_backoff        = "${local.callbacks_queue.min_backoff_seconds}s"
    max_backoff        = "${local.callbacks_queue.max_backoff_seconds}s"
    max_doublings      = local.callbacks_queue.max_doublings
    max_retry_duration = "0s" # no time limit: max_attempts ends the retries.
  }

  # Log every dispatch attempt (task name, target, response status; never the body).
  stackdriver_logging_config {
    sampling_ratio = 1.0
  }

  depends_on = [google_project_service.enabled]
}
