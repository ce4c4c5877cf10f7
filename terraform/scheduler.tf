# The sweeper's clock. Every tick is a Pub/Sub message with attribute kind=sweep on the sweep topic;
# run_agent handles it (republishes lost job messages, takes over or fails jobs whose lease expired,
# re-enqueues undelivered callbacks). The sweep is idempotent, so an extra or missed tick is harmless.

locals {
  sweep_schedule = "* * * * *"
}

resource "google_cloud_scheduler_job" "sweep" {
  project     = var.project_id
  region      = var.region
  name        = "agentjobs-sweep"
  description = "Triggers the agentjobs sweeper through the sweep topic."
  schedule    = local.sweep_schedule
  time_zone   = "Etc/UTC"

  # The next tick comes a minute later; retrying an old one adds nothing.
  retry_config {
    retry_count = 0
  }

  pubsub_target {
    topic_name = google_pubsub_topic.topic[local.sweep_topic].id
    data       = base64encode("{}")
    attributes = {
      kind = "sweep"
    }
  }

  depends_on = [google_project_service.enabled]
}
