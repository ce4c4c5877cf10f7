# Topics and push subscriptions: the same topology as common/topology.py (tests/deploy checks
# every name and delivery setting against it).
#
# Every subscription pushes to run_agent with an OIDC token of push-invoker, the only identity
# allowed to invoke it. Refused messages are redelivered with exponential backoff and, after
# local.max_delivery_attempts deliveries, moved to the dead-letter topic, whose own subscription
# brings them to run_agent's /dead-letter path to end as a failed job or a rejection record.

locals {
  # agentjobs-job-events has no subscription here: downstream systems subscribe with their own
  # filter (attributes.tenant_id = "acme"); see the README, "Job events on Pub/Sub".
  topics            = ["agentjobs-jobs", "agentjobs-requests", "agentjobs-gcs-notifications", "agentjobs-dead-letter", "agentjobs-sweep", "agentjobs-job-events"]
  dead_letter_topic = "agentjobs-dead-letter"
  sweep_topic       = "agentjobs-sweep"

  # Deliveries of one message before Pub/Sub dead-letters it.
  max_delivery_attempts = 10

  subscriptions = {
    "agentjobs-jobs-to-run-agent" = {
      topic                     = "agentjobs-jobs"
      push_path                 = "/"
      ack_deadline_seconds      = 600
      min_backoff_seconds       = 10
      max_backoff_seconds       = 600
      dead_letter               = true
      message_retention_seconds = 604800
    }
    "agentjobs-requests-to-run-agent" = {
      topic                     = "agentjobs-requests"
      push_path                 = "/"
      ack_deadline_seconds      = 600
      min_backoff_seconds       = 10
      max_backoff_seconds       = 600
      dead_letter               = true
      message_retention_seconds = 604800
    }
    "agentjobs-gcs-notifications-to-run-agent" = {
      topic                     = "agentjobs-gcs-notifications"
      push_path                 = "/"
      ack_deadline_seconds      = 600
      min_backoff_seconds       = 10
      max_backoff_seconds       = 600
      dead_letter               = true
      message_retention_seconds = 604800
    }
    # A missed sweep tick is harmless (the next comes a minute later): short retention, no dead letters.
    "agentjobs-sweep-to-run-agent" = {
      topic                     = "agentjobs-sweep"
      push_path                 = "/"
      ack_deadline_seconds      = 300
      min_backoff_seconds       = 10
      max_backoff_seconds       = 60
      dead_letter               = false
      message_retention_seconds = 600
    }
    # The last stop: run_agent records and acks every dead-lettered message, so this one has no
    # dead-letter topic of its own.
    "agentjobs-dead-letter-to-run-agent" = {
      topic                     = "agentjobs-dead-letter"
      push_path                 = "/dead-letter"
      ack_deadline_seconds      = 600
      min_backoff_seconds       = 10
      max_backoff_seconds       = 600
      dead_letter               = false
      message_retention_seconds = 604800
    }
  }

  dead_lettered_subscriptions = toset([for name, s in local.subscriptions : name if s.dead_letter])
}

resource "google_pubsub_topic" "topic" {
  for_each = toset(local.topics)

  project = var.project_id
  name    = each.key
  labels  = local.common_labels

  # Messages carry tenant inputs (upstream requests) and ids: encrypted with our own key.
  kms_key_name = google_kms_crypto_key.messages.id

  # Keep messages inside the deployment's region.
  message_storage_policy {
    allowed_persistence_regions = [var.region]
  }

  depends_on = [google_kms_crypto_key_iam_member.pubsub_uses_messages_key]
}

resource "google_pubsub_subscription" "to_run_agent" {
  for_each = local.subscriptions

  project = var.project_id
  name    = each.key
  topic   = google_pubsub_topic.topic[each.value.topic].id
  labels  = local.common_labels

  ack_deadline_seconds       = each.value.ack_deadline_seconds
  message_retention_duration = "${each.value.message_retention_seconds}s"
  retain_acked_messages      = false

  # Never expire for lack of activity: a quiet subscription must still be there tomorrow.
  expiration_policy {
    ttl = ""
  }

  retry_policy {
    minimum_backoff = "${each.value.min_backoff_seconds}s"
    maximum_backoff = "${each.value.max_backoff_seconds}s"
  }

  dynamic "dead_letter_policy" {
    for_each = each.value.dead_letter ? [local.dead_letter_topic] : []
    content {
      dead_letter_topic     = google_pubsub_topic.topic[dead_letter_policy.value].id
      max_delivery_attempts = local.max_delivery_attempts
    }
  }

  push_config {
    push_endpoint = "${google_cloudfunctions2_function.function["run_agent"].service_config[0].uri}${each.value.push_path}"

    oidc_token {
      service_account_email = google_service_account.push_invoker.email
      audience              = google_cloudfunctions2_function.function["run_agent"].service_config[0].uri
    }
  }

  depends_on = [google_cloud_run_v2_service_iam_member.push_invokes_run_agent]
}

# Dead-lettering: the Pub/Sub service agent publishes to the dead-letter topic and acknowledges
# the original message on the source subscription.
resource "google_pubsub_topic_iam_member" "pubsub_publishes_dead_letters" {
  project = var.project_id
  topic   = google_pubsub_topic.topic[local.dead_letter_topic].name
  role    = "roles/pubsub.publisher"
  member  = local.pubsub_service_agent
}

resource "google_pubsub_subscription_iam_member" "pubsub_acks_dead_lettered" {
  for_each = local.dead_lettered_subscriptions

  project      = var.project_id
  subscription = google_pubsub_subscription.to_run_agent[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent
}
